"""Normalization (SPEC section 3): each rule, in Russian, Ukrainian and English."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.matching import normalize
from bot.matching.normalize import fold_word, normalize_unfolded
from bot.matching.tokens import words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("КУРСК", "курск"),  # case
        ("Straße", "strasse"),  # full case folding, not lower()
        ("Ёжик", "ежик"),  # ё -> е, after folding case
        ("ﬁnal", "final"),  # NFKC compatibility ligature
        ("Ｋｕｒｓｋ", "kursk"),  # NFKC full-width letters
        ("Кур\u200bске", "курске"),  # zero-width space
        ("Кур\u200dске", "курске"),  # zero-width joiner
        ("Кур\u00adске", "курске"),  # soft hyphen
        ("Кур\u2060ске", "курске"),  # word joiner
        ("\ufeffКурск", "курск"),  # BOM
        ("Ку\u200fрск\u202e", "курск"),  # bidi marks
        ("Ку\u0301рск", "курск"),  # stress mark
        ("Київ", "київ"),  # ї keeps its diaeresis (it is a letter, not a stress mark)
        ("Йошкар-Ола", "йошкар-ола"),  # й too
        ("об’єкт", "об'єкт"),  # right single quotation mark
        ("обʼєкт", "об'єкт"),  # modifier letter apostrophe
        ("об‘єкт", "об'єкт"),  # left single quotation mark
        ("об`єкт", "об'єкт"),  # backtick
        ("об′єкт", "об'єкт"),  # prime
        ("Kурск", "курск"),  # Latin K in a Cyrillic word
        ("Курcк", "курск"),  # Latin c in a Cyrillic word
        ("Хapкiв", "харків"),  # Latin a, p, i in a Ukrainian word: i becomes і
        ("Kyiv", "kyiv"),  # a Latin word stays Latin
        ("Kурск и Kyiv", "курск и kyiv"),  # folding is per word
        ("#Kурск_news", "#курск_news"),  # "_" separates words for folding too
        ("ВOЙНA", "война"),  # Latin O and A in a mostly Cyrillic word
        ("BOЙHA", "война"),  # mostly Latin letters, but no Latin word has a й
        ("ceвepокopейcкиe", "северокорейские"),  # й and и make it Cyrillic
        ("Кypcк", "курск"),  # 3 Latin + 2 Cyrillic look-alikes: the Cyrillic reading is a word
        ("Kypcке", "курске"),  # the same for an inflected form
        ("Kypcк", "kypck"),  # one Cyrillic letter is no evidence: hоme is not номе
        ("hоme", "home"),
        ("Кyiv", "kyiv"),  # v has no Cyrillic twin: Latin
        ("drоne", "drone"),  # Cyrillic о in an English word
        ("hoсkey", "hockey"),  # all look-alikes, but the Cyrillic reading is no word
        ("Kyїv", "kyїv"),  # letters only each script has: a real mixture, left alone
    ],
)
def test_normalization_rules(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#КНДР и @rybar_channel", ["кндр", "и", "rybar", "channel"]),
        ("#КНДР_в_Курске", ["кндр", "в", "курске"]),
        ("__Суджа__ и snake_case_name", ["суджа", "и", "snake", "case", "name"]),
        ("north-korean troops", ["north", "korean", "troops"]),
        ("об'єкт, м’ясо!", ["об'єкт", "м'ясо"]),
        ("🔥 Взрыв в 3:15 🔥", ["взрыв", "в", "3", "15"]),
        ("'цитата'", ["цитата"]),
    ],
)
def test_words_split_on_hyphens_underscores_and_punctuation_keep_numbers_and_hashtags(
    text: str, expected: list[str]
) -> None:
    assert words(normalize(text)) == expected


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_normalization_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("aceopxyikmthbасеорхуікмтнвзжыїєґёйv_'’ʼ -\u200b\u00ad\u0301ABCEHKMOPTXІ")
        )
    )
)
def test_normalization_is_idempotent_on_mixed_scripts_and_invisibles(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aceopxyikmthbvасеорхуікмтнвйї_'’ -1"))))
def test_words_fold_alike_one_by_one_and_in_the_text(text: str) -> None:
    """The matcher folds each word when it first sees it, regexes and highlighting see the
    folded text: both must agree on what the words are and how they fold."""
    assert words(normalize(text)) == [fold_word(w) for w in words(normalize_unfolded(text))]
