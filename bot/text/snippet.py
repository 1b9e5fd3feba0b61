"""A short quote around a rule's match, safe to put in a Telegram message.

Alerts and digests both quote posts, and posts are hostile input: HTML tags, bidi overrides
that flip the rest of the message, zero-width floods, combining-mark towers, megabytes of
text. So the snippet only ever looks at a bounded window of the original text around the
chosen match (time is bounded by ``width``, not by the post), strips invisible and control
characters, collapses whitespace, cuts at word boundaries with ``…``, and escapes everything
it does not mark.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

Span = tuple[int, int]

DEFAULT_WIDTH = 200
# How much raw text (in snippet widths) either side of the match is cleaned before the
# snippet is cut from it: enough for ordinary posts, and cleaning cost grows with it; a post
# padded with invisible characters gets less context.
_RAW_CONTEXT_FACTOR = 2
# Beyond this many spans a post is a keyword flood; the densest cluster among the first ones
# is as good a quote as any.
_MAX_SPANS = 10_000
# How far a cut may move to land on a word boundary before it becomes a hard cut.
_WORD_SLACK = 30

_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff\ufff9-\ufffb"
    "\U000e0000-\U000e0fff]+"
)
_COMBINING_RUN = re.compile(
    "([\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]{2})"
    "[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+"
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Snippet:
    """Cleaned pieces of a post, each either matched (``True``) or context (``False``)."""

    parts: tuple[tuple[str, bool], ...]
    cut_before: bool
    cut_after: bool

    def _join(self, pieces: list[str]) -> str:
        head = "…" if self.cut_before else ""
        tail = "…" if self.cut_after else ""
        return head + "".join(pieces) + tail

    @property
    def text(self) -> str:
        """The quote without marks."""
        return self._join([piece for piece, _ in self.parts])

    @property
    def words(self) -> tuple[str, ...]:
        """The matched words shown, in order, each once."""
        return tuple(dict.fromkeys(piece for piece, marked in self.parts if marked))

    def html(self) -> str:
        """Telegram HTML: matched words in ``<b>``, everything else escaped."""
        return self._join(
            [
                f"<b>{html.escape(piece, quote=False)}</b>"
                if marked
                else html.escape(piece, quote=False)
                for piece, marked in self.parts
            ]
        )

    def marked(self, before: str = "**", after: str = "**") -> str:
        """Plain text with matched words between ``before`` and ``after``."""
        return self._join(
            [f"{before}{piece}{after}" if marked else piece for piece, marked in self.parts]
        )


def make_snippet(text: str, spans: Sequence[Span], width: int = DEFAULT_WIDTH) -> Snippet:
    """Quote about ``width`` characters of ``text`` around its densest cluster of ``spans``.

    ``spans`` are offsets into ``text`` (as ``RuleMatch.spans`` gives them); out-of-range or
    overlapping spans are clipped rather than trusted.
    """
    width = max(width, 20)
    clean_spans = _sanitize(spans, len(text))
    anchor = _densest(clean_spans, width)
    anchor_start = clean_spans[anchor][0] if clean_spans else 0
    raw_start = max(0, anchor_start - width * _RAW_CONTEXT_FACTOR)
    raw_end = min(len(text), anchor_start + width * _RAW_CONTEXT_FACTOR)
    window = [(max(s, raw_start), min(e, raw_end)) for s, e in clean_spans if e > raw_start]
    window = [(s, e) for s, e in window if s < raw_end]
    cleaned, marks, anchor_at = _clean(text, raw_start, raw_end, window, anchor_start)
    start, end = _cut(cleaned, marks, anchor_at, width)
    parts = _pieces(cleaned, marks, start, end)
    return Snippet(
        parts=parts,
        cut_before=start > 0 or raw_start > 0,
        cut_after=end < len(cleaned) or raw_end < len(text),
    )


def _sanitize(spans: Sequence[Span], length: int) -> list[Span]:
    """Sorted, clipped, non-overlapping, non-empty spans (at most ``_MAX_SPANS``)."""
    result: list[Span] = []
    for s, e in sorted(spans[:_MAX_SPANS]):
        s, e = max(0, s), min(length, e)
        if e <= s:
            continue
        if result and s < result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], e))
        else:
            result.append((s, e))
    return result


def _densest(spans: list[Span], width: int) -> int:
    """Index of the span that starts the window of ``width`` holding the most spans."""
    best, best_count, j = 0, 0, 0
    for i, (start, _) in enumerate(spans):
        j = max(j, i)
        while j < len(spans) and spans[j][0] < start + width:
            j += 1
        if j - i > best_count:
            best, best_count = i, j - i
    return best


def _clean_piece(piece: str) -> str:
    piece = _INVISIBLE.sub("", piece)
    piece = _COMBINING_RUN.sub(r"\1", piece)
    return _SPACE.sub(" ", piece)


def _clean(
    text: str, raw_start: int, raw_end: int, spans: list[Span], anchor_start: int
) -> tuple[str, list[Span], int]:
    """Clean ``text[raw_start:raw_end]``; return it, its marks and the anchor's clean offset."""
    out: list[str] = []
    length = 0
    marks: list[Span] = []
    anchor_at = 0

    def append(piece: str, marked: bool) -> None:
        nonlocal length
        piece = _clean_piece(piece)
        if marked:
            piece = piece.strip()
        if piece.startswith(" ") and (length == 0 or out[-1].endswith(" ")):
            piece = piece[1:]
        if not piece:
            return
        if marked:
            marks.append((length, length + len(piece)))
        out.append(piece)
        length += len(piece)

    position = raw_start
    for s, e in spans:
        append(text[position:s], marked=False)
        if s <= anchor_start < e:
            anchor_at = length
        append(text[s:e], marked=True)
        position = e
    append(text[position:raw_end], marked=False)
    return "".join(out), marks, anchor_at


def _cut(cleaned: str, marks: list[Span], anchor_at: int, width: int) -> tuple[int, int]:
    """A window of about ``width`` characters showing the anchor, cut between words."""
    anchor_end = next((e for s, e in marks if s == anchor_at), anchor_at)
    anchor_end = min(anchor_end, anchor_at + width)
    start = max(0, anchor_at - width // 4)
    end = min(len(cleaned), max(start + width, anchor_end))
    start = max(0, min(start, end - width))
    if start > 0 and cleaned[start - 1] != " ":
        space = cleaned.find(" ", start, min(anchor_at, start + _WORD_SLACK))
        if space >= 0:
            start = space + 1
    if end < len(cleaned) and cleaned[end] != " ":
        space = cleaned.rfind(" ", max(anchor_end, end - _WORD_SLACK), end)
        if space >= 0:
            end = space
    while start < end and cleaned[start] == " ":
        start += 1
    while end > start and cleaned[end - 1] == " ":
        end -= 1
    return start, end


def _pieces(cleaned: str, marks: list[Span], start: int, end: int) -> tuple[tuple[str, bool], ...]:
    parts: list[tuple[str, bool]] = []
    position = start
    for s, e in marks:
        s, e = max(s, start), min(e, end)
        if e <= s:
            continue
        if s > position:
            parts.append((cleaned[position:s], False))
        parts.append((cleaned[s:e], True))
        position = e
    if position < end:
        parts.append((cleaned[position:end], False))
    return tuple(parts)
