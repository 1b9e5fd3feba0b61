"""The instant alert as a Telegram HTML message (pure).

Every piece that comes from outside (rule name, channel title, the post) is escaped, and the
message is built from bounded parts rather than cut afterwards, so it can never exceed
Telegram's limit or end inside a tag, however long or hostile the post.
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.pipeline.values import ChannelInfo, NewHit
from bot.text import make_snippet
from bot.text.links import post_link

MESSAGE_LIMIT = 4096
SNIPPET_WIDTH = 400
_NAME_LIMIT = 120


def channel_link(channel: ChannelInfo, message_id: int) -> str:
    """The link to a post of ``channel``."""
    return post_link(channel.username, channel.telegram_id, message_id)


def channel_name(channel: ChannelInfo) -> str:
    if channel.title:
        return channel.title
    if channel.username:
        return f"@{channel.username}"
    return f"channel {channel.telegram_id}"


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """``2024-10-20 15:00 EEST``: the reader's wall clock, with the zone to avoid doubt."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def short_name(text: str, limit: int = _NAME_LIMIT) -> str:
    """A title or rule name on one line, bounded, without invisible or direction-changing
    characters (a channel titled with U+202E must not reverse the alert around it)."""
    return make_snippet(text, (), limit).text


def render_alert(hit: NewHit, zone: ZoneInfo, *, width: int = SNIPPET_WIDTH) -> str:
    """The alert: rule, channel, local time, a snippet with matched words in bold, the link."""
    link = html.escape(channel_link(hit.channel, hit.message_id))
    edited = " · edited" if hit.after_edit else ""
    head = (
        f"🔔 <b>{html.escape(short_name(hit.rule))}</b> · "
        f'<a href="{link}">{html.escape(short_name(channel_name(hit.channel)))}</a>\n'
        f"{local_time(hit.date, zone)}{edited}\n\n"
    )
    tail = f'\n\n<a href="{link}">Open the post</a>'
    if hit.after_edit:  # it matches only since an edit: what did it say before?
        tail += f"\nEarlier wording: <code>/post {link}</code>"
    while True:
        quote = make_snippet(hit.text, hit.spans, width).html() if hit.text else "(no text)"
        body = head + quote + tail
        if len(body) <= MESSAGE_LIMIT or width <= 20:
            return body
        width //= 2
