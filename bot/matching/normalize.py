"""Text normalization from SPEC section 3, shared by messages and rule terms.

Why it looks the way it does: a ~300-character message must normalize in a few microseconds,
so the common case is a handful of C-level passes over the whole string (NFKC quick check,
``casefold``, one character-class search, ``str.replace``). The per-character work (invisible
characters, stress marks, apostrophe variants) runs only when a search has shown that the
message needs it: ``str.translate`` with a dict table measured ~16 µs per 300-character
Cyrillic message, the largest single cost; searching first took matching from ~12,800 to
~15,600 messages/s.

Steps, in order: NFKC, case folding (and NFKC again when folding produced unnormalized text),
removal of invisible characters and the combining acute accent (stress marks; other combining
marks are letters such as ``й``), apostrophe variants made ``'``, ``ё`` -> ``е``, and Latin/Cyrillic
look-alike letters folded inside a word that mixes both scripts (``fold_word`` says toward
which). Removing a character can let its neighbours compose under NFKC, so the rare path
repeats until stable: ``normalize`` is idempotent.

Homoglyph folding is a per-word step (``fold_word``) so the matcher can apply it once per
distinct word, when it first sees it, instead of searching every message for mixed words;
``normalize`` applies it to the whole text for everything else (regexes, highlighting).
"""

from __future__ import annotations

import re
import unicodedata

import re2

from bot.matching.morphology import morphology

_INVISIBLE = (
    "\u00ad\u034f\u061c\u180e"
    + "".join(map(chr, range(0x200B, 0x2010)))
    + "".join(map(chr, range(0x202A, 0x202F)))
    + "".join(map(chr, range(0x2060, 0x2065)))
    + "\ufeff"
)
_STRESS = "\u0301"
_APOSTROPHES = "\u2019\u02bc\u2018`\u2032\u00b4\u02b9\u2035\uff07"

_RARE_TABLE: dict[int, str | None] = {ord(c): None for c in _INVISIBLE + _STRESS}
_RARE_TABLE.update({ord(c): "'" for c in _APOSTROPHES})
_REMOVED = re.compile("[" + re.escape(_INVISIBLE + _STRESS) + "]")
_RARE = re.compile("[" + re.escape("".join(map(chr, _RARE_TABLE))) + "]")

# Lower-case look-alikes; both scripts after casefold. ``b``/``в`` and ``h``/``н`` are
# upper-case look-alikes (B/В, H/Н) that casefolding turned lower-case.
_LATIN = "aceopxyikmthb"
_CYRILLIC = "асеорхуікмтнв"
_TO_CYRILLIC = str.maketrans(_LATIN, _CYRILLIC)
_TO_LATIN = str.maketrans(_CYRILLIC, _LATIN)

_LATIN_LETTER = "a-z\u00df-\u024f"
_CYRILLIC_LETTER = "\u0400-\u052f"
# Cyrillic letters no Latin letter looks like (``й``, ``и``, ``л``...): a word holding one is
# Cyrillic whatever else it holds, so its Latin look-alikes are the substitutes.
_CYRILLIC_ONLY = re.compile(
    "[" + re.escape("".join(chr(c) for c in range(0x400, 0x530) if chr(c) not in _CYRILLIC)) + "]"
)
_LATIN_ONLY = re.compile(
    "["
    + re.escape(
        "".join(
            chr(c)
            for c in (*range(ord("a"), ord("z") + 1), *range(0xDF, 0x250))
            if chr(c) not in _LATIN
        )
    )
    + "]"
)
# A word: letters and digits with the combining marks that follow them, single apostrophes
# inside (Ukrainian ``об'єкт``). ``_`` separates words: hashtags join words with it
# (``#КНДР_в_Курске``). Written as runs of ``[^\W_]`` rather than an alternation with the
# marks, which made tokenizing twice as slow. ``tokens`` splits words with it and homoglyph
# folding works on the same units, so a word is folded the same way wherever it is seen.
_LETTERS = r"[^\W_]+(?:[\u0300-\u036f]+[^\W_]*)*"
WORD_PATTERN = rf"{_LETTERS}(?:'{_LETTERS})*"
# A Latin and a Cyrillic letter in one word, separated at most by digits, marks or "'".
# RE2 because this runs on every message and its DFA does it ~4x faster than ``re``.
MIXED_SCRIPT_PATTERN = (
    rf"[{_LATIN_LETTER}][\pN\pM']*[{_CYRILLIC_LETTER}]"
    rf"|[{_CYRILLIC_LETTER}][\pN\pM']*[{_LATIN_LETTER}]"
)
_MIXED = re2.compile(MIXED_SCRIPT_PATTERN)
_WORD = re.compile(WORD_PATTERN)
_LATIN_COUNT = re.compile(rf"[{_LATIN_LETTER}]")
_CYRILLIC_COUNT = re.compile(rf"[{_CYRILLIC_LETTER}]")

_MAX_ROUNDS = 4
# Cyrillic letters a mostly Latin look-alike word needs before its Cyrillic reading counts.
MIN_CYRILLIC_READING = 2


def normalize(text: str) -> str:
    """The spec's normalization of ``text``; ``normalize(normalize(t)) == normalize(t)``."""
    return fold_homoglyphs(normalize_unfolded(text))


def normalize_unfolded(text: str) -> str:
    """Every step but homoglyph folding, which works per word and so can be done per word.

    The matcher folds each distinct word once, when it first sees it, instead of searching
    every message for mixed-script words.
    """
    text = _fold_case(text)
    rounds = 0
    while _RARE.search(text) is not None and rounds < _MAX_ROUNDS:
        text = _fold_case(text.translate(_RARE_TABLE))
        rounds += 1
    if "ё" in text:
        text = text.replace("ё", "е")
    return text


def normalize_piece(piece: str) -> str:
    """Normalization of a fragment, without the word-level homoglyph step.

    Used to rebuild character offsets chunk by chunk; homoglyph folding maps one character to
    one, so it is applied afterwards on the whole text.
    """
    piece = _fold_case(piece).translate(_RARE_TABLE)
    return _fold_case(piece).replace("ё", "е")


def keeps_offsets(text: str) -> bool:
    """Whether normalizing ``text`` maps each character to exactly one character in place."""
    if not unicodedata.is_normalized("NFKC", text):
        return False
    folded = text.casefold()
    return (
        len(folded) == len(text)
        and unicodedata.is_normalized("NFKC", folded)
        and _REMOVED.search(folded) is None
    )


def fold_homoglyphs(text: str) -> str:
    """Fold look-alike letters in every mixed-script word of unfolded-normalized text."""
    if _MIXED.search(text) is None:
        return text
    return _WORD.sub(_fold_match, text)


def fold_word(word: str) -> str:
    """Fold the look-alike letters of a mixed-script word into one script.

    Toward Cyrillic when Cyrillic letters are at least as many as Latin ones; when the word
    holds a letter only Cyrillic has and none only Latin has (``BOЙHA`` is ``война``: no Latin
    word has a ``й``); or when every letter is a look-alike, at least ``MIN_CYRILLIC_READING``
    of them Cyrillic, and the Cyrillic reading is a word the Russian or Ukrainian dictionary
    knows (``Кypcк`` is ``курск``, three Latin letters notwithstanding). With one Cyrillic
    letter the dictionaries are no evidence: they know 120 of the 290 Cyrillic readings of
    common English words with one letter swapped (``hоme`` would be ``номе``), 20 of 130 with
    two. A mostly Latin word with letters only each script has (``Kyїv``) is a real mixture
    and stays as written; any other word folds toward Latin (``Кyiv``, ``Kypcк``). Each fold
    leaves no letter to fold back, so folding is idempotent.
    """
    latin = len(_LATIN_COUNT.findall(word))
    if latin == 0:
        return word
    cyrillic = len(_CYRILLIC_COUNT.findall(word))
    if cyrillic == 0:
        return word
    if latin <= cyrillic:
        return word.translate(_TO_CYRILLIC)
    latin_only = _LATIN_ONLY.search(word) is not None
    if _CYRILLIC_ONLY.search(word) is not None:
        return word if latin_only else word.translate(_TO_CYRILLIC)
    if not latin_only and cyrillic >= MIN_CYRILLIC_READING:
        reading = word.translate(_TO_CYRILLIC)
        if morphology().knows(reading):
            return reading
    return word.translate(_TO_LATIN)


def _fold_case(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text


def _fold_match(match: re.Match[str]) -> str:
    return fold_word(match.group())
