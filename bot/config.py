"""Settings from the environment and ``.env``, validated all at once.

Only ``bot/cli/main.py`` calls ``load_settings``; everything else receives the frozen ``Settings``.
Telegram settings are checked only for commands that talk to Telegram, so a newcomer can run
``chanwatch demo`` with no account and a half-written ``.env``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from bot.text.durations import DurationError, parse_duration

LogFormat = Literal["text", "json"]
Access = Literal["open", "allowlist"]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_API_HASH = re.compile(r"^[0-9a-f]{32}$")
_BOT_TOKEN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
_CHAT = re.compile(r"^(-?\d+|@[A-Za-z][A-Za-z0-9_]{3,31})$")
SAVED_MESSAGES = ("me", "self")  # Telethon's names for the account's own chat
_BACKFILL = re.compile(r"^(\d+)(h|d)?$")
_PERIOD = re.compile(r"(\d{1,7})(s|m|h|d)")
_PERIOD_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_QUARTER = timedelta(minutes=15)  # surge windows are whole buckets (bot/trends/series.py)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Backfill:
    """How far back a newly watched channel is read: a message count or an age in hours."""

    messages: int | None = 200
    hours: int | None = None


@dataclass(frozen=True)
class Settings:
    database_path: Path = Path("data/chanwatch.db")
    session_path: Path = Path("data/chanwatch.session")
    timezone: str = "UTC"
    log_level: str = "INFO"
    log_format: LogFormat = "text"
    access: Access = "allowlist"
    backfill: Backfill = field(default_factory=Backfill)
    retention_days: int = 30
    # The deletion check: hit posts this recent are asked about, once per period.
    deletion_check_window: timedelta = timedelta(days=7)
    deletion_check_period: timedelta = timedelta(hours=1)
    health_port: int | None = None
    health_host: str = "127.0.0.1"
    api_id: int | None = None
    api_hash: str | None = field(default=None, repr=False)
    bot_token: str | None = field(default=None, repr=False)
    operator_ids: frozenset[int] = frozenset()
    alert_chat: str | None = None
    destination_give_up: timedelta = timedelta(days=1)
    # Surges: the window judged against the baseline and the fewest hits that can be one;
    # corroboration: how many channels must carry one story within how long.
    surge_window: timedelta = timedelta(hours=2)
    surge_min_hits: int = 8
    corroboration_channels: int = 3
    corroboration_window: timedelta = timedelta(hours=2)
    # Where destination URLs' ${VARIABLE}s are looked up when sending (never logged).
    environment: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def secrets(self) -> list[str]:
        """Values that must never appear in a log line or an error message."""
        return [s for s in (self.api_hash, self.bot_token) if s]


class _Reader:
    """Collects every problem instead of stopping at the first."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[str] = []

    def raw(self, name: str) -> str | None:
        value = self.environ.get(name, "").strip()
        return value or None

    def get(self, name: str, parse: Callable[[str], T], expected: str) -> T | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError:
            self.problems.append(f"{name} must be {expected} (got {_quote(name, value)})")
            return None

    def require(self, name: str, why: str) -> None:
        if self.raw(name) is None:
            self.problems.append(f"{name} is not set: {why}")


def _quote(name: str, value: str) -> str:
    """Show a bad value, except for secrets, which are described but never echoed."""
    if name in ("API_HASH", "BOT_TOKEN"):
        return f"a value of {len(value)} characters"
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _matching(pattern: re.Pattern[str]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(value)
        return value

    return parse


def _alert_chat(value: str) -> str:
    """A chat id, an @username, or ``me``: the account's Saved Messages, a solo analyst's inbox."""
    if value.lower() in SAVED_MESSAGES:
        return "me"
    if not _CHAT.match(value):
        raise ValueError(value)
    return value


def _choice(*options: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value.lower() not in options:
            raise ValueError(value)
        return value.lower()

    return parse


def _positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(value)
    return number


MAX_RETENTION_DAYS = 36_500  # a century; larger values overflow Python's timedelta
MAX_BACKFILL_MESSAGES = 1_000_000
MAX_BACKFILL_HOURS = 24 * 3_650


def _retention_days(value: str) -> int:
    days = _positive(value)
    if days > MAX_RETENTION_DAYS:
        raise ValueError(value)
    return days


def _port(value: str) -> int:
    number = int(value)
    if not 0 < number < 65536:
        raise ValueError(value)
    return number


def _period(value: str) -> timedelta:
    found = _PERIOD.fullmatch(value.strip())
    if found is None:
        raise ValueError(value)
    period = timedelta(seconds=int(found[1]) * _PERIOD_UNITS[found[2]])
    if not timedelta(0) < period <= timedelta(days=30):
        raise ValueError(value)
    return period


def _surge_window(value: str) -> timedelta:
    window = _duration(value)
    if not timedelta(minutes=30) <= window <= timedelta(hours=24) or window % _QUARTER:
        raise ValueError(value)
    return window


def _at_least_two(value: str) -> int:
    number = int(value)
    if not 2 <= number <= 1000:
        raise ValueError(value)
    return number


def _corroboration_window(value: str) -> timedelta:
    window = _duration(value)
    if window > timedelta(hours=24):
        raise ValueError(value)
    return window


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(value) from error
    return value


def _ids(value: str) -> frozenset[int]:
    return frozenset(int(part) for part in re.split(r"[,\s]+", value) if part)


def _duration(value: str) -> timedelta:
    try:
        return parse_duration(value)
    except DurationError as error:
        raise ValueError(value) from error


def parse_backfill(value: str) -> Backfill:
    match = _BACKFILL.match(value.strip().lower())
    if not match:
        raise ValueError(value)
    amount, unit = int(match[1]), match[2]
    if unit is None:
        if amount > MAX_BACKFILL_MESSAGES:
            raise ValueError(value)
        return Backfill(messages=amount, hours=None)
    hours = amount * (24 if unit == "d" else 1)
    if hours > MAX_BACKFILL_HOURS:
        raise ValueError(value)
    return Backfill(messages=None, hours=hours)


def load_settings(
    environ: Mapping[str, str],
    *,
    telegram: bool = False,
    delivery: bool = True,
    database_path: Path | None = None,
) -> Settings:
    """Build Settings or raise ``ConfigError`` listing every problem found.

    ``telegram`` asks for the credentials a connection needs, and ``delivery`` (with it) for
    somewhere to send alerts: ``login`` needs only the former, since a newcomer logs in
    before creating a bot. ``database_path`` is ``--db``.
    """
    r = _Reader(environ)
    defaults = Settings()
    level = r.get(
        "LOG_LEVEL", _choice(*(lv.lower() for lv in LOG_LEVELS)), "one of " + ", ".join(LOG_LEVELS)
    )
    settings = Settings(
        database_path=database_path or Path(r.raw("DATABASE_PATH") or defaults.database_path),
        session_path=Path(r.raw("SESSION_PATH") or defaults.session_path),
        timezone=r.get("TIMEZONE", _timezone, "an IANA time zone such as Europe/Kyiv") or "UTC",
        log_level=(level or "info").upper(),
        log_format=r.get("LOG_FORMAT", _choice("text", "json"), "text or json") or "text",  # type: ignore[arg-type]
        access=r.get("ACCESS", _choice("open", "allowlist"), "open or allowlist") or "allowlist",  # type: ignore[arg-type]
        backfill=r.get(
            "BACKFILL",
            parse_backfill,
            f"a message count like 200 (0 for none, at most {MAX_BACKFILL_MESSAGES:,}),"
            f" or an age like 48h or 2d (at most {MAX_BACKFILL_HOURS // 24:,}d)",
        )
        or defaults.backfill,
        retention_days=r.get(
            "RETENTION_DAYS",
            _retention_days,
            f"a whole number of days from 1 to {MAX_RETENTION_DAYS:,}",
        )
        or defaults.retention_days,
        deletion_check_window=r.get(
            "DELETION_CHECK_WINDOW", _duration, "a period like 7d, 48h or 2w"
        )
        or defaults.deletion_check_window,
        deletion_check_period=r.get(
            "DELETION_CHECK_PERIOD", _duration, "a period like 1h, 30m or 6h"
        )
        or defaults.deletion_check_period,
        health_port=r.get("HEALTH_PORT", _port, "a TCP port number between 1 and 65535"),
        health_host=r.raw("HEALTH_HOST") or defaults.health_host,
        destination_give_up=r.get(
            "DESTINATION_GIVE_UP",
            _period,
            "a period like 24h, 90m or 2d (at most 30d)",
        )
        or defaults.destination_give_up,
        surge_window=r.get(
            "SURGE_WINDOW", _surge_window, "a period from 30m to 24h in quarter hours, like 2h"
        )
        or defaults.surge_window,
        surge_min_hits=r.get("SURGE_MIN_HITS", _positive, "a whole number of hits above 0")
        or defaults.surge_min_hits,
        corroboration_channels=r.get(
            "CORROBORATION_CHANNELS", _at_least_two, "a number of channels from 2 to 1000"
        )
        or defaults.corroboration_channels,
        corroboration_window=r.get(
            "CORROBORATION_WINDOW", _corroboration_window, "a period up to 24h, like 2h or 90m"
        )
        or defaults.corroboration_window,
        environment=MappingProxyType(dict(environ)),
    )
    if telegram:
        settings = _with_telegram(r, settings, delivery=delivery)
    if r.problems:
        raise ConfigError(r.problems)
    return settings


def _with_telegram(r: _Reader, settings: Settings, *, delivery: bool) -> Settings:
    r.require("API_ID", "get it with API_HASH at https://my.telegram.org → API development tools")
    r.require("API_HASH", "it comes with API_ID from https://my.telegram.org")
    if delivery and r.raw("BOT_TOKEN") is None and r.raw("ALERT_CHAT") is None:
        r.problems.append(
            "neither BOT_TOKEN nor ALERT_CHAT is set: alerts need a bot (token from @BotFather) "
            "or a chat the user session posts to"
        )
    operators = r.get("OPERATOR_IDS", _ids, "numeric Telegram user ids separated by commas")
    return replace(
        settings,
        api_id=r.get("API_ID", _positive, "a positive number from https://my.telegram.org"),
        api_hash=r.get("API_HASH", _matching(_API_HASH), "32 hexadecimal characters"),
        bot_token=r.get(
            "BOT_TOKEN", _matching(_BOT_TOKEN), "a token like 123456:ABC… from @BotFather"
        ),
        operator_ids=operators or frozenset(),
        alert_chat=r.get(
            "ALERT_CHAT",
            _alert_chat,
            "a numeric chat id (-100… for a group), an @username, or me (Saved Messages)",
        ),
    )
