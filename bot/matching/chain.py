"""pymorphy3's analyzer chain, run for normal forms only: the cold matcher's largest cost.

Profiled on bench/matcher.py's cold pass, three quarters of the time went to first-seen words
in pymorphy3, most of them words no dictionary knows (new place names, inflected names), which
the whole chain of guessers analyzes in both languages. ``MorphAnalyzer.parse`` also runs units
that never apply to a matcher word (numbers, punctuation, Latin, Roman numerals, hyphens,
upper-case initials), estimates probabilities (which only orders parses; keys are a set) and
wraps each parse in a ``Parse`` tuple. ``normal_forms`` here runs the same chain without those,
and replaces the suffix guesser with ``SuffixGuesser``, which caches its dictionary work per
word ending.

The result is the library's own ``normal_forms``, parse for parse:
tests/test_matching_morphology.py holds it to that on words of every kind, so a pymorphy3
release that changes the chain fails there rather than changing what rules match.
"""

from __future__ import annotations

from typing import Any

import pymorphy3
from pymorphy3.units import (
    DictionaryAnalyzer,
    KnownPrefixAnalyzer,
    KnownSuffixAnalyzer,
    UnknAnalyzer,
    UnknownPrefixAnalyzer,
)

# The units that can analyze a lower-case word of letters, digits and apostrophes with a
# Cyrillic letter in it.
_WORD_UNITS = (
    DictionaryAnalyzer,
    KnownPrefixAnalyzer,
    UnknownPrefixAnalyzer,
    KnownSuffixAnalyzer,
    UnknAnalyzer,
)
# A unit to run (or None) and whether a non-empty result stops the analysis after it.
Plan = tuple[tuple[Any, bool], ...]
# What a suffix guess needs from the dictionary, for one word ending: the split, the
# dictionary's spelling of the ending, the tag, the paradigm and form, and how the normal form
# is cut from the word (leading and trailing characters dropped, prefix and suffix added).
_Guess = tuple[int, str, Any, int, int, int, int, str, str]
# A guess without its tag and paradigm: all it takes to cut a normal form out of a word.
_Recipe = tuple[int, str, int, int, int, str, str]
_GUESS_CACHE_SIZE = 1 << 16


def plan(analyzer: pymorphy3.MorphAnalyzer) -> Plan:
    """``analyzer``'s chain of units with those that never apply to a matcher word left out.

    A left-out unit keeps its place as a stop: a chain ends after a terminal unit once any
    unit before it found something, so the same parses result as from ``parse``.
    """
    steps: list[tuple[Any, bool]] = []
    for unit, terminal in analyzer._units:
        if isinstance(unit, KnownSuffixAnalyzer):
            steps.append((SuffixGuesser(unit), terminal))
        else:
            steps.append((unit if isinstance(unit, _WORD_UNITS) else None, terminal))
    return tuple(steps)


def normal_forms(chain: Plan, word: str) -> list[str]:
    """``MorphAnalyzer.normal_forms(word)`` for a matcher word, in the same order."""
    lower = word.lower()
    found: list[Any] = []
    seen: set[Any] = set()
    for unit, terminal in chain:
        if unit is not None:
            found.extend(unit.parse(lower, lower, seen))
        if terminal and found:
            break
    return list(dict.fromkeys(parse[2] for parse in found))


class SuffixGuesser:
    """``KnownSuffixAnalyzer.parse`` as far as normal forms go, with per-ending caching.

    The guesser looks the word's last one to five letters up among the endings of dictionary
    words, keeps the productive paradigms in order and stops at the longest ending that gave
    any. All of that depends on the ending (and which paradigm prefixes, ``по``/``наи``, the
    word starts with), not on the rest of the word, so it is done once per ending, and so is
    dropping repeated parses: ``parse`` skips a (word, tag, paradigm) it has seen, and the
    guessed word differs from the word only inside the ending. Per word there is left cutting
    the normal forms out of it, and skipping parses an earlier unit found (the same key, in
    the set ``parse`` shares between units), when it found any.
    """

    def __init__(self, unit: KnownSuffixAnalyzer) -> None:
        self._unit = unit
        self._dict = unit.dict
        self._substitutes = unit.morph.char_substitutes
        self._longest = max(unit._prediction_splits)
        self._guesses: dict[tuple[str, tuple[int, ...]], tuple[_Guess, ...]] = {}
        self._recipes: dict[tuple[str, tuple[int, ...]], tuple[_Recipe, ...]] = {}

    def parse(self, word: str, word_lower: str, seen: set[Any]) -> list[tuple[Any, Any, str]]:
        """(word, tag, normal form) triples; ``normal_forms`` reads only the normal form."""
        if len(word) < self._unit.min_word_length:
            return []
        prefixes = tuple(
            prefix_id
            for prefix_id, prefix in self._unit._paradigm_prefixes
            if word_lower.startswith(prefix)
        )
        key = (word_lower[-self._longest :], prefixes)
        guesses = self._guesses.get(key)
        if guesses is None:
            if len(self._guesses) > _GUESS_CACHE_SIZE:
                self._guesses.clear()
                self._recipes.clear()
            guesses = self._guesses[key] = self._guess(key[0], prefixes)
            self._recipes[key] = tuple(dict.fromkeys(guess[:2] + guess[4:] for guess in guesses))
        if not seen:
            return [(None, None, _cut_out(word_lower, *r)) for r in self._recipes[key]]
        out: list[tuple[Any, Any, str]] = []
        for split, suffix, tag, para_id, idx, front, back, prefix, ending in guesses:
            fixed_word = word_lower[:-split] + suffix
            if (fixed_word, tag, para_id) not in seen:
                normal = _cut_out(word_lower, split, suffix, idx, front, back, prefix, ending)
                out.append((fixed_word, tag, normal))
        return out

    def _guess(self, ending: str, prefixes: tuple[int, ...]) -> tuple[_Guess, ...]:
        """The loop of ``KnownSuffixAnalyzer.parse`` over the dictionary, for one ending."""
        dictionary = self._dict
        guesses: list[_Guess] = []
        keys: set[tuple[str, Any, int]] = set()
        for prefix_id in prefixes:
            suffixes = dictionary.prediction_suffixes_dawgs[prefix_id]
            total = 1
            for split in self._unit._prediction_splits:
                for fixed_suffix, parses in suffixes.similar_items(
                    ending[-split:], self._substitutes
                ):
                    fixed_ending = ending[:-split] + fixed_suffix
                    for count, para_id, idx in parses:
                        tag = dictionary.build_tag_info(para_id, idx)
                        if not tag.is_productive():
                            continue
                        total += count
                        if (fixed_ending, tag, para_id) in keys:
                            continue
                        keys.add((fixed_ending, tag, para_id))
                        guesses.append(
                            (split, fixed_suffix, tag, para_id, idx, *self._cut(para_id, idx))
                        )
                if total > 1:
                    break
        return tuple(guesses)

    def _cut(self, para_id: int, idx: int) -> tuple[int, int, str, str]:
        """``build_normal_form`` as cuts: characters off the front and back, then affixes."""
        dictionary = self._dict
        paradigm = dictionary.paradigms[para_id]
        size = len(paradigm) // 3
        front = len(dictionary.paradigm_prefixes[paradigm[size * 2 + idx]])
        back = len(dictionary.suffixes[paradigm[idx]])
        normal_prefix = dictionary.paradigm_prefixes[paradigm[size * 2]]
        normal_suffix = dictionary.suffixes[paradigm[0]]
        return front, back, normal_prefix, normal_suffix


def _cut_out(
    word: str,
    split: int,
    suffix: str,
    idx: int,
    front: int,
    back: int,
    normal_prefix: str,
    normal_suffix: str,
) -> str:
    """``build_normal_form`` of the guessed word: ``word`` with its ending as the dictionary
    spells it, the paradigm's affixes of this form cut off and those of the normal form put on.
    """
    fixed_word = word[:-split] + suffix
    if idx == 0:
        return fixed_word
    stem = fixed_word[front:-back] if back else fixed_word[front:]
    return normal_prefix + stem + normal_suffix
