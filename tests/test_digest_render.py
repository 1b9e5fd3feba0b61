"""Digest rendering: packing into Telegram messages, budget footer, escaping, text and JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from bot.digest import (
    DigestHit,
    DigestOptions,
    Period,
    build_digest,
    render_html,
    render_json,
    render_text,
)
from bot.digest.render import sparkline

KYIV = ZoneInfo("Europe/Kyiv")
SINCE = datetime(2024, 10, 27, 5, tzinfo=UTC)
PERIOD = Period(SINCE, SINCE + timedelta(hours=12))


def hit(
    n: int,
    text: str,
    rule: str = "kursk",
    word: str = "Курск",
    channel: int | None = None,
    title: str | None = None,
    username: str | None = None,
    minutes: int | None = None,
) -> DigestHit:
    at = text.find(word)
    return DigestHit(
        rule=rule,
        channel_id=channel if channel is not None else 1000 + n,
        channel_title=title if title is not None else f"Канал {n}",
        channel_username=username,
        message_id=n,
        date=SINCE + timedelta(minutes=minutes if minutes is not None else n),
        text=text,
        spans=((at, at + len(word)),) if at >= 0 else (),
    )


class TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ok = True

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.ok = self.ok and bool(self.stack) and self.stack.pop() == tag


def well_formed(message: str) -> bool:
    parser = TagBalance()
    parser.feed(message)
    parser.close()
    return parser.ok and not parser.stack


def distinct_story(i: int) -> str:
    return f"Сводка {i}: в Курске отключение {i * 7} домов на улице номер {i} и " + " ".join(
        f"деталь{i}x{j}" for j in range(12)
    )


def test_story_shows_first_channel_local_time_counts_snippet_and_links() -> None:
    text = "Губернатор: над Курском сбиты три беспилотника, пострадавших нет."
    hits = [
        hit(1, text, title="Курск Онлайн", username="kursk_online", minutes=90),
        hit(2, text + " Подписывайтесь", title="Сводки", minutes=95),
        hit(3, text, title="Сводки", channel=1002, minutes=120),
    ]
    [message] = render_html(build_digest(hits, PERIOD, KYIV))
    assert "<b>3 posts in 2 channels</b>" in message
    assert '<a href="https://t.me/kursk_online/1">Курск Онлайн</a> at 27 Oct 08:30' in message
    assert 'also: <a href="https://t.me/c/1002/2">Сводки</a>' in message
    assert "над <b>Курск</b>ом" in message
    assert "3 hits · 1 story · 1 rule" in message


def test_rules_sorted_by_hits_with_sparkline_over_the_period() -> None:
    hits = [hit(i, distinct_story(i), minutes=i * 60) for i in range(6)]
    hits += [hit(100, "Київ знеструмлено", rule="kyiv", word="Київ", minutes=700)]
    digest = build_digest(hits, PERIOD, KYIV, DigestOptions(sparkline_buckets=12))
    assert [r.rule for r in digest.rules] == ["kursk", "kyiv"]
    assert digest.rules[0].histogram == (1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0)
    header = render_html(digest)[0].split("\n\n")[0]
    assert "<code>██████▁▁▁▁▁▁</code> kursk 6" in header
    assert "<code>▁▁▁▁▁▁▁▁▁▁▁█</code> kyiv 1" in header


def test_sparkline_scales_to_the_busiest_slice() -> None:
    assert sparkline([0, 1, 2, 4, 8]) == "▁▂▃▅█"
    assert sparkline([0, 0]) == "▁▁"


def test_ten_thousand_character_post_is_quoted_not_pasted() -> None:
    long_post = "Длинная сводка. " * 400 + "Обстрел Курска продолжается. " + "Подробности. " * 400
    assert len(long_post) > 10_000
    messages = render_html(build_digest([hit(1, long_post)], PERIOD, KYIV))
    assert len(messages) == 1
    assert len(messages[0]) < 1000
    assert "<b>Курск</b>а" in messages[0]


def test_two_hundred_stories_split_at_story_boundaries_within_4096() -> None:
    hits = [hit(i, distinct_story(i)) for i in range(200)]
    digest = build_digest(hits, PERIOD, KYIV, DigestOptions(max_messages=100))
    messages = render_html(digest)
    assert len(messages) > 5
    assert all(len(m) <= 4096 for m in messages)
    assert all(well_formed(m) for m in messages)
    assert all(m.startswith("<b>kursk</b> (continued)") for m in messages[1:])
    shown = sum(m.count("1 post in 1 channel") for m in messages)
    assert shown == 200
    assert "Left out" not in messages[-1]


def test_budget_footer_counts_what_was_left_out_across_rules() -> None:
    hits = [hit(i, distinct_story(i)) for i in range(150)]
    hits += [hit(500 + i, distinct_story(500 + i), rule="belgorod") for i in range(50)]
    messages = render_html(build_digest(hits, PERIOD, KYIV, DigestOptions(max_messages=2)))
    assert len(messages) == 2
    assert all(len(m) <= 4096 and well_formed(m) for m in messages)
    shown = sum(m.count("1 post in 1 channel") for m in messages)
    footer = messages[-1].rsplit("\n\n", 1)[-1]
    assert footer.startswith("<i>Left out:")
    assert f"{200 - shown} stories" in footer
    assert "kursk" in footer and "belgorod" in footer
    # Round-robin: the smaller rule still got its top stories in.
    assert "<b>belgorod</b>" in "".join(messages)


def test_hostile_titles_and_texts_are_escaped() -> None:
    evil = hit(
        1,
        '<script>alert(1)</script> Курск & <a href="javascript:x">click</a>\u202e',
        title='<b>"Fake" & co</b>' * 10,
    )
    [message] = render_html(build_digest([evil], PERIOD, KYIV))
    assert "<script>" not in message and '<a href="javascript' not in message
    assert "&lt;script&gt;" in message
    assert "\u202e" not in message
    assert well_formed(message)


def test_empty_period_says_nothing_new_or_stays_silent() -> None:
    digest = build_digest([], PERIOD, KYIV)
    assert render_html(digest) == ["Nothing new since 27 Oct 07:00 (Europe/Kyiv)."]
    assert render_text(digest) == "Nothing new since 27 Oct 07:00 (Europe/Kyiv)."
    assert json.loads(render_json(digest))["rules"] == []
    assert render_html(build_digest([], PERIOD, KYIV, DigestOptions(show_empty=False))) == []


def test_hits_outside_the_period_are_ignored() -> None:
    digest = build_digest([hit(1, "Курск", minutes=-5), hit(2, "Курск", minutes=720)], PERIOD, KYIV)
    assert digest.hits == 0


def test_json_has_the_issue_shape() -> None:
    text = "Over Kursk, three drones were shot down overnight."
    hits = [
        hit(1, text, word="Kursk", title="Kursk Live", username="kursklive", minutes=30),
        hit(2, text, word="Kursk", title="Wire", minutes=40),
    ]
    data = json.loads(render_json(build_digest(hits, PERIOD, KYIV)))
    assert data == {
        "since": "2024-10-27T07:00:00+02:00",
        "until": "2024-10-27T19:00:00+02:00",
        "rules": [
            {
                "rule": "kursk",
                "hits": 2,
                "stories": [
                    {
                        "posts": 2,
                        "channels": ["Kursk Live", "Wire"],
                        "first": {
                            "channel": "Kursk Live",
                            "message_id": 1,
                            "date": "2024-10-27T07:30:00+02:00",
                            "link": "https://t.me/kursklive/1",
                        },
                        "snippet": "Over **Kursk**, three drones were shot down overnight.",
                    }
                ],
            }
        ],
    }


def test_text_rendering_lists_every_story_with_links() -> None:
    hits = [hit(i, distinct_story(i), username=f"ch{i}") for i in range(30)]
    text = render_text(build_digest(hits, PERIOD, KYIV, DigestOptions(max_messages=1)))
    assert text.count("* 1 post in 1 channel") == 30
    assert "https://t.me/ch29/29" in text
    assert "**Курск**е" in text
