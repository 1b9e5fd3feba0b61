"""The inflected forms of a name the dictionaries do not know, from its spelling alone.

New front-line villages (``Плехово``, ``Малая Локня``) and foreign names (``Ким Чен Ын``) are
missing from pymorphy3's dictionaries, and its guesser gives each form of such a word a lemma
of its own: ``Ына`` stays ``ына``, ``Ыном`` becomes ``ыном`` or ``ынома``, ``Плехове`` is read
as the surname ``плехов``. So a rule word's lemma does not reach the forms a post uses. A rule
word is few and known in advance, so it is expanded instead: the word's stem (the word minus a
final vowel, ``ь`` or ``й``) with the case endings of its declension in the language whose
dictionary does not know it. The matcher indexes those forms as spellings of the rule word, so
a post costs nothing more (the surface form is looked up as it already is for ``=exact``).

Only singular case endings are generated: names are rarely plural, and every extra ending is a
chance to spell some other word (measured: 7,976 dictionary nouns as rules over 120,000 random
dictionary word forms gained 9 rule/word pairs, most the same word in the other language:
``гробница``/``гробниці``). Stems on ``-ов``/``-ев``/``-ів``/``-ин``/``-ын`` also take the
adjectival endings of possessive place names, in both languages, even when one dictionary
knows the word as something else (``часов`` is ``час``, but ``в Часовом Яре``, ``Часового
Яру``; Ukrainian ``Плехове``, ``Плехового``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

Language = Literal["ru", "uk"]

# Final letter(s) -> case endings, per language; "" is the consonant-final declension.
_ENDINGS: dict[Language, dict[str, tuple[str, ...]]] = {
    "ru": {
        "": ("а", "у", "ом", "ем", "е"),
        "а": ("а", "ы", "и", "е", "у", "ой", "ою", "ей", "ею"),
        "я": ("я", "и", "е", "ю", "ей", "ею"),
        "о": ("о", "а", "у", "ом", "е"),
        "е": ("е", "я", "ю", "ем"),
        "ь": ("ь", "я", "ю", "ем", "е", "и", "ью"),
        "й": ("й", "я", "ю", "ем", "е"),
    },
    "uk": {
        "": ("а", "у", "ом", "ем", "і", "ові", "еві", "е"),
        "а": ("а", "и", "і", "у", "ою", "ею", "о", "е"),
        "я": ("я", "і", "ю", "ею", "е"),
        "о": ("о", "а", "у", "ом", "і", "ові"),
        "е": ("е", "я", "ю", "ем", "і"),
        "ь": ("ь", "я", "ю", "ем", "і", "ею"),
        "й": ("й", "я", "ю", "єм", "ї"),
    },
}
_POSSESSIVE: dict[Language, tuple[str, ...]] = {
    "ru": ("ым", "ом", "ого", "ому"),
    "uk": ("ого", "ому", "им", "ім"),
}
_POSSESSIVE_STEM = re.compile("(?:ов|ев|ин|ын|ів)$")
_CYRILLIC_WORD = re.compile("[а-яіїєґ']+")
_MIN_STEM = 2
_DECLINED_FINALS = "аяоеьй"
# Names ending in other vowels are plural (``Лиски``) or do not decline (``Баку``, ``Сочи``).
_UNDECLINED_FINALS = "иыуюэіїє'ъ"


def name_forms(
    word: str, languages: Sequence[Language], unknown: Sequence[Language]
) -> frozenset[str]:
    """Case forms of the normalized Cyrillic ``word``, without the word itself.

    ``languages`` are those the word may be in, ``unknown`` those whose dictionary lacks it.
    A word every dictionary knows gets none. Otherwise its case endings come from the
    languages that do not know it, and a possessive stem takes the adjectival endings of
    every language: ``часов`` is a Russian word (``час``), but ``Часов Яр`` declines as an
    adjective in Russian text too (``под Часовым Яром``).
    """
    if not unknown or _CYRILLIC_WORD.fullmatch(word) is None:
        return frozenset()
    final = word[-1] if word[-1] in _DECLINED_FINALS else ""
    if not final and word[-1] in _UNDECLINED_FINALS:
        return frozenset()
    stem = word[:-1] if final else word
    if len(stem) < _MIN_STEM:
        return frozenset()
    forms = {stem + ending for language in unknown for ending in _ENDINGS[language][final]}
    if final in ("", "о", "е") and _POSSESSIVE_STEM.search(stem) is not None:
        forms.update(stem + ending for language in languages for ending in _POSSESSIVE[language])
    forms.discard(word)
    return frozenset(forms)
