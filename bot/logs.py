"""Structured, quiet logging that cannot leak secrets.

Records carry fields in ``extra={"fields": {...}}``; the formatter renders them as
``key=value`` text or one JSON object per line. A filter on the handler replaces every
configured secret (API hash, bot token, session string) wherever it appears — message,
arguments, fields (nested too), exception and stack text — and, as a second line of defence,
anything shaped like a bot token or a Telethon string session even if nobody configured it.

Message text from channels is never logged at INFO: log ids and counts, and the text itself
only at DEBUG.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

REDACTED = "«redacted»"
MIN_SECRET_CHARS = 6
# Shapes of credentials worth hiding even when they were not configured here.
_SHAPES = re.compile(
    # A bot token, as @BotFather hands it out; no word boundary in front, since Bot API URLs
    # glue it to "bot" (https://api.telegram.org/bot123456789:AA…/sendMessage).
    r"(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}"
    r"|\b1[A-Za-z0-9_-]{300,}={0,2}"  # a Telethon StringSession (version 1, base64 auth key)
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


class RedactingFilter(logging.Filter):
    """Rewrites the message, arguments, fields and exception of every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        known = {*self.secrets, *(s for s in secrets if len(s) >= MIN_SECRET_CHARS)}
        self.secrets = sorted(known, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _SHAPES.sub(REDACTED, text)

    def _scrub_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, dict):
            return {self.scrub(str(k)): self._scrub_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._scrub_value(v) for v in value]
        return self.scrub(str(value))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string must not lose the record
            message = f"{record.msg} {record.args}"
        record.msg = self.scrub(message)
        record.args = None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = self._scrub_value(fields)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


class StructuredFormatter(logging.Formatter):
    """``text``: one line per record (control characters escaped), a traceback following
    on indented lines so no line of it can pass for a record; ``json``: one object."""

    def __init__(self, fmt: str) -> None:
        super().__init__()
        self.json = fmt == "json"

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = dict(getattr(record, "fields", {}) or {})
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        error = self.formatException(record.exc_info) if record.exc_info else record.exc_text
        if record.stack_info:
            error = f"{error}\n{record.stack_info}" if error else record.stack_info
        if self.json:
            payload = {
                **fields,
                "ts": when,
                "level": record.levelname.lower(),
                "logger": record.name,
                "msg": record.getMessage(),
            }
            if error:
                payload["error"] = error
            return json.dumps(payload, ensure_ascii=False, default=str)
        pairs = " ".join(f"{_one_line(str(k))}={_text_value(v)}" for k, v in fields.items())
        line = f"{when} {record.levelname:<7} {record.name}: {_one_line(record.getMessage())}"
        line = f"{line} {pairs}" if pairs else line
        return f"{line}\n{_indented(error)}" if error else line


def _one_line(text: str) -> str:
    """Escape newlines and other control characters so no value can forge a log line."""
    return _CONTROL.sub(lambda m: json.dumps(m[0])[1:-1], text)


def _indented(text: str) -> str:
    """A traceback under its record: an exception message may carry data with newlines."""
    return "\n".join(f"    {_one_line(part)}" for part in text.splitlines())


def _text_value(value: object) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "=') or _CONTROL.search(text):
        return json.dumps(text, ensure_ascii=False)
    return text


def configure_logging(
    level: str, fmt: str, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> None:
    """Install one handler on the root logger; Telethon's chatter stays at WARNING.

    ``secrets`` is ``Settings.secrets()`` plus any session string in use.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(StructuredFormatter(fmt))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("telethon", "apscheduler", "aiosqlite", "asyncio", "pymorphy3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # HTTP clients log request URLs (a destination's token may be in one) at DEBUG, and
    # Apprise logs each failure: chanwatch logs destination outcomes itself, by name.
    for talker in ("httpx", "httpcore", "urllib3", "requests", "apprise"):
        logging.getLogger(talker).setLevel(logging.WARNING)
    logging.getLogger("apprise").propagate = False


def redact_also(secrets: Iterable[str]) -> None:
    """Hide more values in every log line from now on (a destination URL's ${VARIABLE}s,
    known only once the service has read its destinations)."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, RedactingFilter):
                found.add(secrets)


def fields(**values: Any) -> dict[str, Any]:
    """``log.info("sent", extra=fields(chat=1, n=3))``: one way to attach structured data."""
    return {"fields": values}
