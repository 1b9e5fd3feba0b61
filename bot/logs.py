"""Structured, quiet logging that cannot leak secrets.

Records carry fields in ``extra={"fields": {...}}``; the formatter renders them as
``key=value`` text or one JSON object per line. A filter replaces every configured secret
(API hash, bot token, session string) wherever it appears, including exception text.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

REDACTED = "«redacted»"


class RedactingFilter(logging.Filter):
    """Rewrites the message, arguments and fields of every record before any handler sees it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        record.msg = self.scrub(record.getMessage())
        record.args = None
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: self.scrub(str(v)) for k, v in fields.items()}
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class StructuredFormatter(logging.Formatter):
    def __init__(self, fmt: str) -> None:
        super().__init__()
        self.json = fmt == "json"

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = dict(getattr(record, "fields", {}) or {})
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        error = self.formatException(record.exc_info) if record.exc_info else record.exc_text
        if self.json:
            payload = {
                "ts": when,
                "level": record.levelname.lower(),
                "logger": record.name,
                "msg": record.getMessage(),
                **fields,
            }
            if error:
                payload["error"] = error
            return json.dumps(payload, ensure_ascii=False, default=str)
        pairs = " ".join(f"{k}={_text_value(v)}" for k, v in fields.items())
        line = f"{when} {record.levelname:<7} {record.name}: {record.getMessage()}"
        line = f"{line} {pairs}" if pairs else line
        return f"{line}\n{error}" if error else line


def _text_value(value: object) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


def configure_logging(
    level: str, fmt: str, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> None:
    """Install one handler on the root logger; Telethon's chatter stays at WARNING."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(StructuredFormatter(fmt))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("telethon", "apscheduler", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def fields(**values: Any) -> dict[str, Any]:
    """``log.info("sent", extra=fields(chat=1, n=3))``: one way to attach structured data."""
    return {"fields": values}
