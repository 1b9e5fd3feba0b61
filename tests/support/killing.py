"""Killing a child process at a chosen point, and checking what it left behind."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
WAIT_FOR_PAUSE = 30.0

Row = tuple[object, ...]


def kill_at_pause(args: Sequence[str], marker: Path, log: Path) -> None:
    """Run ``python -m tests.support.kill_targets ARGS``; SIGKILL it at its pause point."""
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.kill_targets", "--marker", str(marker), *args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + WAIT_FOR_PAUSE
            while not marker.exists():
                assert process.poll() is None, log.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "the child never reached its pause point"
                time.sleep(0.01)
            process.send_signal(signal.SIGKILL)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL


def integrity(path: Path) -> list[Row]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute("PRAGMA integrity_check"))
