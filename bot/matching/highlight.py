"""What a match reports: where in the original text the words that made a rule match are.

Spans are wanted only for rules that matched, and often not at all (counting, routing), so
``RuleMatch`` computes them on first access of ``spans``/``words``: the rule's highlight atoms
and regexes are looked up in the normalized text and mapped back through the message's
offset alignment.
"""

from __future__ import annotations

from bot.matching.predicates import CompiledRule
from bot.matching.scan import Scan
from bot.matching.tokens import TOKEN

# ``(start, end)`` offsets into the original text.
Span = tuple[int, int]


class RuleMatch:
    """One rule that matched one message; spans and words are computed on first access."""

    __slots__ = ("_rule", "_scan", "_spans", "_words", "rule")

    def __init__(self, rule: CompiledRule, scan: Scan) -> None:
        self.rule = rule.name
        self._rule = rule
        self._scan = scan
        self._spans: tuple[Span, ...] | None = None
        self._words: tuple[str, ...] | None = None

    @property
    def spans(self) -> tuple[Span, ...]:
        """Sorted, non-overlapping ``(start, end)`` offsets into the original text."""
        if self._spans is None:
            self._spans = _highlight(self._scan, self._rule)
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


def _highlight(scan: Scan, rule: CompiledRule) -> tuple[Span, ...]:
    """Original-text spans of the rule's positive words and regex matches in ``scan``.

    When the alignment had to rebuild the normalized text (rare compositions across
    characters), regex offsets would point into the other text, so regexes are not
    highlighted then; words still are, found again in the rebuilt text.
    """
    alignment = scan.alignment
    atoms_of = scan.atoms.word_atoms
    spans = [
        alignment.to_original(*m.span())
        for m in TOKEN.finditer(alignment.normalized)
        if atoms_of(m.group()) & rule.highlight
    ]
    if alignment.normalized == scan.normalized:
        for regex_id in rule.highlight_regexes:
            for m in scan.atoms.regexes[regex_id].finditer(scan.normalized):
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
