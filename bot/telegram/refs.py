"""Channel references as operators write them, reduced to one canonical key per channel.

The same channel arrives as ``@Name``, ``t.me/name``, ``https://t.me/s/name``, a post link,
an invite link or a numeric id; the canonical form is what the database keys on, so
watching ``t.me/Name`` after ``@name`` is recognised as the same channel. Pure: no Telethon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from bot.errors import ChanwatchError

RefKind = Literal["username", "invite", "id"]

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_INVITE = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
_HOSTS = {"t.me", "telegram.me", "telegram.dog"}
_MARK = 1_000_000_000_000
# t.me paths that look like usernames but name something else.
_RESERVED = {
    "addemoji",
    "addlist",
    "addstickers",
    "addtheme",
    "boost",
    "contact",
    "iv",
    "login",
    "proxy",
    "setlanguage",
    "share",
    "socks",
}


class ChannelRefError(ChanwatchError):
    """A channel reference that names no channel; the message says what would."""


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """One parsed reference: exactly one of ``username``, ``invite_hash``, ``telegram_id``."""

    kind: RefKind
    username: str | None = None
    invite_hash: str | None = None
    telegram_id: int | None = None

    @property
    def canonical(self) -> str:
        """The database key: ``@username`` lower-cased, ``t.me/+hash``, or ``-100<id>``."""
        if self.username is not None:
            return f"@{self.username.lower()}"
        if self.invite_hash is not None:
            return f"t.me/+{self.invite_hash}"
        return f"-100{self.telegram_id}"

    def __str__(self) -> str:
        return self.canonical


def parse_channel_ref(text: str) -> ChannelRef:
    """Parse any usual way of naming a channel; raise ``ChannelRefError`` otherwise."""
    raw = text.strip()
    if not raw:
        raise ChannelRefError("empty channel reference: give @username, a t.me link or an id")
    if raw.lstrip("-").isascii() and raw.lstrip("-").isdigit():
        return _numeric(raw)
    if raw.startswith("@"):
        return _username(raw[1:], raw)
    if raw.lower().startswith("tg://"):
        return _tg_url(raw)
    link = _link_path(raw)
    if link is not None:
        return _link(link, raw)
    return _username(raw, raw)


def _numeric(raw: str) -> ChannelRef:
    number = int(raw)
    if raw.startswith("-100") and number < -_MARK:
        return ChannelRef("id", telegram_id=-number - _MARK)
    if number > 0:
        return ChannelRef("id", telegram_id=number)
    raise ChannelRefError(
        f"{raw!r} is not a channel id: channel ids are positive or start with -100"
        " (basic group chats cannot be watched)"
    )


def _username(name: str, raw: str) -> ChannelRef:
    if not _USERNAME.match(name) or name.endswith("_") or name.lower() in _RESERVED:
        raise ChannelRefError(
            f"{raw!r} is not a channel reference: a username has 4-32 letters, digits or"
            " underscores and starts with a letter; links look like t.me/name or t.me/+hash"
        )
    return ChannelRef("username", username=name)


def _invite(invite_hash: str, raw: str) -> ChannelRef:
    if not _INVITE.match(invite_hash):
        raise ChannelRefError(f"{raw!r} is not a valid invite link")
    return ChannelRef("invite", invite_hash=invite_hash)


def _link_path(raw: str) -> list[str] | None:
    """The path parts of a t.me link, or None if ``raw`` is not one."""
    candidate = raw if "://" in raw else f"https://{raw}"
    parts = urlsplit(candidate)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if host not in _HOSTS:
        if "/" in raw or "." in raw:
            raise ChannelRefError(f"{raw!r} is not a Telegram link (expected t.me/...)")
        return None
    return [p for p in parts.path.split("/") if p]


def _link(path: list[str], raw: str) -> ChannelRef:
    if not path:
        raise ChannelRefError(f"{raw!r} names no channel: add the channel name after t.me/")
    head, rest = path[0], path[1:]
    if head.startswith("+"):
        return _invite(head[1:], raw)
    if head.lower() == "joinchat" and rest:
        return _invite(rest[0], raw)
    if head.lower() == "s" and rest:
        return _username(rest[0], raw)
    if head.lower() == "c" and rest and rest[0].isascii() and rest[0].isdigit():
        return ChannelRef("id", telegram_id=int(rest[0]))
    if rest and not (rest[0].isascii() and rest[0].isdigit()):
        raise ChannelRefError(f"{raw!r} is not a channel link")
    return _username(head, raw)


def _tg_url(raw: str) -> ChannelRef:
    parts = urlsplit(raw)
    query = parse_qs(parts.query)
    if parts.netloc == "resolve" and query.get("domain"):
        return _username(query["domain"][0], raw)
    if parts.netloc == "join" and query.get("invite"):
        return _invite(query["invite"][0], raw)
    raise ChannelRefError(f"{raw!r} is not a channel link")
