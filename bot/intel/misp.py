"""``chanwatch hits --format misp``: one MISP event, built with PyMISP, one object per post.

Each post is a ``microblog`` object (MISP's template for a public post: the text, its link,
the channel's @username and title, when it was posted and, once deleted, when chanwatch
learned of the deletion), so MISP shows it as a post and not
as loose attributes. The text's SHA-256 is an attribute of the event the object refers to
(``related-to``): the template has no hash field, and a hash lets analysts correlate the
same wording seen elsewhere. The rules that matched are the event's tags and each object's
comment.

Object and attribute ids derive from the post's link, so importing a later export that
repeats a post updates it rather than adding it twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from pymisp import MISPAttribute, MISPEvent, MISPObject

from bot.intel.posts import name_of, post_uuid, text_sha256, utc
from bot.text.posts import post_url
from storage.hits import MessageHits

ANALYSIS_INITIAL = 0
THREAT_LEVEL_UNDEFINED = 4
DISTRIBUTION_ORGANISATION = 0


def rule_tag(rule: str) -> str:
    return f'chanwatch:rule="{rule}"'


def misp_event(found: Sequence[MessageHits], *, now: datetime | None = None) -> str:
    """The event as MISP's JSON (``{"Event": {...}}``), ready for Events → Import."""
    moment = now or datetime.now(UTC)
    event = MISPEvent()
    event.uuid = str(uuid.uuid4())
    rules = sorted({r for post in found for r in post.rules})
    event.info = (
        f"chanwatch: {len(found)} Telegram posts matched by {', '.join(rules) or 'no rule'}"
    )
    event.set_date(moment.date())
    event.analysis = ANALYSIS_INITIAL
    event.threat_level_id = THREAT_LEVEL_UNDEFINED
    event.distribution = DISTRIBUTION_ORGANISATION
    for rule in rules:
        event.add_tag(rule_tag(rule))
    for post in found:
        _add_post(event, post)
    shape = json.loads(event.to_json())  # PyMISP's encoder turns dates into MISP's strings
    return json.dumps({"Event": shape}, ensure_ascii=False, indent=2)


def _add_post(event: MISPEvent, post: MessageHits) -> None:
    digest = event.add_attribute(
        "sha256",
        text_sha256(post),
        uuid=str(post_uuid(post, "#sha256")),
        category="External analysis",
        to_ids=False,
        comment=f"SHA-256 of the text of {post_url(post)} (UTF-8)",
    )
    item = MISPObject("microblog", strict=True)
    item.uuid = str(post_uuid(post))
    gone = " (deleted since)" if post.deleted else ""
    item.comment = f"Telegram post matched by {', '.join(post.rules)}{gone}"
    item.add_attribute("post", value=post.text or "(no text)")
    item.add_attribute("link", value=post_url(post))
    item.add_attribute("type", value="Other")
    item.add_attribute("display-name", value=name_of(post))
    if post.channel_username:
        item.add_attribute("username", value=f"@{post.channel_username}")
    item.add_attribute("creation-date", value=utc(post.date))
    if post.deleted_at is not None:  # evidence that it was taken down, and when we learned it
        item.add_attribute("removal-date", value=utc(post.deleted_at))
    assert isinstance(digest, MISPAttribute)  # one value gives one attribute
    item.add_reference(digest.uuid, "related-to")
    event.add_object(item)
