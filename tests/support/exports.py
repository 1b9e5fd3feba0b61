"""Telegram Desktop exports written for tests: real ru/uk/en posts, any size."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from bot.cli.main import main

START = int(datetime(2024, 10, 25, 4, 0, tzinfo=UTC).timestamp())
CHANNEL_ID = 1987654321

POSTS = (
    "Под Курском замечены военные из КНДР, колонна техники прошла через Льгов.",
    "Погода в Белгороде: дождь, ветер до 12 м/с.",
    "Північнокорейські військові вже на Курщині — ГУР.",
    "Сили оборони уразили пункт управління дронами поблизу Бєлгорода.",
    "North Korean troops were seen near Kursk, officials say.",
    "Traffic update: the bridge on the R-200 is open again.",
    "Реклама. Кредит наличными за 5 минут.",
)
WATCHLIST = """
[[rules]]
name = "dprk-kursk"
query = '(КНДР OR "North Korean" OR північнокорейський) AND (Курск OR Курщина OR Kursk)'
priority = "instant"

[[rules]]
name = "drones"
query = "дрон OR drone OR БПЛА"
"""


def message(message_id: int, text: object, **extra: object) -> dict[str, object]:
    return {
        "id": message_id,
        "type": "message",
        "date": "2024-10-25T07:00:00",
        "date_unixtime": str(START + message_id * 60),
        "from": "Сводки Приграничья",
        "from_id": f"channel{CHANNEL_ID}",
        "text": text,
        **extra,
    }


def chat(messages: list[dict[str, object]], channel_id: int = CHANNEL_ID) -> dict[str, object]:
    return {
        "name": "Сводки Приграничья",
        "type": "public_channel",
        "id": channel_id,
        "messages": messages,
    }


def write_export(path: Path, count: int) -> Path:
    """A single-chat export of ``count`` messages cycling through ``POSTS``."""
    items = [message(i, f"{POSTS[i % len(POSTS)]} #{i}") for i in range(1, count + 1)]
    path.write_text(json.dumps(chat(items), ensure_ascii=False), encoding="utf-8")
    return path


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, environ={}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def apply_watchlist(db: Path, folder: Path) -> None:
    """``chanwatch apply`` of ``WATCHLIST`` plus the public channel the exports come from."""
    watchlist = folder / "w.toml"
    watchlist.write_text(WATCHLIST + '\n[[channels]]\nref = "@svodki_prigran"\n', encoding="utf-8")
    assert run_cli(["--db", str(db), "apply", str(watchlist)])[0] == 0
