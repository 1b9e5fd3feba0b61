"""Who may use the bot: allowlist, one refusal, operators, help per role, rate limit, groups
and their anonymous admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from telethon import types
from telethon.tl.functions.channels import GetParticipantRequest

from bot.chat.dispatch import split_command
from storage import audit, rules, subscribers
from storage.database import Database
from tests.support.bot_harness import OPERATOR_ID, BotHarness, running_bot


async def test_stranger_gets_one_polite_refusal_and_then_silence(bot: BotHarness) -> None:
    stranger = bot.world.add_user("Незнайомець")
    [refusal] = await bot.say(stranger, "/start")
    assert "private" in refusal and str(stranger.id) in refusal
    assert await bot.say(stranger, "/help") == []
    assert await bot.say(stranger, "/subscribe all") == []
    assert await subscribers.get(bot.db, stranger.id) is None


async def test_allowed_user_is_welcome_and_help_hides_operator_commands(bot: BotHarness) -> None:
    olena = bot.world.add_user("Олена")
    await subscribers.allow(bot.db, olena.id, username=None, added_by="cli")
    [welcome] = await bot.say(olena, "/start")
    assert "chanwatch" in welcome
    [help_text] = await bot.say(olena, "/help")
    assert "/subscribe" in help_text and "/search" in help_text
    assert "/watch" not in help_text and "/status" not in help_text
    [unknown] = await bot.say(olena, "/status")
    assert "do not know /status" in unknown


async def test_operator_is_always_allowed_and_sees_operator_help(bot: BotHarness) -> None:
    [help_text] = await bot.say(bot.operator(), "/help")
    assert "/watch" in help_text and "/rule" in help_text and "/status" in help_text


async def test_open_access_admits_anyone(db: Database) -> None:
    async with running_bot(db, access="open") as harness:
        [welcome] = await harness.say(harness.world.add_user("Anyone"), "/start")
        assert "chanwatch" in welcome


async def test_rate_limit_warns_once_then_drops_until_the_budget_refills(bot: BotHarness) -> None:
    olena = bot.world.add_user("Олена")
    await subscribers.allow(bot.db, olena.id, username=None, added_by="cli")
    answers = [await bot.say(olena, "/mysubs") for _ in range(12)]
    assert all(len(a) == 1 and "No subscriptions" in a[0] for a in answers[:8])
    assert "too fast" in answers[8][0]
    assert answers[9:] == [[], [], []]
    bot.clock.advance(30)
    assert "No subscriptions" in (await bot.say(olena, "/mysubs"))[0]


async def test_only_group_admins_change_a_groups_subscriptions(bot: BotHarness) -> None:
    desk = bot.world.add_channel("osint_desk", "OSINT desk", megagroup=True)
    admin, member = bot.world.add_user("Адмін"), bot.world.add_user("Учасник")
    bot.world.make_admin(desk, admin)
    for user in (admin, member):
        await subscribers.allow(bot.db, user.id, username=None, added_by="cli")
    [refused] = await bot.say(member, "/subscribe all", group=desk)
    assert "Only this group's admins" in refused
    [done] = await bot.say(admin, "/subscribe all", group=desk)
    assert "Subscribed to all" in done
    group = await subscribers.get(bot.db, int(f"-100{desk.id}"))
    assert group is not None and group.kind == "group" and group.targets == ("all",)
    [listing] = await bot.say(member, "/mysubs", group=desk)  # reading needs no admin
    assert "all" in listing


async def test_commands_for_another_bot_are_ignored(bot: BotHarness) -> None:
    assert await bot.say(bot.operator(), "/status@some_other_bot") == []
    assert await bot.say(bot.operator(), "just chatting") == []


async def test_the_single_refusal_survives_a_restart(db: Database) -> None:
    async with running_bot(db) as first:
        stranger = first.world.add_user("Незнайомець")
        [refusal] = await first.say(stranger, "/start")
        assert "private" in refusal
    # a new process: nothing in memory, the same database
    async with running_bot(db) as restarted:
        assert await restarted.say(stranger, "/start") == []
        assert await restarted.say(stranger, "/help") == []


async def test_a_user_let_in_and_out_again_is_told_once_more(bot: BotHarness) -> None:
    taras = bot.world.add_user("Тарас")
    assert len(await bot.say(taras, "/start")) == 1
    await subscribers.allow(bot.db, taras.id, username=None, added_by="cli")
    assert "chanwatch" in (await bot.say(taras, "/start"))[0]
    await subscribers.deny(bot.db, taras.id)
    [again] = await bot.say(taras, "/mysubs")
    assert "private" in again
    assert await bot.say(taras, "/mysubs") == []


async def test_a_stranger_is_refused_again_only_after_the_long_window(db: Database) -> None:
    now = datetime(2024, 10, 20, 12, 0, tzinfo=UTC)
    assert await subscribers.note_refusal(db, 77, now=now, window=timedelta(days=90))
    later = now + timedelta(days=89)
    assert not await subscribers.note_refusal(db, 77, now=later, window=timedelta(days=90))
    much_later = now + timedelta(days=91)
    assert await subscribers.note_refusal(db, 77, now=much_later, window=timedelta(days=90))
    assert not await subscribers.note_refusal(db, 77, now=much_later, window=timedelta(days=90))


def test_a_command_is_ours_only_when_addressed_to_us_or_to_nobody() -> None:
    assert split_command("/Subscribe@ChanWatch_Bot  kursk ", "chanwatch_bot") == (
        "subscribe",
        "kursk",
    )
    assert split_command("/subscribe@other_bot kursk", "chanwatch_bot") is None
    assert split_command(" /STATUS\n", "chanwatch_bot") == ("status", "")
    # without a bot token the user session reads ALERT_CHAT: an addressed command is a bot's
    assert split_command("/status@some_bot", None) is None
    assert split_command("/status", None) == ("status", "")


def marked(group: types.Channel) -> int:
    """The id Telegram's clients (and /allow) use for a supergroup."""
    return int(f"-100{group.id}")


async def test_an_allowed_groups_anonymous_admin_subscribes_it_without_a_lookup(
    bot: BotHarness,
) -> None:
    desk = bot.world.add_channel("osint_desk", "OSINT desk", megagroup=True)
    [allowed] = await bot.say(bot.operator(), f"/allow {marked(desk)}")
    assert f"The members of group {marked(desk)} may now use the bot in it" in allowed
    [done] = await bot.say_anonymously(desk, "/subscribe all")
    assert "Subscribed to all" in done
    assert bot.world.count(GetParticipantRequest) == 0  # posting as the group proves admin
    group = await subscribers.get(bot.db, marked(desk))
    assert group is not None and group.kind == "group" and group.targets == ("all",)
    [changed] = await bot.say_anonymously(desk, "/settings quiet 23:00-07:00")
    assert "Quiet hours: 23:00-07:00" in changed
    [(actor, action)] = [(e.actor, e.action) for e in await audit.recent(bot.db)]
    assert (actor, action) == (str(OPERATOR_ID), "group.allow")


async def test_an_allowed_groups_member_reads_but_may_not_change_its_subscriptions(
    bot: BotHarness,
) -> None:
    desk = bot.world.add_channel("osint_desk", "OSINT desk", megagroup=True)
    await subscribers.allow(bot.db, marked(desk), username=None, added_by="cli")
    member = bot.world.add_user("Учасник")  # not on the allowlist themselves
    [refused] = await bot.say(member, "/subscribe all", group=desk)
    assert "Only this group's admins" in refused
    assert bot.world.count(GetParticipantRequest) == 1
    assert await subscribers.get(bot.db, marked(desk)) is None
    await bot.say_anonymously(desk, "/subscribe all")
    [listing] = await bot.say(member, "/mysubs", group=desk)
    assert "Subscriptions" in listing and "all" in listing
    [private] = await bot.say(member, "/mysubs")  # the group's allowance stays in the group
    assert "private" in private and str(member.id) in private


async def test_an_anonymous_admin_never_runs_operator_commands(bot: BotHarness) -> None:
    desk = bot.world.add_channel("osint_desk", "OSINT desk", megagroup=True)
    await subscribers.allow(bot.db, marked(desk), username=None, added_by="cli")
    bot.ctx.operators = frozenset({OPERATOR_ID, marked(desk)})  # even a group id listed by mistake
    for command in ("/rule add dprk КНДР", "/allow 12345", "/status"):
        [reply] = await bot.say_anonymously(desk, command)
        assert f"do not know {command.split()[0]}" in reply
    assert await rules.list_rules(bot.db) == []
    assert not await subscribers.is_allowed(bot.db, 12345)
    [help_text] = await bot.say_anonymously(desk, "/help")
    assert "/subscribe" in help_text and "/rule" not in help_text
    [added] = await bot.say(bot.operator(), "/rule add dprk КНДР", group=desk)
    assert "Added digest rule dprk" in added  # the operator's own id still works there


async def test_a_group_not_allowed_is_refused_with_the_id_to_allow(bot: BotHarness) -> None:
    desk = bot.world.add_channel("osint_desk", "OSINT desk", megagroup=True)
    [anonymous] = await bot.say_anonymously(desk, "/start")
    assert f"this group id: {marked(desk)}" in anonymous
    member = bot.world.add_user("Учасник")
    [refused] = await bot.say(member, "/start", group=desk)
    assert f"your id: {member.id}, or this group's id: {marked(desk)}" in refused


async def test_allow_and_deny_a_group_by_id_and_by_name(bot: BotHarness) -> None:
    boss = bot.operator()
    desk = bot.world.add_channel("osint_desk", "OSINT desk", megagroup=True)
    bot.world.add_channel("kursk_news", "Курские новости")
    [allowed] = await bot.say(boss, "/allow @osint_desk")
    assert f"group @osint_desk ({marked(desk)}) may now use the bot in it" in allowed
    assert "could already use" in (await bot.say(boss, f"/allow {marked(desk)}"))[0]
    assert "chanwatch" in (await bot.say_anonymously(desk, "/start"))[0]
    [denied] = await bot.say(boss, f"/deny {marked(desk)}")
    assert "may no longer use the bot" in denied
    assert "private" in (await bot.say_anonymously(desk, "/start"))[0]
    [channel] = await bot.say(boss, "/allow @kursk_news")
    assert "broadcast channel" in channel
    assert "numeric user id" in (await bot.say(boss, "/allow 0"))[0]
    actions = [e.action for e in await audit.recent(bot.db)]
    assert actions == ["group.deny", "group.allow", "group.allow"]
