"""Operator commands through the real client: watchlist changes, access, status, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from telethon.tl.functions.messages import SendMessageRequest
from telethon.tl.types import MessageEntityBold, MessageEntityCode

from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from storage import audit, channels, outbox, rules, subscribers
from storage.outbox import NewOutboxItem
from tests.support.bot_harness import OPERATOR_ID, BotHarness, entity_texts


async def test_watch_unwatch_and_list_channels_are_audited_as_the_operator(
    bot: BotHarness,
) -> None:
    boss = bot.operator()
    [watched] = await bot.say(boss, "/watch https://t.me/kursk_news mil ru")
    assert "Watching @kursk_news with tags mil, ru" in watched
    [listing] = await bot.say(boss, "/channels")
    assert "@kursk_news" in listing and "pending" in listing and "[mil, ru]" in listing
    [gone] = await bot.say(boss, "/unwatch @kursk_news confirm")
    assert "Stopped watching @kursk_news" in gone
    [unknown] = await bot.say(boss, "/unwatch @nobody_here")
    assert "not watched" in unknown
    entries = await audit.recent(bot.db)
    assert [(e.actor, e.action) for e in entries] == [
        (str(OPERATOR_ID), "channel.unwatch"),
        (str(OPERATOR_ID), "channel.watch"),
    ]


async def test_rule_lifecycle(bot: BotHarness) -> None:
    boss = bot.operator()
    [added] = await bot.say(boss, "/rule add dprk-kursk !instant КНДР AND (Курск OR Kursk)")
    assert "Added instant rule dprk-kursk" in added
    [bad] = await bot.say(boss, "/rule add broken (КНДР AND")
    assert "column" in bad
    assert "paused" in (await bot.say(boss, "/rule pause dprk-kursk"))[0].lower()
    [listing] = await bot.say(boss, "/rule list")
    assert "dprk-kursk" in listing and "instant, paused" in listing
    await bot.say(boss, "/rule resume dprk-kursk")
    assert not (await rules.get(bot.db, "dprk-kursk")).paused
    assert "Deleted" in (await bot.say(boss, "/rule del dprk-kursk!"))[0]
    assert "no rule named 'dprk-kursk'" in (await bot.say(boss, "/rule del dprk-kursk"))[0]
    assert "Use one of" in (await bot.say(boss, "/rule frobnicate"))[0]


async def test_rule_test_backtests_stored_history(bot: BotHarness) -> None:
    news = ChannelInfo(1500000077, "Курские новости", "kursk_news")
    now = bot.clock.now()
    await Pipeline(bot.db).ingest(
        [
            IncomingMessage(news, 1, now - timedelta(days=2), "Войска КНДР в Курской области"),
            IncomingMessage(
                news, 2, now - timedelta(days=1), "Північнокорейські війська на Курщині"
            ),
            IncomingMessage(news, 3, now - timedelta(hours=1), "North Korean troops near Kursk"),
        ]
    )
    [result] = await bot.say(bot.operator(), "/rule test КНДР OR Kursk")
    assert "matched 2 of 3 stored posts" in result
    assert "North Korean troops near Kursk" in result
    urls = [getattr(e, "url", None) for e in bot.last_request().entities]
    assert "https://t.me/kursk_news/3" in urls


@pytest.mark.parametrize(
    ("query", "post", "bold"),
    [
        ("drone", "Drones struck a fuel depot in Belgorod overnight", "Drones"),
        ("дрони", "ЗСУ збили шість дронів над Сумщиною", "дронів"),
        ("Курщина", "Бої на Курщині тривають", "Курщині"),
        ("беспилотник", "Беспилотники атаковали Курск", "Беспилотники"),
    ],
)
async def test_rule_test_shows_the_one_post_of_its_language_with_the_match_bold(
    bot: BotHarness, query: str, post: str, bold: str
) -> None:
    news = ChannelInfo(1500000077, "Курские новости", "kursk_news")
    texts = (
        "Drones struck a fuel depot in Belgorod overnight",
        "ЗСУ збили шість дронів над Сумщиною",
        "Бої на Курщині тривають",
        "Беспилотники атаковали Курск",
    )
    now = bot.clock.now()
    await Pipeline(bot.db).ingest(
        [IncomingMessage(news, i + 1, now - timedelta(hours=i + 1), t) for i, t in enumerate(texts)]
    )
    [result] = await bot.say(bot.operator(), f"/rule test {query}")
    assert "matched 1 of 4 stored posts" in result and post in result
    assert entity_texts(bot.last_request(), MessageEntityBold) == [bold]


async def test_allow_and_deny_by_id_and_username(bot: BotHarness) -> None:
    boss = bot.operator()
    olena = bot.world.add_user("Олена", username="olena_osint")
    assert "may now use" in (await bot.say(boss, f"/allow {olena.id}"))[0]
    assert "chanwatch" in (await bot.say(olena, "/start"))[0]
    assert "may no longer use" in (await bot.say(boss, "/deny @olena_osint"))[0]
    assert "private" in (await bot.say(olena, "/start"))[0]
    assert "was not on the allowlist" in (await bot.say(boss, f"/deny {olena.id}"))[0]
    assert "knows no user" in (await bot.say(boss, "/allow @no_such_person"))[0]
    assert "numeric user id or an @username" in (await bot.say(boss, "/allow olena"))[0]
    actions = [e.action for e in await audit.recent(bot.db)]
    assert actions == ["user.deny", "user.allow"]  # a deny that changed nothing is no change


async def test_status_shows_outbox_and_inactive_subscribers(bot: BotHarness) -> None:
    await channels.watch(bot.db, "@kursk_news", username="kursk_news")
    await subscribers.ensure(bot.db, 9001, kind="user", title="Тарас")
    await subscribers.deactivate(bot.db, 9001, "the user blocked the bot")
    await outbox.enqueue(bot.db, [NewOutboxItem("k", 1, "alert", "x", bot.clock.now())])
    [status] = await bot.say(bot.operator(), "/status")
    assert "Outbox" in status and "1" in status
    assert "the user blocked the bot" in status
    assert "@kursk_news" in status


async def test_non_operator_cannot_use_operator_commands(bot: BotHarness) -> None:
    olena = bot.world.add_user("Олена")
    await subscribers.allow(bot.db, olena.id, username=None, added_by="cli")
    for command in ("/watch @x", "/rule add a b", "/allow 1", "/status", "/channels"):
        [reply] = await bot.say(olena, command)
        assert "do not know" in reply
    assert await rules.list_rules(bot.db) == []


async def test_long_listings_arrive_whole_in_several_messages(bot: BotHarness) -> None:
    boss = bot.operator()
    for n in range(500):
        await rules.add(bot.db, f"rule_{n:03}_курск", f"Курськ AND (дрон{n} OR drone{n})")
        await channels.watch(bot.db, f"@channel_{n:03}", username=f"channel_{n:03}")
    for command, name in (("/rule list", "rule_{:03}_курск"), ("/channels", "@channel_{:03}")):
        before = len(bot.world.of(SendMessageRequest))
        parts = await bot.say(boss, command)
        assert len(parts) > 1
        assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)
        # every item arrives, its formatting whole: no tag cut in two, none dropped
        sent = bot.world.of(SendMessageRequest)[before:]
        code = [c for r in sent for c in entity_texts(r, MessageEntityCode)]
        assert code == [name.format(n) for n in range(500)]


async def test_unwatch_finds_the_channel_by_any_of_its_names(bot: BotHarness) -> None:
    boss = bot.operator()
    for ref in ("@kursk_news", "t.me/+AbCdEfGh123", "@svodki"):
        await bot.say(boss, f"/watch {ref}")
    for ref, telegram_id, username in (
        ("@kursk_news", 1500000001, "kursk_24"),  # renamed since it was watched
        ("t.me/+AbCdEfGh123", 1500000002, None),
        ("@svodki", 1500000003, "svodki"),
    ):
        row = await channels.find(bot.db, ref=ref)
        assert row is not None
        await channels.set_resolved(
            bot.db, row.id, telegram_id=telegram_id, access_hash=1, username=username, title=None
        )
    [asked] = await bot.say(boss, "/unwatch -1001500000001")
    assert "Stop watching" in asked and "/unwatch @kursk_news confirm" in asked
    for command, ref in (
        ("/unwatch https://t.me/kursk_24/77 confirm", "@kursk_news"),
        ("/unwatch https://t.me/c/1500000002/5 confirm", "t.me/+AbCdEfGh123"),
        ("/unwatch t.me/svodki confirm", "@svodki"),
    ):
        [done] = await bot.say(boss, command)
        assert f"Stopped watching {ref}" in done
    assert await channels.list_channels(bot.db, watched_only=True) == []
    [again] = await bot.say(boss, "/unwatch @svodki")
    assert "not watched" in again


async def test_watching_again_retries_a_failed_channel_and_says_how_a_waiting_one_is_doing(
    bot: BotHarness,
) -> None:
    boss = bot.operator()
    await bot.say(boss, "/watch @no_such_channel")
    await bot.say(boss, "/watch @slow_channel")
    failed = await channels.find(bot.db, ref="@no_such_channel")
    slow = await channels.find(bot.db, ref="@slow_channel")
    assert failed is not None and slow is not None
    await channels.set_state(bot.db, failed.id, "failed", detail="no channel has this username")
    until = datetime.now(UTC) + timedelta(hours=2)  # storage compares with the real clock
    await channels.set_state(bot.db, slow.id, "waiting", detail="FloodWait", wait_until=until)
    [retried] = await bot.say(boss, "/watch t.me/no_such_channel")
    assert "the reader picks it up shortly" in retried
    again = await channels.find(bot.db, ref="@no_such_channel")
    assert again is not None and (again.state, again.state_detail) == ("pending", None)
    [waiting] = await bot.say(boss, "/watch @slow_channel")
    assert "its state: waiting (FloodWait)" in waiting
