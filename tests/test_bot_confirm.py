"""Destructive operator commands ask first, with [Yes] [No] pressed through Telethon's own
dispatch of ``UpdateBotCallbackQuery``; the plain command with ``confirm`` or ``!`` acts at
once, so nothing depends on buttons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from telethon import types

from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from storage import audit, channels, rules, subscribers
from tests.faketg import push
from tests.support.bot_harness import OPERATOR_ID, BotHarness

NEWS = ChannelInfo(1500000077, "Курские новости", "kursk_news")


async def rule_with_hits(bot: BotHarness, name: str = "dprk") -> None:
    """A rule with 3 hits: a Russian, an English and a Ukrainian post (the weather is none)."""
    await rules.add(bot.db, name, "КНДР OR Kursk OR Курщина")
    now = datetime.now(UTC)
    await Pipeline(bot.db).ingest(
        [
            IncomingMessage(NEWS, 1, now - timedelta(hours=4), "Войска КНДР в Курской области"),
            IncomingMessage(NEWS, 2, now - timedelta(hours=3), "North Korean troops near Kursk"),
            IncomingMessage(NEWS, 3, now - timedelta(hours=2), "Бої на Курщині тривають"),
            IncomingMessage(NEWS, 4, now - timedelta(hours=1), "Погода в Киеве"),
            IncomingMessage(NEWS, 5, now, "Weather in Kyiv: rain, then clear skies"),
        ]
    )


def buttons(bot: BotHarness) -> dict[str, bytes]:
    markup = bot.last_request().reply_markup
    return {b.text: b.type.data for row in markup.rows for b in row.buttons}


async def test_rule_del_asks_with_the_hit_count_and_no_cancels(bot: BotHarness) -> None:
    await rule_with_hits(bot)
    boss = bot.operator()
    [question] = await bot.say(boss, "/rule del dprk")
    assert "Delete rule dprk and its 3 hits?" in question
    assert "/rule del dprk confirm" in question  # the way without buttons
    choice = buttons(bot)
    await bot.press(boss, choice["No"], msg_id=bot.world.sent[-1].id)
    assert "Cancelled" in bot.world.sent[-1].message
    assert (await rules.get(bot.db, "dprk")).name == "dprk"
    assert await audit.recent(bot.db) == []


@pytest.mark.parametrize("name", ["dprk", "курщина", "north-korea"])
async def test_yes_deletes_once_and_the_button_then_expires(bot: BotHarness, name: str) -> None:
    await rule_with_hits(bot, name)
    boss = bot.operator()
    [question] = await bot.say(boss, f"/rule del {name}")
    assert f"Delete rule {name} and its 3 hits?" in question
    assert f"/rule del {name} confirm" in question
    question_id = bot.world.sent[-1].id
    yes = buttons(bot)["Yes"]
    await bot.press(boss, yes, msg_id=question_id)
    assert f"Deleted rule {name}" in bot.world.sent[-1].message
    assert await rules.list_rules(bot.db) == []
    await bot.press(boss, yes, msg_id=question_id)
    assert bot.world.callback_answers[-1].alert
    assert "expired" in bot.world.callback_answers[-1].message
    assert [(e.actor, e.action) for e in await audit.recent(bot.db)] == [
        (str(OPERATOR_ID), "rule.remove")
    ]


async def test_unwatch_asks_then_stops_watching_on_yes(bot: BotHarness) -> None:
    boss = bot.operator()
    await bot.say(boss, "/watch @kursk_news mil")
    [question] = await bot.say(boss, "/unwatch t.me/kursk_news")
    assert "Stop watching @kursk_news?" in question and "/unwatch @kursk_news confirm" in question
    found = await channels.find(bot.db, ref="@kursk_news")
    assert found is not None and found.watched
    await bot.press(boss, buttons(bot)["Yes"], msg_id=bot.world.sent[-1].id)
    assert "Stopped watching @kursk_news" in bot.world.sent[-1].message
    found = await channels.find(bot.db, ref="@kursk_news")
    assert found is not None and not found.watched


async def test_plain_commands_act_without_asking(bot: BotHarness) -> None:
    await rule_with_hits(bot)
    boss = bot.operator()
    await bot.say(boss, "/watch @kursk_news")
    [done] = await bot.say(boss, "/unwatch @kursk_news !")
    assert "Stopped watching" in done
    [deleted] = await bot.say(boss, "/rule del dprk CONFIRM")
    assert "Deleted rule dprk" in deleted
    await rules.add(bot.db, "курщина", "Курщина")
    [gone] = await bot.say(boss, "/rule del курщина !")
    assert "Deleted rule курщина" in gone
    assert await rules.list_rules(bot.db) == []


async def test_in_a_group_only_the_operator_who_asked_can_press_yes(bot: BotHarness) -> None:
    await rule_with_hits(bot)
    desk = bot.world.add_channel("osint_desk", "OSINT desk", megagroup=True)
    boss, member = bot.operator(), bot.world.add_user("Учасник")
    await subscribers.allow(bot.db, member.id, username=None, added_by="cli")
    await bot.say(boss, "/rule del dprk", group=desk)
    yes, question_id = buttons(bot)["Yes"], bot.world.sent[-1].id

    def press_in_group(user: types.User) -> types.UpdateBotCallbackQuery:
        bot.world.users[user.id] = user
        return types.UpdateBotCallbackQuery(
            query_id=user.id + question_id,
            user_id=user.id,
            peer=types.PeerChannel(desk.id),
            msg_id=question_id,
            chat_instance=desk.id,
            data=yes,
        )

    await push(bot.client, bot.world, press_in_group(member))
    assert "someone else's" in bot.world.callback_answers[-1].message
    assert [r.name for r in await rules.list_rules(bot.db)] == ["dprk"]
    await push(bot.client, bot.world, press_in_group(boss))
    assert await rules.list_rules(bot.db) == []
    assert "Deleted rule dprk" in bot.world.sent[-1].message


async def test_unknown_targets_are_refused_before_asking(bot: BotHarness) -> None:
    boss = bot.operator()
    [no_rule] = await bot.say(boss, "/rule del nosuch")
    assert "no rule named 'nosuch'" in no_rule
    [no_ukrainian_rule] = await bot.say(boss, "/rule del сумщина")
    assert "no rule named 'сумщина'" in no_ukrainian_rule
    [no_channel] = await bot.say(boss, "/unwatch @nobody_here")
    assert "not watched" in no_channel
    assert bot.last_request().reply_markup is None
