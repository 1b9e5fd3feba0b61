"""Turn one exported chat or message (plain JSON values) into pipeline terms.

Kept apart from the streaming walk so the field rules — which chats are read, how text,
captions and polls become one string, which date wins — can be read and tested on their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.pipeline.values import ChannelInfo, IncomingMessage

READ_CHAT_KINDS = frozenset(
    {"public_channel", "private_channel", "public_supergroup", "private_supergroup"}
)
_SKIPPED_CHAT_KINDS = {
    "personal_chat": "personal chat",
    "bot_chat": "bot chat",
    "private_group": "private group",
    "saved_messages": "saved messages",
}
_MEDIA_KEYS = ("photo", "file", "media_type")
# Telethon's marked ids for channels are -100<bare id>; exports made by other tools use them.
_MARKED_CHANNEL_OFFSET = 1_000_000_000_000


def chat_skip_reason(kind: object) -> str | None:
    """Why a chat of this export ``type`` is not replayed, or None when it is.

    chanwatch watches broadcast channels and supergroups; personal chats, bots and small
    groups are private conversations an analyst did not ask to monitor.
    """
    if kind in READ_CHAT_KINDS:
        return None
    if isinstance(kind, str) and kind in _SKIPPED_CHAT_KINDS:
        return _SKIPPED_CHAT_KINDS[kind]
    return "chat without a type" if kind is None else f"chat type {kind!r}"


def bare_channel_id(value: object) -> int | None:
    """Telegram Desktop writes the bare positive id; accept a marked ``-100…`` id as well."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.lstrip("-").isascii() and value.lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int):
        return None
    if value < -_MARKED_CHANNEL_OFFSET:
        return -value - _MARKED_CHANNEL_OFFSET
    return value if value > 0 else None


def flatten_text(value: object) -> str:
    """Exports give plain text as a string, formatted text as a list of strings and entity
    objects (``{"type": "bold", "text": "…"}``); the words are the same either way."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts: list[str] = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    return ""


def _poll_text(poll: object) -> str:
    """A poll's question and answers are what readers see, so they are what rules match."""
    if not isinstance(poll, dict):
        return ""
    lines = [flatten_text(poll.get("question"))]
    answers = poll.get("answers")
    if isinstance(answers, list):
        lines.extend(flatten_text(a.get("text")) for a in answers if isinstance(a, dict))
    return "\n".join(line for line in lines if line)


def _unix(value: object) -> datetime | None:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def _local(value: object) -> datetime | None:
    """Older exports have only ``date``, the exporting computer's local time without an
    offset. The offset is unknowable from the file, so it is taken as UTC: dates may be off
    by the exporter's UTC offset, which matters less than keeping the message."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _when(message: dict[str, Any], unix_key: str, local_key: str) -> datetime | None:
    return _unix(message.get(unix_key)) or _local(message.get(local_key))


def _forward_channel_id(value: object) -> int | None:
    """Newer exports add ``forwarded_from_id`` such as ``channel1234567890``."""
    if (
        isinstance(value, str)
        and value.startswith("channel")
        and value[7:].isascii()
        and value[7:].isdigit()
    ):
        return int(value[7:])
    return None


def to_incoming(channel: ChannelInfo, message: object) -> IncomingMessage | str:
    """The pipeline message for one exported message, or the reason it is skipped."""
    if not isinstance(message, dict):
        return "not a message object"
    if message.get("type") == "service":
        return "service message"
    message_id = message.get("id")
    if not isinstance(message_id, int) or isinstance(message_id, bool) or message_id <= 0:
        return "message without a valid id"
    date = _when(message, "date_unixtime", "date")
    if date is None:
        return "message without a valid date"
    text = "\n".join(
        part
        for part in (flatten_text(message.get("text")), _poll_text(message.get("poll")))
        if part
    )
    forwarded = message.get("forwarded_from")
    reply_to = message.get("reply_to_message_id")
    return IncomingMessage(
        channel=channel,
        message_id=message_id,
        date=date,
        text=text,
        edit_date=_when(message, "edited_unixtime", "edited"),
        forward_from=forwarded if isinstance(forwarded, str) else None,
        forward_channel_id=_forward_channel_id(message.get("forwarded_from_id")),
        reply_to=reply_to if isinstance(reply_to, int) and not isinstance(reply_to, bool) else None,
        has_media=any(key in message for key in _MEDIA_KEYS),
        reactions=_reaction_count(message.get("reactions")),
    )


def _reaction_count(value: object) -> int | None:
    """Newer exports list ``reactions`` as ``[{"type": "emoji", "count": 3, ...}]``."""
    if not isinstance(value, list):
        return None
    counts = [r.get("count") for r in value if isinstance(r, dict)]
    return sum(c for c in counts if isinstance(c, int) and not isinstance(c, bool) and c > 0)
