"""Routing instant hits to chats: subscriptions, instant switch, quiet hours in local time."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.pipeline.route import QuietHours, QuietHoursError, Recipient, route
from tests.support.hits import PRIVATE, new_hit

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2024, 10, 20, 12, 0, tzinfo=UTC)  # 15:00 in Kyiv (EEST)


def chat(chat_id: int, *targets: str, **kw: object) -> Recipient:
    return Recipient(chat_id, frozenset(targets), kw.pop("zone", KYIV), **kw)  # type: ignore[arg-type]


def test_rule_tag_and_all_subscriptions_each_route() -> None:
    hits = [new_hit(1, rule="dprk-kursk"), new_hit(2, rule="buryat", channel=PRIVATE)]
    recipients = [
        chat(10, "rule:dprk-kursk"),
        chat(11, "tag:ua"),
        chat(12, "all"),
        chat(13, "rule:other"),
    ]
    tags = {PRIVATE.telegram_id: frozenset({"ua", "mil"})}
    got = [(d.chat_id, d.hit.hit_id) for d in route(hits, recipients, tags, NOW)]
    assert got == [(10, 1), (12, 1), (11, 2), (12, 2)]


def test_digest_hits_inactive_chats_and_instant_off_get_nothing() -> None:
    hits = [new_hit(1, priority="digest"), new_hit(2)]
    recipients = [
        chat(10, "all", instant=False),
        chat(11, "all", active=False),
        chat(12, "all"),
    ]
    assert [(d.chat_id, d.hit.hit_id) for d in route(hits, recipients, {}, NOW)] == [(12, 2)]


def test_dedup_key_is_per_chat_post_and_rule_not_per_hit_row() -> None:
    [delivery] = route([new_hit(77, message_id=9)], [chat(-1001234, "all")], {}, NOW)
    assert delivery.dedup_key == "alert:-1001234:1500000001:9:dprk-kursk"
    [again] = route([new_hit(78, message_id=9)], [chat(-1001234, "all")], {}, NOW)
    assert again.dedup_key == delivery.dedup_key


def test_outside_quiet_hours_sends_now() -> None:
    quiet = QuietHours.parse("23:00", "07:00")
    [delivery] = route([new_hit(1)], [chat(10, "all", quiet=quiet)], {}, NOW)
    assert delivery.not_before == NOW


@pytest.mark.parametrize(
    ("utc_now", "release"),
    [
        # 23:30 Kyiv on the 20th: held until 07:00 Kyiv on the 21st (04:00 UTC, still EEST)
        (datetime(2024, 10, 20, 20, 30, tzinfo=UTC), datetime(2024, 10, 21, 4, 0, tzinfo=UTC)),
        # 02:00 Kyiv: held until 07:00 the same morning
        (datetime(2024, 10, 20, 23, 0, tzinfo=UTC), datetime(2024, 10, 21, 4, 0, tzinfo=UTC)),
        # the night of the DST change: 07:00 on the 27th is already EET (05:00 UTC)
        (datetime(2024, 10, 26, 22, 0, tzinfo=UTC), datetime(2024, 10, 27, 5, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_hold_alerts_until_the_window_ends_in_the_chats_zone(
    utc_now: datetime, release: datetime
) -> None:
    quiet = QuietHours.parse("23:00", "07:00")
    [delivery] = route([new_hit(1)], [chat(10, "all", quiet=quiet)], {}, utc_now)
    assert delivery.not_before == release


def test_daytime_quiet_window_in_another_zone() -> None:
    quiet = QuietHours.parse("9:00", "18:00")
    new_york = ZoneInfo("America/New_York")  # NOW is 08:00 there: not quiet yet
    assert (
        route([new_hit(1)], [chat(1, "all", quiet=quiet, zone=new_york)], {}, NOW)[0].not_before
        == NOW
    )
    later = datetime(2024, 10, 20, 14, 0, tzinfo=UTC)  # 10:00 in New York
    held = route([new_hit(1)], [chat(1, "all", quiet=quiet, zone=new_york)], {}, later)[0]
    assert held.not_before == datetime(2024, 10, 20, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(("start", "end"), [("25:00", "07:00"), ("23:00", "7"), ("08:00", "08:00")])
def test_bad_quiet_hours_are_refused(start: str, end: str) -> None:
    with pytest.raises(QuietHoursError):
        QuietHours.parse(start, end)


def test_quiet_hours_print_canonically() -> None:
    assert str(QuietHours(time(23, 0), time(7, 5))) == "23:00-07:05"
