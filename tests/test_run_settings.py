"""``chanwatch run`` as a user starts it, for every documented kind of value of the settings
that shape the first run: ``BACKFILL`` (a count, an age, zero) and where alerts go without a
bot (``ALERT_CHAT`` as a numeric user id, a ``-100…`` group id, an @username, ``me``), beside
the bot-token path, and every other setting in ``.env.example`` with each kind of value it
takes. Each case builds the real clients from the environment and a session file,
on the fake Telegram, and follows a live post until it is stored and alerted.

The defaults were tested far more than these, and two of them lost every post or crashed on
start: ``BACKFILL=0`` left the mark at 0, so each live post looked like a gap that the
catch-up then read zero messages of; a numeric ``ALERT_CHAT`` went to Telethon as a string,
which it reads as a phone number.
"""

from __future__ import annotations

import io
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from storage import channels, messages
from storage.database import Database
from tests.faketg import FakeTelegram, deliver
from tests.support.run_command import (
    Running,
    Telegram,
    environment,
    fake_connect,
    is_bot,
    watched_database,
)
from tests.support.service import sent_to
from tests.support.waiting import eventually

BOT_TOKEN = "7012345678:AAH-first_run-Token-9ZyXwVuTsRqPoNmLk"
OLD_POSTS = (
    "Колонна КНДР замечена у Суджи",  # matches the rule: stored only if the backfill reads it
    "Ранкова тиша над Бєлгородом",
    "Quiet night in Kharkiv",
)
LIVE_POST = "Войска КНДР вошли в Курскую область"


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> Telegram:
    world = FakeTelegram()
    # The posts are recent, so an age backfill has something to read.
    world.now = datetime.now(UTC) - timedelta(hours=3)
    world.bot_tokens.add(BOT_TOKEN)
    return fake_connect(world, monkeypatch.setattr)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """The database ``chanwatch run`` will use, with the channel and an instant rule."""
    async with watched_database(tmp_path / "chanwatch.db") as database:
        yield database


async def first_sync_done(db: Database, running: Running) -> Any:
    """The channel's backfill committed (its mark is where reading resumes); returns its row."""

    async def row() -> Any:
        [channel] = await channels.list_channels(db)
        return channel

    async def ready() -> bool:
        running.check()  # a failed start: its error, not a timeout
        return bool((await row()).backfilled)

    await eventually(ready, what="the first catch-up committed")
    return await row()


def arrived(world: FakeTelegram, chat_id: int, text: str) -> bool:
    """Whether a message containing ``text`` was sent to the chat."""
    return any(text in m.message for m in sent_to(world, chat_id))


async def stored_ids(db: Database, channel_id: int, upto: int) -> list[int]:
    return sorted((await messages.ids_of(db, channel_id, list(range(1, upto + 1)))).keys())


BACKFILLS = [
    # (BACKFILL, stored of the three old posts)
    ("200", [1, 2, 3]),
    ("2", [2, 3]),
    ("48h", [1, 2, 3]),
    ("1h", []),  # the old posts are three hours old
    ("0", []),
    ("0h", []),
]


@pytest.mark.parametrize(("backfill", "old_stored"), BACKFILLS)
async def test_every_backfill_stores_its_depth_and_then_every_live_post(
    tmp_path: Path, telegram: Telegram, db: Database, backfill: str, old_stored: list[int]
) -> None:
    world = telegram.world
    channel = world.add_channel("svodki", "Сводки", posts=OLD_POSTS)
    env = environment(tmp_path, BACKFILL=backfill, ALERT_CHAT="me")
    running = Running(env)

    row = await first_sync_done(db, running)
    assert row.high_water == 3  # zero and empty backfills start from the newest post too
    assert await stored_ids(db, row.id, 3) == old_stored

    await deliver(telegram.user, world, world.post(channel, LIVE_POST))
    saved = world.me.id
    await eventually(lambda: arrived(world, saved, LIVE_POST), what="alert")
    assert await stored_ids(db, row.id, 4) == [*old_stored, 4]
    await running.stop()

    # Restarted, it reads what was posted while it was down, from the mark, with no backfill.
    world.post(channel, "Ночью КНДР перебросила артиллерию")
    running = Running(env)
    await eventually(lambda: arrived(world, saved, "артиллерию"), what="the missed post")
    assert await stored_ids(db, row.id, 5) == [*old_stored, 4, 5]
    await running.stop()


@pytest.mark.parametrize("backfill", ["0", "200", "0h"])
async def test_a_channel_empty_when_first_watched_stores_its_first_posts(
    tmp_path: Path, telegram: Telegram, db: Database, backfill: str
) -> None:
    """Empty, and with its old posts deleted, so the next id is 4, not 1: a live post above
    a mark of 0 is a gap, and the catch-up must read it rather than start a backfill again."""
    world = telegram.world
    channel = world.add_channel("svodki", "Сводки", posts=OLD_POSTS)
    world.delete(channel, 1, 2, 3)
    running = Running(environment(tmp_path, BACKFILL=backfill, ALERT_CHAT="me"))
    row = await first_sync_done(db, running)
    assert row.high_water == 0

    await deliver(telegram.user, world, world.post(channel, LIVE_POST))
    saved = world.me.id
    await eventually(lambda: arrived(world, saved, LIVE_POST), what="alert")
    assert await stored_ids(db, row.id, 4) == [4]
    await running.stop()


@dataclass(frozen=True)
class AlertChat:
    """A way to name the chat alerts go to, and the world that makes it exist."""

    name: str
    make: Any  # (FakeTelegram) -> (ALERT_CHAT value, the id of the chat alerts land in)


def numeric_user(world: FakeTelegram) -> tuple[str, int]:
    """A colleague the account has a private chat with (not a contact: no access hash)."""
    olena = world.add_user("Олена", started_bot=False)
    world.open_chat(olena)
    return str(olena.id), olena.id


def numeric_group(world: FakeTelegram) -> tuple[str, int]:
    room = world.add_channel(None, "Штаб аналітиків", megagroup=True)  # private: no username
    return f"-100{room.id}", room.id


def group_username(world: FakeTelegram) -> tuple[str, int]:
    room = world.add_channel("alerts_room", "Alerts", megagroup=True)
    return "@alerts_room", room.id


def saved_messages(world: FakeTelegram) -> tuple[str, int]:
    return "me", world.me.id


def saved_messages_as_self(world: FakeTelegram) -> tuple[str, int]:
    return "SELF", world.me.id


ALERT_CHATS = [
    AlertChat("numeric user", numeric_user),
    AlertChat("numeric group", numeric_group),
    AlertChat("@username", group_username),
    AlertChat("me", saved_messages),
    AlertChat("self", saved_messages_as_self),
]


@pytest.mark.parametrize("chat", ALERT_CHATS, ids=lambda c: c.name)
async def test_without_a_bot_every_kind_of_alert_chat_gets_the_alert_and_takes_commands(
    tmp_path: Path, telegram: Telegram, db: Database, chat: AlertChat
) -> None:
    world = telegram.world
    channel = world.add_channel("svodki", "Сводки", posts=OLD_POSTS)
    value, peer = chat.make(world)
    running = Running(environment(tmp_path, ALERT_CHAT=value))
    await first_sync_done(db, running)

    await deliver(telegram.user, world, world.post(channel, LIVE_POST))
    await eventually(lambda: arrived(world, peer, LIVE_POST), what="alert")
    # The account owner's own command in that chat is answered there (they are an operator).
    if peer in world.channels:
        group = world.channels[peer]
        command: Any = world.user_message(world.me, "/status", group=group)
    elif peer == world.me.id:
        command = world.saved_message("/status")
    else:
        command = None  # a colleague's private chat: alerts only, checked above
    if command is not None:
        await deliver(telegram.user, world, command)
        await eventually(lambda: arrived(world, peer, "Outbox"), what="reply")
    await running.stop()


async def test_with_a_bot_token_the_live_post_reaches_the_subscriber_through_the_bot(
    tmp_path: Path, telegram: Telegram, db: Database
) -> None:
    world = telegram.world
    channel = world.add_channel("svodki", "Сводки", posts=OLD_POSTS)
    olena = world.add_user("Олена")
    running = Running(environment(tmp_path, BOT_TOKEN=BOT_TOKEN, BACKFILL="0", ACCESS="open"))
    await first_sync_done(db, running)
    bot = next(c for c in telegram.clients if is_bot(c))
    await deliver(bot, world, world.user_message(olena, "/subscribe dprk"))
    await eventually(lambda: bool(sent_to(world, olena.id)), what="the reply")

    await deliver(telegram.user, world, world.post(channel, LIVE_POST))
    await eventually(lambda: arrived(world, olena.id, LIVE_POST), what="the alert")
    await running.stop()


def test_an_alert_chat_the_account_cannot_reach_is_one_line_saying_what_to_do(
    tmp_path: Path, telegram: Telegram
) -> None:
    """A stranger's id: in no cache and no dialog, and Telegram needs its access hash."""
    stranger = telegram.world.add_user("Незнайомець", started_bot=False)
    out, err = io.StringIO(), io.StringIO()
    env = environment(tmp_path, ALERT_CHAT=str(stranger.id))
    code = main(["run"], environ=env, stdout=out, stderr=err, stdin=io.StringIO())
    assert (code, out.getvalue()) == (1, "")
    assert "Traceback" not in err.getvalue()
    assert err.getvalue().splitlines()[-1] == (
        f"chanwatch: error: ALERT_CHAT={stranger.id} is none of this account's chats: open the"
        " chat (or join the group) with the account chanwatch logged in as, then start again;"
        " or set ALERT_CHAT to an @username, or to me for your Saved Messages"
    )


def test_an_alert_chat_username_nobody_has_is_one_line(tmp_path: Path, telegram: Telegram) -> None:
    err = io.StringIO()
    env = environment(tmp_path, ALERT_CHAT="@nobody_here")
    code = main(["run"], environ=env, stdout=io.StringIO(), stderr=err, stdin=io.StringIO())
    assert code == 1
    assert "Traceback" not in err.getvalue()
    assert err.getvalue().splitlines()[-1] == (
        "chanwatch: error: ALERT_CHAT=@nobody_here: Telegram knows no user, group or channel"
        " by that name"
    )


def test_a_damaged_session_file_is_one_line_not_a_traceback(
    tmp_path: Path, telegram: Telegram
) -> None:
    env = environment(tmp_path, ALERT_CHAT="me")
    Path(env["SESSION_PATH"]).write_text("not a session", encoding="utf-8")
    err = io.StringIO()
    code = main(["run"], environ=env, stdout=io.StringIO(), stderr=err, stdin=io.StringIO())
    assert (code, err.getvalue()) == (
        1,
        f"chanwatch: error: {env['SESSION_PATH']} is not a Telegram session file (damaged, or"
        " another file): move it away and run `chanwatch login` again\n",
    )


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


# Every other documented setting, each kind of value it takes (see .env.example).
OTHER_SETTINGS = [
    {"LOG_FORMAT": "json"},
    {"LOG_FORMAT": "text", "LOG_LEVEL": "DEBUG"},
    {"LOG_LEVEL": "WARNING"},
    {"LOG_LEVEL": "error"},
    {"TIMEZONE": "Europe/Kyiv"},
    {"TIMEZONE": "America/New_York"},
    {"ACCESS": "open"},
    {"ACCESS": "allowlist", "OPERATOR_IDS": "1001, 1002"},
    {"RETENTION_DAYS": "1"},
    {"RETENTION_DAYS": "36500"},
    {"DELETION_CHECK_PERIOD": "1m", "DELETION_CHECK_WINDOW": "99999w"},
    {"DELETION_CHECK_PERIOD": "99999w", "DELETION_CHECK_WINDOW": "1m"},
    {"HEALTH_PORT": "free", "HEALTH_HOST": "127.0.0.1"},
    {"DATABASE_PATH": "nested/new/dir/chanwatch.db"},
    {"SESSION_PATH": "secrets/reader"},  # Telethon adds .session
    {"DESTINATION_GIVE_UP": "90m"},
    {"SURGE_WINDOW": "30m", "SURGE_MIN_HITS": "1"},
    {"SURGE_WINDOW": "24h", "CORROBORATION_CHANNELS": "2", "CORROBORATION_WINDOW": "24h"},
]


@pytest.mark.parametrize(
    "extra", OTHER_SETTINGS, ids=lambda e: ",".join(f"{k}={v}" for k, v in e.items())
)
async def test_every_other_setting_still_stores_and_alerts_a_live_post(
    tmp_path: Path, telegram: Telegram, extra: dict[str, str]
) -> None:
    world = telegram.world
    channel = world.add_channel("svodki", "Сводки", posts=OLD_POSTS)
    env = environment(tmp_path, ALERT_CHAT="me")
    for name, value in extra.items():
        if value == "free":
            value = free_port()
        elif name.endswith("_PATH"):
            value = str(tmp_path / value)
        env[name] = value
    if "SESSION_PATH" in extra:
        Path(env["SESSION_PATH"] + ".session").touch(mode=0o600)
    async with watched_database(Path(env["DATABASE_PATH"])) as database:
        running = Running(env)
        row = await first_sync_done(database, running)

        await deliver(telegram.user, world, world.post(channel, LIVE_POST))
        saved = world.me.id
        await eventually(lambda: arrived(world, saved, LIVE_POST), what="alert")
        assert 4 in await stored_ids(database, row.id, 4)
    await running.stop()
    if extra.get("LOG_FORMAT") == "json":
        *records, stopped = running.err.getvalue().splitlines()
        assert stopped == "chanwatch: stopped"
        assert records and all(json.loads(line)["level"] for line in records)
