"""A small ru/uk/en day of posts, stored through the real pipeline, for the digest tests.

Three channels: a Russian one with a public username, a Ukrainian one tagged ``ua`` that
reposts the Russian report with its own footer, and an English one without a username
(tagged ``osint``). One report is carried by two channels and must fold into one story.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from storage import channels, rules, subscribers
from storage.database import Database

T0 = datetime(2024, 10, 27, 6, tzinfo=UTC)
DAY = (T0, T0 + timedelta(hours=24))

SVODKI = ChannelInfo(1001, "Сводки Приграничья", "svodki_prigran")
VISNYK = ChannelInfo(1002, "Прикордонний вісник", "prykordon")
OSINT = ChannelInfo(1003, "Border Watch OSINT", None)

RULES = {
    "dprk-kursk": '(КНДР OR северокорейский OR "North Korean") AND (Курск OR Курщина OR Kursk)',
    "belgorod": "Белгород OR Belgorod",
    "kyiv-power": "підстанція OR блекаут",
}

KURSK_RU = (
    "Под Курском, по словам местных жителей, замечены военные из КНДР. Колонна техники "
    "прошла через Льгов в сторону Суджи."
)
POSTS: tuple[tuple[ChannelInfo, int, timedelta, str], ...] = (
    (SVODKI, 10, timedelta(hours=1), KURSK_RU),
    (VISNYK, 20, timedelta(hours=2), f"⚡ {KURSK_RU}\n\nПідписуйтесь 👉 @prykordon"),
    (
        OSINT,
        30,
        timedelta(hours=3),
        "North Korean troops reportedly arrived at training grounds in Kursk oblast, per "
        "Ukrainian intelligence. Not independently verified.",
    ),
    (SVODKI, 11, timedelta(hours=4), "В Белгороде снова объявлена ракетная опасность."),
    (
        VISNYK,
        21,
        timedelta(hours=5),
        "У Києві через аварію на підстанції без світла залишилися понад 20 тисяч абонентів.",
    ),
    (SVODKI, 9, -timedelta(days=2), "Два дня назад: КНДР и Курск, старое сообщение."),
)


async def store_day(db: Database) -> None:
    """Rules, tags and the posts above, matched and stored by the ingest pipeline."""
    for name, query in RULES.items():
        await rules.add(db, name, query)
    batch = [
        IncomingMessage(channel=ch, message_id=mid, date=T0 + offset, text=text)
        for ch, mid, offset, text in POSTS
    ]
    await Pipeline(db).ingest(batch)
    for info, tags in ((VISNYK, ["ua"]), (OSINT, ["osint"])):
        found = await channels.find(db, telegram_id=info.telegram_id)
        assert found is not None
        await channels.set_tags(db, found.id, tags)


async def add_subscriber(
    db: Database,
    chat_id: int,
    *targets: str,
    schedule: str = "daily 08:00,20:00",
    timezone: str | None = None,
) -> None:
    await subscribers.ensure(db, chat_id, kind="user", title=None)
    for target in targets:
        await subscribers.subscribe(db, chat_id, target)
    await subscribers.set_digest_schedule(db, chat_id, schedule)
    await subscribers.set_timezone(db, chat_id, timezone)
