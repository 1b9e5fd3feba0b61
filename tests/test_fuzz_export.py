"""Hypothesis against the export reader: arbitrary bytes and arbitrary JSON never produce
anything but messages or an ``ExportError``."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ExportError
from bot.export import ExportReader
from bot.sample import EXPORT_PATH

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SAMPLE = EXPORT_PATH.read_bytes()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)
KEYS = [
    "chats",
    "list",
    "left_chats",
    "messages",
    "id",
    "type",
    "date",
    "date_unixtime",
    "text",
    "text_entities",
    "edited",
    "edited_unixtime",
    "forwarded_from",
    "from_id",
    "media_type",
    "photo",
    "reply_to_message_id",
    "name",
    "poll",
    "caption",
]
CHAT_TYPES = [
    "public_channel",
    "private_channel",
    "personal_chat",
    "private_group",
    "saved_messages",
]


@st.composite
def export_like(draw: st.DrawFn) -> Any:
    """Mostly the shape of a Telegram Desktop export, with random holes and wrong types."""

    def message() -> dict[str, Any]:
        fields = draw(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6))
        base = {
            "id": draw(st.integers(-5, 10**12)),
            "type": draw(st.sampled_from(["message", "service", 7])),
        }
        return {**base, **fields}

    chats = [
        {
            "id": draw(st.one_of(st.integers(-(10**13), 10**13), json_values)),
            "type": draw(st.sampled_from(CHAT_TYPES)),
            "name": draw(st.text(max_size=20)),
            "messages": [message() for _ in range(draw(st.integers(0, 4)))],
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    shape = draw(st.sampled_from(["full", "single", "broken"]))
    if shape == "full":
        return {"chats": {"list": chats}, "left_chats": {"list": []}}
    if shape == "single":
        return chats[0] if chats else {"messages": []}
    return draw(json_values)


def read_all(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "result.json"
        path.write_bytes(data)
        try:
            for message in ExportReader(path).messages():
                assert message.date.tzinfo is not None
                assert isinstance(message.text, str)
        except ExportError as caught:
            error = str(caught)
        else:
            return
    assert error.startswith(str(path))  # a message that names the file, not a traceback
    assert "\n" not in error, "one line, even when a chat name carries a newline"


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    read_all(data)


@FUZZ
@given(json_values)
def test_arbitrary_json(value: Any) -> None:
    read_all(json.dumps(value).encode())


@FUZZ
@given(export_like())
def test_export_shaped_json(value: Any) -> None:
    read_all(json.dumps(value, ensure_ascii=False).encode())


@FUZZ
@given(st.integers(0, len(SAMPLE)), st.binary(max_size=8))
def test_damaged_sample(cut: int, noise: bytes) -> None:
    """The real sample, truncated anywhere and with bytes spliced in."""
    read_all(SAMPLE[:cut] + noise + SAMPLE[cut + len(noise) :])
