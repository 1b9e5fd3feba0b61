"""The snippet quotes posts safely: marked matches, escaped text, bounded on hostile input."""

from __future__ import annotations

import re

from bot.text import make_snippet

KURSK = (
    "Губернатор Курской области сообщил, что ночью над Курском сбили три беспилотника. "
    "Обломки упали на крышу частного дома, пострадавших нет."
)


def span_of(text: str, word: str, start: int = 0) -> tuple[int, int]:
    at = text.index(word, start)
    return (at, at + len(word))


def test_matched_words_are_bold_and_the_rest_plain() -> None:
    snippet = make_snippet(KURSK, [span_of(KURSK, "Курской"), span_of(KURSK, "Курском")])
    assert snippet.html() == KURSK.replace("Курской", "<b>Курской</b>").replace(
        "Курском", "<b>Курском</b>"
    )
    assert snippet.words == ("Курской", "Курском")
    assert "**Курском**" in snippet.marked()
    assert snippet.text == KURSK


def test_html_in_posts_is_escaped_and_marks_stay_real_tags() -> None:
    text = 'Взрыв <b>в Києві</b> & <a href="x">link</a> біля метро'
    snippet = make_snippet(text, [span_of(text, "Києві")])
    assert snippet.html() == (
        'Взрыв &lt;b&gt;в <b>Києві</b>&lt;/b&gt; &amp; &lt;a href="x"&gt;link&lt;/a&gt; біля метро'
    )


def test_long_post_is_cut_at_word_boundaries_around_the_match() -> None:
    filler = "Сьогодні в області тривала звичайна робота комунальних служб. " * 30
    text = filler + "У Харкові пролунали вибухи, повідомив мер. " + filler
    snippet = make_snippet(text, [span_of(text, "Харкові")], width=200)
    assert snippet.cut_before and snippet.cut_after
    assert "<b>Харкові</b>" in snippet.html()
    assert len(snippet.text) <= 200 + 2
    # Cut between words: every word shown is a whole word of the post.
    assert set(snippet.text.strip("…").split()) <= set(text.split())


def test_densest_cluster_is_preferred_over_the_first_lonely_match() -> None:
    text = "drone " + "x " * 400 + "drone strike: drone debris, drone alarm"
    spans = [(m.start(), m.end()) for m in re.finditer("drone", text)]
    snippet = make_snippet(text, spans, width=80)
    assert snippet.words == ("drone",)
    assert snippet.html().count("<b>drone</b>") == 3


def test_whitespace_collapses_and_invisible_characters_vanish() -> None:
    text = "Atta\u200bck\u202e   on\n\n\tthe\u2066 port of Odesa\ufeff"
    snippet = make_snippet(text, [span_of(text, "Odesa")])
    assert snippet.text == "Attack on the port of Odesa"


def test_no_spans_quotes_the_beginning() -> None:
    snippet = make_snippet("Коротке повідомлення без збігів", [])
    assert snippet.html() == "Коротке повідомлення без збігів"
    assert snippet.words == ()


def test_out_of_range_and_overlapping_spans_are_clipped() -> None:
    snippet = make_snippet("Kyiv Kursk", [(5, 8), (6, 10), (50, 60), (-3, 0)])
    assert snippet.html() == "Kyiv <b>Kursk</b>"


def test_ten_megabyte_post_with_zero_width_flood_is_quoted_briefly() -> None:
    text = "\u200b" * 5_000_000 + " Обстріл Курська " + "я" * 5_000_000
    snippet = make_snippet(text, [span_of(text, "Курська")])
    assert "<b>Курська</b>" in snippet.html()
    assert len(snippet.html()) < 600
    assert "\u200b" not in snippet.text


def test_combining_mark_towers_are_flattened() -> None:
    tower = "Z" + "\u0301\u0300\u0302" * 500
    snippet = make_snippet(f"{tower} Київ", [(len(tower) + 1, len(tower) + 5)])
    assert len(snippet.text) < 12
    assert snippet.html().endswith("<b>Київ</b>")
