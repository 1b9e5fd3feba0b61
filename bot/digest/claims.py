"""What a post claims, in terms that survive translation: its figures and its names.

Story folding's other passes compare words, so the same report posted in Russian, Ukrainian
and English stayed three stories: "18 северокорейских военных сбежали из Курской области",
"18 північнокорейських військових втекли з Курщини" and "18 North Korean soldiers fled
Kursk" share no word. They share what a translator leaves alone: the figures and the proper
names, and alias groups (``КНДР`` / ``Північна Корея`` / ``DPRK``) where the names differ.

A name is a capitalized word of at least ``MIN_NAME`` letters or an acronym, and its key is a
coarse consonant skeleton, not a transliteration: the first ``SKELETON`` consonants after
folding the sounds that Russian, Ukrainian and English spell differently (``г``/``h``/``g``,
``х``/``kh``, ``з``/``s``, ``ц``/``ts``, ``ж``/``zh``...), dropping vowels, where both the
languages (Харьков / Харків) and the romanizations (Kiev / Kyiv) disagree, and doubled
letters (Россия / Росія). Case endings come after a name's first consonants, so
``Курской``, ``Курськ`` and ``Kursk`` all give ``крск``, ``Зеленского`` and ``Zelensky``
``слнс``. No dictionary is consulted: a digest takes the claims of every post it folds.

``same_claim`` is strict, because a story wrongly joined hides a report while a missed join
only shows it twice. Posts in two languages (a mixed-language post has none) must both give
figures or both give none; when both do, they must share one (``figures_differ`` otherwise:
a daily template's next report), and share ``MIN_SHARED`` keys with a name among them or
``MIN_SHARED`` figures; without figures, ``MIN_SHARED`` names. The shared keys must also be
at least ``MIN_OVERLAP`` of the smaller post's keys. The labelled set and the measured
precision and recall are in ``tests/test_digest_claims.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.matching import normalize

MIN_NAME = 4
SKELETON = 4
MIN_SHARED = 3
MIN_OVERLAP = 0.5
_LANGUAGE_WORDS = 40
_MIXED = 0.2

Aliases = Callable[[str], Iterable[str]]
"""The alias groups a normalized word belongs to (none for most words)."""

# ASCII classes and no word-boundary assertion: twice as fast as ``\d`` and ``\b``, and
# Telegram posts write figures in ASCII digits (``#3`` is a tag, not a figure); a capital
# inside a word ("iPhone") starts a name of its own, which costs nothing but a key.
_FIGURE = re.compile(r"(?<![#0-9])[0-9]+(?:[.,][0-9]+|[\u00a0\u202f ][0-9]{3}(?![0-9]))*")
_CAPITALIZED = re.compile(r"[A-ZÀ-ÞА-ЯЁІЇЄҐ][^\W\d_]*")
_WORD = re.compile(r"[^\W\d_]+")
_THOUSANDS = re.compile(r"[.,\u00a0\u202f ](?=\d{3}(?!\d))")
_DECIMAL = re.compile(r"[.,\u00a0\u202f ]")
_ACRONYM = re.compile(r"[^\W\d_a-zа-яіїєґ]{2,6}")
_UKRAINIAN = re.compile("[іїєґ]")
_RUSSIAN = re.compile("[ыэъё]")

# Latin digraphs first: each becomes the one letter its Cyrillic twin maps to.
_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("shch", "ш"),
    ("tsch", "ч"),
    ("sch", "ш"),
    ("kh", "к"),
    ("zh", "ж"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("th", "т"),
    ("ts", "с"),
    ("tz", "с"),
    ("ph", "в"),
    ("ck", "к"),
)
_SOUNDS = str.maketrans(
    {
        **dict.fromkeys("aeiouyjаеєиіїйоуыэюяьъ'", ""),
        "b": "б",
        "c": "к",
        "d": "д",
        "f": "в",
        "g": "г",
        "h": "г",
        "k": "к",
        "l": "л",
        "m": "м",
        "n": "н",
        "p": "п",
        "q": "к",
        "r": "р",
        "s": "с",
        "t": "т",
        "v": "в",
        "w": "в",
        "x": "кс",
        "z": "с",
        "ф": "в",
        "х": "к",
        "ґ": "г",
        "з": "с",
        "щ": "ш",
        "ц": "с",
    }
)
_SOFT_C = re.compile("c(?=[eiy])")
_DOUBLED = re.compile(r"(.)\1+")


@dataclass(frozen=True, slots=True)
class Claim:
    """A post's language and its translation-proof keys."""

    language: str  # "ru", "uk", "en", "cyr" (Cyrillic, Russian or Ukrainian) or ""
    numbers: frozenset[str]
    names: frozenset[str]

    @property
    def keys(self) -> frozenset[str]:
        return self.numbers | self.names


def claim_of(
    text: str, words: Sequence[str] | None = None, aliases: Aliases | None = None
) -> Claim:
    """The claim keys of ``text``, whose normalized ``words`` the caller may already have.

    Names are looked for only among capitalized words and acronyms, and their keys are
    taken from the case-folded word rather than the fully normalized one (a look-alike
    letter in a name is rare, and a digest takes the claims of every post it folds).
    """
    if words is None:
        words = _WORD.findall(normalize(text))
    numbers = {_number(token) for token in _FIGURE.findall(text)}
    names: set[str] = set()
    for token in _CAPITALIZED.findall(text):
        if len(token) >= MIN_NAME or _ACRONYM.fullmatch(token):
            key = skeleton(token.casefold())
            if len(key) >= 2:
                names.add(key)
    if aliases is not None:
        for word in set(words):
            names.update(f"~{group}" for group in aliases(word))
    return Claim(_language(words), frozenset(numbers), frozenset(names))


def same_claim(a: Claim, b: Claim) -> bool:
    """Whether posts in two languages report the same thing (see the module docstring)."""
    if not _different_languages(a.language, b.language):
        return False
    if bool(a.numbers) != bool(b.numbers) or figures_differ(a, b):
        return False
    shared = a.keys & b.keys
    figures = len(shared & a.numbers)
    names = len(shared) - figures
    if figures:
        enough = figures >= MIN_SHARED or (len(shared) >= MIN_SHARED and names > 0)
    else:
        enough = names >= MIN_SHARED
    return enough and len(shared) >= MIN_OVERLAP * min(len(a.keys), len(b.keys))


def figures_differ(a: Claim, b: Claim) -> bool:
    """Both posts give figures and none is the same: a template's next report, not a copy.

    "Сбиты 24 беспилотника" today and "сбиты 31 беспилотник" tomorrow are near-identical
    word for word; a corrected figure in a long post still leaves the others in common.
    """
    return bool(a.numbers) and bool(b.numbers) and a.numbers.isdisjoint(b.numbers)


@lru_cache(maxsize=65_536)
def skeleton(word: str) -> str:
    """The first ``SKELETON`` consonants of a normalized word, in one spelling for all three."""
    word = _SOFT_C.sub("s", word)
    for digraph, letter in _DIGRAPHS:
        word = word.replace(digraph, letter)
    consonants = _DOUBLED.sub(r"\1", word.translate(_SOUNDS))
    return consonants[:SKELETON]


def _number(token: str) -> str:
    """One spelling for ``1 234``, ``1,234`` and ``1234``; for ``3,5`` and ``3.5``."""
    number = _DECIMAL.sub(".", _THOUSANDS.sub("", token))
    if number.isdigit():
        return number.lstrip("0") or "0"
    return number


def _language(words: Sequence[str]) -> str:
    """By the first ``_LANGUAGE_WORDS`` words: enough to tell, and bounded for long posts.

    A post with more than a fifth of its words in the other script is mixed (a quote, a
    bilingual post): "" rather than a guess, so it is never taken for a translation.
    """
    sample = [word for word in words[:_LANGUAGE_WORDS] if word[0].isalpha()]
    if not sample:
        return ""
    latin = sum(word[0].isascii() for word in sample) / len(sample)
    if latin > 1 - _MIXED:
        return "en"
    if latin >= _MIXED:
        return ""
    joined = " ".join(sample)
    if _UKRAINIAN.search(joined):
        return "uk" if not _RUSSIAN.search(joined) else "cyr"
    return "ru" if _RUSSIAN.search(joined) else "cyr"


def _different_languages(a: str, b: str) -> bool:
    """ "cyr" may be either Cyrillic language, so it differs only from English."""
    if not a or not b or a == b:
        return False
    return "en" in (a, b) or "cyr" not in (a, b)
