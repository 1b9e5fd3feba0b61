r"""Rule regexes with ``\b``, ``\B``, ``\w`` and ``\W`` mean Unicode words, as users expect when
they copy a regex from elsewhere, through the public RuleSet: what matches and what is marked."""

from __future__ import annotations

import pytest

from bot.matching import RuleSet

COUNT_OF_TROOPS = r"/\b\d{2,}\s*(солдат|военных)\b/"


def spans(query: str, text: str) -> tuple[tuple[int, int], ...] | None:
    """The marked spans of the one rule, or None when it does not match."""
    found = RuleSet.compile([("r", query)]).match(text)
    return found[0].spans if found else None


@pytest.mark.parametrize(
    ("query", "text", "marked"),
    [
        # the regex: a boundary after "военных" and before the number
        (COUNT_OF_TROOPS, "18 военных", [(0, 10)]),
        (COUNT_OF_TROOPS, "Погибли 18 военных.", [(8, 18)]),
        (COUNT_OF_TROOPS, "в плен взяты 120 солдат, сообщает штаб", [(13, 23)]),
        (COUNT_OF_TROOPS, "в1180военных", None),  # no boundary between "в" and the number
        (COUNT_OF_TROOPS, "18 военныхх", None),  # nor inside the word
        (COUNT_OF_TROOPS, "погибли 7 военных", None),  # one digit
        # Ukrainian and English words, each edge on its own
        (r"/\bкурськ\b/", "Вибухи під Курськ, кажуть у місті", [(11, 17)]),
        (r"/\bкурськ\b/", "бої під Курськом", None),
        (r"/\bdrones?\b/", "Two drones hit Belgorod", [(4, 10)]),
        (r"/\bdrones?\b/", "dronescape photos", None),
        (r"/\bdrones?\b/", "drones2 is a username", None),
        # the search goes on after a candidate whose edge fails
        (r"/\bкот/", "скот и кот", [(7, 10)]),
        (r"/\bкот\b/", "кот, ещё кот и котенок", [(0, 3), (9, 12)]),
        # \B: inside a word
        (r"/\Bград\b/", "над Волгоградом и Волгоград", [(23, 27)]),
        (r"/\Bград\b/", "град", None),
        # \w and \W of any script
        (r"/\w+ськ\b/", "під Курськ", [(4, 10)]),
        (r"/[\w-]+ськ\b/", "Ново-Курськ", [(0, 11)]),
        (r"/КНДР\W+Курск/", "КНДР — Курск", [(0, 12)]),
        (r"/КНДР\W+Курск/", "КНДРКурск", None),
        # homoglyph-folded text: the Latin K in Kурск is folded before the regex runs
        (r"/\bкурск\b/", "Kурск", [(0, 5)]),
    ],
)
def test_unicode_boundaries_match_and_mark_the_words_a_person_means(
    query: str, text: str, marked: list[tuple[int, int]] | None
) -> None:
    assert spans(query, text) == (tuple(marked) if marked is not None else None)


def test_a_boundary_regex_works_beside_word_rules_in_one_rule_set() -> None:
    rules = RuleSet.compile(
        [("count", COUNT_OF_TROOPS), ("kursk", "Курск"), ("word", r"/\bкурск\b/")]
    )
    assert [m.rule for m in rules.match("18 военных замечены у Курска")] == ["count", "kursk"]
    assert [m.rule for m in rules.match("в Курск прибыли 40 военных")] == [
        "count",
        "kursk",
        "word",
    ]
