"""The exact check of a candidate rule, compiled once from its query tree into closures.

A candidate is checked in two steps: the atoms any match requires (a frozenset subset test
against the atoms present), then, only for rules with NOT/OR/phrases/NEAR/regexes, a compiled
predicate over the message's ``Scan``. Building closures at compile time means matching walks
no tree, and leaves the scan to compute word positions only for rules that need them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.matching.atoms import EMPTY, AtomIndex
from bot.matching.query import And, Near, Node, Not, Or, Phrase, Query, Regex, Term
from bot.matching.scan import Scan

Predicate = Callable[[Scan], bool]
# First and last word index of an occurrence of a NEAR operand.
WordSpan = tuple[int, int]
Locator = Callable[[Scan], list[WordSpan]]


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to check: ``required <= present`` and then ``check``, if any."""

    name: str
    required: frozenset[int]
    check: Predicate | None
    highlight: frozenset[int]
    highlight_regexes: tuple[int, ...]


class RuleCompiler:
    """Turns query trees into ``CompiledRule``s over atoms shared through one ``AtomIndex``."""

    def __init__(self, atoms: AtomIndex) -> None:
        self._atoms = atoms

    def rule(self, name: str, query: Query) -> CompiledRule:
        """Compile one rule, counting its highlighted atoms for ``AtomIndex.anchor_cost``."""
        root = query.root
        highlight, highlight_regexes = self._positives(root)
        for atom in highlight:
            self._atoms.count_use(atom)
        return CompiledRule(
            name=name,
            required=self._required(root),
            check=None if _is_conjunction(root) else self._rule_predicate(root),
            highlight=frozenset(highlight),
            highlight_regexes=tuple(sorted(highlight_regexes)),
        )

    def _required(self, node: Node) -> frozenset[int]:
        """Atoms every message matching ``node`` contains."""
        if isinstance(node, Term):
            return frozenset((self._atoms.atom(node),))
        if isinstance(node, Phrase):
            return frozenset(self._atoms.atom(t) for t in node.terms)
        if isinstance(node, Regex | Not):
            return EMPTY
        if isinstance(node, Near):
            return self._required(node.left) | self._required(node.right)
        parts = [self._required(child) for child in node.children]
        if isinstance(node, And):
            return frozenset().union(*parts)
        return frozenset.intersection(*parts)

    def _positives(self, node: Node) -> tuple[set[int], set[int]]:
        """Atoms and regexes outside any NOT: what to highlight in a matching message."""
        if isinstance(node, Term):
            return {self._atoms.atom(node)}, set()
        if isinstance(node, Phrase):
            return {self._atoms.atom(t) for t in node.terms}, set()
        if isinstance(node, Regex):
            return set(), {self._atoms.regex(node)}
        if isinstance(node, Not):
            return set(), set()
        children = (node.left, node.right) if isinstance(node, Near) else node.children
        atoms: set[int] = set()
        regexes: set[int] = set()
        for child in children:
            child_atoms, child_regexes = self._positives(child)
            atoms |= child_atoms
            regexes |= child_regexes
        return atoms, regexes

    def _rule_predicate(self, root: Node) -> Predicate:
        """The top-level predicate; plain terms of a top-level AND are already checked by the
        rule's required atoms, so they are left out."""
        if not isinstance(root, And):
            return self._predicate(root)
        parts = tuple(self._predicate(c) for c in root.children if not isinstance(c, Term))
        if len(parts) == 1:
            return parts[0]
        return lambda scan: all(p(scan) for p in parts)

    def _predicate(self, node: Node) -> Predicate:
        if isinstance(node, Term):
            atom = self._atoms.atom(node)
            return lambda scan: atom in scan.present
        if isinstance(node, Regex):
            regex_id = self._atoms.regex(node)
            return lambda scan: scan.regex_matches(regex_id)
        if isinstance(node, Not):
            if isinstance(node.child, Term | Or) and _all_terms(node.child):
                absent = self._term_atoms(node.child)
                return lambda scan: absent.isdisjoint(scan.present)
            inner = self._predicate(node.child)
            return lambda scan: not inner(scan)
        if isinstance(node, Phrase | Near):
            locate = self._locator(node)
            needed = self._required(node)
            return lambda scan: needed <= scan.present and bool(locate(scan))
        if isinstance(node, Or):
            if _all_terms(node):
                anyof = self._term_atoms(node)
                return lambda scan: not anyof.isdisjoint(scan.present)
            alternatives = tuple(self._predicate(child) for child in node.children)
            return lambda scan: any(p(scan) for p in alternatives)
        parts = tuple(self._predicate(c) for c in node.children)
        return lambda scan: all(p(scan) for p in parts)

    def _term_atoms(self, node: Term | Or) -> frozenset[int]:
        terms = (node,) if isinstance(node, Term) else node.children
        return frozenset(self._atoms.atom(t) for t in terms if isinstance(t, Term))

    def _locator(self, node: Node) -> Locator:
        """Word spans where a NEAR operand occurs in the message."""
        if isinstance(node, Term):
            atom = self._atoms.atom(node)
            return lambda scan: [(i, i) for i in scan.positions(atom)]
        if isinstance(node, Phrase):
            atoms = tuple(self._atoms.atom(t) for t in node.terms)
            width = len(atoms) - 1
            return lambda scan: [(i, i + width) for i in scan.phrase_starts(atoms)]
        if isinstance(node, Or):
            parts = tuple(self._locator(child) for child in node.children)
            return lambda scan: [span for part in parts for span in part(scan)]
        if isinstance(node, Near):
            left, right, distance = (
                self._locator(node.left),
                self._locator(node.right),
                node.distance,
            )
            return lambda scan: _near(left(scan), right(scan), distance)
        raise AssertionError(f"parse_query only lets words, phrases and OR into NEAR: {node!r}")


def _is_conjunction(node: Node) -> bool:
    """Rules whose required atoms decide the match alone need no predicate."""
    if isinstance(node, Term):
        return True
    return isinstance(node, And) and all(isinstance(c, Term) for c in node.children)


def _all_terms(node: Term | Or) -> bool:
    return isinstance(node, Term) or all(isinstance(c, Term) for c in node.children)


def _near(left: list[WordSpan], right: list[WordSpan], distance: int) -> list[WordSpan]:
    """Pairs of non-overlapping spans with at most ``distance`` words between them."""
    out: list[WordSpan] = []
    for ls, le in left:
        for rs, re_ in right:
            gap = rs - le - 1 if rs > le else ls - re_ - 1
            if (rs > le or ls > re_) and gap <= distance:
                out.append((min(ls, rs), max(le, re_)))
    return out
