"""Search forms: every inflection of a Russian or Ukrainian word, an English stem prefix, both
apostrophe spellings; and that the FTS5 query built from them finds what they promise."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.matching import normalize
from bot.matching.forms import MAX_FORMS, search_forms
from bot.matching.tokens import words
from storage.search import fts_query

POSTS = (
    "Обстріл на Курщині вночі: пошкоджено лінію електропередач",
    "На Курщине сбит беспилотник, повреждена ЛЭП",
    "Drones struck a fuel depot in Belgorod overnight",
    "Уражено обʼєкт під Суджею",
    "Знищено об’єкти інфраструктури",
    "Ещё один обстрел Суджи ночью",
    "Happiness index: island nations ahead",
    "Колонну обстреляли под Глушково",
    "Бои у Плехове продолжаются",
    "Ким Чен Ыну передали письмо",
    "Штурм Часового Яру триває",
)


@pytest.fixture(scope="module")
def index() -> Iterator[sqlite3.Connection]:
    """The messages_fts tokenizer over the posts, without the rest of the schema."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2')"
    )
    db.executemany("INSERT INTO fts (text) VALUES (?)", [(post,) for post in POSTS])
    yield db
    db.close()


def found(index: sqlite3.Connection, query: str) -> set[str]:
    forms = [search_forms(word) for word in words(normalize(query))]
    rows = index.execute("SELECT text FROM fts WHERE fts MATCH ?", (fts_query(forms),))
    return {text for (text,) in rows}


def test_a_russian_word_brings_every_case_of_its_lemma() -> None:
    forms = search_forms("курской")
    assert forms[0] == "курской"
    assert {"курский", "курского", "курскому", "курских"} <= set(forms)


def test_a_ukrainian_place_name_brings_ukrainian_and_russian_endings() -> None:
    forms = search_forms("курщина")
    assert {"курщині", "курщини", "курщиною"} <= set(forms)
    assert {"курщине", "курщиной"} <= set(forms)


def test_a_ukrainian_word_brings_its_own_inflections() -> None:
    assert {"обстрілу", "обстріли", "обстрілів", "обстрілом"} <= set(search_forms("обстріл"))


def test_a_long_verb_paradigm_is_capped_with_the_word_first_and_no_repeats() -> None:
    forms = search_forms("читать")
    assert len(forms) == MAX_FORMS
    assert len(set(forms)) == len(forms)
    assert forms[0] == "читать"
    assert {"читаю", "читали"} <= set(forms)


def test_english_words_become_their_stem_as_a_prefix() -> None:
    assert search_forms("drones") == ("drone*",)
    assert search_forms("drone") == ("drone*",)


def test_an_english_stem_that_is_not_a_prefix_keeps_the_word() -> None:
    assert search_forms("happy") == ("happy", "happi*")


def test_a_short_english_stem_stays_an_exact_word() -> None:
    assert search_forms("is") == ("is",)


def test_numbers_are_themselves() -> None:
    assert search_forms("2024") == ("2024",)


def test_an_apostrophe_word_is_one_token_with_modifier_apostrophe_and_a_two_word_phrase() -> None:
    forms = search_forms("об'єкт")
    assert forms[:2] == ("обʼєкт", "об єкт")
    assert {"обʼєкти", "об єкти"} <= set(forms)
    assert not any("'" in form for form in forms)


def test_yo_is_searched_with_and_without_its_dots() -> None:
    assert set(search_forms("еще")) == {"еще", "ещё"}


@pytest.mark.parametrize(
    ("query", "posts"),
    [
        ("Курщина", {POSTS[0], POSTS[1]}),
        ("drone", {POSTS[2]}),
        ("DRONES belgorod", {POSTS[2]}),
        ("об'єкт", {POSTS[3], POSTS[4]}),
        ("обʼєкт", {POSTS[3], POSTS[4]}),
        ("еще обстрел", {POSTS[5]}),
        ("обстрелять", {POSTS[7]}),
        ("is", set()),  # not a prefix of "island"
        ("Плехово", {POSTS[8]}),  # names no dictionary knows: every case
        ("Ким Чен Ын", {POSTS[9]}),
        ("Часов Яр", {POSTS[10]}),
    ],
)
def test_the_query_finds_the_posts_with_a_form_of_every_word(
    index: sqlite3.Connection, query: str, posts: set[str]
) -> None:
    assert found(index, query) == posts


def test_fts_syntax_in_a_form_is_only_text(index: sqlite3.Connection) -> None:
    hostile = [['depot" OR "курщині', "NEAR(drones struck)", "*", "-fuel OR"]]
    rows = index.execute("SELECT text FROM fts WHERE fts MATCH ?", (fts_query(hostile),))
    assert rows.fetchall() == []


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_any_typed_words_make_a_valid_bounded_query(index: sqlite3.Connection, typed: str) -> None:
    forms = [search_forms(word) for word in words(normalize(typed))]
    for word_forms in forms:
        assert 0 < len(word_forms) <= MAX_FORMS
        assert len(set(word_forms)) == len(word_forms)
    if forms:
        index.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (fts_query(forms),))
