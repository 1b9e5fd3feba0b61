"""New hits as the ingest pipeline hands them to the router, for the bot tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.pipeline.values import ChannelInfo, NewHit, Priority
from storage.database import Database

KURSK_NEWS = ChannelInfo(1500000001, "Курские новости", "kursk_news")
PRIVATE = ChannelInfo(1500000002, "Прикордонний вісник", None)
TEXT = "Войска КНДР замечены в Курской области"


def new_hit(
    hit_id: int,
    *,
    rule: str = "dprk-kursk",
    priority: Priority = "instant",
    channel: ChannelInfo = KURSK_NEWS,
    message_id: int = 42,
    date: datetime = datetime(2024, 10, 20, 12, 0, tzinfo=UTC),
    text: str = TEXT,
    spans: tuple[tuple[int, int], ...] = ((7, 11), (23, 30)),
    after_edit: bool = False,
) -> NewHit:
    words = tuple(text[s:e] for s, e in spans)
    return NewHit(hit_id, rule, priority, channel, message_id, date, text, spans, words, after_edit)


async def hit_rows(db: Database) -> list[tuple[int, str, int]]:
    rows = await db.fetchall(
        "SELECT m.message_id, r.name, h.after_edit FROM hits h"
        " JOIN messages m ON m.id = h.message_pk JOIN rules r ON r.id = h.rule_id"
        " ORDER BY m.message_id, r.name"
    )
    return [(r[0], r[1], r[2]) for r in rows]
