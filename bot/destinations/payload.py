"""The events a destination receives, as JSON, and as a notification's title and body (pure).

An outbox row for a destination holds its event as JSON: the webhook posts exactly those
bytes (so the HMAC signs what is stored, and a resend after a crash is byte-identical), and
a notification service gets a title and a Markdown, HTML or plain-text body made from it.
The schema is documented in docs/destinations.md; ``schema`` names its version.

``story_id`` is the same for posts with the same normalized text (a forward, a repost, a
copy-paste into another channel), so a case tool can fold them as digests do.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from bot.digest.contents import Digest
from bot.digest.render import digest_to_dict
from bot.matching import normalize
from bot.pipeline.values import NewHit
from bot.text import make_snippet
from bot.text.alerts import channel_link, channel_name

ALERT_SCHEMA = "chanwatch.alert/1"
DIGEST_SCHEMA = "chanwatch.digest/1"
SNIPPET_WIDTH = 400
Format = Literal["markdown", "html", "text"]


def story_id(text: str) -> str:
    return hashlib.sha256(normalize(text).encode()).hexdigest()[:16]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def alert_event(event_id: str, hit: NewHit) -> dict[str, Any]:
    return {"id": event_id, **alert_fields(hit)}


def alert_fields(hit: NewHit) -> dict[str, Any]:
    """The event of a hit but its id: the same for every destination, so built once a hit."""
    words = [hit.text[start:end] for start, end in hit.spans]
    snippet = make_snippet(hit.text, hit.spans, SNIPPET_WIDTH)
    return {
        "schema": ALERT_SCHEMA,
        "type": "alert",
        "rule": hit.rule,
        "channel": {
            "id": int(f"-100{hit.channel.telegram_id}"),
            "username": hit.channel.username,
            "title": hit.channel.title,
            "name": channel_name(hit.channel),
        },
        "message_id": hit.message_id,
        "link": channel_link(hit.channel, hit.message_id),
        "posted_at": iso(hit.date),
        "after_edit": hit.after_edit,
        "matched_words": list(dict.fromkeys(words)),
        "snippet": snippet.text,
        "snippet_marked": snippet.marked(),
        "story_id": story_id(hit.text),
    }


def digest_event(event_id: str, digest: Digest) -> dict[str, Any]:
    shape = digest_to_dict(digest)
    for rule in shape["rules"]:  # type: ignore[attr-defined]
        for story, built in zip(rule["stories"], _stories_of(digest, rule["rule"]), strict=True):
            story["story_id"] = story_id(built)
    return {
        "schema": DIGEST_SCHEMA,
        "id": event_id,
        "type": "digest",
        "hits": digest.hits,
        "stories": digest.stories,
        **shape,
    }


def _stories_of(digest: Digest, rule: str) -> list[str]:
    return [s.first.text for r in digest.rules if r.rule == rule for s in r.stories]


def encode(event: Mapping[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def decode(body: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(body)
    return event


def notification(event: Mapping[str, Any], fmt: Format) -> tuple[str, str]:
    """The title and body a notification service shows, in the destination's format."""
    if event["type"] == "alert":
        return _alert_title(event), _alert_body(event, fmt)
    return _digest_title(event), _digest_body(event, fmt)


def _alert_title(event: Mapping[str, Any]) -> str:
    return f"🔔 {event['rule']} · {event['channel']['name']}"


def _alert_body(event: Mapping[str, Any], fmt: Format) -> str:
    when = event["posted_at"].replace("T", " ").replace("Z", " UTC")
    edited = " · edited" if event["after_edit"] else ""
    link = event["link"]
    if fmt == "html":
        marked = _bold_html(event["snippet_marked"])
        return (
            f"<p>{html.escape(when)}{edited}</p><blockquote>{marked}</blockquote>"
            f'<p><a href="{html.escape(link)}">Open the post</a></p>'
        )
    if fmt == "markdown":
        return f"{when}{edited}\n\n> {event['snippet_marked']}\n\n[Open the post]({link})"
    return f"{when}{edited}\n\n{event['snippet']}\n\n{link}"


def _bold_html(marked: str) -> str:
    pieces = marked.split("**")
    return "".join(
        f"<b>{html.escape(p)}</b>" if i % 2 else html.escape(p) for i, p in enumerate(pieces)
    )


def _digest_title(event: Mapping[str, Any]) -> str:
    return f"Digest: {event['hits']} hits, {event['stories']} stories"


def _digest_body(event: Mapping[str, Any], fmt: Format) -> str:
    lines: list[str] = [f"{event['since']} – {event['until']}"]
    if not event["rules"]:
        lines.append("Nothing new.")
    for rule in event["rules"]:
        lines.append(_heading(f"{rule['rule']} ({rule['hits']} hits)", fmt))
        lines += [_story(story, fmt) for story in rule["stories"]]
    return ("<br>\n" if fmt == "html" else "\n").join(lines)


def _heading(text: str, fmt: Format) -> str:
    if fmt == "html":
        return f"<b>{html.escape(text)}</b>"
    return f"\n## {text}" if fmt == "markdown" else f"\n{text}"


def _story(story: Mapping[str, Any], fmt: Format) -> str:
    first = story["first"]
    spread = f" ({story['posts']} posts in {len(story['channels'])} channels)"
    spread = spread if story["posts"] > 1 else ""
    if fmt == "html":
        return (
            f'• <a href="{html.escape(first["link"])}">{html.escape(first["channel"])}</a>'
            f"{html.escape(spread)}: {_bold_html(story['snippet'])}"
        )
    if fmt == "markdown":
        return f"- [{first['channel']}]({first['link']}){spread}: {story['snippet']}"
    plain = story["snippet"].replace("**", "")
    return f"- {first['channel']} {first['link']}{spread}: {plain}"
