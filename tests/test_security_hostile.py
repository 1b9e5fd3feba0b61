"""Hostile input, issue 9: posts built to break the alert (HTML, 10 MB, bidi overrides,
zero-width floods) go through the real pipeline into the outbox as escaped alerts within one
message; hostile rules sent with /rule add are refused clearly, or run in linear time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.pipeline.alert_router import OutboxRouter
from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from bot.text.alerts import MESSAGE_LIMIT
from storage import outbox, rules, subscribers
from storage.database import Database
from tests.support.bot_harness import BotHarness
from tests.support.html import balanced

# A guard against a hang, not a speed check: the linear paths finish far sooner.
HANG_GUARD_S = 120
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
HOSTILE_CHANNEL = ChannelInfo(1500000666, '<a href="https://evil">Офіційно</a>\u202e', None)


async def alerts_for(db: Database, text: str, query: str = "КНДР") -> list[str]:
    """Ingest ``text`` as a post with an instant rule and a subscriber; the queued bodies."""
    await rules.add(db, "dprk", query, priority="instant")
    await subscribers.ensure(db, 1001, kind="user", title="Олена")
    await subscribers.subscribe(db, 1001, "all")
    pipeline = Pipeline(db, router=OutboxRouter(ZoneInfo("Europe/Kyiv")))
    post = IncomingMessage(HOSTILE_CHANNEL, 1, datetime(2024, 10, 20, 12, tzinfo=UTC), text)
    await asyncio.wait_for(pipeline.ingest([post]), HANG_GUARD_S)
    return [row.body for row in await outbox.list_items(db)]


def assert_safe(body: str) -> None:
    assert len(body) <= MESSAGE_LIMIT
    assert balanced(body)
    assert "<script" not in body and '<a href="https://evil"' not in body
    assert not any(c in body for c in BIDI)


async def test_html_in_a_post_is_escaped_in_the_alert(db: Database) -> None:
    text = '<script>alert("x")</script><b>КНДР</b> у <a href="https://evil">Курську</a> &amp;'
    [body] = await alerts_for(db, text)
    assert_safe(body)
    assert "&lt;script&gt;" in body and "&lt;a href=" in body and "&amp;amp;" in body
    assert "&lt;b&gt;<b>КНДР</b>&lt;/b&gt;" in body


async def test_a_ten_megabyte_post_becomes_one_bounded_alert(db: Database) -> None:
    filler = "Обстановка в регионе без изменений, <i>&amp;</i> продолжается мониторинг. " * 140_000
    text = filler[:5_000_000] + " Колонна КНДР замечена под Суджей. " + filler[:5_000_000]
    assert len(text) > 10_000_000
    [body] = await alerts_for(db, text)
    assert_safe(body)
    assert "<b>КНДР</b>" in body


async def test_bidi_overrides_cannot_reverse_the_alert(db: Database) -> None:
    text = "\u202eРДНК\u202c \u2067Войска\u2069 КНДР \u202dв Курской области\u202c" * 50
    [body] = await alerts_for(db, text)
    assert_safe(body)
    assert "<b>КНДР</b>" in body and "Офіційно" in body  # the title, escaped and cleaned


async def test_zero_width_floods_neither_hide_the_match_nor_reach_the_alert(db: Database) -> None:
    disguised = "К\u200bН\u200dД\u2060Р"  # the word split by invisible characters
    text = ZERO_WIDTH * 200_000 + f"Войска {disguised} под Курском" + ZERO_WIDTH * 200_000
    [body] = await alerts_for(db, text)
    assert_safe(body)
    assert not any(c in body for c in ZERO_WIDTH)
    assert "Войска" in body and "Курском" in body


async def say(bot: BotHarness, text: str) -> str:
    [reply] = await asyncio.wait_for(bot.say(bot.operator(), text), HANG_GUARD_S)
    return reply


async def test_deeply_nested_rule_is_refused_with_the_column(bot: BotHarness) -> None:
    reply = await say(bot, "/rule add nested " + "(" * 100 + "КНДР" + ")" * 100)
    assert "nests deeper than" in reply and "column" in reply
    assert await rules.list_rules(bot.db) == []


async def test_a_hundred_thousand_character_rule_is_refused(bot: BotHarness) -> None:
    reply = await say(bot, "/rule add long " + "КНДР OR " * 12_500 + "Курск")
    assert "too long" in reply
    assert await rules.list_rules(bot.db) == []


async def test_a_catastrophic_regex_is_accepted_but_runs_in_linear_time(
    bot: BotHarness, db: Database
) -> None:
    """``/(a+)+$/`` hangs a backtracking engine on ``aaaa…!``; RE2 cannot be made to."""
    reply = await say(bot, "/rule add evil !instant /(a+)+$/")
    assert "Added instant rule evil" in reply
    await subscribers.ensure(db, 1001, kind="user", title="Олена")
    await subscribers.subscribe(db, 1001, "all")
    pipeline = Pipeline(db, router=OutboxRouter(ZoneInfo("UTC")))
    date = datetime(2024, 10, 20, 12, tzinfo=UTC)
    posts = [
        IncomingMessage(HOSTILE_CHANNEL, 1, date, "a" * 100_000 + "!"),
        IncomingMessage(HOSTILE_CHANNEL, 2, date, "b" + "a" * 100_000),
    ]
    result = await asyncio.wait_for(pipeline.ingest(posts), HANG_GUARD_S)
    assert [h.message_id for h in result.new_hits] == [2]
    [alert] = await outbox.list_items(db)
    assert_safe(alert.body)
