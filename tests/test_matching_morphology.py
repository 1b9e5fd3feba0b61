"""The matcher's lemma keys are pymorphy3's normal forms, though it skips part of ``parse``.

``Morphology`` runs pymorphy3's analyzer chain itself (bot/matching/chain.py), without the
units that cannot apply to its words, the probability estimate and the ``Parse`` tuples, and
with the suffix guesser's dictionary work cached per word ending (half the cold matcher's
time). These tests hold it to the library's own ``normal_forms``, routed the documented way,
on words of every kind, so a pymorphy3 release that changes the chain fails here.
"""

from __future__ import annotations

import random
from itertools import islice

import pymorphy3
import pytest

from bot.matching import normalize
from bot.matching.morphology import morphology
from bot.matching.tokens import words


@pytest.fixture(scope="module")
def analyzers() -> tuple[pymorphy3.MorphAnalyzer, pymorphy3.MorphAnalyzer]:
    return pymorphy3.MorphAnalyzer(lang="ru"), pymorphy3.MorphAnalyzer(lang="uk")


def expected_keys(
    word: str, ru: pymorphy3.MorphAnalyzer, uk: pymorphy3.MorphAnalyzer
) -> frozenset[str]:
    """notes/matching.md's routing over the public ``normal_forms``."""
    if any(c in word for c in "іїєґ"):
        chosen = [uk]
    elif any(c in word for c in "ыэъ"):
        chosen = [ru]
    else:
        ru_known, uk_known = ru.word_is_known(word), uk.word_is_known(word)
        chosen = [a for a, known in ((ru, ru_known), (uk, uk_known)) if known]
        chosen = chosen or [ru, uk]
    return frozenset(f.replace("ё", "е") for a in chosen for f in a.normal_forms(word))


def sample_words(ru: pymorphy3.MorphAnalyzer, uk: pymorphy3.MorphAnalyzer) -> list[str]:
    rng = random.Random(15)
    known = [
        word
        for analyzer in (ru, uk)
        for word, *_ in islice(analyzer.dictionary.iter_known_words(), 0, 400_000, 797)
    ]
    letters = "абвгдежзийклмнопрстуфхцчшщъыьэюяіїєґ'0123456789"
    made_up = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 12))) for _ in range(400)]
    prefixed = [p + w for p in ("по", "наи", "най", "псевдо", "анти", "ку") for w in known[:40]]
    text = (
        "Ким Чен Ына, Ыну, Ыном; бої на Курщині, 5км від Суджі: обʼєкт, 2024г, ёжики "
        "наилучшие, в Плехове и Плехово, у Малой Локни, на Курщине, суджанском, Кураскою"
    )
    candidates = [*known, *made_up, *prefixed, *words(normalize(text))]
    return [w for w in dict.fromkeys(candidates) if words(w) == [w] and not w.isascii()]


def test_keys_are_the_routed_normal_forms_of_pymorphy3(
    analyzers: tuple[pymorphy3.MorphAnalyzer, pymorphy3.MorphAnalyzer],
) -> None:
    ru, uk = analyzers
    checked = sample_words(ru, uk)
    assert len(checked) > 1000
    differing = [w for w in checked if morphology().keys(w) != expected_keys(w, ru, uk)]
    assert differing == []
