"""A stored post (``storage.posts.ChannelPost``) as chanwatch shows it, in the CLI and in the
bot: its channel, its link, and its line in a bot list, each spelled once."""

from __future__ import annotations

import html
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.pipeline.values import ChannelInfo
from bot.text import make_snippet
from bot.text.alerts import channel_link, channel_name, local_time, short_name
from storage.posts import ChannelPost


def channel_of(post: ChannelPost) -> ChannelInfo:
    """The post's channel; a channel not resolved yet has id 0 (its link then needs a username)."""
    return ChannelInfo(post.channel_telegram_id or 0, post.channel_title, post.channel_username)


def post_url(post: ChannelPost) -> str:
    return channel_link(channel_of(post), post.message_id)


def post_item_html(
    post: ChannelPost, spans: Sequence[tuple[int, int]], zone: ZoneInfo, width: int
) -> str:
    """A post in a bot list (``/search``, ``/rule test``): the linked channel name, the local
    time, and a snippet with ``spans`` marked."""
    channel = channel_of(post)
    return (
        f'<a href="{html.escape(post_url(post))}">{html.escape(short_name(channel_name(channel)))}'
        f"</a> · {local_time(post.date, zone)}\n{make_snippet(post.text, spans, width).html()}"
    )
