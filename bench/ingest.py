"""Ingest benchmarks against SPEC section 7, on real SQLite files in a temporary directory.

1. Pipeline ingest: normalize + match + store, in batches, messages/s (target >= 5,000).
2. Replay of a generated 100,000-message Telegram Desktop export (target < 30 s).
3. Digest-style queries over 1,000,000 stored messages: a day's hits grouped by rule
   (target < 200 ms). The million rows are bulk-loaded with SQL, not through the pipeline,
   so the benchmark measures the query, not an hour of ingest.

``BENCH_SCALE=0.1 python -m bench.ingest`` runs everything at a tenth of the size.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.report import emit
from bot.pipeline.ingest import Pipeline
from bot.pipeline.replay import replay_export
from bot.pipeline.values import ChannelInfo, IncomingMessage
from storage import digests, hits, rules
from storage.database import Database, open_database

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
INGEST_MESSAGES = int(50_000 * SCALE)
REPLAY_MESSAGES = int(100_000 * SCALE)
STORED_MESSAGES = int(1_000_000 * SCALE)
RULES = 1_000
BATCH = 1_000
START = datetime(2024, 10, 1, tzinfo=UTC)

SENTENCES = (
    "Под Курском замечены военные из КНДР, колонна техники прошла через Льгов.",
    "Глава Белгородской области: за сутки 37 атак дронов, повреждены ЛЭП и автомобили.",
    "Північнокорейські військові вже на Курщині, повідомляє ГУР з посиланням на джерела.",
    "Сили оборони уразили пункт управління дронами поблизу Бєлгорода вночі.",
    "North Korean troops were reportedly seen near Kursk, officials say, citing satellite images.",
    "Traffic update: the bridge on the R-200 highway is open again after repairs.",
    "Реклама. Кредит наличными за 5 минут, ставка от 14% годовых, звоните сейчас.",
    "Евакуація з прикордонних сіл Сумської області триває, вивезено ще 120 людей.",
    "Погода в Курске: дождь, ветер до 12 м/с, ночью заморозки до минус трёх.",
    "Geolocated footage shows a convoy of military vehicles moving toward Sudzha.",
)
SYLLABLES = ("ка", "ро", "ве", "ли", "сто", "гор", "ны", "ми", "ду", "бра", "зе", "ту")


def rare_words(count: int) -> list[str]:
    """Place-name-like words that only the rules and a few posts use."""
    rnd = random.Random(0)
    found: set[str] = set()
    while len(found) < count:
        found.add("".join(rnd.choice(SYLLABLES) for _ in range(4)) + "ск")
    return sorted(found)


WORDS = rare_words(3 * RULES)


def message_text(rnd: random.Random) -> str:
    """About 300 characters of mixed ru/uk/en news text; one in 20 names a watched place."""
    text = " ".join(rnd.choice(SENTENCES) for _ in range(3))[:280]
    if rnd.random() < 0.05:
        text = f"{rnd.choice(WORDS).capitalize()}: {text}"
    return text


def rule_queries(rnd: random.Random, count: int) -> list[tuple[str, str]]:
    """A watchlist-like mix over the place names and news words: ORs, ANDs, phrases, NEAR."""
    found = []
    for i in range(count):
        a, b = WORDS[3 * i], WORDS[3 * i + 1]
        common = rnd.choice(("Курск", "дрон", "колонна", "drone", "евакуація", "Belgorod"))
        query = (
            f"{a} OR {b}",
            f"({a} OR {b}) AND {common}",
            f'"{a} {common}" OR {b}',
            f"{a} NEAR/5 {common}",
        )[i % 4]
        found.append((f"rule-{i:04d}", query))
    return found


async def seed_rules(db: Database, rnd: random.Random) -> None:
    async with db.transaction():
        for name, query in rule_queries(rnd, RULES):
            await rules.add(db, name, query, priority="digest")


async def bench_ingest(workdir: Path) -> float:
    rnd = random.Random(1)
    db = await open_database(workdir / "ingest.db")
    try:
        await seed_rules(db, rnd)
        pipeline = Pipeline(db)
        channels = [ChannelInfo(1_000_000 + i, f"Канал {i}", None) for i in range(50)]
        texts = [message_text(rnd) for _ in range(INGEST_MESSAGES)]
        started = time.perf_counter()
        found = 0
        for start in range(0, INGEST_MESSAGES, BATCH):
            batch = [
                IncomingMessage(
                    channel=channels[i % len(channels)],
                    message_id=i + 1,
                    date=START + timedelta(seconds=i),
                    text=texts[i],
                )
                for i in range(start, min(start + BATCH, INGEST_MESSAGES))
            ]
            found += len((await pipeline.ingest(batch)).new_hits)
        elapsed = time.perf_counter() - started
    finally:
        await db.close()
    rate = INGEST_MESSAGES / elapsed
    print(
        f"ingest: {INGEST_MESSAGES} messages, {RULES} rules, {found} hits in {elapsed:.1f} s"
        f" = {rate:,.0f} messages/s (target 5,000/s: {rate / 5000:.2f}x)"
    )
    return rate


def write_export(path: Path, count: int) -> None:
    """A full-account export of ``count`` messages over ten channels, streamed to disk."""
    rnd = random.Random(2)
    per_chat = count // 10
    with path.open("w", encoding="utf-8") as out:
        out.write('{"chats": {"list": [')
        for chat in range(10):
            head = {"name": f"Канал {chat}", "type": "public_channel", "id": 2_000_000 + chat}
            out.write(("," if chat else "") + json.dumps(head, ensure_ascii=False)[:-1])
            out.write(', "messages": [')
            for i in range(1, per_chat + 1):
                when = int((START + timedelta(minutes=i)).timestamp())
                item = {
                    "id": i,
                    "type": "message",
                    "date": "2024-10-01T00:00:00",
                    "date_unixtime": str(when),
                    "text": message_text(rnd),
                }
                out.write(("," if i > 1 else "") + json.dumps(item, ensure_ascii=False))
            out.write("]}")
        out.write("]}}")


async def bench_replay(workdir: Path) -> float:
    export = workdir / "result.json"
    write_export(export, REPLAY_MESSAGES)
    db = await open_database(workdir / "replay.db")
    try:
        await seed_rules(db, random.Random(1))
        started = time.perf_counter()
        summary = await replay_export(db, export)
        elapsed = time.perf_counter() - started
    finally:
        await db.close()
    size = export.stat().st_size / 1e6
    print(
        f"replay: {summary.read} messages ({size:.0f} MB export) in {elapsed:.1f} s"
        f" (target < 30 s for 100,000: {30 / elapsed * REPLAY_MESSAGES / 100_000:.2f}x margin)"
    )
    return elapsed


def bulk_load(path: Path, count: int) -> None:
    """``count`` messages over 60 days in 200 channels, 2 % of them hit by one of 50 rules."""
    rnd = random.Random(3)
    now = int(START.timestamp())
    span = 60 * 86_400
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executemany(
            "INSERT INTO channels (telegram_id, title, created_at, updated_at) VALUES (?,?,?,?)",
            [(3_000_000 + c, f"Канал {c}", now, now) for c in range(200)],
        )
        conn.executemany(
            "INSERT INTO rules (name, query, created_at, updated_at) VALUES (?,?,?,?)",
            [(f"rule-{r:02d}", "Курск", now, now) for r in range(50)],
        )
        dates = sorted(now + rnd.randrange(span) for _ in range(count))
        conn.executemany(
            "INSERT INTO messages (id, channel_id, message_id, date, text, ingested_at)"
            " VALUES (?,?,?,?,?,?)",
            ((i, 1 + i % 200, i, d, SENTENCES[i % 10], now) for i, d in enumerate(dates, 1)),
        )
        hit_ids = sorted(rnd.sample(range(1, count + 1), count // 50))
        conn.executemany(
            "INSERT INTO hits (message_pk, rule_id, matched, date, created_at) VALUES (?,?,?,?,?)",
            (
                (pk, 1 + pk % 50, '{"spans": [[3, 10]], "words": ["Курском"]}', dates[pk - 1], now)
                for pk in hit_ids
            ),
        )


async def bench_digest_queries(workdir: Path) -> float:
    path = workdir / "million.db"
    await (await open_database(path)).close()  # the schema, before the bulk load
    started = time.perf_counter()
    bulk_load(path, STORED_MESSAGES)
    print(f"digest: loaded {STORED_MESSAGES:,} messages in {time.perf_counter() - started:.0f} s")
    db = await open_database(path)
    try:
        since = START + timedelta(days=30)
        timings = []
        for days in (1, 1, 1, 7):
            t0 = time.perf_counter()
            found = await digests.hits_between(db, since, since + timedelta(days=days))
            grouped: dict[str, int] = {}
            for hit in found:
                grouped[hit.rule] = grouped.get(hit.rule, 0) + 1
            timings.append((days, len(found), len(grouped), time.perf_counter() - t0))
            t0 = time.perf_counter()
            await hits.counts_per_rule(db, since, since + timedelta(days=days))
            timings[-1] = (*timings[-1], time.perf_counter() - t0)
    finally:
        await db.close()
    for days, count, groups, elapsed, counting in timings[2:]:
        print(
            f"digest: {days} day(s) of hits over {STORED_MESSAGES:,} messages: {count} hits in"
            f" {groups} rules, {elapsed * 1000:.0f} ms with texts, {counting * 1000:.0f} ms"
            f" counts only (target < 200 ms: {0.2 / elapsed:.1f}x)"
        )
    return timings[2][3]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="chanwatch-bench-") as tmp:
        workdir = Path(tmp)
        rate = asyncio.run(bench_ingest(workdir))
        replay_s = asyncio.run(bench_replay(workdir))
        query_s = asyncio.run(bench_digest_queries(workdir))
    emit(
        "ingest.rate",
        f"ingest (normalize, match {RULES:,} rules, store), {INGEST_MESSAGES:,} messages",
        rate,
        "msg/s",
        target=5_000,
    )
    emit(
        "ingest.replay",
        f"replay of a {REPLAY_MESSAGES:,}-message export",
        replay_s,
        "s",
        target=30 * REPLAY_MESSAGES / 100_000,
        better="lower",
    )
    emit(
        "ingest.digest_query",
        f"digest-style query, a day's hits with texts, over {STORED_MESSAGES:,} stored messages",
        query_s * 1000,
        "ms",
        target=200,
        better="lower",
    )


if __name__ == "__main__":
    main()
