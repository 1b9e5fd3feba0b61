"""Surge and corroboration alerts as Telegram HTML (pure), bounded like the instant alert.

Both carry the rule's last 48 hours as a line of blocks, one an hour, so the reader sees at a
glance whether this is a spike out of nothing or a subject that has been building up.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.digest.contents import DigestHit
from bot.digest.render import sparkline
from bot.text import make_snippet
from bot.text.alerts import local_time, short_name
from bot.text.durations import spell_elapsed
from bot.trends.corroboration import Corroboration
from bot.trends.surges import Assessment

SPARK_HOURS = 48
OTHERS_SHOWN = 10
_SNIPPET = 300


def spark(hourly: Sequence[int]) -> str:
    """The last 48 hours, oldest first, and the busiest hour's count for scale."""
    shown = list(hourly)[-SPARK_HOURS:]
    return f"<code>{sparkline(shown)}</code> 48 h, busiest hour {max(shown, default=0)}"


def expected_text(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def ratio_text(seen: Assessment) -> str:
    if seen.expected < 0.05:
        return "out of nowhere"
    return f"{seen.ratio:.1f}×"


def render_surge(
    rule: str, seen: Assessment, window: timedelta, hourly: Sequence[int], zone: ZoneInfo
) -> str:
    """A surge raised: the window's hits against what the baseline expects then."""
    name = html.escape(short_name(rule))
    return (
        f"📈 <b>Surge: {name}</b>\n"
        f"{seen.observed} hits in the {spell_elapsed(window)} to {local_time(seen.at, zone)}; "
        f"about {expected_text(seen.expected)} usual at this hour of the week "
        f"({ratio_text(seen)}).\n"
        f"{spark(hourly)}\n\n"
        f"<code>/digest {int(window.total_seconds() // 60)}m {name}</code> lists them."
    )


def render_surge_ended(rule: str, started: datetime, ended: datetime, zone: ZoneInfo) -> str:
    return (
        f"📉 <b>Surge over: {html.escape(short_name(rule))}</b>\n"
        f"Back to its usual pace at {local_time(ended, zone)}, "
        f"{spell_elapsed(ended - started)} after it began."
    )


def render_corroboration(
    rule: str, seen: Corroboration, hourly: Sequence[int], zone: ZoneInfo
) -> str:
    """One story carried by several channels: who had it first, who followed, how fast."""
    first = seen.first
    others = seen.others[:OTHERS_SHOWN]
    more = len(seen.others) - len(others)
    quote = make_snippet(first.text, first.spans, _SNIPPET).html() if first.text else "(no text)"
    lines = [
        f"🛰 <b>{len(seen.others) + 1} channels carry one story: "
        f"{html.escape(short_name(rule))}</b>",
        f"within {spell_elapsed(seen.spread)}, first {_post(first, zone)}",
        "",
        quote,
        "",
        "Then:",
        *(f"• {_post(hit, zone)} (+{spell_elapsed(hit.date - first.date)})" for hit in others),
    ]
    if more > 0:
        lines.append(f"… and {more} more")
    lines += ["", spark(hourly)]
    return "\n".join(lines)


def _post(hit: DigestHit, zone: ZoneInfo) -> str:
    link = html.escape(hit.link)
    name = html.escape(short_name(hit.channel_name, 60))
    return f'<a href="{link}">{name}</a> at {local_time(hit.date, zone)}'
