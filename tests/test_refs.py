"""Every usual way of naming a channel reduces to one canonical key."""

from __future__ import annotations

import pytest

from bot.errors import ChanwatchError
from bot.export.convert import bare_channel_id
from bot.telegram.refs import ChannelRef, ChannelRefError, parse_channel_ref

VALID = [
    ("@Officer_Plus", "username", "@officer_plus"),
    ("officer_plus", "username", "@officer_plus"),
    ("  @kursk_news  ", "username", "@kursk_news"),
    ("t.me/ukr_front", "username", "@ukr_front"),
    ("https://t.me/ukr_front", "username", "@ukr_front"),
    ("http://www.t.me/ukr_front/", "username", "@ukr_front"),
    ("https://t.me/ukr_front/123", "username", "@ukr_front"),
    ("https://t.me/ukr_front/123?single", "username", "@ukr_front"),
    ("https://t.me/s/ukr_front", "username", "@ukr_front"),
    ("https://telegram.me/Rybar", "username", "@rybar"),
    ("tg://resolve?domain=rybar", "username", "@rybar"),
    ("t.me/+AbCdEf123_-x", "invite", "t.me/+AbCdEf123_-x"),
    ("https://t.me/joinchat/AbCdEf123", "invite", "t.me/+AbCdEf123"),
    ("tg://join?invite=AbCdEf123", "invite", "t.me/+AbCdEf123"),
    ("-1001234567890", "id", "-1001234567890"),
    ("1234567890", "id", "-1001234567890"),
    ("https://t.me/c/1234567890/55", "id", "-1001234567890"),
]


@pytest.mark.parametrize(("text", "kind", "canonical"), VALID)
def test_valid_references(text: str, kind: str, canonical: str) -> None:
    ref = parse_channel_ref(text)
    assert (ref.kind, ref.canonical, str(ref)) == (kind, canonical, canonical)


def test_the_parts_are_typed() -> None:
    assert parse_channel_ref("t.me/Rybar") == ChannelRef("username", username="Rybar")
    assert parse_channel_ref("t.me/+AbCdEf123").invite_hash == "AbCdEf123"
    assert parse_channel_ref("-1001234567890").telegram_id == 1234567890


def test_invite_hashes_keep_their_case() -> None:
    assert parse_channel_ref("t.me/+AbCdEf") != parse_channel_ref("t.me/+abcdef")


INVALID = [
    ("", "empty"),
    ("@", "not a channel reference"),
    ("@abc", "4-32 letters"),
    ("канал_новостей", "not a channel reference"),
    ("@1channel", "starts with a letter"),
    ("@trailing_", "not a channel reference"),
    ("https://example.com/ukr_front", "not a Telegram link"),
    ("https://t.me/", "names no channel"),
    ("t.me/+", "not a valid invite link"),
    ("t.me/+bad hash!", "not a valid invite link"),
    ("-123456", "basic group"),
    ("0", "not a channel id"),
    ("t.me/addstickers/Animals", "not a channel"),
    ("t.me/share/url", "not a channel"),
    ("tg://settings", "not a channel link"),
]


@pytest.mark.parametrize(("text", "says"), INVALID)
def test_invalid_references_get_one_plain_line(text: str, says: str) -> None:
    with pytest.raises(ChannelRefError) as caught:
        parse_channel_ref(text)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ChanwatchError)


def test_digits_other_than_ascii_are_no_id() -> None:
    """``'²'.isdigit()`` is true but ``int('²')`` fails: a superscript is a bad ref, not a crash."""
    with pytest.raises(ChannelRefError):
        parse_channel_ref("²")
    with pytest.raises(ChannelRefError):
        parse_channel_ref("t.me/c/²/5")
    assert bare_channel_id("-100²") is None
