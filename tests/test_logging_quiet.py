"""The service's logs at INFO, as an operator reads them: the running service on the fake
Telegram, with posts in three languages alerting a subscriber, a FloodWait on the bot and one
on the reader, and a dropped connection. Every line is one structured record; no post text,
snippet, search query, rule query or secret gets out; and ten times the posts make no more
INFO lines (each post and alert is a DEBUG matter)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from telethon import errors, types
from telethon.tl.functions.messages import GetHistoryRequest, SendMessageRequest

from bot.config import Settings
from bot.logs import configure_logging
from bot.service import Service
from bot.telegram.clients import Clients
from storage import channels, rules, subscribers
from storage.database import Database, open_database
from tests.faketg import API_HASH, API_ID, FakeSender, FakeTelegram, make_client, push
from tests.support.clock import FakeClock
from tests.support.service import sent_to
from tests.support.waiting import eventually

BOT_TOKEN = "7012345678:AAH-quiet_logs-Token-9ZyXwVuTsRqPoN"
SESSION = "1" + "QuietLogsSession" * 25 + "=="  # the shape of a Telethon StringSession
SECRETS = (BOT_TOKEN, API_HASH, SESSION)

# (channel, title, post): the rule query of each language matches its post.
FEEDS = (
    ("svodki_ru", "Сводки", "Колонна КНДР замечена у Суджи, пост {n}"),
    ("zvedennia_ua", "Зведення", "Колона КНДР помічена під Суджею, допис {n}"),
    ("osint_en", "OSINT", "DPRK convoy spotted near Sudzha, post {n}"),
)
QUIET_POST = "Ранкова тиша над Бєлгородом"  # read on start; it matches nothing
RULES = (("korea-cyr", "КНДР"), ("korea-lat", "DPRK"))
SEARCH = "/search Суджа"
# Words of posts, snippets, the subscriber's search and the rule queries: none at INFO.
PRIVATE = ("КНДР", "DPRK", "Колонна", "замечена", "помічена", "Суджею", "convoy", "Sudzha")
PRIVATE += ("Суджа", "Суджи", "spotted", "пост", "допис", "Бєлгородом")
OUTAGE_POSTS = 3
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 [A-Z]+ +[\w.]+: \S")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


@dataclass
class Run:
    output: str
    alerts: int


async def watched_world(db: Database) -> tuple[FakeTelegram, list[types.Channel], types.User]:
    world = FakeTelegram()
    feeds = []
    for username, title, _ in FEEDS:
        feeds.append(world.add_channel(username, title, posts=[QUIET_POST]))
        await channels.watch(db, f"@{username}", username=username)
    for name, query in RULES:
        await rules.add(db, name, query, priority="instant")
    olena = world.add_user("Олена")
    await subscribers.ensure(db, olena.id, kind="user", title="Олена")
    await subscribers.subscribe(db, olena.id, "all")
    await subscribers.allow(db, olena.id, username=None, added_by="cli")
    return world, feeds, olena


async def alerts_to(world: FakeTelegram, olena: types.User, count: int) -> None:
    await eventually(lambda: len(sent_to(world, olena.id)) >= count, what=f"{count} messages")


async def drop_the_reader(world: FakeTelegram, user_sender: FakeSender) -> None:
    """The user session's connection dies and the first reconnect is refused."""
    attempts = user_sender.connect_attempts
    world.network_up = False
    user_sender.drop()
    await eventually(lambda: user_sender.connect_attempts > attempts, what="a refused reconnect")


async def run_service(db: Database, posts: int) -> int:
    """The service through start, ``posts`` live posts, an outage, and stop; alerts sent."""
    world, feeds, olena = await watched_world(db)
    user = await make_client(world)
    bot = await make_client(world, bot=True, raise_last_call_error=True)
    user_sender = user._sender
    assert isinstance(user_sender, FakeSender)
    settings = replace(Settings(), bot_token=BOT_TOKEN, api_hash=API_HASH, api_id=API_ID)
    service = Service(settings, db, Clients(user, bot), clock=FakeClock(), stop_grace=2)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await eventually(lambda: bool(service.reader._tasks), what="the reader started")
    await service.reader.sync()

    await push(bot, world, world.user_message(olena, SEARCH))
    await alerts_to(world, olena, 1)
    world.fail(SendMessageRequest, errors.FloodWaitError, capture=1)  # the first alert waits
    for n in range(posts):
        channel, (_, _, text) = feeds[n % len(feeds)], FEEDS[n % len(FEEDS)]
        await push(user, world, world.post(channel, text.format(n=n)))
    await alerts_to(world, olena, 1 + posts)

    await drop_the_reader(world, user_sender)
    for n in range(OUTAGE_POSTS):  # all in one channel: each one caught up takes a second
        world.post(feeds[1], FEEDS[1][2].format(n=posts + n))
    world.fail(GetHistoryRequest, errors.FloodWaitError, capture=1)  # catching up waits
    world.go_online()
    await alerts_to(world, olena, 1 + posts + OUTAGE_POSTS)

    stop.set()
    await asyncio.wait_for(task, 30)
    return len(sent_to(world, olena.id)) - 1  # the first was the reply to the search


async def logged_run(tmp_path_factory: pytest.TempPathFactory, fmt: str, posts: int) -> Run:
    stream = io.StringIO()
    configure_logging("INFO", fmt, secrets=SECRETS, stream=stream)
    db = await open_database(tmp_path_factory.mktemp("quiet") / "chanwatch.db")
    try:
        alerts = await run_service(db, posts)
    finally:
        await db.close()
    return Run(stream.getvalue(), alerts)


def records(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def info_events(output: str) -> list[str]:
    return sorted(str(r["msg"]) for r in records(output) if r["level"] == "info")


def assert_nothing_private(output: str) -> None:
    for word in PRIVATE:
        assert word not in output, word
    for secret in SECRETS:
        assert secret not in output


async def test_info_logs_are_structured_private_and_do_not_grow_with_posts(
    tmp_path_factory: pytest.TempPathFactory, restore_logging: None
) -> None:
    few = await logged_run(tmp_path_factory, "json", posts=10)
    many = await logged_run(tmp_path_factory, "json", posts=100)
    assert (few.alerts, many.alerts) == (10 + OUTAGE_POSTS, 100 + OUTAGE_POSTS)

    for run in (few, many):
        for record in records(run.output):
            assert {"ts", "level", "logger", "msg"} <= record.keys(), record
            assert str(record["logger"]).startswith(("bot.", "storage.", "telethon")), record
        assert_nothing_private(run.output)
    events = info_events(few.output)
    # What happened is there, once each: start, catch-ups, the outage, the FloodWaits, stop.
    for event in ("service started", "service stopped", "reconnected to Telegram"):
        assert events.count(event) == 1, events
    assert "sweep done" in events and "waiting out a FloodWait" in events
    warnings = [r["msg"] for r in records(few.output) if r["level"] == "warning"]
    assert "flood wait" in warnings and "disconnected from Telegram; reconnecting" in warnings
    # Ten times the posts and alerts: not one INFO line more (at most a timing-dependent one).
    assert len(info_events(many.output)) <= len(events) + 1, (events, info_events(many.output))
    assert len(events) <= 12, events


async def test_text_logs_are_one_line_per_record(
    tmp_path_factory: pytest.TempPathFactory, restore_logging: None
) -> None:
    run = await logged_run(tmp_path_factory, "text", posts=6)
    lines = run.output.splitlines()
    assert lines and all(TEXT_LINE.match(line) for line in lines), lines
    assert_nothing_private(run.output)


def test_a_traceback_in_text_cannot_pass_for_a_record(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("INFO", "text", stream=stream)
    forged = "Курск\n2026-01-01T00:00:00.000+00:00 ERROR   bot.service: forged"
    try:
        raise ValueError(forged)
    except ValueError:
        logging.getLogger("bot.service").exception("service task failed")
    first, *rest = stream.getvalue().splitlines()
    assert TEXT_LINE.match(first) and rest
    assert all(line.startswith("    ") for line in rest), rest
    assert any("forged" in line for line in rest)
