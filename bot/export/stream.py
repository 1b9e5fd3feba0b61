"""Stream a Telegram Desktop export into pipeline messages.

Exports run to gigabytes, so the file is walked as a stream of ijson events and only one
message at a time is ever built in memory. Two shapes are accepted: a single chat's
``result.json`` (``{"name", "type", "id", "messages": [...]}``) and a full-account export
(``{"chats": {"list": [...]}, "left_chats": {"list": [...]}}``). As Telegram Desktop writes
them, a chat's ``name``, ``type`` and ``id`` come before its ``messages``; the walk relies on
that to decide, before reading a chat's messages, whether to read or skip them.

ijson picks the fastest parser installed (the ``yajl2_c`` C extension, shipped in its wheels);
``ExportReader.parser_backend`` names it so a slow pure-Python fallback can be reported.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson
from ijson.common import ObjectBuilder

from bot.errors import ExportError
from bot.export.convert import bare_channel_id, chat_skip_reason, to_incoming
from bot.pipeline.values import ChannelInfo, IncomingMessage

_CHAT_LISTS = frozenset({"chats.list", "left_chats.list"})
_CHAT_LIST_ITEMS = frozenset(f"{p}.item" for p in _CHAT_LISTS)
_MESSAGE_ARRAYS = frozenset({"messages", *(f"{p}.messages" for p in _CHAT_LIST_ITEMS)})
_MESSAGE_ITEMS = frozenset(f"{p}.item" for p in _MESSAGE_ARRAYS)
_CHAT_FIELDS = ("name", "type", "id")
_OPENERS = frozenset({"start_map", "start_array"})
_CLOSERS = frozenset({"end_map", "end_array"})
# Small enough that "near byte N" in an error is close to the fault, big enough to cost nothing.
_CHUNK = 16 * 1024


class _CountingFile:
    """A binary file that remembers how far the parser has read, for progress and errors."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.position += len(data)
        return data


class _Chat:
    """What is known about the chat being walked; filled field by field as events arrive."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.fields: dict[str, Any] = {}
        self.seen = 0
        self.last_id: object = None
        self.channel: ChannelInfo | None = None
        self.skip_reason: str | None = None

    @property
    def label(self) -> str:
        name = self.fields.get("name")
        if isinstance(name, str):
            # JSON quoting escapes newlines and control characters a hostile name could carry,
            # so the error stays one line.
            return f"chat {json.dumps(name[:80], ensure_ascii=False)}"
        return f"chat id {self.fields['id']}" if "id" in self.fields else "an unnamed chat"

    def decide(self, path: str) -> None:
        """Called when the chat's messages start: read them, or say why not."""
        self.skip_reason = chat_skip_reason(self.fields.get("type"))
        if self.skip_reason is not None:
            return
        telegram_id = bare_channel_id(self.fields.get("id"))
        if telegram_id is None:
            raise ExportError(
                f"{path}: {self.label} has no valid channel id before its messages"
                " (is this a Telegram Desktop export?)"
            )
        name = self.fields.get("name")
        self.channel = ChannelInfo(telegram_id, name if isinstance(name, str) else None)


class ExportReader:
    """Read one export file; counters are live while ``messages()`` is being iterated.

    ``read`` counts messages yielded, ``skipped`` counts messages not yielded by reason
    (``"service message"``, ``"personal chat"`` …), ``chats_read`` and ``chats_skipped``
    count whole chats, ``bytes_read`` / ``total_bytes`` drive a progress bar.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.total_bytes = self.path.stat().st_size
        except OSError as exc:
            raise ExportError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        self._file: _CountingFile | None = None
        self._reset()

    def _reset(self) -> None:
        self.read = 0
        self.skipped: Counter[str] = Counter()
        self.chats_read = 0
        self.chats_skipped: Counter[str] = Counter()
        self._chat: _Chat | None = None

    @property
    def parser_backend(self) -> str:
        return str(ijson.backend_name)

    @property
    def bytes_read(self) -> int:
        return self._file.position if self._file is not None else 0

    def messages(self) -> Iterator[IncomingMessage]:
        """Yield every readable message in file order; restarts the counters on each call.

        Raises ``ExportError`` for a missing, empty, truncated or malformed file, and for
        valid JSON that is not a Telegram Desktop export.
        """
        self._reset()
        if self.total_bytes == 0:
            raise ExportError(f"{self.path} is empty, not a Telegram Desktop export")
        try:
            raw = self.path.open("rb")
        except OSError as exc:
            raise ExportError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        with raw:
            self._file = _CountingFile(raw)
            events = ijson.parse(self._file, buf_size=_CHUNK, use_float=True)
            try:
                yield from self._walk(iter(events))
            except ijson.JSONError as exc:
                raise self._malformed(exc) from None
            except UnicodeDecodeError as exc:
                raise self._malformed(exc) from None

    def _malformed(self, exc: Exception) -> ExportError:
        reason = _first_line(exc)
        chat = self._chat
        if chat is None:
            where = "before any chat"
        elif chat.seen == 0:
            where = f"in {chat.label}, before its first message"
        else:
            known = f" (id {chat.last_id})" if chat.last_id is not None else ""
            where = f"after message {chat.seen}{known} of {chat.label}"
        return ExportError(
            f"{self.path} is truncated or malformed near byte {self.bytes_read} ({where}): {reason}"
        )

    def _not_an_export(self, why: str, *, parsed: bool = True) -> ExportError:
        what = "is valid JSON but not" if parsed else "is not"
        return ExportError(
            f"{self.path} {what} a Telegram Desktop export ({why}); expected a chat with"
            ' "messages" or a full-account export with "chats"'
        )

    def _walk(self, events: Iterator[tuple[str, str, Any]]) -> Iterator[IncomingMessage]:
        first = next(events, None)
        if first is None or first[1] != "start_map":
            raise self._not_an_export("the top level is not an object", parsed=False)
        top = self._chat = _Chat("")
        found = False
        for prefix, event, value in events:
            if prefix in _MESSAGE_ITEMS:
                yield from self._message(events, event, value)
            elif event == "start_array" and prefix in _MESSAGE_ARRAYS:
                chat = self._chat if prefix != "messages" else top
                assert chat is not None
                self._chat = chat
                chat.decide(str(self.path))
                found = True
            elif event == "start_array" and prefix in _CHAT_LISTS:
                found = True
            elif prefix in _CHAT_LIST_ITEMS and event == "start_map":
                self._chat = _Chat(prefix)
            elif prefix in _CHAT_LIST_ITEMS and event == "end_map":
                self._finish_chat(self._chat)
            elif event not in _OPENERS and event not in _CLOSERS:
                self._chat_field(prefix, value)
            elif event == "start_map" and prefix in _MESSAGE_ARRAYS:
                raise self._not_an_export('"messages" is not a list', parsed=False)
        self._finish_chat(top)
        if not found:
            raise self._not_an_export('no "messages" or "chats" list found')

    def _chat_field(self, prefix: str, value: object) -> None:
        chat = self._chat
        if chat is None:
            return
        head, _, field = prefix.rpartition(".")
        if head == chat.prefix and field in _CHAT_FIELDS:
            chat.fields[field] = value

    def _finish_chat(self, chat: _Chat | None) -> None:
        """Count a chat once its messages were walked; objects without messages are no chat."""
        if chat is None or (chat.skip_reason is None and chat.channel is None):
            return
        if chat.skip_reason is None:
            self.chats_read += 1
        else:
            self.chats_skipped[chat.skip_reason] += 1

    def _message(
        self, events: Iterator[tuple[str, str, Any]], event: str, value: object
    ) -> Iterator[IncomingMessage]:
        chat = self._chat
        assert chat is not None
        if chat.skip_reason is not None:
            _skip_value(events, event)
            chat.seen += 1
            chat.last_id = None
            self.skipped[chat.skip_reason] += 1
            return
        assert chat.channel is not None
        item = _build_value(events, event, value)
        chat.seen += 1
        chat.last_id = item.get("id") if isinstance(item, dict) else None
        result = to_incoming(chat.channel, item)
        if isinstance(result, str):
            self.skipped[result] += 1
        else:
            self.read += 1
            yield result


def _first_line(exc: Exception) -> str:
    """The parser's own words, one line: yajl's C backend gives bytes that quote the damaged
    input after a newline, and that input may be binary garbage."""
    raw = exc.args[0] if len(exc.args) == 1 else str(exc)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    lines = text.strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _build_value(events: Iterator[tuple[str, str, Any]], event: str, value: object) -> object:
    """Assemble the JSON value that starts with this event, consuming exactly its events."""
    if event not in _OPENERS:
        return value
    builder = ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _, ev, val in events:
        builder.event(ev, val)
        if ev in _OPENERS:
            depth += 1
        elif ev in _CLOSERS:
            depth -= 1
            if depth == 0:
                break
    return builder.value


def _skip_value(events: Iterator[tuple[str, str, Any]], event: str) -> None:
    """Consume a value without building it: skipped chats can be large."""
    if event not in _OPENERS:
        return
    depth = 1
    for _, ev, _ in events:
        if ev in _OPENERS:
            depth += 1
        elif ev in _CLOSERS:
            depth -= 1
            if depth == 0:
                return
