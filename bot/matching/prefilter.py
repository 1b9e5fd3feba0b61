"""Which rules a message could match, decided from the atoms present before any exact check.

Every rule has an *anchor*: a few atoms (or regexes) of which at least one must be present for
the rule to match at all, chosen to be as specific as possible (the rarest term of an AND,
every branch of an OR). Present atoms select candidate rules through an atom -> rules index,
so a message costs about the same with 10 or 10,000 rules; regex anchors go through one RE2
set scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat

import re2

from bot.matching.atoms import EMPTY, AtomIndex
from bot.matching.boundaries import BoundedRegex
from bot.matching.normalize import MIXED_SCRIPT_PATTERN, fold_homoglyphs
from bot.matching.query import Near, Node, Not, Or, Phrase, Regex, Term, regex_options

# A cover: estimated cost, then the atoms and the regexes of which one must be present.
_Cover = tuple[float, frozenset[int], frozenset[int]]
# Regexes are rarely the only way into a rule and cost a scan; prefer any word to them.
_REGEX_COST = 10.0


class Prefilter:
    """Candidate rule ids (indexes into the rule order) for a message."""

    def __init__(self, atoms: AtomIndex, roots: Sequence[Node]) -> None:
        """Index the anchors of ``roots``; call once every rule is compiled (``anchor_cost``)."""
        self._atoms = atoms
        self._anchored: dict[int, tuple[int, ...]] = {}
        regex_anchored: dict[int, list[int]] = {}
        for rule_id, root in enumerate(roots):
            anchor = self._cover(root)
            assert anchor is not None, "parse_query refuses queries without a positive term"
            for atom in anchor[1]:
                self._anchored[atom] = (*self._anchored.get(atom, ()), rule_id)
            for regex in anchor[2]:
                regex_anchored.setdefault(regex, []).append(rule_id)
        self._regex_set, self._regex_set_rules, self._mixed_index = _regex_set(
            atoms.regexes, regex_anchored
        )

    def candidates(self, unfolded: str, present: set[int]) -> tuple[set[int], str | None]:
        """Rules worth an exact check, and the homoglyph-folded text if the scan made it."""
        candidates: set[int] = set().union(*map(self._anchored.get, present, repeat(())))
        normalized: str | None = None
        if self._regex_set is not None:
            hits = self._regex_set.Match(unfolded) or ()
            normalized = unfolded
            if self._mixed_index in hits:
                normalized = fold_homoglyphs(unfolded)
                hits = self._regex_set.Match(normalized) or ()
            for index in hits:
                candidates.update(self._regex_set_rules[index])
        return candidates, normalized

    def _cover(self, node: Node) -> _Cover | None:
        """The cheapest anchor of ``node``; ``None`` when it can match by absence (NOT)."""
        atoms = self._atoms
        if isinstance(node, Term):
            atom = atoms.atom(node)
            return atoms.anchor_cost(atom), frozenset((atom,)), EMPTY
        if isinstance(node, Phrase):
            atom = min((atoms.atom(t) for t in node.terms), key=atoms.anchor_cost)
            return atoms.anchor_cost(atom), frozenset((atom,)), EMPTY
        if isinstance(node, Regex):
            return _REGEX_COST, EMPTY, frozenset((atoms.regex(node),))
        if isinstance(node, Not):
            return None
        children = (node.left, node.right) if isinstance(node, Near) else node.children
        covers = [self._cover(child) for child in children]
        usable = [c for c in covers if c is not None]
        if isinstance(node, Or):
            if len(usable) < len(covers):
                return None
            return (
                sum(c[0] for c in usable),
                frozenset().union(*(c[1] for c in usable)),
                frozenset().union(*(c[2] for c in usable)),
            )
        return min(usable, key=lambda c: c[0]) if usable else None


def _regex_set(
    regexes: Sequence[BoundedRegex], anchored: dict[int, list[int]]
) -> tuple[re2.Set | None, list[tuple[int, ...]], int]:
    """One RE2 set scan per message for the regexes some rule depends on alone.

    The set also holds the mixed-script test, so one scan of the cheaply normalized text
    says whether homoglyph folding (and a second scan) is needed at all.
    """
    if not anchored:
        return None, [], -1
    regex_set = re2.Set.SearchSet(regex_options())
    rules: list[tuple[int, ...]] = []
    for regex_id, rule_ids in sorted(anchored.items()):
        regex_set.Add(regexes[regex_id].pattern)
        rules.append(tuple(rule_ids))
    mixed_index = regex_set.Add(MIXED_SCRIPT_PATTERN)
    rules.append(())
    regex_set.Compile()
    return regex_set, rules, mixed_index
