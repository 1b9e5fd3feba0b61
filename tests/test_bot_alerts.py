"""The alert message: what it shows, escaping, and the 4096-character limit."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from bot.text.alerts import MESSAGE_LIMIT, render_alert
from tests.support.hits import PRIVATE, new_hit
from tests.support.html import balanced

KYIV = ZoneInfo("Europe/Kyiv")


def test_alert_shows_rule_channel_local_time_bold_words_and_link() -> None:
    body = render_alert(new_hit(1), KYIV)
    assert "<b>dprk-kursk</b>" in body
    assert "Курские новости" in body
    assert "2024-10-20 15:00 EEST" in body
    assert "Войска <b>КНДР</b> замечены в <b>Курской</b> области" in body
    assert 'href="https://t.me/kursk_news/42"' in body
    assert balanced(body)


def test_private_channel_links_to_the_members_only_form_and_edit_is_marked() -> None:
    body = render_alert(new_hit(1, channel=PRIVATE, message_id=7, after_edit=True), KYIV)
    assert 'href="https://t.me/c/1500000002/7"' in body
    assert "· edited\n" in body
    assert body.endswith("\nEarlier wording: <code>/post https://t.me/c/1500000002/7</code>")
    assert "Earlier wording" not in render_alert(new_hit(1, channel=PRIVATE), KYIV)


def test_html_in_post_title_and_rule_is_escaped() -> None:
    text = '<script>alert(1)</script> Kursk <a href="x">drones</a> & more'
    start = text.index("Kursk")
    hit = new_hit(1, rule="<b>x", text=text, spans=((start, start + 5),))
    body = render_alert(hit, ZoneInfo("UTC"))
    assert "<script>" not in body and '<a href="x">' not in body
    assert "&lt;script&gt;" in body and "&amp; more" in body
    assert "<b>Kursk</b>" in body and "&lt;b&gt;x" in body
    assert balanced(body)


def test_ten_thousand_character_post_stays_under_the_limit_and_cuts_cleanly() -> None:
    words = ("Північнокорейські військові помічені на Курщині. " * 250)[:10_000]
    hits = [(m.start(), m.end()) for m in re.finditer("Курщині", words)]
    body = render_alert(new_hit(1, text=words, spans=tuple(hits)), KYIV)
    assert len(words) == 10_000
    assert len(body) <= MESSAGE_LIMIT
    assert "<b>Курщині</b>" in body and "…" in body
    assert balanced(body)


def test_post_of_only_markup_characters_stays_under_the_limit() -> None:
    text = "<&>" * 4000
    body = render_alert(new_hit(1, text=text, spans=((0, 3),)), KYIV)
    assert len(body) <= MESSAGE_LIMIT and balanced(body)
