"""``collect_status`` and its renderings, on an empty and on a filled database."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cli.main import main
from bot.ops import heartbeat
from bot.ops.status import HTML_LIMIT, collect_status, format_age, render_html, render_text
from storage import channels, rules
from storage.database import Database, connect
from storage.unixtime import to_ts

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
KYIV = ZoneInfo("Europe/Kyiv")


async def add_hits(db: Database, channel_id: int, rule: str, dates: list[datetime]) -> None:
    rule_id = (await rules.get(db, rule)).id
    for n, date in enumerate(dates, start=1):
        message_pk = await db.execute(
            "INSERT INTO messages (channel_id, message_id, date, text, ingested_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (channel_id, 1000 + n + rule_id * 100, to_ts(date), "Курськ, КНДР", to_ts(NOW)),
        )
        await db.execute(
            "INSERT INTO hits (message_pk, rule_id, date, created_at) VALUES (?, ?, ?, ?)",
            (message_pk, rule_id, to_ts(date), to_ts(NOW)),
        )


async def fill(db: Database) -> None:
    ok = await channels.watch(db, "@rybar", username="rybar", telegram_id=101)
    waiting = await channels.watch(db, "@dva_majors", username="dva_majors", telegram_id=102)
    failed = await channels.watch(db, "t.me/+AbCdEf", tags=["ua"])
    await channels.watch(db, "@unwatched_later", telegram_id=104)
    await channels.unwatch(db, "@unwatched_later")
    await channels.set_state(db, ok.id, "ok")
    await channels.set_state(
        db, waiting.id, "waiting", detail="FloodWait", wait_until=NOW + timedelta(minutes=7)
    )
    await channels.set_state(db, failed.id, "failed", detail="invite link expired")
    await channels.advance_high_water(db, ok.id, 5120)
    await db.execute(
        "UPDATE channels SET last_post_at = ? WHERE id = ?",
        (to_ts(NOW - timedelta(minutes=3)), ok.id),
    )
    await rules.add(db, "dprk-kursk", "КНДР AND Курск", priority="instant")
    await rules.add(db, "buryatia", "бурят*")
    # midnight in Kyiv is 22:00 UTC the day before: the 23:00 UTC post counts as today there
    today = [NOW - timedelta(hours=1), NOW - timedelta(hours=13)]
    await add_hits(db, ok.id, "dprk-kursk", today)
    await add_hits(db, ok.id, "buryatia", [NOW - timedelta(days=2)])
    await db.executemany(
        "INSERT INTO outbox (dedup_key, chat_id, kind, body, not_before, status, created_at)"
        " VALUES (?, 1, 'alert', 'x', 0, ?, 0)",
        [("a", "pending"), ("b", "sending"), ("c", "failed"), ("d", "sent"), ("e", "sent")],
    )
    await db.executemany(
        "INSERT INTO subscribers (chat_id, kind, title, active, inactive_reason, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, 0, 0)",
        [
            (5001, "user", "Олена", 1, None),
            (-100777, "group", "Newsroom <desk>", 0, "bot was removed from the group"),
        ],
    )
    await heartbeat.mark_started(db, NOW - timedelta(hours=5, minutes=3))
    await heartbeat.beat(db, NOW - timedelta(seconds=30))
    await heartbeat.record_error(
        db, "FloodWait on  GetHistory\n for 17 s", NOW - timedelta(hours=1)
    )


async def test_empty_database(db: Database) -> None:
    report = await collect_status(db, NOW)
    assert not report.running and report.uptime is None
    assert report.channels == () and report.hits_today == 0
    assert report.outbox.waiting == 0 and report.subscribers_active == 0
    text = render_text(report)
    assert "never started" in text
    assert "0 watched" in text and "Hits today:  0" in text
    assert "Last error" not in text
    assert "never started" in render_html(report)


async def test_filled_database(db: Database) -> None:
    await fill(db)
    report = await collect_status(db, NOW, zone=KYIV)
    assert report.running
    assert report.uptime == timedelta(hours=5, minutes=3)
    assert [c.ref for c in report.attention] == ["@dva_majors", "t.me/+AbCdEf"]
    assert report.channel_states == {"ok": 1, "waiting": 1, "failed": 1}
    assert [(r.rule, r.hits) for r in report.hits_by_rule] == [("dprk-kursk", 2)]
    assert (report.outbox.pending, report.outbox.sending, report.outbox.failed) == (1, 1, 1)
    assert report.outbox.sent == 2 and report.outbox.waiting == 2
    assert report.subscribers_active == 1 and report.subscribers_inactive_count == 1
    assert report.life.last_error == "FloodWait on GetHistory for 17 s"

    text = render_text(report)
    assert "running since 2026-11-25 08:57 EET (up 5 h 3 min), last heartbeat 30 s ago" in text
    assert "3 watched: 1 ok, 1 waiting, 1 failed" in text
    assert "waiting: FloodWait (retry in 7 min)" in text
    assert "failed: invite link expired" in text
    assert "rybar" not in text  # healthy channels only with --all-channels
    assert "dprk-kursk  2" in text and "buryatia" not in text
    assert "Outbox:      2 waiting, 1 failed, 2 sent" in text
    assert "-100777 Newsroom <desk>: bot was removed from the group" in text
    assert "Last error:  2026-11-25 13:00 EET FloodWait on GetHistory for 17 s" in text
    full = render_text(report, all_channels=True)
    assert "@rybar  ok; last post 3 min ago, read up to id 5120" in full


async def test_hits_today_follow_the_time_zone(db: Database) -> None:
    await fill(db)
    utc = await collect_status(db, NOW)
    assert utc.hits_today == 1  # 23:00 UTC yesterday is not today in UTC
    assert (await collect_status(db, NOW, zone=KYIV)).hits_today == 2


async def test_killed_and_stopped_services_are_told_apart(db: Database) -> None:
    await heartbeat.mark_started(db, NOW - timedelta(hours=2))
    killed = await collect_status(db, NOW)
    assert not killed.running
    assert "not running: last heartbeat 2 h ago (killed or hung?)" in render_text(killed)
    await heartbeat.mark_stopped(db, NOW - timedelta(hours=1))
    assert "stopped at 2026-11-25 11:00 UTC" in render_text(await collect_status(db, NOW))


async def test_html_is_escaped(db: Database) -> None:
    await fill(db)
    text = render_html(await collect_status(db, NOW))
    assert "<b>Channels:</b> 3 watched" in text
    assert "• t.me/+AbCdEf: failed: invite link expired" in text
    assert "• <code>dprk-kursk</code> 1" in text
    assert "• -100777 Newsroom &lt;desk&gt;: bot was removed from the group" in text
    assert "<desk>" not in text


async def test_html_fits_one_message_with_thousands_of_problems(db: Database) -> None:
    for n in range(600):
        channel = await channels.watch(db, f"@channel_{n:04d}", telegram_id=10_000 + n)
        await channels.set_state(db, channel.id, "failed", detail="<b>" + "ошибка " * 10)
    for n in range(300):
        await rules.add(db, f"правило-{n:03d}", "Курск")
    await heartbeat.record_error(db, "x" * 5000, NOW)
    text = render_html(await collect_status(db, NOW))
    assert len(text) <= HTML_LIMIT
    assert "… and " in text and " more" in text
    assert "<b>ошибка" not in text  # the hostile detail is escaped, never markup


async def test_format_age() -> None:
    assert format_age(timedelta(seconds=-5)) == "0 s"
    assert format_age(timedelta(seconds=59)) == "59 s"
    assert format_age(timedelta(minutes=12, seconds=5)) == "12 min"
    assert format_age(timedelta(hours=3)) == "3 h"
    assert format_age(timedelta(hours=3, minutes=5)) == "3 h 5 min"
    assert format_age(timedelta(days=2, hours=4, minutes=1)) == "2 d 4 h"


def test_cli_status(tmp_path: Path) -> None:
    path = tmp_path / "status.db"

    async def prepare() -> None:
        async with connect(path) as db:
            await fill(db)

    asyncio.run(prepare())
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", str(path), "status", "--all-channels"], environ={}, stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert "3 watched" in out.getvalue() and "@rybar" in out.getvalue()
