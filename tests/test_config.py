from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Backfill, load_settings
from bot.errors import ConfigError

GOOD = {
    "API_ID": "123456",
    "API_HASH": "0123456789abcdef0123456789abcdef",
    "BOT_TOKEN": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
    "OPERATOR_IDS": "111, 222",
}


def test_defaults_need_no_credentials() -> None:
    settings = load_settings({})
    assert settings.database_path == Path("data/chanwatch.db")
    assert settings.timezone == "UTC"
    assert settings.backfill == Backfill(messages=200)
    assert settings.api_id is None


def test_telegram_settings_parsed() -> None:
    settings = load_settings({**GOOD, "TIMEZONE": "Europe/Kyiv", "BACKFILL": "48h"}, telegram=True)
    assert settings.api_id == 123456
    assert settings.operator_ids == frozenset({111, 222})
    assert settings.backfill == Backfill(messages=None, hours=48)
    assert settings.zone.key == "Europe/Kyiv"


def test_every_problem_reported_at_once() -> None:
    env = {
        "API_ID": "twelve",
        "BOT_TOKEN": "not-a-token",
        "TIMEZONE": "Mars/Olympus",
        "LOG_LEVEL": "LOUD",
        "OPERATOR_IDS": "111,bob",
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(env, telegram=True)
    text = str(caught.value)
    assert len(caught.value.problems) == 6
    for needle in (
        "API_ID must be",
        "API_HASH is not set",
        "BOT_TOKEN must be",
        "TIMEZONE",
        "LOG_LEVEL",
        "OPERATOR_IDS",
    ):
        assert needle in text
    assert "not-a-token" not in text, "a secret's value must never be echoed"


def test_missing_credentials_only_matter_for_telegram_commands() -> None:
    assert load_settings({"API_ID": "oops"}).api_id is None
    with pytest.raises(ConfigError, match="API_ID must be a positive number"):
        load_settings({"API_ID": "oops"}, telegram=True)


def test_alert_destination_required() -> None:
    env = {k: v for k, v in GOOD.items() if k != "BOT_TOKEN"}
    with pytest.raises(ConfigError, match="neither BOT_TOKEN nor ALERT_CHAT"):
        load_settings(env, telegram=True)
    assert (
        load_settings({**env, "ALERT_CHAT": "@osint_alerts"}, telegram=True).alert_chat
        == "@osint_alerts"
    )


def test_login_needs_only_the_account_credentials() -> None:
    env = {"API_ID": GOOD["API_ID"], "API_HASH": GOOD["API_HASH"]}
    assert load_settings(env, telegram=True, delivery=False).api_id == 123456
    with pytest.raises(ConfigError, match="neither BOT_TOKEN nor ALERT_CHAT"):
        load_settings(env, telegram=True)


def test_secrets_hidden_from_repr() -> None:
    settings = load_settings(GOOD, telegram=True)
    assert GOOD["API_HASH"] not in repr(settings)
    assert GOOD["BOT_TOKEN"] not in repr(settings)
    assert set(settings.secrets()) == {GOOD["API_HASH"], GOOD["BOT_TOKEN"]}


def test_database_override_wins() -> None:
    settings = load_settings({"DATABASE_PATH": "/srv/a.db"}, database_path=Path("/tmp/b.db"))
    assert settings.database_path == Path("/tmp/b.db")
