"""Render a ``Digest`` as Telegram HTML messages, plain text or JSON.

Telegram caps a message at 4096 characters and an analyst's patience at a few messages, so
the HTML digest is packed from whole blocks (header, rule headings, stories) into at most
``max_messages`` messages, never splitting inside a story or a tag. When everything does not
fit, stories are chosen round-robin across rules in rank order (every rule shows its top
stories before any rule shows its tenth) and a footer counts what was left out. Text and
JSON are for the CLI and carry every story.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.digest.contents import Digest, DigestHit, RuleDigest, Story
from bot.text import make_snippet

SPARK = "▁▂▃▄▅▆▇█"
_TITLE_CHARS = 40
_HEADER_RULES = 20


def sparkline(counts: Sequence[int]) -> str:
    """One bar per count; empty slices are the lowest bar, any hit at least the second."""
    top = max(counts, default=0)
    if top == 0:
        return SPARK[0] * len(counts)
    steps = len(SPARK) - 1
    return "".join(SPARK[0] if n == 0 else SPARK[max(1, round(n / top * steps))] for n in counts)


def _when(moment: datetime, tz: ZoneInfo, clock: str = "%d %b %H:%M", zone: bool = False) -> str:
    """The reader's wall clock, with the zone's abbreviation when ``zone`` is asked for or the
    wall clock alone is ambiguous: after a fall-back, 03:30 EEST and 03:30 EET are an hour
    apart and must not read the same."""
    local = moment.astimezone(tz)
    repeated = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    return local.strftime(f"{clock} %Z" if zone or repeated else clock)


def _period(digest: Digest) -> str:
    """Both ends in the digest's zone; across a DST change each end names its offset (08:00
    EEST – 08:00 EET), so a 25-hour day does not pass for 24."""
    since = digest.period.since.astimezone(digest.tz)
    until = digest.period.until.astimezone(digest.tz)
    shifted = since.utcoffset() != until.utcoffset()
    clock = "%H:%M" if since.date() == until.date() else "%d %b %H:%M"
    start = _when(since, digest.tz, zone=shifted)
    return f"{start} – {_when(until, digest.tz, clock, zone=shifted)} ({digest.tz.key})"


def _title(hit: DigestHit) -> str:
    name = hit.channel_name
    return name if len(name) <= _TITLE_CHARS else name[: _TITLE_CHARS - 1] + "…"


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def _counts(story: Story) -> str:
    """``3 posts in 2 channels, 41k views``: how far the story went, where Telegram said."""
    counts = f"{_plural(story.size, 'post')} in {_plural(len(story.channels), 'channel')}"
    views = story.views
    return counts if views is None else f"{counts}, {_compact(views)} views"


def _compact(n: int) -> str:
    """41k, 1.2M: reach at a glance."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if n >= 10_000:
        return f"{round(n / 1000)}k"
    if n >= 1000:
        return f"{n / 1000:.1f}".rstrip("0").rstrip(".") + "k"
    return str(n)


def _edited(hit: DigestHit) -> str:
    return " · edited" if hit.edited else ""


def _empty(digest: Digest) -> str:
    return f"Nothing new since {_when(digest.period.since, digest.tz)} ({digest.tz.key})."


# --- HTML ----------------------------------------------------------------------------------


def _a(hit: DigestHit) -> str:
    return f'<a href="{html.escape(hit.link)}">{html.escape(_title(hit), quote=False)}</a>'


def _html_story(story: Story, digest: Digest) -> str:
    first = story.first
    snippet = make_snippet(first.text, first.spans, digest.options.snippet_width)
    lines = [
        f"<b>{_counts(story)}</b> · first {_a(first)} at {_when(first.date, digest.tz)}"
        f"{_edited(first)}",
        snippet.html(),
    ]
    others = list(story.channels[1:])
    if others:
        shown = ", ".join(_a(hit) for hit in others[: digest.options.other_links])
        more = len(others) - digest.options.other_links
        lines.append(f"also: {shown}" + (f" +{more} more" if more > 0 else ""))
    return "\n".join(lines)


def _html_rule_heading(rule: RuleDigest, continued: bool = False) -> str:
    name = f"<b>{html.escape(rule.rule, quote=False)}</b>"
    if continued:
        return f"{name} (continued)"
    return f"{name} · {_plural(rule.hits, 'hit')} · {_plural(len(rule.stories), 'story')}"


def _html_header(digest: Digest) -> str:
    lines = [
        f"<b>Digest</b> {html.escape(_period(digest), quote=False)}",
        f"{_plural(digest.hits, 'hit')} · {_plural(digest.stories, 'story')} · "
        f"{_plural(len(digest.rules), 'rule')}",
    ]
    for rule in digest.rules[:_HEADER_RULES]:
        lines.append(
            f"<code>{sparkline(rule.histogram)}</code> {html.escape(rule.rule, quote=False)} "
            f"{rule.hits}"
        )
    if len(digest.rules) > _HEADER_RULES:
        lines.append(f"+{len(digest.rules) - _HEADER_RULES} more rules")
    return "\n".join(lines)


def _html_footer(left: dict[str, tuple[int, int]]) -> str:
    stories = sum(n for n, _ in left.values())
    posts = sum(p for _, p in left.values())
    named = list(left.items())[:_HEADER_RULES]
    per_rule = ", ".join(f"{html.escape(r, quote=False)} {n}" for r, (n, _) in named)
    rest = list(left.values())[len(named) :]
    if rest:
        unnamed = sum(n for n, _ in rest)
        per_rule += f" and {_plural(unnamed, 'story')} of {_plural(len(rest), 'more rule')}"
    return (
        f"<i>Left out: {_plural(stories, 'story')} ({_plural(posts, 'post')}) — {per_rule}. "
        "Ask for one rule with /digest to see them.</i>"
    )


@dataclass(frozen=True, slots=True)
class _Section:
    rule: RuleDigest
    stories: tuple[str, ...]


def _pack(header: str, sections: list[_Section], footer: str | None, limit: int) -> list[str]:
    """Whole blocks into messages of at most ``limit`` characters, in order."""
    messages: list[str] = []
    current = header

    def add(block: str, heading_if_new: str | None = None) -> None:
        nonlocal current
        if len(current) + 2 + len(block) <= limit:
            current = f"{current}\n\n{block}" if current else block
            return
        messages.append(current)
        current = f"{heading_if_new}\n\n{block}" if heading_if_new else block

    for section in sections:
        add(
            f"{_html_rule_heading(section.rule)}\n\n{section.stories[0]}",
            heading_if_new=None,
        )
        for story in section.stories[1:]:
            add(story, heading_if_new=_html_rule_heading(section.rule, continued=True))
    if footer is not None:
        add(footer)
    messages.append(current)
    return messages


def render_html(digest: Digest) -> list[str]:
    """Telegram HTML messages (each within ``message_limit``), at most ``max_messages``."""
    options = digest.options
    if digest.hits == 0:
        return [html.escape(_empty(digest), quote=False)] if options.show_empty else []
    rules = {rule.rule: rule for rule in digest.rules}
    header = _html_header(digest)
    # Render stories in round-robin order only until they could not possibly fit: a digest of
    # thousands of stories shows a few dozen, and snippets are the costly part.
    room = options.max_messages * options.message_limit - len(header)
    blocks: dict[tuple[str, int], str] = {}
    for rule_name, index in _round_robin(digest.rules):
        block = _html_story(rules[rule_name].stories[index], digest)
        blocks[(rule_name, index)] = block
        room -= len(block) + 2
        if room < 0:
            break
    order = list(blocks)

    def attempt(shown: int) -> list[str]:
        chosen = set(order[:shown])
        sections = []
        for rule in digest.rules:
            picked = tuple(
                blocks[(rule.rule, i)] for i in range(len(rule.stories)) if (rule.rule, i) in chosen
            )
            if picked:
                sections.append(_Section(rule, picked))
        left = _left_out(digest, chosen)
        return _pack(header, sections, _html_footer(left) if left else None, options.message_limit)

    low, high = 0, len(order) + 1  # attempt(low) fits; attempt(high) does not (or is past the end)
    while high - low > 1:
        middle = (low + high) // 2
        if len(attempt(middle)) <= options.max_messages:
            low = middle
        else:
            high = middle
    return attempt(low)


def _round_robin(rules: Sequence[RuleDigest]) -> list[tuple[str, int]]:
    """(rule, story index) pairs: every rule's first story, then every rule's second, ..."""
    depth = max((len(rule.stories) for rule in rules), default=0)
    return [(rule.rule, i) for i in range(depth) for rule in rules if i < len(rule.stories)]


def _left_out(digest: Digest, chosen: set[tuple[str, int]]) -> dict[str, tuple[int, int]]:
    left: dict[str, tuple[int, int]] = {}
    for rule in digest.rules:
        missing = [s for i, s in enumerate(rule.stories) if (rule.rule, i) not in chosen]
        if missing:
            left[rule.rule] = (len(missing), sum(s.size for s in missing))
    return left


# --- text and JSON -------------------------------------------------------------------------


def render_text(digest: Digest) -> str:
    """Plain text with every story; matched words between ``**``."""
    if digest.hits == 0:
        return _empty(digest)
    lines = [
        f"Digest {_period(digest)}",
        f"{_plural(digest.hits, 'hit')}, {_plural(digest.stories, 'story')}, "
        f"{_plural(len(digest.rules), 'rule')}",
    ]
    lines += [f"  {sparkline(rule.histogram)} {rule.rule} {rule.hits}" for rule in digest.rules]
    for rule in digest.rules:
        lines += [
            "",
            f"== {rule.rule}: {_plural(rule.hits, 'hit')}, {_plural(len(rule.stories), 'story')}",
        ]
        for story in rule.stories:
            first = story.first
            snippet = make_snippet(first.text, first.spans, digest.options.snippet_width)
            lines += [
                "",
                f"* {_counts(story)}; first {first.channel_name} at "
                f"{_when(first.date, digest.tz)}{_edited(first)} {first.link}",
                f"  {snippet.marked()}",
            ]
            lines += [f"  also {hit.channel_name} {hit.link}" for hit in story.channels[1:]]
    return "\n".join(lines)


def digest_to_dict(digest: Digest) -> dict[str, object]:
    """The JSON shape of issue 8; dates are ISO 8601 in the digest's time zone."""

    def iso(moment: datetime) -> str:
        return moment.astimezone(digest.tz).isoformat()

    return {
        "since": iso(digest.period.since),
        "until": iso(digest.period.until),
        "rules": [
            {
                "rule": rule.rule,
                "hits": rule.hits,
                "stories": [
                    {
                        "posts": story.size,
                        "channels": [hit.channel_name for hit in story.channels],
                        "views": story.views,
                        "first": {
                            "channel": story.first.channel_name,
                            "message_id": story.first.message_id,
                            "date": iso(story.first.date),
                            "link": story.first.link,
                            "edited": story.first.edited,
                        },
                        "snippet": make_snippet(
                            story.first.text, story.first.spans, digest.options.snippet_width
                        ).marked(),
                    }
                    for story in rule.stories
                ],
            }
            for rule in digest.rules
        ],
    }


def render_json(digest: Digest) -> str:
    return json.dumps(digest_to_dict(digest), ensure_ascii=False, indent=2)
