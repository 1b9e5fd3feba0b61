"""The one duration spelling shared by --since, chanwatch digest and /digest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.text.durations import DurationError, is_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("90m", timedelta(minutes=90)),
        ("15min", timedelta(minutes=15)),
        ("6h", timedelta(hours=6)),
        (" 24 H ", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("99999w", timedelta(weeks=99999)),
    ],
)
def test_durations_read_in_every_unit(text: str, length: timedelta) -> None:
    assert is_duration(text)
    assert parse_duration(text) == length


@pytest.mark.parametrize("text", ["0h", "0d"])
def test_a_zero_length_looks_like_a_duration_but_is_refused(text: str) -> None:
    assert is_duration(text)
    with pytest.raises(DurationError, match="is not a period"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["вчера", "yesterday", "-5h", "7y", "100000d", "2024-10-27", ""])
def test_anything_else_is_not_a_duration(text: str) -> None:
    assert not is_duration(text)
    with pytest.raises(DurationError, match="use e\\.g\\. 6h, 24h, 7d or 90m"):
        parse_duration(text)
