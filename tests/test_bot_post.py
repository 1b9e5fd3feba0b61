"""/post shows an allowed user a stored post's versions and deletion; /settings changes turns
change notices off and on. Through the real bot client on the fake Telegram."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telethon import types

from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from storage import channels, deletions, subscribers
from tests.support.bot_harness import BotHarness

NEWS = ChannelInfo(1500000077, "Курские новости", "kursk_news")


@pytest.fixture
async def olena(bot: BotHarness) -> types.User:
    user = bot.world.add_user("Олена", username="olena")
    await subscribers.allow(bot.db, user.id, username="olena", added_by="cli")
    return user


async def edited_then_deleted(bot: BotHarness) -> None:
    now = bot.clock.now()
    first = IncomingMessage(NEWS, 5, now - timedelta(hours=2), "Колонна КНДР под Курском")
    pipeline = Pipeline(bot.db)
    await pipeline.ingest([first])
    edit = IncomingMessage(
        NEWS, 5, first.date, "Колонна под Курском <b>?</b>", edit_date=now - timedelta(hours=1)
    )
    await pipeline.ingest([edit])
    row = await channels.find(bot.db, telegram_id=NEWS.telegram_id)
    assert row is not None
    await deletions.mark_deleted(bot.db, row.id, [5], via="live", at=now)


async def test_post_shows_every_version_and_the_deletion(
    bot: BotHarness, olena: types.User
) -> None:
    await edited_then_deleted(bot)
    [answer] = await bot.say(olena, "/post https://t.me/kursk_news/5")
    assert answer.startswith("Курские новости · post 5\n")
    assert "deleted, seen" in answer and "through a live update" in answer
    assert answer.index("version 1 · original\nКолонна КНДР под Курском") < answer.index(
        "version 2 · edited"
    )
    assert "Колонна под Курском <b>?</b>" in answer  # the post's markup is shown, not obeyed
    assert await bot.say(olena, "/post @kursk_news 5") == [answer]


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("/post", "Give a post link"),
        ("/post https://t.me/kursk_news", "is not a post link"),
        ("/post https://t.me/kursk_news/77", "post 77 of"),
        ("/post https://t.me/nobody_here/1", "no channel @nobody_here is stored"),
    ],
)
async def test_post_refuses_what_names_no_stored_post(
    bot: BotHarness, olena: types.User, command: str, reply: str
) -> None:
    await edited_then_deleted(bot)
    [answer] = await bot.say(olena, command)
    assert reply in answer


async def test_a_stranger_cannot_read_posts(bot: BotHarness) -> None:
    await edited_then_deleted(bot)
    stranger = bot.world.add_user("Stranger")
    [answer] = await bot.say(stranger, "/post https://t.me/kursk_news/5")
    assert "Колонна" not in answer


async def test_settings_changes_turns_change_notices_off_and_on(
    bot: BotHarness, olena: types.User
) -> None:
    [shown] = await bot.say(olena, "/settings")
    assert "Change notices: on" in shown
    [off] = await bot.say(olena, "/settings changes off")
    assert "Change notices: off" in off
    assert (await subscribers.get(bot.db, olena.id)).changes is False  # type: ignore[union-attr]
    [on] = await bot.say(olena, "/settings changes on")
    assert "Change notices: on" in on
    [bad] = await bot.say(olena, "/settings changes maybe")
    assert "Use /settings changes on, or /settings changes off." in bad
