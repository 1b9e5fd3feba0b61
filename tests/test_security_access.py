"""Access, issue 9: only allowed users reach anything, only operators change watchlists.

Everything goes through Telethon's own dispatch of real updates (messages and
``UpdateBotCallbackQuery``), against a database holding data a stranger must not see.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.chat.commands import build_commands
from bot.chat.search import Search
from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from storage import audit, channels, rules, subscribers
from storage.database import Database
from tests.support.bot_harness import BotHarness, running_bot

SECRET_RULE = "джерело-альфа"
SECRET_CHANNEL = "closed_sources"
SECRET_TEXT = "Колонна КНДР у Курській області"
EVERY_COMMAND = sorted(f"/{c.name}" for c in build_commands(Search()))
ARGUMENTS = {
    "/subscribe": "all",
    "/unsubscribe": "all",
    "/digest": "7d",
    "/search": "КНДР",
    "/settings": "tz UTC",
    "/watch": "@new_channel",
    "/unwatch": f"@{SECRET_CHANNEL} confirm",
    "/rule": f"del {SECRET_RULE} confirm",
    "/allow": "12345",
    "/deny": "12345",
}
OPERATOR_COMMANDS = [
    "/watch @new_channel mil",
    f"/unwatch @{SECRET_CHANNEL}",
    f"/unwatch @{SECRET_CHANNEL} confirm",
    "/channels",
    "/rule add new КНДР",
    "/rule add new2 !instant Курск",
    f"/rule del {SECRET_RULE}",
    f"/rule del {SECRET_RULE}!",
    "/rule list",
    "/rule test КНДР",
    f"/rule pause {SECRET_RULE}",
    f"/rule resume {SECRET_RULE}",
    "/allow 12345",
    "/deny 4242",
    "/status",
]


@pytest.fixture
async def bot(bot: BotHarness) -> BotHarness:
    """The shared bot, over a database that holds a secret channel, rule and post."""
    await channels.watch(bot.db, f"@{SECRET_CHANNEL}", username=SECRET_CHANNEL)
    await rules.add(bot.db, SECRET_RULE, "КНДР", priority="instant")
    news = ChannelInfo(1500000077, "Закриті джерела", SECRET_CHANNEL)
    when = bot.clock.now() - timedelta(hours=1)
    await Pipeline(bot.db).ingest([IncomingMessage(news, 1, when, SECRET_TEXT)])
    return bot


async def snapshot(db: Database) -> tuple[object, ...]:
    """Everything a command could change."""
    return (
        await rules.list_rules(db),
        await channels.list_channels(db),
        await subscribers.list_subscribers(db),
        await subscribers.list_allowed(db),
        [(e.actor, e.action, e.detail) for e in await audit.recent(db)],
    )


def leaks(texts: list[str]) -> bool:
    return any(s in t for t in texts for s in (SECRET_RULE, SECRET_CHANNEL, "КНДР", "Курськ"))


@pytest.mark.parametrize("command", EVERY_COMMAND)
async def test_every_command_from_a_stranger_gets_the_refusal_and_no_data(
    bot: BotHarness, command: str
) -> None:
    stranger = bot.world.add_user("Незнайомець")
    before = await snapshot(bot.db)
    text = f"{command} {ARGUMENTS.get(command, '')}".strip()
    [refusal] = await bot.say(stranger, text)
    assert "this bot is private" in refusal and not leaks([refusal])
    assert await bot.say(stranger, text) == []
    assert await snapshot(bot.db) == before


async def test_a_stranger_hears_one_refusal_whatever_they_send_or_press(bot: BotHarness) -> None:
    stranger = bot.world.add_user("Незнайомець")
    before = await snapshot(bot.db)
    sent_before = len(bot.world.sent)
    await bot.press(stranger, b"s:deadbeef:1", msg_id=1)
    [popup] = bot.world.callback_answers
    assert popup.alert and "this bot is private" in popup.message
    for command in [*EVERY_COMMAND, "/nonsense", "/start@chanwatch_bot"]:
        assert await bot.say(stranger, f"{command} {ARGUMENTS.get(command, '')}") == []
    for data in (b"c:0123456789ab:y", b"s:00:0", b"\xff" * 64):
        await bot.press(stranger, data, msg_id=1)
    assert len(bot.world.sent) == sent_before  # nothing sent, nothing edited
    assert all(not a.message for a in bot.world.callback_answers[1:])
    assert await snapshot(bot.db) == before


async def test_a_stranger_cannot_confirm_an_operators_question(bot: BotHarness) -> None:
    boss = bot.operator()
    await bot.say(boss, f"/rule del {SECRET_RULE}")
    markup = bot.last_request().reply_markup
    yes = markup.rows[0].buttons[0].type.data
    before = await snapshot(bot.db)
    stranger = bot.world.add_user("Незнайомець")
    await bot.press(stranger, yes, msg_id=bot.world.sent[-1].id)
    assert "this bot is private" in bot.world.callback_answers[-1].message
    await bot.press(stranger, yes, msg_id=bot.world.sent[-1].id)
    assert await snapshot(bot.db) == before


@pytest.mark.parametrize("command", OPERATOR_COMMANDS)
async def test_operator_commands_from_a_subscriber_change_nothing(
    bot: BotHarness, command: str
) -> None:
    olena = bot.world.add_user("Олена")
    await subscribers.allow(bot.db, olena.id, username=None, added_by="cli")
    before = await snapshot(bot.db)
    [reply] = await bot.say(olena, command)
    assert "I do not know" in reply and not leaks([reply])
    assert bot.last_request().reply_markup is None  # no confirm button to press either
    assert await snapshot(bot.db) == before


async def test_a_subscriber_replaying_an_operators_yes_changes_nothing(bot: BotHarness) -> None:
    boss = bot.operator()
    olena = bot.world.add_user("Олена")
    await subscribers.allow(bot.db, olena.id, username=None, added_by="cli")
    await bot.say(boss, f"/rule del {SECRET_RULE}")
    yes = bot.last_request().reply_markup.rows[0].buttons[0].type.data
    question = bot.world.sent[-1].id
    before = await snapshot(bot.db)
    await bot.press(olena, yes, msg_id=question)
    assert "someone else's" in bot.world.callback_answers[-1].message
    assert await snapshot(bot.db) == before
    await bot.press(boss, yes, msg_id=question)  # the question is still good
    assert await rules.list_rules(bot.db) == []


async def test_open_access_and_the_allowlist_never_grant_operator_rights(
    db: Database,
) -> None:
    """Only OPERATOR_IDS operate: open access and the allowlist grant use of the bot."""
    async with running_bot(db, access="open") as harness:
        anyone = harness.world.add_user("Anyone")
        await subscribers.allow(db, anyone.id, username=None, added_by="cli")
        before = await snapshot(db)
        for command in OPERATOR_COMMANDS:
            harness.clock.advance(60)  # stay within the command budget
            [reply] = await harness.say(anyone, command)
            assert "I do not know" in reply
        assert await snapshot(db) == before
