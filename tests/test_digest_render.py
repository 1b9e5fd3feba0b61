"""Digest rendering: packing into Telegram messages, budget footer, escaping, text and JSON."""

from __future__ import annotations

import json
import re
from dataclasses import replace
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
        replace(
            hit(1, text, word="Kursk", title="Kursk Live", username="kursklive", minutes=30),
            views=30_500,
            edited=True,
        ),
        replace(hit(2, text, word="Kursk", title="Wire", minutes=40), views=10_400),
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
                        "views": 40_900,
                        "first": {
                            "channel": "Kursk Live",
                            "message_id": 1,
                            "date": "2024-10-27T07:30:00+02:00",
                            "link": "https://t.me/kursklive/1",
                            "edited": True,
                        },
                        "snippet": "Over **Kursk**, three drones were shot down overnight.",
                    }
                ],
            }
        ],
    }


def test_a_story_shows_its_reach_and_an_edited_first_post() -> None:
    text = "Північнокорейські військові на Курщині"
    hits = [
        replace(hit(n, text, word="Курщині", channel=n % 3, minutes=n), views=v, edited=n == 1)
        for n, v in ((1, 30_100), (2, 9_800), (3, 1_200), (4, None))
    ]
    [message] = render_html(build_digest(hits, PERIOD, KYIV))
    assert "<b>4 posts in 3 channels, 41k views</b> · first" in message
    assert "at 27 Oct 07:01 · edited" in message
    quiet = [hit(n, text, word="Курщині", minutes=n) for n in (1, 2)]
    [plain] = render_html(build_digest(quiet, PERIOD, KYIV))
    assert "views" not in plain and "edited" not in plain
    assert "2 posts in 2 channels; first" in render_text(build_digest(quiet, PERIOD, KYIV))


def test_text_rendering_lists_every_story_with_links() -> None:
    hits = [hit(i, distinct_story(i), username=f"ch{i}") for i in range(30)]
    text = render_text(build_digest(hits, PERIOD, KYIV, DigestOptions(max_messages=1)))
    assert text.count("* 1 post in 1 channel") == 30
    assert "https://t.me/ch29/29" in text
    assert "**Курск**е" in text


# --- a period across the autumn DST change (Kyiv, 27 Oct 2024: 04:00 EEST → 03:00 EET) ------

DST_DAY = Period(datetime(2024, 10, 26, 5, tzinfo=UTC), datetime(2024, 10, 27, 6, tzinfo=UTC))


def test_a_period_across_dst_has_25_hourly_buckets_and_unambiguous_times() -> None:
    """08:00 EEST to 08:00 EET is 25 hours: one post in each hour fills one bucket each, and
    the two posts at 03:30 local (summer time, then winter time) read differently."""
    hits = [
        DigestHit(
            rule="kursk",
            channel_id=3000 + n,
            channel_title=f"Сводки {n}",
            channel_username=None,
            message_id=n,
            date=DST_DAY.since + timedelta(hours=n, minutes=30),
            text=distinct_story(n),
            spans=((distinct_story(n).find("Курск"), distinct_story(n).find("Курск") + 5),),
        )
        for n in range(25)
    ]
    digest = build_digest(hits, DST_DAY, KYIV, DigestOptions(sparkline_buckets=25))
    assert digest.rules[0].histogram == (1,) * 25
    text = render_text(digest)
    assert text.startswith("Digest 26 Oct 08:00 EEST – 27 Oct 08:00 EET (Europe/Kyiv)")
    # the repeated hour names its offset; an ordinary hour needs none
    assert "at 27 Oct 03:30 EEST" in text and "at 27 Oct 03:30 EET" in text
    assert "at 27 Oct 02:30 https" in text and "at 27 Oct 04:30 https" in text
    assert text.count(" 03:30 ") == 2
    html_text = "".join(render_html(digest))
    assert "27 Oct 03:30 EEST" in html_text and "27 Oct 03:30 EET" in html_text


def test_the_repeated_hour_itself_reads_as_two_distinct_periods() -> None:
    first = Period(datetime(2024, 10, 27, 0, tzinfo=UTC), datetime(2024, 10, 27, 1, tzinfo=UTC))
    second = Period(first.until, first.until + timedelta(hours=1))
    assert render_html(build_digest([], first, KYIV)) == [
        "Nothing new since 27 Oct 03:00 EEST (Europe/Kyiv)."
    ]
    assert render_html(build_digest([], second, KYIV)) == [
        "Nothing new since 27 Oct 03:00 EET (Europe/Kyiv)."
    ]
    late = replace(
        hit(1, "Над Курском сбит беспилотник."), date=first.since + timedelta(minutes=20)
    )
    header = render_html(build_digest([late], first, KYIV))[0].split("\n")[0]
    assert header == "<b>Digest</b> 27 Oct 03:00 EEST – 03:00 EET (Europe/Kyiv)"


# --- the size budget: what is left out, exactly ------------------------------------------

_HEADING = re.compile(r"<b>([^<]+)</b> · \d+ hits? · \d+ stor(?:y|ies)$")
_CONTINUED = re.compile(r"<b>([^<]+)</b> \(continued\)$")
_FIRST_LINK = re.compile(r'^<b>\d+ posts? in \d+ channels?</b> · first <a href="([^"]+)">')
_FOOTER = re.compile(r"<i>Left out: (\d+) stor(?:y|ies) \((\d+) posts?\) — (.*)\. Ask for")


def _three_languages(per_rule: dict[str, int]) -> list[DigestHit]:
    """Distinct stories per rule in ru, uk and en; every fifth one reposted by 2 more channels."""
    texts = {
        "kursk": ("Курск", "Сводка {i}: в Курске отключение {n} домов, подробности {d}."),
        "kyiv": ("Києві", "Новина {i}: у Києві знеструмлено {n} будинків, подробиці {d}."),
        "kharkiv": ("Kharkiv", "Report {i}: strikes on Kharkiv district {n}, details {d}."),
    }
    hits: list[DigestHit] = []
    for r, (rule, count) in enumerate(per_rule.items()):
        word, template = texts[rule]
        for i in range(count):
            details = " ".join(f"w{r}x{i}x{j}" for j in range(14))
            text = template.format(i=i, n=i * 7 + r, d=details)
            for copy in range(3 if i % 5 == 0 else 1):
                n = r * 10_000 + i * 10 + copy
                hits.append(hit(n, text, rule=rule, word=word, minutes=(i * 3 + copy) % 700))
    return hits


def _shown_and_footer(
    messages: list[str],
) -> tuple[dict[str, set[str]], list[tuple[int, str]], str | None]:
    """Story links shown per rule, each part's (index, continued rule) and the footer."""
    shown: dict[str, set[str]] = {}
    continued: list[tuple[int, str]] = []
    footer = None
    current: str | None = None
    for index, message in enumerate(messages):
        for block in message.split("\n\n"):
            if heading := _HEADING.match(block):
                current = heading[1]
            elif again := _CONTINUED.match(block):
                assert again[1] == current, "a part continues the rule the last one ended in"
                continued.append((index, again[1]))
            elif link := _FIRST_LINK.match(block):
                assert current is not None
                shown.setdefault(current, set()).add(link[1])
            elif block.startswith("<i>Left out"):
                footer = block
    return shown, continued, footer


def test_over_budget_every_part_fits_and_the_footer_counts_each_rules_left_out_stories() -> None:
    digest = build_digest(
        _three_languages({"kursk": 90, "kyiv": 40, "kharkiv": 12}),
        PERIOD,
        KYIV,
        DigestOptions(max_messages=3),
    )
    messages = render_html(digest)
    assert len(messages) == 3
    assert all(len(m) <= 4096 and well_formed(m) for m in messages)
    shown, continued, footer = _shown_and_footer(messages)
    assert continued  # a rule spans parts and says so where it resumes
    assert all(
        m.startswith(("<b>kursk</b>", "<b>kyiv</b>", "<b>kharkiv</b>")) for m in messages[1:]
    )

    expected: dict[str, tuple[int, int]] = {}
    for rule in digest.rules:
        missing = [s for s in rule.stories if s.first.link not in shown.get(rule.rule, set())]
        assert len(rule.stories) - len(missing) == len(shown.get(rule.rule, set()))
        if missing:
            expected[rule.rule] = (len(missing), sum(s.size for s in missing))
    assert footer is not None and expected
    parsed = _FOOTER.search(footer)
    assert parsed is not None, footer
    assert int(parsed[1]) == sum(n for n, _ in expected.values())
    assert int(parsed[2]) == sum(p for _, p in expected.values())
    assert parsed[3] == ", ".join(f"{rule} {n}" for rule, (n, _) in expected.items())
    assert "kharkiv" in shown  # round-robin: the smallest rule still shows its top stories


def test_left_out_rules_past_the_twentieth_are_still_counted() -> None:
    hits = [
        hit(r * 100 + i, distinct_story(r * 100 + i), rule=f"r{r:02}", minutes=r * 10 + i)
        for r in range(26)
        for i in range(3)
    ]
    digest = build_digest(hits, PERIOD, KYIV, DigestOptions(max_messages=1))
    [message] = render_html(digest)
    assert len(message) <= 4096 and well_formed(message)
    shown, _, footer = _shown_and_footer([message])
    left = {
        rule.rule: len(rule.stories) - len(shown.get(rule.rule, set())) for rule in digest.rules
    }
    left = {rule: n for rule, n in left.items() if n}
    assert len(left) > 20
    parsed = _FOOTER.search(footer or "")
    assert parsed is not None and int(parsed[1]) == sum(left.values())
    named = list(left.items())[:20]
    rest = list(left.values())[20:]
    assert parsed[3] == ", ".join(f"{r} {n}" for r, n in named) + (
        f" and {sum(rest)} stories of {len(rest)} more rule{'s' if len(rest) > 1 else ''}"
    )
