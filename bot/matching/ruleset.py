"""Many rules compiled together, so a message costs about the same with 10 or 10,000 rules.

How a message is matched (notes/matching.md says where the time goes, and this follows it):

1. ``normalize`` the whole message and split it into words with one regex (C-level passes).
2. Look up each distinct word in a per-rule-set cache: word -> ids of the rule *atoms* it
   satisfies (an atom is a word term's lemma set, an ``=exact`` form or a ``prefix*``). A miss
   runs morphology once for that word; the vocabulary is Zipfian, so misses fade quickly.
3. Every rule has an *anchor*: a few atoms (or regexes) of which at least one must be present
   for the rule to match at all, chosen at compile time to be as specific as possible (one
   term of an AND, every branch of an OR). Present atoms select candidate rules through an
   atom -> rules index; regex anchors go through one RE2 set scan.
4. Candidates are checked exactly: first the atoms any match requires (a frozenset subset
   test), then, only for rules with NOT/OR/phrases/NEAR/regexes, a compiled predicate. Word
   positions, needed by phrases and NEAR, are computed per message only when asked for.

Spans and surface words are computed on first access of ``RuleMatch.spans``/``words`` and
only for rules that matched; offsets are mapped back to the original text then.

Deliberate choice on derived words: a rule word matches the word's inflected forms, not
words derived from it. ``Курск`` matches ``в Курске`` and ``под Курском`` but not
``Курской области`` (the adjective ``курский`` is a different lemma). Write
``Курск OR курский`` or ``курск*`` to catch both. Reason: guessing derivations would tie
``Курск`` to unrelated words in three languages and flood analysts with noise; the query
language already has an explicit, predictable way to ask for the adjective.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import ClassVar, cast

import re2

from bot.errors import ChanwatchError, QueryError, RuleError
from bot.matching.morphology import Morphology, morphology
from bot.matching.normalize import normalize
from bot.matching.query import (
    And,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Query,
    Regex,
    Term,
    parse_query,
    regex_options,
)
from bot.matching.tokens import TOKEN, Alignment, align, word_spans

_EMPTY: frozenset[int] = frozenset()
TOKEN_CACHE_SIZE = 1 << 18

Span = tuple[int, int]
Predicate = Callable[["_Scan"], bool]
Locator = Callable[["_Scan"], list[Span]]


@dataclass(frozen=True)
class _Rule:
    name: str
    required: frozenset[int]
    check: Predicate | None
    highlight: frozenset[int]
    highlight_regexes: tuple[int, ...]


class RuleMatch:
    """One rule that matched one message; spans and words are computed on first access."""

    __slots__ = ("_rule", "_scan", "_spans", "_words", "rule")

    def __init__(self, rule: _Rule, scan: _Scan) -> None:
        self.rule = rule.name
        self._rule = rule
        self._scan = scan
        self._spans: tuple[Span, ...] | None = None
        self._words: tuple[str, ...] | None = None

    @property
    def spans(self) -> tuple[Span, ...]:
        """Sorted, non-overlapping ``(start, end)`` offsets into the original text."""
        if self._spans is None:
            self._spans = self._scan.highlight(self._rule)
        return self._spans

    @property
    def words(self) -> tuple[str, ...]:
        """The matched text at each span, as written, without repeats, in text order."""
        if self._words is None:
            text = self._scan.original
            self._words = tuple(dict.fromkeys(text[s:e] for s, e in self.spans))
        return self._words

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RuleMatch):
            return NotImplemented
        return (self.rule, self.spans) == (other.rule, other.spans)

    def __hash__(self) -> int:
        return hash((self.rule, self.spans))

    def __repr__(self) -> str:
        return f"RuleMatch(rule={self.rule!r}, spans={self.spans!r}, words={self.words!r})"


class RuleSet:
    """An immutable compiled set of named rules; ``match`` is safe on any text."""

    token_cache_size: ClassVar[int] = TOKEN_CACHE_SIZE

    def __init__(self, queries: Sequence[tuple[str, Query]], morph: Morphology) -> None:
        self._morph = morph
        self._compiler = _Compiler(morph)
        ordered = sorted(queries, key=lambda item: item[0])
        self._rules = tuple(self._compiler.rule(name, query) for name, query in ordered)
        self.names: frozenset[str] = frozenset(rule.name for rule in self._rules)
        self._anchored: dict[int, tuple[int, ...]] = {}
        regex_anchored: dict[int, list[int]] = {}
        for rule_id, (_, query) in enumerate(ordered):
            atoms, regexes = self._compiler.anchor(query.root)
            for atom in atoms:
                self._anchored[atom] = (*self._anchored.get(atom, ()), rule_id)
            for regex in regexes:
                regex_anchored.setdefault(regex, []).append(rule_id)
        self._regexes = tuple(self._compiler.regexes)
        self._regex_set, self._regex_set_rules = _regex_set(self._regexes, regex_anchored)
        self._by_lemma = self._compiler.by_lemma
        self._by_exact = self._compiler.by_exact
        self._by_prefix = self._compiler.by_prefix
        self._prefix_lengths = sorted({len(p) for p in self._by_prefix})
        self._tokens: dict[str, frozenset[int]] = {}

    @classmethod
    def compile(cls, rules: Iterable[tuple[str, str]]) -> RuleSet:
        """Compile ``(name, query)`` pairs; the first bad rule raises ``RuleError``."""
        ruleset, errors = cls.compile_all_errors(rules)
        if errors:
            raise errors[0]
        return ruleset

    @classmethod
    def compile_all_errors(
        cls, rules: Iterable[tuple[str, str]]
    ) -> tuple[RuleSet, list[ChanwatchError]]:
        """Compile the good rules and return every problem (bad query, repeated name)."""
        parsed: list[tuple[str, Query]] = []
        seen: set[str] = set()
        errors: list[ChanwatchError] = []
        for name, source in rules:
            if name in seen:
                errors.append(ChanwatchError(f"rule {name!r} is defined more than once"))
                continue
            seen.add(name)
            try:
                parsed.append((name, parse_query(source)))
            except QueryError as exc:
                errors.append(RuleError(name, exc))
        return cls(parsed, morphology()), errors

    def __len__(self) -> int:
        return len(self._rules)

    def match(self, text: str, only: Container[str] | None = None) -> list[RuleMatch]:
        """Rules that match ``text``, sorted by name; ``only`` limits which rules may match."""
        normalized = normalize(text)
        tokens = TOKEN.findall(normalized)
        distinct = list(set(tokens))
        known = self._tokens
        looked_up = list(map(known.get, distinct))
        if None in looked_up:
            if len(known) > self.token_cache_size:
                known.clear()
            found = [
                self._learn(t) if f is None else f for t, f in zip(distinct, looked_up, strict=True)
            ]
        else:
            found = cast(list[frozenset[int]], looked_up)
        present: set[int] = set().union(*found)
        candidates: set[int] = set().union(*map(self._anchored.get, present, repeat(())))
        if self._regex_set is not None:
            for index in self._regex_set.Match(normalized) or ():
                candidates.update(self._regex_set_rules[index])
        if not candidates:
            return []
        scan = _Scan(
            self, text, normalized, tokens, dict(zip(distinct, found, strict=True)), present
        )
        rules = self._rules
        out: list[RuleMatch] = []
        for rule_id in sorted(candidates):
            rule = rules[rule_id]
            if only is not None and rule.name not in only:
                continue
            if rule.required <= present and (rule.check is None or rule.check(scan)):
                out.append(RuleMatch(rule, scan))
        return out

    def clear_caches(self) -> None:
        """Forget learned words (benchmarks use it to measure the cold path)."""
        self._tokens.clear()

    def _learn(self, token: str) -> frozenset[int]:
        atoms: set[int] = set()
        for key in self._morph.keys(token):
            atoms.update(self._by_lemma.get(key, ()))
        atoms.update(self._by_exact.get(token, ()))
        for length in self._prefix_lengths:
            if length > len(token):
                break
            atoms.update(self._by_prefix.get(token[:length], ()))
        result = frozenset(atoms) if atoms else _EMPTY
        self._tokens[token] = result
        return result


def _regex_set(
    regexes: Sequence[re2._Regexp], anchored: dict[int, list[int]]
) -> tuple[re2.Set | None, list[tuple[int, ...]]]:
    """One RE2 set over the regexes some rule depends on alone: one scan per message."""
    if not anchored:
        return None, []
    regex_set = re2.Set.SearchSet(regex_options())
    rules: list[tuple[int, ...]] = []
    for regex_id, rule_ids in sorted(anchored.items()):
        regex_set.Add(regexes[regex_id].pattern)
        rules.append(tuple(rule_ids))
    regex_set.Compile()
    return regex_set, rules


class _Compiler:
    """Turns query trees into atoms, indexes, anchors and predicates, sharing atoms."""

    def __init__(self, morph: Morphology) -> None:
        self._morph = morph
        self._atoms: dict[tuple[str, object], int] = {}
        self._cost: list[float] = []
        self.by_lemma: dict[str, tuple[int, ...]] = {}
        self.by_exact: dict[str, tuple[int, ...]] = {}
        self.by_prefix: dict[str, tuple[int, ...]] = {}
        self.regexes: list[re2._Regexp] = []
        self._regex_ids: dict[str, int] = {}

    def rule(self, name: str, query: Query) -> _Rule:
        root = query.root
        highlight, highlight_regexes = self._positives(root)
        return _Rule(
            name=name,
            required=self._required(root),
            check=None if self._is_conjunction(root) else self._predicate(root),
            highlight=frozenset(highlight),
            highlight_regexes=tuple(sorted(highlight_regexes)),
        )

    # atoms -----------------------------------------------------------------------------

    def atom(self, term: Term) -> int:
        if term.kind == "word":
            keys = self._morph.keys(term.text)
            identity: tuple[str, object] = ("word", keys)
        else:
            keys = frozenset((term.text,))
            identity = (term.kind, term.text)
        atom = self._atoms.get(identity)
        if atom is not None:
            return atom
        atom = len(self._cost)
        self._atoms[identity] = atom
        index = {"word": self.by_lemma, "exact": self.by_exact, "prefix": self.by_prefix}
        for key in keys:
            table = index[term.kind]
            table[key] = (*table.get(key, ()), atom)
        # Longer words are rarer (Zipf); prefixes and short words make poor anchors.
        self._cost.append((2.0 if term.kind == "prefix" else 1.0) / max(len(term.text), 1))
        return atom

    def regex(self, node: Regex) -> int:
        regex_id = self._regex_ids.get(node.pattern)
        if regex_id is None:
            regex_id = len(self.regexes)
            self._regex_ids[node.pattern] = regex_id
            self.regexes.append(node.compiled)
        return regex_id

    # analysis --------------------------------------------------------------------------

    def anchor(self, node: Node) -> tuple[frozenset[int], frozenset[int]]:
        """Atoms and regexes of which one must be present for ``node`` to match."""
        best = self._cover(node)
        assert best is not None, "parse_query refuses queries without a positive term"
        return best[1], best[2]

    def _cover(self, node: Node) -> tuple[float, frozenset[int], frozenset[int]] | None:
        if isinstance(node, Term):
            atom = self.atom(node)
            return self._cost[atom], frozenset((atom,)), _EMPTY
        if isinstance(node, Phrase):
            atom = min((self.atom(t) for t in node.terms), key=self._cost.__getitem__)
            return self._cost[atom], frozenset((atom,)), _EMPTY
        if isinstance(node, Regex):
            return 10.0, _EMPTY, frozenset((self.regex(node),))
        if isinstance(node, Not):
            return None
        if isinstance(node, Near):
            children: tuple[Node, ...] = (node.left, node.right)
        else:
            children = node.children
        covers = [self._cover(child) for child in children]
        if isinstance(node, Or):
            if any(c is None for c in covers):
                return None
            return (
                sum(c[0] for c in covers if c is not None),
                frozenset().union(*(c[1] for c in covers if c is not None)),
                frozenset().union(*(c[2] for c in covers if c is not None)),
            )
        usable = [c for c in covers if c is not None]
        return min(usable, key=lambda c: c[0]) if usable else None

    def _required(self, node: Node) -> frozenset[int]:
        if isinstance(node, Term):
            return frozenset((self.atom(node),))
        if isinstance(node, Phrase):
            return frozenset(self.atom(t) for t in node.terms)
        if isinstance(node, Regex | Not):
            return _EMPTY
        if isinstance(node, Near):
            return self._required(node.left) | self._required(node.right)
        parts = [self._required(child) for child in node.children]
        if isinstance(node, And):
            return frozenset().union(*parts)
        return frozenset.intersection(*parts)

    def _positives(self, node: Node) -> tuple[set[int], set[int]]:
        """Atoms and regexes outside any NOT: what to highlight in a matching message."""
        if isinstance(node, Term):
            return {self.atom(node)}, set()
        if isinstance(node, Phrase):
            return {self.atom(t) for t in node.terms}, set()
        if isinstance(node, Regex):
            return set(), {self.regex(node)}
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

    @staticmethod
    def _is_conjunction(node: Node) -> bool:
        """Rules whose required atoms decide the match alone need no predicate."""
        if isinstance(node, Term):
            return True
        return isinstance(node, And) and all(isinstance(c, Term) for c in node.children)

    # predicates ------------------------------------------------------------------------

    def _predicate(self, node: Node) -> Predicate:
        if isinstance(node, Term):
            atom = self.atom(node)
            return lambda scan: atom in scan.present
        if isinstance(node, Regex):
            regex_id = self.regex(node)
            return lambda scan: scan.regex_matches(regex_id)
        if isinstance(node, Not):
            inner = self._predicate(node.child)
            return lambda scan: not inner(scan)
        if isinstance(node, Phrase | Near):
            locate = self._locator(node)
            needed = self._required(node)
            return lambda scan: needed <= scan.present and bool(locate(scan))
        parts = tuple(self._predicate(child) for child in node.children)
        if isinstance(node, And):
            return lambda scan: all(part(scan) for part in parts)
        return lambda scan: any(part(scan) for part in parts)

    def _locator(self, node: Node) -> Locator:
        """Word-index spans where a NEAR operand occurs in the message."""
        if isinstance(node, Term):
            atom = self.atom(node)
            return lambda scan: [(i, i) for i in scan.positions(atom)]
        if isinstance(node, Phrase):
            atoms = tuple(self.atom(t) for t in node.terms)
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


def _near(left: list[Span], right: list[Span], distance: int) -> list[Span]:
    """Pairs of non-overlapping spans with at most ``distance`` words between them."""
    out: list[Span] = []
    for ls, le in left:
        for rs, re_ in right:
            gap = rs - le - 1 if rs > le else ls - re_ - 1
            if (rs > le or ls > re_) and gap <= distance:
                out.append((min(ls, rs), max(le, re_)))
    return out


class _Scan:
    """One message being matched: what predicates and highlighting ask about it."""

    __slots__ = (
        "_alignment",
        "_positions",
        "_regex_results",
        "normalized",
        "original",
        "present",
        "ruleset",
        "token_atoms",
        "tokens",
    )

    def __init__(
        self,
        ruleset: RuleSet,
        original: str,
        normalized: str,
        tokens: list[str],
        token_atoms: dict[str, frozenset[int]],
        present: set[int],
    ) -> None:
        self.ruleset = ruleset
        self.original = original
        self.normalized = normalized
        self.tokens = tokens
        self.token_atoms = token_atoms
        self.present = present
        self._positions: dict[int, list[int]] = {}
        self._regex_results: dict[int, bool] = {}
        self._alignment: Alignment | None = None

    def positions(self, atom: int) -> list[int]:
        found = self._positions.get(atom)
        if found is None:
            atoms = self.token_atoms
            found = [i for i, t in enumerate(self.tokens) if atom in atoms[t]]
            self._positions[atom] = found
        return found

    def phrase_starts(self, atoms: tuple[int, ...]) -> list[int]:
        rest = [set(self.positions(a)) for a in atoms[1:]]
        return [
            i
            for i in self.positions(atoms[0])
            if all(i + k in later for k, later in enumerate(rest, start=1))
        ]

    def regex_matches(self, regex_id: int) -> bool:
        result = self._regex_results.get(regex_id)
        if result is None:
            pattern = self.ruleset._regexes[regex_id]
            result = pattern.search(self.normalized) is not None
            self._regex_results[regex_id] = result
        return result

    def highlight(self, rule: _Rule) -> tuple[Span, ...]:
        alignment = self._alignment
        if alignment is None:
            alignment = self._alignment = align(self.original, self.normalized)
        same_text = alignment.normalized == self.normalized
        word_offsets = word_spans(alignment.normalized)
        spans: list[Span] = []
        for i, token in enumerate(self.tokens):
            if i < len(word_offsets) and self.token_atoms[token] & rule.highlight:
                spans.append(alignment.to_original(*word_offsets[i]))
        if same_text:
            for regex_id in rule.highlight_regexes:
                pattern = self.ruleset._regexes[regex_id]
                for m in pattern.finditer(self.normalized):
                    if m.end() > m.start():
                        spans.append(alignment.to_original(m.start(), m.end()))
        return _merge(spans)


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)
