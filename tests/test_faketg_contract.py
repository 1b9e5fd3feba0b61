"""The fake Telegram replaces a private part of Telethon (the client's ``_sender``) and feeds
updates through private methods; this checks those are still where the fake expects them, so
a Telethon upgrade that moves them fails here, saying what moved, instead of as a hundred
confusing failures (or, worse, as tests that pass without reaching Telethon's code)."""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

import telethon
from telethon import TelegramClient
from telethon.network.mtprotosender import MTProtoSender
from telethon.sessions import MemorySession

from tests.faketg import API_HASH, API_ID, FakeSender

ROOT = Path(__file__).resolve().parent.parent
# What TelegramClient calls on its sender (telethon/client/*.py: ``self._sender.…``).
SENDER_CONTRACT = (
    "connect",
    "disconnect",
    "send",
    "disconnected",
    "is_connected",
    "_transport_connected",
    "_keepalive_ping",
    "auth_key",
)
# What tests/faketg/client.py and the tests use on the client itself.
CLIENT_PRIVATES = (
    "_sender",
    "_updates_queue",
    "_preprocess_updates",
    "_dispatch_update",
    "_flood_waited_requests",
    "_event_handler_tasks",
    "_mb_entity_cache",
)


def test_telethon_is_the_minor_series_the_fake_was_written_for() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [pin] = [d for d in project["project"]["dependencies"] if d.startswith("telethon")]
    low, high = re.fullmatch(r"telethon>=(\d+\.\d+)(?:\.\d+)?,<(\d+\.\d+)", pin).groups()  # type: ignore[union-attr]
    installed = tuple(int(p) for p in telethon.__version__.split(".")[:2])
    assert (
        tuple(int(p) for p in low.split(".")) <= installed < tuple(int(p) for p in high.split("."))
    ), (
        f"Telethon {telethon.__version__} is installed but pyproject.toml pins {pin}: "
        "reinstall (make test does), or move the pin after checking tests/faketg"
    )


def test_the_client_still_has_the_private_parts_the_fake_uses() -> None:
    client = TelegramClient(MemorySession(), API_ID, API_HASH)
    missing = [name for name in CLIENT_PRIVATES if not hasattr(client, name)]
    assert not missing, (
        f"Telethon {telethon.__version__} no longer has TelegramClient.{', .'.join(missing)}: "
        "tests/faketg/client.py must follow the new way it receives updates"
    )


def test_the_fake_sender_answers_everything_the_client_asks_of_its_sender() -> None:
    # auth_key is set in __init__, the rest are methods and properties of the class.
    init = inspect.getsource(MTProtoSender.__init__)
    real = [
        n for n in SENDER_CONTRACT if not hasattr(MTProtoSender, n) and f"self.{n} =" not in init
    ]
    assert not real, (
        f"Telethon {telethon.__version__}'s MTProtoSender lost {real}: re-read which sender "
        "methods TelegramClient calls (grep 'self._sender.' telethon/client) and update "
        "tests/faketg/sender.py and SENDER_CONTRACT"
    )
    fake = [n for n in SENDER_CONTRACT if not hasattr(FakeSender, n) and n != "auth_key"]
    assert not fake, f"tests/faketg/sender.py lacks {fake}"
    sources = "".join(
        p.read_text(encoding="utf-8")
        for p in (Path(telethon.__file__).parent / "client").glob("*.py")
    )
    used = set(re.findall(r"self\._sender\.(\w+)", sources)) - {"_connection"}
    assert used <= set(SENDER_CONTRACT), (
        f"TelegramClient now also calls self._sender.{sorted(used - set(SENDER_CONTRACT))}: "
        "teach tests/faketg/sender.py to answer it"
    )
