"""Which dictionary form(s) a normalized word stands for: the keys words are matched by.

Russian and Ukrainian words get pymorphy3 normal forms, English words a Snowball stem, and
anything else (numbers, other scripts) is its own key. A word may have several candidate
lemmas (``стали`` is ``стать`` and ``сталь``); a rule term matches a text word when their key
sets share one, so ambiguity costs a little precision and never a miss.

Routing: letters only Ukrainian has (``і ї є ґ``) pick the uk analyzer,
letters only Russian has (``ы э ъ``) pick ru; otherwise the analyzer whose dictionary knows
the word wins, both if both do, and both guess only when neither does — the other language's
guesser invents junk lemmas (uk reads Russian ``курской`` as ``курскоїти``).

Both dictionaries (~60 MB) load once per process, on first use, so importing the package and
parsing queries stay cheap. Analyses are cached: news vocabulary is Zipfian.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any, Literal

import pymorphy3
import Stemmer

from bot.matching.chain import normal_forms, plan
from bot.matching.names import Language, name_forms

_CYRILLIC = re.compile("[\u0400-\u052f]")
_LATIN = re.compile("[a-z\u00df-\u024f]")
_UKRAINIAN_ONLY = re.compile("[іїєґ]")
_RUSSIAN_ONLY = re.compile("[ыэъё]")

CACHE_SIZE = 1 << 17

Script = Literal["cyrillic", "latin", "other"]


def script(word: str) -> Script:
    """Which morphology a normalized word gets: pymorphy3, Snowball, or none."""
    if _CYRILLIC.search(word) is not None:
        return "cyrillic"
    if _LATIN.search(word) is not None:
        return "latin"
    return "other"


class Morphology:
    """Lemma keys for words; one instance per process via ``morphology()``."""

    def __init__(self, cache_size: int = CACHE_SIZE) -> None:
        self._ru = pymorphy3.MorphAnalyzer(lang="ru")
        self._uk = pymorphy3.MorphAnalyzer(lang="uk")
        self._stemmer = Stemmer.Stemmer("english")
        self._ru_plan = plan(self._ru)
        self._uk_plan = plan(self._uk)
        self.keys: Callable[[str], frozenset[str]] = lru_cache(maxsize=cache_size)(self._analyze)

    def clear_cache(self) -> None:
        """Forget cached analyses (benchmarks measure the cold path with it)."""
        self.keys.cache_clear()  # type: ignore[attr-defined]

    def knows(self, word: str) -> bool:
        """Whether the Russian or the Ukrainian dictionary has this normalized word form."""
        return bool(self._ru.word_is_known(word) or self._uk.word_is_known(word))

    def languages(self, word: str) -> list[Language]:
        """The languages a Cyrillic word may be in: letters only one has leave only that one."""
        if _UKRAINIAN_ONLY.search(word) is not None:
            return ["uk"]
        if _RUSSIAN_ONLY.search(word) is not None:
            return ["ru"]
        return ["ru", "uk"]

    def unknown_to(self, word: str) -> list[Language]:
        """Those of the word's ``languages`` whose dictionary does not have it."""
        analyzers = {"ru": self._ru, "uk": self._uk}
        return [lang for lang in self.languages(word) if not analyzers[lang].word_is_known(word)]

    def name_forms(self, word: str) -> frozenset[str]:
        """The case forms ``names`` gives a Cyrillic word that may be a name no dictionary has.

        None when a dictionary has the word but not as a noun: ``еще`` or ``читать`` are no
        names in the other language, only words it lacks.
        """
        if script(word) != "cyrillic":
            return frozenset()
        languages = self.languages(word)
        unknown = self.unknown_to(word)
        if len(unknown) < len(languages):
            known = (a for lang, a in (("ru", self._ru), ("uk", self._uk)) if lang not in unknown)
            if not any("NOUN" in p.tag for a in known for p in a.parse(word)):
                return frozenset()
        return name_forms(word, languages, unknown)

    def parses(self, word: str) -> list[Any]:
        """Both analyzers' parses of a Cyrillic word whose lemma is one of its keys.

        Search expands a word to its parses' lexemes; the other language's parses of the same
        lemma are kept, since Russian endings of a Ukrainian place name do occur in posts.
        """
        lemmas = self.keys(word)
        return [
            parse
            for analyzer in (self._ru, self._uk)
            for parse in analyzer.parse(word)
            if parse.normal_form.replace("ё", "е") in lemmas
        ]

    def _analyze(self, word: str) -> frozenset[str]:
        kind = script(word)
        if kind == "cyrillic":
            return frozenset(form.replace("ё", "е") for form in self._slavic(word))
        if kind == "latin":
            return frozenset((self._stemmer.stemWord(word),))
        return frozenset((word,))

    def _slavic(self, word: str) -> list[str]:
        if _UKRAINIAN_ONLY.search(word) is not None:
            return normal_forms(self._uk_plan, word)
        if _RUSSIAN_ONLY.search(word) is not None:
            return normal_forms(self._ru_plan, word)
        ru_known = self._ru.word_is_known(word)
        uk_known = self._uk.word_is_known(word)
        forms: list[str] = []
        if ru_known or not uk_known:
            forms.extend(normal_forms(self._ru_plan, word))
        if uk_known or not ru_known:
            forms.extend(normal_forms(self._uk_plan, word))
        return forms


@cache
def morphology() -> Morphology:
    """The process-wide analyzer, created on first call."""
    return Morphology()
