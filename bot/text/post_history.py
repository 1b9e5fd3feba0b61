"""A post's evidence as chanwatch shows it: every version with its times, the deletion and
how it was learned, the reach — for ``chanwatch history`` (plain text) and the bot's
``/post`` (HTML).

A post is named the way analysts copy it: a link (``t.me/name/123``, ``t.me/c/<id>/123``),
or a channel reference and a message id. Only what chanwatch stored can be shown; a post it
never saw is an error that says so.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.errors import ChanwatchError
from bot.pipeline.values import ChannelInfo
from bot.telegram.refs import ChannelRef, ChannelRefError, parse_channel_ref
from bot.text.alerts import channel_link, channel_name, local_time, short_name
from storage import channels, post_versions
from storage.database import Database
from storage.post_versions import PostRecord

_HOW = {"live": "a live update", "check": "the deletion check (the post was gone)"}


class PostRefError(ChanwatchError):
    """Text that names no post, or a post chanwatch has not stored."""


@dataclass(frozen=True, slots=True)
class StoredPost:
    channel: ChannelInfo
    message_id: int
    record: PostRecord


def parse_post_ref(first: str, message_id: str | None = None) -> tuple[ChannelRef, int]:
    """``t.me/name/123`` alone, or a channel (``@name``, a link, an id) and a message id."""
    text = first.strip()
    if message_id is None:
        head, _, tail = text.rstrip("/").rpartition("/")
        if not head or not tail.isdigit():
            raise PostRefError(
                f"{text!r} is not a post link: give t.me/channel/123, or a channel and an id"
            )
        text, message_id = head, tail
    if not message_id.strip().isdigit() or int(message_id) <= 0:
        raise PostRefError(f"{message_id!r} is not a message id (a positive number)")
    try:
        ref = parse_channel_ref(text)
    except ChannelRefError as error:
        raise PostRefError(str(error)) from None
    if ref.kind == "invite":
        raise PostRefError("an invite link names no post: use the channel's @name or id")
    return ref, int(message_id)


async def load_post(db: Database, ref: ChannelRef, message_id: int) -> StoredPost:
    row = await channels.find(
        db, ref=ref.canonical, telegram_id=ref.telegram_id, username=ref.username
    )
    if row is None:
        raise PostRefError(f"no channel {ref.canonical} is stored")
    record = await post_versions.post_record(db, row.id, message_id)
    if record is None:
        raise PostRefError(f"post {message_id} of {row.display_name} was never stored")
    info = ChannelInfo(row.telegram_id or 0, row.title, row.username)
    return StoredPost(info, message_id, record)


def _reach(r: PostRecord) -> str | None:
    parts = [
        f"{n:,} {what}"
        for n, what in ((r.views, "views"), (r.forwards, "forwards"), (r.reactions, "reactions"))
        if n is not None
    ]
    return ", ".join(parts) if parts else None


def _deletion(r: PostRecord, zone: ZoneInfo) -> str | None:
    if not r.deleted:
        return None
    if r.deleted_at is None:
        return "deleted (before chanwatch kept deletion times)"
    how = _HOW.get(r.deleted_via or "", "an update")
    return f"deleted, seen {local_time(r.deleted_at, zone)} through {how}"


def _edited(moment: datetime | None, zone: ZoneInfo) -> str:
    return "original" if moment is None else f"edited {local_time(moment, zone)}"


def render_text(post: StoredPost, zone: ZoneInfo) -> str:
    """The plain-text history: a header, then each version oldest first, full text."""
    r = post.record
    link = channel_link(post.channel, post.message_id)
    lines = [
        f"{channel_name(post.channel)} · post {post.message_id} · {link}",
        f"posted {local_time(r.date, zone)}",
    ]
    if r.rules:
        lines.append("rules: " + ", ".join(r.rules))
    reach = _reach(r)
    if reach:
        lines.append("reach: " + reach)
    deleted = _deletion(r, zone)
    if deleted:
        lines.append(deleted)
    for v in r.versions:
        lines += [
            "",
            f"version {v.number} · {_edited(v.edit_date, zone)}"
            f" · stored {local_time(v.seen_at, zone)}",
            v.text or "(no text)",
        ]
    return "\n".join(lines) + "\n"


def render_html(post: StoredPost, zone: ZoneInfo, *, limit: int = 4096) -> str:
    """The bot's ``/post`` answer; versions are quoted whole unless that passes ``limit``,
    then each is cut to an equal share (the CLI shows them whole)."""
    r = post.record
    link = html.escape(channel_link(post.channel, post.message_id))
    name = html.escape(short_name(channel_name(post.channel)))
    head = [
        f'<b>{name}</b> · <a href="{link}">post {post.message_id}</a>',
        f"posted {local_time(r.date, zone)}",
    ]
    if r.rules:
        head.append("rules: " + html.escape(", ".join(r.rules)))
    reach = _reach(r)
    if reach:
        head.append("reach: " + reach)
    deleted = _deletion(r, zone)
    if deleted:
        head.append(f"<b>{deleted}</b>")
    width = max(40, (limit - 600) // max(1, len(r.versions)))
    body = [
        f"\n<b>version {v.number}</b> · {_edited(v.edit_date, zone)}\n"
        f"{html.escape(_cut(v.text or '(no text)', width))}"
        for v in r.versions
    ]
    return "\n".join(head) + "\n" + "\n".join(body)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
