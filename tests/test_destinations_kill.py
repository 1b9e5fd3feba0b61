"""SIGKILL of ``chanwatch run`` while it is sending to a webhook, or to an Apprise ``json://``
target, then a restart: every alert arrives, and exactly once once the receiver keeps the
``Idempotency-Key``s it has seen (Apprise's JSON target carries the header too).

The child process is the real command on the fake Telegram (``python -m
tests.support.run_command``): its backfill reads six matching posts, and the server on
127.0.0.1 holds the third request unanswered — the send is in flight, ``sending`` is
committed, no answer recorded — when the test kills the process. The restarted command sends
that one row again with the same key and body, and the rest once each.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.destinations.actions import save_destination
from bot.watchlist.entries import DestinationSpec
from storage import destinations
from storage.database import open_database
from storage.destinations import DestinationValues
from tests.support.http_receiver import Receiver, receiver
from tests.support.run_command import KILL_POSTS, environment, watched_database

ROOT = Path(__file__).resolve().parent.parent
PATIENCE_S = 60.0
HELD = 2


@dataclass(frozen=True)
class Target:
    """How a destination reaches the receiver, and where a request carries the post."""

    name: str
    scheme: str
    post_text: Callable[[Any], str]


TARGETS = [
    Target("webhook", "http", lambda event: str(event["snippet"])),
    # Apprise's JSON target: {"title", "message", ...}; the message quotes the post.
    Target("apprise json", "json", lambda note: str(note["message"]).split("\n\n")[1][2:]),
]


async def prepare(tmp_path: Path, hook: Receiver, target: Target) -> Path:
    async with watched_database(tmp_path / "chanwatch.db") as db:
        url = hook.url(scheme=target.scheme)
        values = DestinationValues(url=url, targets=("rule:dprk",), format="markdown")
        await save_destination(db, "test", DestinationSpec("newsroom", values))
    env_file = tmp_path / "env.json"
    env_file.write_text(
        json.dumps(environment(tmp_path, ALERT_CHAT="me", LOG_LEVEL="DEBUG")), encoding="utf-8"
    )
    return env_file


def start(env_file: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.support.run_command", str(env_file)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def wait_for(condition: object, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():  # type: ignore[operator]
        assert process.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, f"{what}: not within {PATIENCE_S:g} s"
        time.sleep(0.01)


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
async def test_a_kill_during_a_send_loses_nothing_and_resends_only_that_one(
    tmp_path: Path, target: Target
) -> None:
    log = tmp_path / "run.log"
    with receiver() as hook:
        hook.hold_at = HELD
        env_file = await prepare(tmp_path, hook, target)
        first = start(env_file, log)
        try:
            wait_for(hook.held.is_set, first, log, "the third send in flight")
            first.send_signal(signal.SIGKILL)
        finally:
            first.wait()
        assert first.returncode == -signal.SIGKILL
        hook.release.set()  # its answer goes to a dead socket

        second = start(env_file, log)
        keys = lambda: {r.headers["idempotency-key"] for r in hook.received}  # noqa: E731
        try:
            wait_for(lambda: len(keys()) == len(KILL_POSTS), second, log, "every alert")
            second.send_signal(signal.SIGTERM)
            assert second.wait(30) == 0
        finally:
            if second.poll() is None:
                second.kill()

    sends = Counter(r.headers["idempotency-key"] for r in hook.received)
    held = hook.received[HELD].headers["idempotency-key"]
    assert sends == {key: 2 if key == held else 1 for key in sends}
    again = [r.body for r in hook.received if r.headers["idempotency-key"] == held]
    assert again[0] == again[1]  # byte for byte: the same event, the same signature
    texts = sorted(target.post_text(r.json()).replace("**", "") for r in hook.received)
    assert sorted(set(texts)) == sorted(KILL_POSTS)

    db = await open_database(tmp_path / "chanwatch.db")
    try:
        rows = await destinations.rows_of(db, (await destinations.get(db, "newsroom")).id)
    finally:
        await db.close()
    assert [r.status for r in rows] == ["sent"] * len(KILL_POSTS)
    assert "Traceback" not in log.read_text(encoding="utf-8")
