"""Notices about posts a subscriber was alerted to that changed since: deleted, or edited so
the rule no longer matches (pure: Telegram HTML out).

Like the alert (``bot/text/alerts.py``), every outside piece is escaped and the message is built
from bounded parts, so a hostile or huge post can neither break the markup nor pass the limit.
A deletion quotes the post as it was, with the words the rules matched in bold; an edit names
the words that went and quotes the post before and after.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.pipeline.values import ChannelInfo
from bot.text import make_snippet
from bot.text.alerts import MESSAGE_LIMIT, channel_link, channel_name, local_time, short_name
from bot.text.durations import spell_elapsed

SNIPPET_WIDTH = 400
_WORDS_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Deletion:
    """A deleted post, for one chat: the rules it was alerted for and their matched spans."""

    channel: ChannelInfo
    message_id: int
    date: datetime
    deleted_at: datetime
    text: str
    rules: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class EditedAway:
    """A post edited so that ``rule`` no longer matches it."""

    rule: str
    channel: ChannelInfo
    message_id: int
    date: datetime
    removed: tuple[str, ...]  # the words the rule had matched
    old_text: str
    old_spans: tuple[tuple[int, int], ...]
    text: str


def _head(icon: str, title: str, channel: ChannelInfo, message_id: int) -> tuple[str, str]:
    link = html.escape(channel_link(channel, message_id))
    head = (
        f"{icon} <b>{html.escape(short_name(title))}</b> · "
        f'<a href="{link}">{html.escape(short_name(channel_name(channel)))}</a>\n'
    )
    return head, link


def _fit(build: Callable[[int], str], width: int) -> str:
    """The longest quote width at which the message fits Telegram's limit."""
    while True:
        body = build(width)
        if len(body) <= MESSAGE_LIMIT or width <= 20:
            return body
        width //= 2


def _quote(text: str, spans: Sequence[tuple[int, int]], width: int) -> str:
    return make_snippet(text, spans, width).html() if text else "(no text)"


def render_deletion(d: Deletion, zone: ZoneInfo, *, width: int = SNIPPET_WIDTH) -> str:
    """ "deleted after 42 min": the rules, the post's time, and the text as it was."""
    head, link = _head("🗑", ", ".join(d.rules), d.channel, d.message_id)
    after = spell_elapsed(d.deleted_at - d.date)
    line = f"deleted after {after} · posted {local_time(d.date, zone)}\n\n"
    tail = f'\n\n<a href="{link}">The post</a> (gone from Telegram; kept here)'
    return _fit(lambda w: head + line + _quote(d.text, d.spans, w) + tail, width)


def render_edited_away(e: EditedAway, zone: ZoneInfo, *, width: int = SNIPPET_WIDTH) -> str:
    """ "edited: the words … were removed", then the post before and after the edit."""
    head, link = _head("✏️", e.rule, e.channel, e.message_id)
    words = list(dict.fromkeys(e.removed))
    shown = ", ".join(f"«{html.escape(short_name(w, 60))}»" for w in words[:_WORDS_SHOWN])
    more = f" and {len(words) - _WORDS_SHOWN} more" if len(words) > _WORDS_SHOWN else ""
    if not words:
        change = "edited: it no longer matches"
    elif len(words) == 1:
        change = f"edited: the word {shown} was removed"
    else:
        change = f"edited: the words {shown}{more} were removed"
    line = f"{change} · posted {local_time(e.date, zone)}\n\n"
    tail = f'\n\n<a href="{link}">Open the post</a>'
    return _fit(
        lambda w: (
            head
            + line
            + "<b>Before:</b> "
            + _quote(e.old_text, e.old_spans, w)
            + "\n<b>Now:</b> "
            + _quote(e.text, (), w)
            + tail
        ),
        width,
    )
