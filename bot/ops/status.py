"""What ``chanwatch status`` and the bot's ``/status`` say, read from the database alone.

Nothing here asks the running process: the CLI must answer when the service is down (that is
when an operator most needs it), so the service records its life in ``service_state``
(``bot.ops.heartbeat``) and everything else is already in the tables.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.destinations.status import destination_lines
from bot.ops import heartbeat
from storage import channels, stats
from storage.channels import Channel
from storage.database import Database

HTML_LIMIT = 4096
STATE_ORDER = ("ok", "pending", "joining", "waiting", "failed")


@dataclass(frozen=True, slots=True)
class StatusReport:
    now: datetime
    zone: ZoneInfo
    schema_version: int
    life: heartbeat.ServiceLife
    channels: tuple[Channel, ...]  # watched channels, those needing attention first
    hits_since: datetime  # local midnight of ``now`` in ``zone``
    hits_by_rule: tuple[stats.RuleHits, ...]
    outbox: stats.OutboxCounts
    subscribers_active: int
    subscribers_inactive: tuple[stats.InactiveSubscriber, ...]
    subscribers_inactive_count: int
    destinations: tuple[str, ...] = ()  # one line each (bot.destinations.status)

    @property
    def running(self) -> bool:
        return self.life.running(self.now)

    @property
    def uptime(self) -> timedelta | None:
        return self.now - self.life.started_at if self.running and self.life.started_at else None

    @property
    def channel_states(self) -> dict[str, int]:
        counts = Counter[str](c.state for c in self.channels)
        return {s: counts[s] for s in STATE_ORDER if counts[s]}

    @property
    def attention(self) -> tuple[Channel, ...]:
        """Watched channels that are not reading normally."""
        return tuple(c for c in self.channels if c.state != "ok")

    @property
    def hits_today(self) -> int:
        return sum(r.hits for r in self.hits_by_rule)


def _attention_first(channel: Channel) -> tuple[int, str]:
    return (channel.state == "ok", channel.display_name.lower())


async def collect_status(
    db: Database, now: datetime, *, zone: ZoneInfo | None = None
) -> StatusReport:
    zone = zone or ZoneInfo("UTC")
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    watched = await channels.list_channels(db, watched_only=True)
    active, inactive_count = await stats.subscriber_counts(db)
    return StatusReport(
        now=now,
        zone=zone,
        schema_version=await db.schema_version(),
        life=await heartbeat.read(db),
        channels=tuple(sorted(watched, key=_attention_first)),
        hits_since=midnight,
        hits_by_rule=tuple(await stats.hits_per_rule(db, midnight)),
        outbox=await stats.outbox_counts(db),
        subscribers_active=active,
        subscribers_inactive=tuple(await stats.inactive_subscribers(db)),
        subscribers_inactive_count=inactive_count,
        destinations=await destination_lines(db),
    )


def format_age(delta: timedelta) -> str:
    """A human duration: ``45 s``, ``12 min``, ``3 h 5 min``, ``2 d 4 h``."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _when(report: StatusReport, moment: datetime) -> str:
    return moment.astimezone(report.zone).strftime("%Y-%m-%d %H:%M %Z")


def _service_line(report: StatusReport) -> str:
    life = report.life
    if life.started_at is None:
        return "never started (no `chanwatch run` has used this database yet)"
    beat = life.heartbeat_at
    beat_text = f"last heartbeat {format_age(report.now - beat)} ago" if beat else "no heartbeat"
    if report.running and report.uptime is not None:
        since = _when(report, life.started_at)
        return f"running since {since} (up {format_age(report.uptime)}), {beat_text}"
    if life.stopped_at is not None and life.stopped_at >= life.started_at:
        return f"stopped at {_when(report, life.stopped_at)}"
    return f"not running: {beat_text} (killed or hung?)"


def _channel_detail(report: StatusReport, channel: Channel) -> str:
    text: str = channel.state
    if channel.state_detail:
        text += f": {channel.state_detail}"
    if channel.wait_until is not None and channel.wait_until > report.now:
        text += f" (retry in {format_age(channel.wait_until - report.now)})"
    return text


def _last_post(report: StatusReport, channel: Channel) -> str:
    if channel.last_post_at is None:
        return "no posts stored"
    age = f"last post {format_age(report.now - channel.last_post_at)} ago"
    # The mark is the reader's; a channel known only from replayed exports has none yet.
    return f"{age}, read up to id {channel.high_water}" if channel.high_water else age


def _summary_counts(report: StatusReport) -> str:
    states = ", ".join(f"{n} {s}" for s, n in report.channel_states.items())
    return f"{len(report.channels)} watched" + (f": {states}" if states else "")


def _outbox_line(report: StatusReport) -> str:
    box = report.outbox
    return f"{box.waiting} waiting, {box.failed} failed, {box.sent} sent"


def _subscriber_line(subscriber: stats.InactiveSubscriber) -> str:
    name = str(subscriber.chat_id) + (f" {subscriber.title}" if subscriber.title else "")
    return f"{name}: {subscriber.reason or 'no reason recorded'}"


def render_text(report: StatusReport, *, all_channels: bool = False) -> str:
    """Plain text for the terminal; ``all_channels`` lists healthy channels too."""
    lines = [
        f"chanwatch status at {_when(report, report.now)} (schema version {report.schema_version})",
        f"Service:     {_service_line(report)}",
        f"Channels:    {_summary_counts(report)}",
    ]
    shown = report.channels if all_channels else report.attention
    lines += [
        f"  {c.display_name}  {_channel_detail(report, c)}; {_last_post(report, c)}" for c in shown
    ]
    since = report.hits_since.astimezone(report.zone).strftime("%H:%M %Z")
    lines.append(f"Hits today:  {report.hits_today} (since {since})")
    lines += [f"  {r.rule}  {r.hits}" for r in report.hits_by_rule]
    lines.append(f"Outbox:      {_outbox_line(report)}")
    lines.append(
        f"Subscribers: {report.subscribers_active} active, "
        f"{report.subscribers_inactive_count} inactive"
    )
    lines += [f"  {_subscriber_line(s)}" for s in report.subscribers_inactive]
    if report.destinations:
        lines.append(f"Destinations: {len(report.destinations)}")
        lines += [f"  {line}" for line in report.destinations]
    if report.life.last_error:
        at = report.life.last_error_at
        prefix = f"{_when(report, at)} " if at else ""
        lines.append(f"Last error:  {prefix}{report.life.last_error}")
    return "\n".join(lines)


def render_html(report: StatusReport, *, limit: int = HTML_LIMIT) -> str:
    """Telegram HTML for ``/status``: escaped, and never longer than one message.

    Each list (channels needing attention, hits per rule, inactive subscribers) gets a fair
    share of what the fixed lines leave, and says how many items it had to leave out.
    """
    e = html.escape
    error = report.life.last_error
    sections = [
        (f"<b>chanwatch</b> — {e(_service_line(report))}", []),
        (
            f"<b>Channels:</b> {e(_summary_counts(report))}",
            [f"• {e(c.display_name)}: {e(_channel_detail(report, c))}" for c in report.attention],
        ),
        (
            f"<b>Hits today:</b> {report.hits_today}",
            [f"• <code>{e(r.rule)}</code> {r.hits}" for r in report.hits_by_rule],
        ),
        (f"<b>Outbox:</b> {e(_outbox_line(report))}", []),
        (
            f"<b>Subscribers:</b> {report.subscribers_active} active, "
            f"{report.subscribers_inactive_count} inactive",
            [f"• {e(_subscriber_line(s))}" for s in report.subscribers_inactive],
        ),
        *(
            [(f"<b>Destinations:</b> {len(report.destinations)}", [f"• {e(d)}" for d in dests])]
            if (dests := report.destinations)
            else []
        ),
        *([(f"<b>Last error:</b> {e(error)}", [])] if error else []),
    ]
    budget = limit - sum(len(heading) + 1 for heading, _ in sections)
    lists = sum(1 for _, items in sections if items)
    out: list[str] = []
    for heading, items in sections:
        out.append(heading)
        if items:
            share = max(0, budget // lists)
            kept = _fit(items, share)
            out += kept
            budget -= sum(len(line) + 1 for line in kept)
            lists -= 1
    return "\n".join(out)


def _fit(lines: list[str], budget: int) -> list[str]:
    """As many lines as fit in ``budget`` characters, then a count of the rest."""
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        rest = len(lines) - index
        more = f"… and {rest} more"
        reserve = 0 if rest == 1 else len(more) + 1
        if used + len(line) + 1 + reserve > budget:
            return [*kept, more] if used + len(more) + 1 <= budget else kept
        kept.append(line)
        used += len(line) + 1
    return kept
