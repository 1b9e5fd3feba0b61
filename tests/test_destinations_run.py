"""``chanwatch run`` delivering to destinations: a real HTTP server on 127.0.0.1 as the JSON
webhook and as an Apprise ``json://`` target, beside the Telegram alert chat.

Proves the webhook schema and its HMAC, that a 429's Retry-After is waited out, that a
destination failing past DESTINATION_GIVE_UP is retried and then made inactive (with its
reason in ``chanwatch status``) while Telegram still gets every alert, and that a secret in a
destination URL never reaches the log at DEBUG, the status or the export.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telethon import types

from bot.cli.main import main
from bot.destinations.actions import save_destination
from bot.watchlist.entries import DestinationSpec
from storage import audit, channels, destinations, outbox
from storage.database import Database
from storage.destinations import DestinationValues
from tests.faketg import FakeTelegram, deliver
from tests.support.http_receiver import Answer, Received, receiver
from tests.support.run_command import Running, Telegram, environment, fake_connect, watched_database
from tests.support.waiting import eventually

LIVE_POST = "Войска КНДР вошли в Курскую область"
SECOND_POST = "Ночью КНДР перебросила артиллерию под Суджу"
SECRET = "whsec-5f1c2a9e77d04b1f"
TOKEN = "planted-token-7c41e9d2b8"


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> Telegram:

    return fake_connect(FakeTelegram(), monkeypatch.setattr)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with watched_database(tmp_path / "chanwatch.db") as database:
        yield database


async def add(db: Database, name: str, url: str, **options: object) -> None:

    values = DestinationValues(url=url, targets=("rule:dprk",), **options)  # type: ignore[arg-type]
    await save_destination(db, "test", DestinationSpec(name, values))


def saved_messages(telegram: Telegram) -> list[str]:
    me = types.PeerUser(telegram.world.me.id)
    return [m.message for m in telegram.world.sent if m.peer_id == me]


async def running_with_post(
    telegram: Telegram, db: Database, env: dict[str, str], text: str = LIVE_POST
) -> Running:
    """Start ``chanwatch run``, wait for the channel's first catch-up, then post ``text``."""
    channel = telegram.world.add_channel("svodki", "Сводки")
    running = Running(env)

    async def synced() -> bool:
        running.check()
        [row] = await channels.list_channels(db)
        return bool(row.backfilled)

    await eventually(synced, what="the first catch-up")
    await deliver(telegram.user, telegram.world, telegram.world.post(channel, text))
    return running


async def cli(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    """A second ``chanwatch`` command, as an operator runs it beside the service."""

    def run() -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), environ=env, stdout=out, stderr=err, stdin=io.StringIO())
        return code, out.getvalue(), err.getvalue()

    return await asyncio.to_thread(run)


async def test_the_webhook_and_the_apprise_target_get_the_alert_and_the_signature_verifies(
    tmp_path: Path, telegram: Telegram, db: Database
) -> None:
    with receiver() as hook, receiver() as service:
        await add(db, "newsroom-hook", hook.url("/hooks/${HOOK_TOKEN}"), secret_env="HOOK_SECRET")
        await add(db, "ntfy-like", service.url("/notify", scheme="json"), format="text")
        env = environment(tmp_path, ALERT_CHAT="me", HOOK_TOKEN=TOKEN, HOOK_SECRET=SECRET)
        running = await running_with_post(telegram, db, env)
        await eventually(lambda: bool(hook.received and service.received), what="both sends")
        await eventually(lambda: any(LIVE_POST in m for m in saved_messages(telegram)))
        await running.stop()

    [request] = hook.received
    assert request.path == f"/hooks/{TOKEN}"
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-chanwatch-signature-256"], expected)
    event = request.json()
    assert request.headers["idempotency-key"] == event["id"]
    assert event["schema"] == "chanwatch.alert/1"
    assert (event["type"], event["rule"], event["message_id"]) == ("alert", "dprk", 1)
    assert event["link"] == "https://t.me/svodki/1"
    assert event["channel"]["username"] == "svodki"
    assert event["channel"]["name"] == "Сводки"
    assert event["matched_words"] == ["КНДР"]
    assert event["snippet"] == LIVE_POST
    assert event["snippet_marked"] == "Войска **КНДР** вошли в Курскую область"
    assert len(event["story_id"]) == 16 and event["posted_at"].endswith("Z")

    [notified] = service.received
    assert notified.path == "/notify"
    note = notified.json()
    assert note["title"] == "🔔 dprk · Сводки"
    assert LIVE_POST in note["message"] and "https://t.me/svodki/1" in note["message"]
    assert notified.headers["idempotency-key"].startswith("dest:")


async def test_a_429_with_retry_after_is_waited_out_and_not_counted_against_the_row(
    tmp_path: Path, telegram: Telegram, db: Database
) -> None:
    at: list[float] = []

    def busy_once(number: int, _: Received) -> Answer:
        at.append(time.monotonic())
        return (429, {"Retry-After": "2"}) if number == 0 else (200, {})

    with receiver(busy_once) as hook:
        await add(db, "hook", hook.url())
        running = await running_with_post(telegram, db, environment(tmp_path, ALERT_CHAT="me"))
        await eventually(lambda: len(hook.received) == 2, what="the retry")
        [row] = await destinations.rows_of(db, (await destinations.get(db, "hook")).id)
        await eventually(lambda: outbox_status(db, row.id, "sent"), what="sent")
        await running.stop()
    assert at[1] - at[0] >= 2.0 - 0.05  # the time the server asked for, not the 1 s backoff
    assert hook.received[0].body == hook.received[1].body
    assert (await outbox.get(db, row.id)).attempts == 1  # type: ignore[union-attr]


async def outbox_status(db: Database, row_id: int, status: str) -> bool:
    row = await outbox.get(db, row_id)
    return row is not None and row.status == status


async def test_a_destination_failing_past_the_give_up_time_is_made_inactive_and_telegram_goes_on(
    tmp_path: Path, telegram: Telegram, db: Database
) -> None:
    with receiver(lambda _, __: (500, {})) as hook:
        await add(db, "dead-hook", hook.url("/x/${HOOK_TOKEN}"))
        env = environment(
            tmp_path, ALERT_CHAT="me", DESTINATION_GIVE_UP="3s", HOOK_TOKEN=TOKEN, LOG_LEVEL="DEBUG"
        )
        running = await running_with_post(telegram, db, env)
        await eventually(lambda: any(LIVE_POST in m for m in saved_messages(telegram)))

        async def inactive() -> bool:
            return not (await destinations.get(db, "dead-hook")).active

        await eventually(inactive, what="the destination made inactive")
        tries = len(hook.received)
        assert tries >= 3  # retried with backoff (1 s, 2 s) before giving up
        channel = telegram.world.channels[next(iter(telegram.world.channels))]
        await deliver(telegram.user, telegram.world, telegram.world.post(channel, SECOND_POST))
        await eventually(lambda: any(SECOND_POST in m for m in saved_messages(telegram)))
        await running.stop()
        assert len(hook.received) == tries  # nothing more to a destination given up on

    dead = await destinations.get(db, "dead-hook")
    assert dead.inactive_reason is not None and "HTTP 500" in dead.inactive_reason
    code, out, _ = await cli(env, "status")
    assert code == 0
    assert "dead-hook" in out and "inactive" in out and "HTTP 500" in out
    log = running.err.getvalue()
    assert "destination will retry" in log and "destination inactive" in log
    exported = (await cli(env, "export", "-"))[1]
    for shown in (log, out, exported, (await cli(env, "destinations", "list"))[1]):
        assert TOKEN not in shown
    assert "${HOOK_TOKEN}" in exported


async def test_planted_secrets_never_reach_the_debug_log_the_status_or_the_export(
    tmp_path: Path, telegram: Telegram, db: Database
) -> None:
    """A token in the webhook's path, a password in the Apprise URL and the HMAC key, with
    each destination failing once (so errors are logged and kept) before it takes the alert."""
    password = "planted-pass-0d9c8b7a6f"
    fail_once = lambda number, _: (503, {}) if number == 0 else (200, {})  # noqa: E731
    with receiver(fail_once) as hook, receiver(fail_once) as service:
        await add(db, "hook", hook.url("/hooks/${HOOK_TOKEN}"), secret_env="HOOK_SECRET")
        apprise_url = f"json://osint:${{SVC_PASS}}@127.0.0.1:{service.port}/notify"
        await add(db, "service", apprise_url)
        env = environment(
            tmp_path,
            ALERT_CHAT="me",
            LOG_LEVEL="DEBUG",
            HOOK_TOKEN=TOKEN,
            HOOK_SECRET=SECRET,
            SVC_PASS=password,
        )
        running = await running_with_post(telegram, db, env)
        await eventually(lambda: len(hook.received) == 2 and len(service.received) == 2)
        status = (await cli(env, "status"))[1]
        await running.stop()
    assert service.received[1].headers["authorization"].startswith("Basic ")
    log = running.err.getvalue()
    assert " DEBUG " in log and "destination will retry" in log
    assert "HTTP 503" in log  # the webhook's failure, told by name and status
    exported = (await cli(env, "export", "-"))[1]
    listed = (await cli(env, "destinations", "list"))[1]
    entries = "\n".join(str(e) for e in await audit.recent(db))
    rows = [
        str(r)
        for d in await destinations.list_destinations(db)
        for r in (d, *await destinations.rows_of(db, d.id))
    ]
    for shown in (log, status, exported, listed, entries, *rows):
        for secret in (TOKEN, password, SECRET):
            assert secret not in shown
