"""The bundled sample: it parses, it is in sync with its generator, and it exercises what the
demo is meant to show (forwards, edits, captions, polls, evasions, noise)."""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bot.export import ExportReader
from bot.matching import RuleSet
from bot.pipeline.values import IncomingMessage
from bot.sample import EXPORT_PATH, LEFT_CHANNEL, SAMPLE_CHANNELS, WATCHLIST_PATH

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "make_sample.py"


@pytest.fixture(scope="module")
def generator() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("make_sample", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.fixture(scope="module")
def sample() -> tuple[ExportReader, list[IncomingMessage]]:
    reader = ExportReader(EXPORT_PATH)
    return reader, list(reader.messages())


@pytest.fixture(scope="module")
def watchlist() -> dict[str, Any]:
    return tomllib.loads(WATCHLIST_PATH.read_text("utf-8"))


def test_committed_files_match_the_generator(generator: ModuleType) -> None:
    export = json.dumps(generator.build_export(), ensure_ascii=False, indent=1) + "\n"
    assert export == EXPORT_PATH.read_text("utf-8")
    assert generator.build_watchlist() == WATCHLIST_PATH.read_text("utf-8")


def test_sample_reads_three_channels_and_the_left_one(
    sample: tuple[ExportReader, list[IncomingMessage]],
) -> None:
    reader, messages = sample
    per_channel = Counter(m.channel.telegram_id for m in messages)
    assert set(per_channel) == {*SAMPLE_CHANNELS, LEFT_CHANNEL[0]}
    assert 300 <= sum(per_channel[c] for c in SAMPLE_CHANNELS) <= 400
    assert reader.chats_read == 4
    assert reader.chats_skipped == {"personal chat": 1}
    assert reader.skipped["service message"] >= 3
    assert {m.channel.title for m in messages if m.channel.telegram_id in SAMPLE_CHANNELS} == {
        title for _, title in SAMPLE_CHANNELS.values()
    }


def test_sample_ids_increase_per_channel_and_dates_are_late_october_2024(
    sample: tuple[ExportReader, list[IncomingMessage]],
) -> None:
    _, messages = sample
    for channel in SAMPLE_CHANNELS:
        ids = [m.message_id for m in messages if m.channel.telegram_id == channel]
        assert ids == sorted(set(ids))
    dates = [m.date for m in messages]
    assert min(dates) >= datetime(2024, 10, 25, tzinfo=UTC)
    assert max(dates) < datetime(2024, 10, 29, tzinfo=UTC)


def test_sample_has_forwards_edits_media_replies_and_a_poll(
    sample: tuple[ExportReader, list[IncomingMessage]],
) -> None:
    _, messages = sample
    forwards = {m.forward_from for m in messages if m.forward_from}
    assert {"Сводки Приграничья", "Прикордонний вісник", "Border Watch OSINT"} <= forwards
    assert sum(m.edit_date is not None for m in messages) >= 5
    assert sum(m.has_media and m.text != "" for m in messages) >= 5  # captions
    assert sum(m.has_media and m.text == "" for m in messages) >= 2  # rest of an album
    assert sum(m.reply_to is not None for m in messages) >= 2
    assert any("\nYes\nNo\n" in m.text for m in messages)


def test_sample_carries_copy_paste_reposts(
    sample: tuple[ExportReader, list[IncomingMessage]],
) -> None:
    _, messages = sample
    quote = next(m.text for m in messages if m.text.startswith("Z-канали визнають"))
    original = next(m.text for m in messages if m.text.startswith("Северокорей"))
    assert quote != original
    assert original.split("источника")[1] in quote


def test_sample_contains_the_evasions_a_matcher_must_catch(
    sample: tuple[ExportReader, list[IncomingMessage]],
) -> None:
    body = "\n".join(m.text for m in sample[1])
    for needle in ("Kурском", "\u200b", "ё", "в Курске", "под Курском", "на Курщині", "об’єкт"):
        assert needle in body, needle
    assert "#КНДР" in body


def test_personal_chat_is_in_the_export_but_not_read(
    sample: tuple[ExportReader, list[IncomingMessage]],
) -> None:
    raw = json.loads(EXPORT_PATH.read_text("utf-8"))
    kinds = [c["type"] for c in raw["chats"]["list"]]
    assert "personal_chat" in kinds
    assert [c["id"] for c in raw["left_chats"]["list"]] == [LEFT_CHANNEL[0]]
    assert not any("Позвони" in m.text for m in sample[1])


def test_watchlist_has_scoped_and_instant_rules_over_the_sample_channels(
    watchlist: dict[str, Any],
) -> None:
    rules = watchlist["rules"]
    assert 5 <= len(rules) <= 8
    assert any(r.get("priority") == "instant" for r in rules)
    scopes = [s for r in rules for s in r.get("channels", [])]
    assert any(s.startswith("tag:") for s in scopes)
    refs = {c["ref"] for c in watchlist["channels"]}
    assert refs == {f"@{username}" for username, _ in SAMPLE_CHANNELS.values()}
    assert all(s.startswith("tag:") or s in refs for s in scopes)


def test_every_sample_rule_catches_something_and_none_catches_everything(
    sample: tuple[ExportReader, list[IncomingMessage]], watchlist: dict[str, Any]
) -> None:
    ruleset = RuleSet.compile([(r["name"], r["query"]) for r in watchlist["rules"]])
    messages = sample[1]
    hits = Counter(match.rule for m in messages for match in ruleset.match(m.text))
    assert set(hits) == {r["name"] for r in watchlist["rules"]}
    matched = sum(bool(ruleset.match(m.text)) for m in messages)
    assert matched < len(messages) / 3
