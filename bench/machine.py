"""The facts about the machine and the software that a benchmark number means nothing without."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = ("telethon", "pymorphy3", "pyahocorasick", "google-re2", "aiosqlite")


def _proc_field(path: str, field: str) -> str | None:
    """The first ``field: value`` in a /proc file, or ``None`` off Linux."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == field:
            return value.strip()
    return None


def _os_name() -> str:
    try:
        name = platform.freedesktop_os_release()["PRETTY_NAME"]
    except (OSError, KeyError):
        name = platform.system()
    return f"{name} (kernel {platform.release()})"


def _memory() -> str:
    total = _proc_field("/proc/meminfo", "MemTotal")
    if total is None or not total.removesuffix(" kB").isdigit():
        return "unknown"
    return f"{int(total.removesuffix(' kB')) / 1024 / 1024:.1f} GiB"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe() -> list[tuple[str, str]]:
    """(what, value) pairs in reading order: hardware, then software."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    cpu = _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown"
    facts = [
        ("CPU", cpu),
        ("cores", f"{cores}" + (f" ({usable} usable)" if usable != cores else "")),
        ("RAM", _memory()),
        ("OS", _os_name()),
        ("Python", f"{platform.python_implementation()} {sys.version.split()[0]}"),
        ("SQLite", sqlite3.sqlite_version),
    ]
    facts.extend((package, _version(package)) for package in PACKAGES)
    return facts
