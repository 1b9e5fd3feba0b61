"""Posts for the surge and corroboration tests, stored through the real ingest pipeline.

A rule ``kndr`` (marked ``surge = true``) and six channels in three languages. The quiet
history has distinct texts (random words around the matched one), so no two quiet posts
fold into one story; the surge is more of the same; a story is one report copied by several
channels with their own footers, as reposts look.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from bot.watchlist.actions import apply_watchlist
from bot.watchlist.parse import parse_watchlist
from storage.database import Database

NOW = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)  # a Wednesday afternoon
RULE = "kndr"
WATCHLIST = """
[[rules]]
name = "kndr"
query = 'КНДР OR північнокорейськ* OR "North Korea"'
priority = "digest"
surge = true
"""
CHANNELS = (
    ChannelInfo(2001, "Сводки Приграничья", "svodki_prigran"),
    ChannelInfo(2002, "Прикордонний вісник", "prykordon"),
    ChannelInfo(2003, "Border Watch OSINT", None),
    ChannelInfo(2004, "Военный обозреватель", "voenoboz"),
    ChannelInfo(2005, "Новини Сумщини", "novyny_sumy"),
    ChannelInfo(2006, "Frontline Digest", "frontline_digest"),
)
_WORDS = {
    "ru": [
        "колонна",
        "техника",
        "граница",
        "область",
        "сообщают",
        "источники",
        "ночью",
        "утром",
        "район",
        "жители",
        "военные",
        "переброска",
        "эшелон",
        "штаб",
        "учения",
        "город",
        "трасса",
        "сводка",
        "данные",
    ],
    "uk": [
        "колона",
        "техніка",
        "кордон",
        "область",
        "повідомляють",
        "джерела",
        "вночі",
        "вранці",
        "район",
        "мешканці",
        "військові",
        "перекидання",
        "ешелон",
        "штаб",
        "навчання",
        "місто",
        "траса",
        "зведення",
        "дані",
    ],
    "en": [
        "convoy",
        "vehicles",
        "border",
        "region",
        "sources",
        "report",
        "overnight",
        "morning",
        "district",
        "residents",
        "troops",
        "transfer",
        "train",
        "headquarters",
        "drills",
        "city",
        "highway",
        "summary",
        "data",
    ],
}
_MATCH = {"ru": "КНДР", "uk": "північнокорейські", "en": "North Korea"}
_LANGS = ("ru", "uk", "en")
STORY = (
    "Военные КНДР прибыли на полигон под Курском: по данным источников, около трёх тысяч "
    "человек разместили в палаточном лагере, рядом замечены эшелоны с техникой."
)
FOOTERS = ("", "\n\nПодписывайтесь 👉 @voenoboz", "\n\n#срочно", "\n\nИсточник: сеть")


def _copy(i: int) -> str:
    """The report as channel ``i`` reposts it: its own footer, the odd one an emoji first."""
    text = f"{STORY}{FOOTERS[i % len(FOOTERS)]}"
    return f"⚡ {text}" if i % 3 == 2 else text


def quiet_text(rng: random.Random, n: int) -> str:
    lang = _LANGS[n % 3]
    words = rng.sample(_WORDS[lang], 9)
    words.insert(rng.randrange(len(words)), _MATCH[lang])
    return f"{' '.join(words)} {n}"


def quiet_posts(
    since: datetime, until: datetime, per_hour: float, seed: int = 1, first_id: int = 1
) -> list[IncomingMessage]:
    """Posts at an even pace (a Poisson count per quarter hour), distinct texts."""
    rng = random.Random(seed)
    out = []
    moment, n = since, first_id
    while moment < until:
        for _ in range(_poisson(rng, per_hour / 4)):
            channel = CHANNELS[n % len(CHANNELS)]
            date = moment + timedelta(seconds=rng.randrange(900))
            out.append(IncomingMessage(channel, n, date, quiet_text(rng, n)))
            n += 1
        moment += timedelta(minutes=15)
    return out


def story_posts(
    start: datetime, channels: int, spread: timedelta, first_id: int = 100_000
) -> list[IncomingMessage]:
    """One report copied by ``channels`` channels, evenly over ``spread``."""
    step = spread / max(1, channels - 1)
    return [
        IncomingMessage(
            CHANNELS[i],
            first_id + i,
            start + step * i,
            _copy(i),
        )
        for i in range(channels)
    ]


async def prepare(db: Database) -> None:
    """The rule from its watchlist (``surge = true``)."""
    await apply_watchlist(db, parse_watchlist(WATCHLIST), "cli")


async def store(db: Database, posts: Sequence[IncomingMessage]) -> None:
    await Pipeline(db).ingest(list(posts))


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k
