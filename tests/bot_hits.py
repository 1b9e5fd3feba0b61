"""A stand-in for the pipeline's NewHit in bot tests (same fields the router reads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.pipeline.model import ChannelInfo

KURSK_NEWS = ChannelInfo(1500000001, "Курские новости", "kursk_news")
PRIVATE = ChannelInfo(1500000002, "Прикордонний вісник", None)


@dataclass(frozen=True)
class Hit:
    hit_id: int
    rule: str = "dprk-kursk"
    priority: str = "instant"
    channel: ChannelInfo = KURSK_NEWS
    message_id: int = 42
    date: datetime = datetime(2024, 10, 20, 12, 0, tzinfo=UTC)
    text: str = "Войска КНДР замечены в Курской области"
    spans: tuple[tuple[int, int], ...] = ((7, 11), (23, 30))
    words: tuple[str, ...] = field(default=("КНДР", "Курской"))
    after_edit: bool = False
