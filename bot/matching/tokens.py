"""Words of normalized text, and the way back from normalized offsets to the original text.

A word is a run of letters, digits and combining marks, with single apostrophes allowed
inside (Ukrainian ``об'єкт``); everything else separates words, so hyphens split
(``north-korean``), ``_`` splits hashtags (``#ЗСУ_на_Курщині``), ``#`` and ``@`` fall away
from hashtags and mentions, and emoji and punctuation vanish. Offsets are only needed for
messages that matched something, so mapping them back to the original text (``align``) may be
slow.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.matching.normalize import WORD_PATTERN, fold_homoglyphs, keeps_offsets, normalize_piece

TOKEN = re.compile(WORD_PATTERN)


def words(normalized: str) -> list[str]:
    """The words of already-normalized text, in order."""
    return TOKEN.findall(normalized)


@dataclass(frozen=True)
class Alignment:
    """Maps offsets in the normalized text back to the original text.

    ``starts[i]``/``ends[i]`` are the original offsets of the chunk that produced normalized
    character ``i``; ``None`` when normalization kept every character in place.
    """

    normalized: str
    starts: tuple[int, ...] | None
    ends: tuple[int, ...] | None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the non-empty normalized range ``start:end``."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def align(original: str, normalized: str) -> Alignment:
    """An ``Alignment`` for ``normalized == normalize(original)``.

    When every normalization step was one-to-one the offsets are the original ones.
    Otherwise the original is re-normalized chunk by chunk (a base character with its
    combining marks), which records where each output character came
    from; in the rare case where that differs from whole-text normalization (compositions
    across chunks) the chunked text is used instead, and callers match words by index.
    """
    if keeps_offsets(original):
        return Alignment(normalized, None, None)
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    n = len(original)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(original[j]):
            j += 1
        piece = normalize_piece(original[i:j])
        pieces.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    rebuilt = fold_homoglyphs("".join(pieces))
    return Alignment(rebuilt, tuple(starts), tuple(ends))
