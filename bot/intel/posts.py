"""The facts every export gives of a post: its link, channel, date and text hash."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from bot.text.alerts import channel_name
from bot.text.posts import channel_of, post_url
from storage.hits import MessageHits

# Ids derived from a post's link: exporting the same post twice gives the same MISP object
# and STIX objects, so a case tool that imports both merges them instead of doubling them.
NAMESPACE = uuid.UUID("5d6c6d0e-0c1f-4f45-9a53-3c6f1d8d1c2e")


def post_uuid(post: MessageHits, part: str = "") -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, post_url(post) + part)


def text_sha256(post: MessageHits) -> str:
    return hashlib.sha256(post.text.encode("utf-8")).hexdigest()


def name_of(post: MessageHits) -> str:
    return channel_name(channel_of(post))


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
