"""The import directions of docs/architecture.md, enforced."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PURE = (
    "bot/matching",
    "bot/pipeline/values.py",
    "bot/pipeline/route.py",
    "bot/digest/stories.py",
    "bot/digest/claims.py",
    "bot/digest/render.py",
    "bot/digest/schedule.py",
    "bot/text/__init__.py",
    "bot/text/alerts.py",
    "bot/text/changes.py",
    "bot/text/durations.py",
    "bot/text/links.py",
    "bot/text/chart.py",
    "bot/text/snippet.py",
    "bot/text/trends.py",
    "bot/trends/audience.py",
    "bot/trends/baseline.py",
    "bot/trends/corroboration.py",
    "bot/trends/report.py",
    "bot/trends/series.py",
    "bot/trends/statistic.py",
    "bot/trends/surges.py",
)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def files(*prefixes: str) -> list[Path]:
    out: list[Path] = []
    for prefix in prefixes:
        target = ROOT / prefix
        out.extend([target] if target.is_file() else sorted(target.rglob("*.py")))
    return out


def test_storage_never_imports_bot() -> None:
    for path in files("storage"):
        assert not any(m == "bot" or m.startswith("bot.") for m in imports_of(path)), path


def test_pure_core_has_no_io_dependencies() -> None:
    banned = ("telethon", "aiosqlite", "sqlite3", "storage")
    for path in files(*PURE):
        for module in imports_of(path):
            assert module.split(".")[0] not in banned, f"{path.relative_to(ROOT)} imports {module}"


def test_only_the_telegram_package_imports_telethon() -> None:
    for path in files("bot", "storage"):
        if "bot/telegram" in path.as_posix():
            continue
        assert not any(m.split(".")[0] == "telethon" for m in imports_of(path)), path


def test_test_modules_share_helpers_only_through_support() -> None:
    """A test module imported by another runs its tests twice and hides what is shared."""
    for path in files("tests"):
        shared = [m for m in imports_of(path) if m.startswith("tests.test_")]
        assert not shared, f"{path.relative_to(ROOT)} imports {shared}"
