"""Structured logs in both formats, and secrets redacted from every part of every record."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.config import load_settings
from bot.logs import REDACTED, configure_logging, fields

API_HASH = "5f2c8e1a9b7d4c3e6f0a1b2c3d4e5f6a"
BOT_TOKEN = "7012345678:AAH-secret_Token-9ZyXwVuTsRqPoNmLkJiH"
SESSION = "1" + "BVtsOJ4Bu2Xw" * 30 + "=="  # the shape of a Telethon StringSession
ENV = {"API_ID": "12345", "API_HASH": API_HASH, "BOT_TOKEN": BOT_TOKEN}


@pytest.fixture
def capture() -> Iterator[io.StringIO]:
    """Configure logging into a buffer, then put the root logger back as it was."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield io.StringIO()
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def configure(stream: io.StringIO, fmt: str = "text", level: str = "INFO") -> logging.Logger:
    settings = load_settings(ENV, telegram=True)
    configure_logging(level, fmt, [*settings.secrets(), SESSION], stream=stream)
    return logging.getLogger("chanwatch.test")


class Leaky:
    def __str__(self) -> str:
        return f"Leaky(token={BOT_TOKEN})"


def plant_everywhere(log: logging.Logger) -> None:
    log.info("hash %s in the message", API_HASH)
    log.info("token in the format string " + BOT_TOKEN)
    log.info("field", extra=fields(token=BOT_TOKEN, nested={"deep": [API_HASH]}, obj=Leaky()))
    log.info("session", extra=fields(**{f"key_{SESSION[:8]}": SESSION}))
    try:
        try:
            raise ConnectionError(f"auth failed for {API_HASH}")
        except ConnectionError as inner:
            raise RuntimeError(f"bot {BOT_TOKEN} refused") from inner
    except RuntimeError:
        log.exception("login failed with %s", SESSION)
    log.warning("stack", stack_info=True, extra=fields(where=SESSION))


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_are_redacted_everywhere(capture: io.StringIO, fmt: str) -> None:
    plant_everywhere(configure(capture, fmt))
    output = capture.getvalue()
    for secret in (API_HASH, BOT_TOKEN, SESSION, SESSION[:200]):
        assert secret not in output
    assert output.count(REDACTED) >= 10
    assert "auth failed for" in output and "refused" in output  # the rest is kept


def test_unconfigured_credentials_are_still_hidden_by_shape(capture: io.StringIO) -> None:
    configure_logging("INFO", "text", [], stream=capture)
    other_token = "123456789:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"
    logging.getLogger("x").info("leaked %s and %s", other_token, SESSION)
    output = capture.getvalue()
    assert other_token not in output and SESSION[:50] not in output
    assert output.count(REDACTED) == 2


def test_a_token_inside_a_bot_api_url_is_hidden_by_shape(capture: io.StringIO) -> None:
    configure_logging("INFO", "text", [], stream=capture)
    token = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
    try:
        raise ConnectionError(f"POST https://api.telegram.org/bot{token}/sendMessage timed out")
    except ConnectionError:
        logging.getLogger("x").exception("notice to the operator failed")
    output = capture.getvalue()
    assert token not in output and token.split(":")[1] not in output
    assert "/sendMessage timed out" in output


def test_text_format_is_one_line_with_fields(capture: io.StringIO) -> None:
    log = configure(capture)
    log.info("stored batch", extra=fields(channel="@rybar", n=20, title="Два майора"))
    line = capture.getvalue()
    assert line.count("\n") == 1
    assert " INFO    chanwatch.test: stored batch " in line
    assert 'channel=@rybar n=20 title="Два майора"' in line


def test_text_format_cannot_be_forged_by_newlines(capture: io.StringIO) -> None:
    log = configure(capture)
    hostile = "Курск\n2026-01-01T00:00:00.000+00:00 ERROR   chanwatch: fake"
    log.info("title %s", hostile, extra=fields(title=hostile))
    output = capture.getvalue()
    assert output.count("\n") == 1
    assert "Курск\\n2026" in output


def test_json_format_is_one_object_per_line(capture: io.StringIO) -> None:
    log = configure(capture, "json")
    log.info("sent %d alerts", 3, extra=fields(chat=-100777, msg="not the message", ok=True))
    log.error("failed", extra=fields(rule="dprk-kursk"))
    first, second = (json.loads(line) for line in capture.getvalue().splitlines())
    assert first["msg"] == "sent 3 alerts"  # a field cannot overwrite the record's own keys
    assert first["level"] == "info" and first["logger"] == "chanwatch.test"
    assert first["chat"] == -100777 and first["ok"] is True  # types survive redaction
    assert first["ts"].endswith("+00:00")
    assert second == {**second, "level": "error", "rule": "dprk-kursk"}


def test_json_exception_is_one_field(capture: io.StringIO) -> None:
    log = configure(capture, "json")
    try:
        raise ValueError("Херсон")
    except ValueError:
        log.exception("boom")
    [record] = [json.loads(line) for line in capture.getvalue().splitlines()]
    assert "ValueError: Херсон" in record["error"] and "Traceback" in record["error"]


def test_level_and_noisy_libraries(capture: io.StringIO) -> None:
    log = configure(capture)
    log.debug("text of a post: Курськ")
    logging.getLogger("telethon.network").info("connecting")
    logging.getLogger("telethon.network").warning("reconnecting")
    output = capture.getvalue()
    assert "Курськ" not in output and "connecting" not in output.replace("reconnecting", "")
    assert "reconnecting" in output


def test_bad_format_arguments_keep_the_record(capture: io.StringIO) -> None:
    log = configure(capture)
    log.info("two %s %s", API_HASH)
    output = capture.getvalue()
    assert "two" in output and API_HASH not in output
