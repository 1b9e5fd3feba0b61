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
from typing import cast

import re2

from bot.errors import ChanwatchError, QueryError, RuleError
from bot.matching.morphology import Morphology, morphology
from bot.matching.normalize import (
    MIXED_SCRIPT_PATTERN,
    fold_homoglyphs,
    fold_word,
    normalize_unfolded,
)
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
from bot.matching.tokens import TOKEN, Alignment, align

_EMPTY: frozenset[int] = frozenset()
TOKEN_CACHE_SIZE = 1 << 17
# Longer whitespace-free runs (URLs, base64, hostile input) are not worth remembering.
_LONGEST_CACHED_CHUNK = 64

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
        self._regex_set, self._regex_set_rules, self._mixed_index = _regex_set(
            self._regexes, regex_anchored
        )
        self._by_lemma = self._compiler.by_lemma
        self._by_exact = self._compiler.by_exact
        self._by_prefix = self._compiler.by_prefix
        self._prefix_lengths = sorted({len(p) for p in self._by_prefix})
        self._chunks: dict[str, frozenset[int]] = {}
        self._words: dict[str, frozenset[int]] = {}
        self.token_cache_size = TOKEN_CACHE_SIZE

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
        unfolded = normalize_unfolded(text)
        # Whitespace-separated chunks, not words: ``str.split`` is several times cheaper than
        # a word regex, and a chunk's atoms are those of the words in it (learned once).
        chunks = list(set(unfolded.split()))
        known = self._chunks
        looked_up = list(map(known.get, chunks))
        if None in looked_up:
            if len(known) > self.token_cache_size:
                known.clear()
                self._words.clear()
            found = [
                self._learn_chunk(c) if f is None else f
                for c, f in zip(chunks, looked_up, strict=True)
            ]
        else:
            found = cast(list[frozenset[int]], looked_up)
        present: set[int] = set().union(*found)
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
        if not candidates:
            return []
        scan = _Scan(self, text, unfolded, normalized, present)
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
        self._chunks.clear()
        self._words.clear()

    def word_atoms(self, word: str) -> frozenset[int]:
        """Atoms a single (unfolded or folded) normalized word satisfies; cached."""
        atoms = self._words.get(word)
        if atoms is None:
            atoms = self._learn_word(word)
        return atoms

    def _learn_chunk(self, chunk: str) -> frozenset[int]:
        result = frozenset().union(*map(self.word_atoms, TOKEN.findall(chunk))) or _EMPTY
        if len(chunk) <= _LONGEST_CACHED_CHUNK:
            self._chunks[chunk] = result
        return result

    def _learn_word(self, word: str) -> frozenset[int]:
        folded = fold_word(word)
        atoms: set[int] = set()
        for key in self._morph.keys(folded):
            atoms.update(self._by_lemma.get(key, ()))
        atoms.update(self._by_exact.get(folded, ()))
        for length in self._prefix_lengths:
            if length > len(folded):
                break
            atoms.update(self._by_prefix.get(folded[:length], ()))
        result = frozenset(atoms) if atoms else _EMPTY
        self._words[word] = result
        return result

    def regex_pattern(self, regex_id: int) -> re2._Regexp:
        return self._regexes[regex_id]


def _regex_set(
    regexes: Sequence[re2._Regexp], anchored: dict[int, list[int]]
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


class _Compiler:
    """Turns query trees into atoms, indexes, anchors and predicates, sharing atoms."""

    def __init__(self, morph: Morphology) -> None:
        self._morph = morph
        self._atoms: dict[tuple[str, object], int] = {}
        self._cost: list[float] = []
        self._uses: list[int] = []
        self.by_lemma: dict[str, tuple[int, ...]] = {}
        self.by_exact: dict[str, tuple[int, ...]] = {}
        self.by_prefix: dict[str, tuple[int, ...]] = {}
        self.regexes: list[re2._Regexp] = []
        self._regex_ids: dict[str, int] = {}

    def rule(self, name: str, query: Query) -> _Rule:
        root = query.root
        highlight, highlight_regexes = self._positives(root)
        for atom in highlight:
            self._uses[atom] += 1
        return _Rule(
            name=name,
            required=self._required(root),
            check=None if self._is_conjunction(root) else self._rule_predicate(root),
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
        self._cost.append((2.0 if term.kind == "prefix" else 1.0) / max(len(term.text), 1))
        self._uses.append(0)
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

    def _anchor_cost(self, atom: int) -> float:
        """How often an atom is likely present, relative to others; no corpus to ask.

        Longer words are rarer (Zipf), prefixes match more words than a word, and an atom
        many rules share is a context word (``дрон``) rather than the specific name a rule
        is about. Valid once every rule is compiled, hence anchors are chosen afterwards.
        """
        return self._cost[atom] * self._uses[atom]

    def _cover(self, node: Node) -> tuple[float, frozenset[int], frozenset[int]] | None:
        if isinstance(node, Term):
            atom = self.atom(node)
            return self._anchor_cost(atom), frozenset((atom,)), _EMPTY
        if isinstance(node, Phrase):
            atom = min((self.atom(t) for t in node.terms), key=self._anchor_cost)
            return self._anchor_cost(atom), frozenset((atom,)), _EMPTY
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
            if isinstance(node.child, Term | Or) and self._all_terms(node.child):
                absent = self._term_atoms(node.child)
                return lambda scan: absent.isdisjoint(scan.present)
            inner = self._predicate(node.child)
            return lambda scan: not inner(scan)
        if isinstance(node, Phrase | Near):
            locate = self._locator(node)
            needed = self._required(node)
            return lambda scan: needed <= scan.present and bool(locate(scan))
        if isinstance(node, Or):
            if self._all_terms(node):
                anyof = self._term_atoms(node)
                return lambda scan: not anyof.isdisjoint(scan.present)
            alternatives = tuple(self._predicate(child) for child in node.children)
            return lambda scan: any(p(scan) for p in alternatives)
        parts = tuple(self._predicate(c) for c in node.children)
        return lambda scan: all(p(scan) for p in parts)

    def _rule_predicate(self, root: Node) -> Predicate:
        """The top-level predicate; plain terms of a top-level AND are already checked by the
        rule's required atoms, so they are left out."""
        if not isinstance(root, And):
            return self._predicate(root)
        parts = tuple(self._predicate(c) for c in root.children if not isinstance(c, Term))
        if len(parts) == 1:
            return parts[0]
        return lambda scan: all(p(scan) for p in parts)

    @staticmethod
    def _all_terms(node: Term | Or) -> bool:
        return isinstance(node, Term) or all(isinstance(c, Term) for c in node.children)

    def _term_atoms(self, node: Term | Or) -> frozenset[int]:
        terms = (node,) if isinstance(node, Term) else node.children
        return frozenset(self.atom(t) for t in terms if isinstance(t, Term))

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
    """One message being matched: what predicates and highlighting ask about it, lazily."""

    __slots__ = (
        "_alignment",
        "_normalized",
        "_positions",
        "_regex_results",
        "_words",
        "original",
        "present",
        "ruleset",
        "unfolded",
    )

    def __init__(
        self,
        ruleset: RuleSet,
        original: str,
        unfolded: str,
        normalized: str | None,
        present: set[int],
    ) -> None:
        self.ruleset = ruleset
        self.original = original
        self.unfolded = unfolded
        self.present = present
        self._normalized = normalized
        self._words: list[frozenset[int]] | None = None
        self._positions: dict[int, list[int]] = {}
        self._regex_results: dict[int, bool] = {}
        self._alignment: Alignment | None = None

    @property
    def normalized(self) -> str:
        if self._normalized is None:
            self._normalized = fold_homoglyphs(self.unfolded)
        return self._normalized

    def positions(self, atom: int) -> list[int]:
        """Indexes of the words that satisfy ``atom``."""
        found = self._positions.get(atom)
        if found is None:
            words = self._words
            if words is None:
                atoms_of = self.ruleset.word_atoms
                words = self._words = [atoms_of(w) for w in TOKEN.findall(self.unfolded)]
            found = [i for i, atoms in enumerate(words) if atom in atoms]
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
            pattern = self.ruleset.regex_pattern(regex_id)
            result = pattern.search(self.normalized) is not None
            self._regex_results[regex_id] = result
        return result

    def highlight(self, rule: _Rule) -> tuple[Span, ...]:
        alignment = self._alignment
        if alignment is None:
            alignment = self._alignment = align(self.original, self.normalized)
        atoms_of = self.ruleset.word_atoms
        spans = [
            alignment.to_original(*m.span())
            for m in TOKEN.finditer(alignment.normalized)
            if atoms_of(m.group()) & rule.highlight
        ]
        if alignment.normalized == self.normalized:
            for regex_id in rule.highlight_regexes:
                for m in self.ruleset.regex_pattern(regex_id).finditer(self.normalized):
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
