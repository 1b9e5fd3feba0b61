"""``chanwatch feed RULE``: a rule's hits as an Atom or RSS feed file (feedgen).

One entry per post, newest first: the channel and time as the title, the post's text as the
content, its link, and the link as the entry's id, so a reader shows each post once however
often the file is rewritten (run it from cron, or after each digest).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from feedgen.feed import FeedGenerator

from bot.intel.posts import name_of, utc
from bot.text.posts import post_url
from storage.hits import MessageHits

FeedFormat = Literal["atom", "rss"]
HOME = "https://t.me/"


def rule_feed(
    rule: str,
    found: Sequence[MessageHits],
    fmt: FeedFormat,
    *,
    link: str = HOME,
    now: datetime | None = None,
) -> bytes:
    feed = FeedGenerator()
    feed.id(f"urn:chanwatch:rule:{rule}")
    feed.title(f"chanwatch: {rule}")
    feed.description(f"Telegram posts matched by the chanwatch rule {rule}")
    feed.link(href=link, rel="alternate")
    feed.updated(utc(found[-1].date) if found else now or datetime.now(UTC))
    for post in found:  # oldest first: feedgen puts each new entry on top
        entry = feed.add_entry()
        url = post_url(post)
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(f"{name_of(post)} · {utc(post.date):%Y-%m-%d %H:%M} UTC")
        entry.link(href=url)
        entry.published(utc(post.date))
        entry.updated(utc(post.date))
        entry.content(post.text or "(no text)", type="text")
        entry.description(post.text or "(no text)")
    return bytes(feed.atom_str(pretty=True) if fmt == "atom" else feed.rss_str(pretty=True))
