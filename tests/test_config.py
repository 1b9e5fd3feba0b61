from __future__ import annotations

from datetime import timedelta
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


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("@osint_alerts", "@osint_alerts"),
        ("123456789", "123456789"),
        ("-1001500000001", "-1001500000001"),
        ("me", "me"),
        ("Self", "me"),
        ("ME", "me"),
    ],
)
def test_every_kind_of_alert_chat_is_accepted(value: str, kept: str) -> None:
    env = {k: v for k, v in GOOD.items() if k != "BOT_TOKEN"}
    assert load_settings({**env, "ALERT_CHAT": value}, telegram=True).alert_chat == kept


@pytest.mark.parametrize("value", ["alerts", "t.me/alerts", "@a", "+380501234567", "myself"])
def test_an_alert_chat_of_no_known_kind_says_what_is_expected(value: str) -> None:
    env = {k: v for k, v in GOOD.items() if k != "BOT_TOKEN"}
    with pytest.raises(ConfigError) as caught:
        load_settings({**env, "ALERT_CHAT": value}, telegram=True)
    assert caught.value.problems == [
        "ALERT_CHAT must be a numeric chat id (-100… for a group), an @username, or me (Saved"
        f" Messages) (got {value!r})"
    ]


@pytest.mark.parametrize(
    ("value", "backfill"),
    [
        ("0", Backfill(messages=0)),
        ("0h", Backfill(messages=None, hours=0)),
        ("2d", Backfill(messages=None, hours=48)),
        ("500", Backfill(messages=500)),
    ],
)
def test_every_kind_of_backfill_is_accepted(value: str, backfill: Backfill) -> None:
    assert load_settings({"BACKFILL": value}).backfill == backfill


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


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("RETENTION_DAYS", "100000000000", "a whole number of days from 1 to 36,500"),
        ("RETENTION_DAYS", "0", "a whole number of days from 1 to 36,500"),
        ("BACKFILL", "99999999d", "a message count like 200 (0 for none, at most 1,000,000)"),
        ("BACKFILL", "5000000", "a message count like 200 (0 for none, at most 1,000,000)"),
        ("DESTINATION_GIVE_UP", "31d", "a period like 24h, 90m or 2d (at most 30d)"),
        ("DESTINATION_GIVE_UP", "0h", "a period like 24h, 90m or 2d (at most 30d)"),
        ("DESTINATION_GIVE_UP", "a day", "a period like 24h, 90m or 2d (at most 30d)"),
    ],
)
def test_values_too_large_to_run_with_are_refused_at_start(
    name: str, value: str, expected: str
) -> None:
    """They would overflow a timedelta inside the running service instead."""
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value})
    [problem] = caught.value.problems
    assert problem.startswith(f"{name} must be {expected}") and problem.endswith(f"(got {value!r})")


def test_the_deletion_check_window_and_period_are_settings() -> None:
    defaults = load_settings({})
    assert (defaults.deletion_check_window, defaults.deletion_check_period) == (
        timedelta(days=7),
        timedelta(hours=1),
    )
    chosen = load_settings({"DELETION_CHECK_WINDOW": "2w", "DELETION_CHECK_PERIOD": "30m"})
    assert chosen.deletion_check_window == timedelta(weeks=2)
    assert chosen.deletion_check_period == timedelta(minutes=30)
    with pytest.raises(ConfigError) as caught:
        load_settings({"DELETION_CHECK_WINDOW": "forever", "DELETION_CHECK_PERIOD": "0h"})
    assert caught.value.problems == [
        "DELETION_CHECK_WINDOW must be a period like 7d, 48h or 2w (got 'forever')",
        "DELETION_CHECK_PERIOD must be a period like 1h, 30m or 6h (got '0h')",
    ]


@pytest.mark.parametrize(
    ("value", "period"),
    [(None, timedelta(days=1)), ("90m", timedelta(minutes=90)), ("2d", timedelta(days=2))],
)
def test_destination_give_up_is_a_period_with_a_day_by_default(
    value: str | None, period: timedelta
) -> None:
    environ = {} if value is None else {"DESTINATION_GIVE_UP": value}
    assert load_settings(environ).destination_give_up == period


def test_the_environment_is_kept_for_destination_urls_but_never_shown() -> None:
    settings = load_settings({**GOOD, "SLACK_TOKEN": "xoxb-planted-9f8e7d"})
    assert settings.environment["SLACK_TOKEN"] == "xoxb-planted-9f8e7d"
    assert "xoxb-planted" not in repr(settings)
