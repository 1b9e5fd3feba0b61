"""SIGKILL during delivery, issue 9: a real deliverer process is killed mid-send, restarted,
and what reached "Telegram" is compared with the outbox.

The worker is this module run as a script (``python -m tests.test_faults_delivery``): the
real ``Deliverer`` on the real database file, with a sender that appends each message to a
file (fsync'd, so the file is what Telegram received) and can hang on the N-th send — the
moment between Telegram taking a message and the outbox marking it sent. The guarantee:
every alert arrives, none twice, except the one row in flight at the kill, which may arrive
once more.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.telegram.deliverer import Deliverer
from storage import outbox
from storage.database import open_database
from storage.outbox import NewOutboxItem

ROOT = Path(__file__).resolve().parent.parent
CHATS = (1001, 1002, -1001500000077)
ROWS_PER_CHAT = 8
WAIT_S = 60.0  # a guard for the worker to reach a point, not a speed check


class FileSender:
    """Telegram as an append-only file; hangs forever on send number ``hang_at``."""

    def __init__(self, path: Path, hang_at: int | None, pause: float) -> None:
        self.path = path
        self.hang_at = hang_at
        self.pause = pause
        self.count = 0

    async def send(self, chat_id: int, html: str, chart: bytes | None = None) -> int:
        self.count += 1
        with self.path.open("a", encoding="utf-8") as out:
            out.write(f"{chat_id}\t{html}\n")
            out.flush()
            os.fsync(out.fileno())
        if self.count == self.hang_at:
            await asyncio.Event().wait()
        await asyncio.sleep(self.pause)
        return self.count


async def worker(database: Path, received: Path, hang_at: int | None, pause: float) -> None:
    db = await open_database(database)
    deliverer = Deliverer(db, FileSender(received, hang_at, pause), per_second=1000)
    task = asyncio.create_task(deliverer.run())
    while await outbox.depth(db) and not task.done():  # noqa: ASYNC110 - polls the database
        await asyncio.sleep(0.02)
    deliverer.stop()
    await task
    await db.close()


def spawn(
    database: Path, received: Path, *, hang_at: int | None, pause: float = 0.0
) -> subprocess.Popen[bytes]:
    args = [str(database), str(received), str(hang_at or 0), str(pause)]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.test_faults_delivery", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def lines_in(path: Path) -> list[tuple[int, str]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        chat, _, body = line.partition("\t")
        out.append((int(chat), body))
    return out


def wait_for_lines(path: Path, n: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while len(lines_in(path)) < n:
        if time.monotonic() > deadline:
            raise AssertionError(f"the worker did not send {n} messages")
        time.sleep(0.01)


async def queue_alerts(database: Path) -> list[tuple[int, str]]:
    db = await open_database(database)
    now = datetime.now(UTC)
    expected = [
        (chat, f"Тривога {i} для {chat}: КНДР у Курській області")
        for i in range(ROWS_PER_CHAT)
        for chat in CHATS
    ]
    await outbox.enqueue(
        db,
        [
            NewOutboxItem(f"alert:{chat}:{body}", chat, "alert", body, now)
            for chat, body in expected
        ],
    )
    await db.close()
    return expected


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=WAIT_S)
    assert process.returncode == -signal.SIGKILL


def finish(process: subprocess.Popen[bytes]) -> None:
    _, err = process.communicate(timeout=WAIT_S)
    assert process.returncode == 0, err.decode()


def assert_per_chat_order(received: list[tuple[int, str]], expected: list[tuple[int, str]]) -> None:
    for chat in CHATS:
        wanted = [body for c, body in expected if c == chat]
        got = list(dict.fromkeys(body for c, body in received if c == chat))
        assert got == wanted, chat


async def statuses(database: Path) -> Counter[str]:
    db = await open_database(database)
    try:
        return Counter(row.status for row in await outbox.list_items(db))
    finally:
        await db.close()


async def test_killed_between_send_and_mark_resends_only_the_row_in_flight(
    tmp_path: Path,
) -> None:
    database, received = tmp_path / "chanwatch.db", tmp_path / "telegram.txt"
    expected = await queue_alerts(database)
    first = spawn(database, received, hang_at=7)
    wait_for_lines(received, 7)
    kill(first)
    in_flight = lines_in(received)[-1]

    finish(spawn(database, received, hang_at=None))
    got = lines_in(received)
    counts = Counter(got)
    assert set(counts) == set(expected)  # nothing lost
    assert {line: n for line, n in counts.items() if n > 1} == {in_flight: 2}
    assert_per_chat_order(got, expected)
    assert await statuses(database) == Counter(sent=len(expected))


@pytest.mark.parametrize("after", [1, 5, 13])
async def test_killed_at_any_moment_of_delivery_loses_nothing_and_doubles_at_most_one(
    tmp_path: Path, after: int
) -> None:
    database, received = tmp_path / "chanwatch.db", tmp_path / "telegram.txt"
    expected = await queue_alerts(database)
    first = spawn(database, received, hang_at=None, pause=0.01)
    wait_for_lines(received, after)
    kill(first)  # wherever it is: sending, marking, idle between rows

    finish(spawn(database, received, hang_at=None))
    got = lines_in(received)
    counts = Counter(got)
    assert set(counts) == set(expected)
    assert sum(n - 1 for n in counts.values()) <= 1
    assert_per_chat_order(got, expected)
    assert await statuses(database) == Counter(sent=len(expected))


if __name__ == "__main__":
    db_path, out_path, hang, pause_s = sys.argv[1:5]
    asyncio.run(worker(Path(db_path), Path(out_path), int(hang) or None, float(pause_s)))
