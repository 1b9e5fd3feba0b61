"""A stored post (``storage.models.ChannelPost``) as chanwatch shows it, in the CLI and in the
bot: its channel, its link, and its line in a bot list, each spelled once.

The post is taken by its shape (``Post``), so this stays pure text work that never imports
storage."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.pipeline.values import ChannelInfo
from bot.text import make_snippet
from bot.text.alerts import channel_link, channel_name, local_time, short_name


class Post(Protocol):
    """What ``storage.models.ChannelPost`` gives: a post and the facts of its channel."""

    @property
    def channel_telegram_id(self) -> int | None: ...
    @property
    def channel_title(self) -> str | None: ...
    @property
    def channel_username(self) -> str | None: ...
    @property
    def message_id(self) -> int: ...
    @property
    def date(self) -> datetime: ...
    @property
    def text(self) -> str: ...


def channel_of(post: Post) -> ChannelInfo:
    """The post's channel; a channel not resolved yet has id 0 (its link then needs a username)."""
    return ChannelInfo(post.channel_telegram_id or 0, post.channel_title, post.channel_username)


def post_url(post: Post) -> str:
    return channel_link(channel_of(post), post.message_id)


def post_item_html(post: Post, spans: Sequence[tuple[int, int]], zone: ZoneInfo, width: int) -> str:
    """A post in a bot list (``/search``, ``/rule test``): the linked channel name, the local
    time, and a snippet with ``spans`` marked."""
    channel = channel_of(post)
    return (
        f'<a href="{html.escape(post_url(post))}">{html.escape(short_name(channel_name(channel)))}'
        f"</a> · {local_time(post.date, zone)}\n{make_snippet(post.text, spans, width).html()}"
    )
