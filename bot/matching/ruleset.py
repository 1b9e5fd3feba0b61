"""Many rules compiled together, so a message costs about the same with 10 or 10,000 rules.

How a message is matched, each step placed where profiling showed the time goes:

1. ``normalize`` the whole message with a few C-level passes and split it on whitespace.
2. ``atoms``: each distinct chunk maps, through a cache, to the ids of the rule *atoms* its
   words satisfy (an atom is a word term's lemma set, an ``=exact`` form or a ``prefix*``). A
   miss runs morphology once per word; the vocabulary is Zipfian, so misses fade quickly.
3. ``prefilter``: the atoms present select candidate rules through each rule's anchor, the
   most specific atoms or regexes of which one must be present.
4. ``predicates``: candidates are checked exactly, first against the atoms any match requires,
   then, only for rules with NOT/OR/phrases/NEAR/regexes, by a compiled predicate over the
   message's lazily computed ``scan``.
5. ``highlight``: spans and surface words are computed on first access of
   ``RuleMatch.spans``/``words``, only for rules that matched, mapped back to the original text.

Deliberate choice on derived words: a rule word matches the word's inflected forms, not
words derived from it. ``Курск`` matches ``в Курске`` and ``под Курском`` but not
``Курской области`` (the adjective ``курский`` is a different lemma). Write
``Курск OR курский`` or ``курск*`` to catch both. Reason: guessing derivations would tie
``Курск`` to unrelated words in three languages and flood analysts with noise; the query
language already has an explicit, predictable way to ask for the adjective.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence

from bot.errors import ChanwatchError, QueryError, RuleError
from bot.matching.atoms import AtomIndex
from bot.matching.highlight import RuleMatch
from bot.matching.morphology import Morphology, morphology
from bot.matching.normalize import normalize_unfolded
from bot.matching.predicates import RuleCompiler
from bot.matching.prefilter import Prefilter
from bot.matching.query import Query, parse_query
from bot.matching.scan import Scan


class RuleSet:
    """An immutable compiled set of named rules; ``match`` is safe on any text."""

    def __init__(self, queries: Sequence[tuple[str, Query]], morph: Morphology) -> None:
        ordered = sorted(queries, key=lambda item: item[0])
        self._atoms = AtomIndex(morph)
        compiler = RuleCompiler(self._atoms)
        self._rules = tuple(compiler.rule(name, query) for name, query in ordered)
        self.names: frozenset[str] = frozenset(rule.name for rule in self._rules)
        self._prefilter = Prefilter(self._atoms, [query.root for _, query in ordered])

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

    @property
    def token_cache_size(self) -> int:
        """How many distinct chunks are remembered before the word caches start over."""
        return self._atoms.cache_size

    @token_cache_size.setter
    def token_cache_size(self, size: int) -> None:
        self._atoms.cache_size = size

    def match(self, text: str, only: Container[str] | None = None) -> list[RuleMatch]:
        """Rules that match ``text``, sorted by name; ``only`` limits which rules may match."""
        unfolded = normalize_unfolded(text)
        present = self._atoms.present(unfolded)
        candidates, normalized = self._prefilter.candidates(unfolded, present)
        if not candidates:
            return []
        scan = Scan(self._atoms, text, unfolded, normalized, present)
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
        self._atoms.clear_caches()
