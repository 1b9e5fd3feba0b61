"""Digest build time: the pure core on 2,000 hits, then the whole digest over a database of
1,000,000 stored messages (the issue's target: < 200 ms, SQL included).

Core: synthetic hits shaped like a busy news day: ~1,000 distinct ru/uk/en posts of 20-120
words over 5 rules and 80 channels, a third of the hits reposted as exact copies, copies with
a channel footer, lightly edited copies, or forwards carrying their source ids. Prints the
median of several runs: build (cold fingerprints, i.e. every post normalized and min-hashed),
build (warm, fingerprints reused as a long-lived scheduler would), and each renderer.

Storage: a real SQLite file of 1,000,000 messages over 14 days in 200 channels, 2 % of them
hits of 20 rules (a third of those reposts of earlier hits), written once through the
storage layer and cached under ``data/bench/`` so reruns start at once. Timed: a 24 h digest
for a subscriber with 10 of the rules — query, build and ``render_html`` — as ``/digest``
runs it (cold fingerprints) and as the scheduler runs it (warm), and the query alone.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.report import emit
from bot.digest import (
    DigestHit,
    Fingerprints,
    Period,
    build_digest,
    render_html,
    render_json,
    render_text,
)
from bot.digest.gather import digest_for
from bot.pipeline.values import ChannelInfo, IncomingMessage
from storage import channels, digests, hits, messages, rules
from storage.database import open_database
from storage.digests import DigestRow
from storage.hits import HitRecord
from storage.messages import MessageRecord

_VOCABULARY = (
    "губернатор области сообщил ночью беспилотник сбили обломки упали крыша дом пострадавших "
    "нет службы работают район город село электроэнергия подстанция ремонт жители сирена "
    "тревога ракетная опасность укрытие взрывы ПВО Курск Белгород Брянск Харьков Сумы "
    "у києві через аварію на підстанції без світла залишилися понад тисяч абонентів "
    "енергетики обіцяють відновити живлення до вечора обстріл область повідомив голова "
    "dockworkers port walked off the job demanding back pay authority said grain shipments "
    "would continue under reserve crew drones attack overnight officials reported damage"
)
WORDS = tuple(_VOCABULARY.split())
RULES = ("kursk", "belgorod", "kyiv_power", "odesa_port", "drones")
FOOTERS = ("Подписывайтесь на канал", "Підписуйтесь 👉 @news", "Follow us for updates")


def make_hits(count: int, seed: int = 7) -> tuple[list[DigestHit], Period]:
    rnd = random.Random(seed)
    since = datetime(2024, 10, 27, 5, tzinfo=UTC)
    period = Period(since, since + timedelta(hours=12))
    originals: list[DigestHit] = []
    hits: list[DigestHit] = []
    for n in range(count):
        channel = rnd.randrange(80)
        date = since + timedelta(seconds=rnd.randrange(12 * 3600))
        source = rnd.choice(originals) if originals and rnd.random() < 0.35 else None
        forward: tuple[int | None, int | None] = (None, None)
        if source is None:
            text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(20, 120)))
            rule = rnd.choice(RULES)
        else:
            rule = source.rule
            kind = rnd.randrange(4)
            text = source.text
            if kind == 1:
                text = f"{text}\n\n{rnd.choice(FOOTERS)}"
            elif kind == 2:
                words = text.split()
                words[rnd.randrange(len(words))] = rnd.choice(WORDS)
                text = " ".join(words)
            elif kind == 3:
                forward = (source.channel_id, source.message_id)
            date = max(date, source.date)
        at = rnd.randrange(max(len(text) - 10, 1))
        hit = DigestHit(
            rule=rule,
            channel_id=1000 + channel,
            channel_title=f"Канал {channel}",
            channel_username=f"chan{channel}" if channel % 3 else None,
            message_id=n + 1,
            date=date,
            text=text,
            spans=((at, at + 6),),
            forward_channel_id=forward[0],
            forward_message_id=forward[1],
        )
        hits.append(hit)
        if source is None:
            originals.append(hit)
    return hits, period


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_core(count: int, runs: int) -> None:
    hits, period = make_hits(count)
    tz = ZoneInfo("Europe/Kyiv")
    build_digest(hits[:50], period, tz)  # imports, LSH parameters, permutations
    cold = median_ms(lambda: build_digest(hits, period, tz), runs)
    prints = Fingerprints()
    build_digest(hits, period, tz, fingerprints=prints)
    warm = median_ms(lambda: build_digest(hits, period, tz, fingerprints=prints), runs)
    digest = build_digest(hits, period, tz)
    html_ms = median_ms(lambda: render_html(digest), runs)
    text_ms = median_ms(lambda: render_text(digest), runs)
    json_ms = median_ms(lambda: render_json(digest), runs)
    messages = render_html(digest)
    print(
        f"{len(hits)} hits -> {digest.stories} stories in {len(digest.rules)} rules, "
        f"{len(messages)} HTML messages (max {max(len(m) for m in messages)} chars)"
    )
    print(f"build_digest, cold fingerprints: {cold:7.1f} ms")
    print(f"build_digest, warm fingerprints: {warm:7.1f} ms")
    print(f"render_html:                     {html_ms:7.1f} ms")
    print(f"render_text:                     {text_ms:7.1f} ms")
    print(f"render_json:                     {json_ms:7.1f} ms")
    print(f"cold build + html:               {cold + html_ms:7.1f} ms (target: well under 100)")


# --- the whole digest over a stored million ------------------------------------------------

BENCH_DIR = Path("data/bench")
END = datetime(2024, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=14)
CHANNELS = 200
STORED_RULES = tuple(f"rule{n:02d}" for n in range(20))
SUBSCRIBED = STORED_RULES[:10]
HIT_SHARE = 0.02
REPOST_SHARE = 0.33
_BATCH = 50_000
TARGET_MS = 200.0


def _message_rows(
    start: int, stop: int, total: int, rnd: random.Random, recent_hits: list[tuple[str, str]]
) -> tuple[list[MessageRecord], list[tuple[int, str, str]]]:
    """Messages ``start..stop`` (dates spread evenly over ``SPAN``) and which of them hit."""
    records: list[MessageRecord] = []
    hit_rows: list[tuple[int, str, str]] = []  # (index, rule, text)
    first = END - SPAN
    step = SPAN / total
    for index in range(start, stop):
        text = " ".join(rnd.choices(WORDS, k=rnd.randint(25, 45)))
        if rnd.random() < HIT_SHARE:
            if recent_hits and rnd.random() < REPOST_SHARE:
                rule, text = rnd.choice(recent_hits)
            else:
                rule = rnd.choice(STORED_RULES)
                recent_hits.append((rule, text))
                del recent_hits[:-500]
            hit_rows.append((index, rule, text))
        records.append(
            MessageRecord(
                channel_id=1 + index % CHANNELS,
                message=IncomingMessage(
                    ChannelInfo(1 + index % CHANNELS),
                    message_id=1 + index // CHANNELS,
                    date=first + step * index,
                    text=text,
                ),
            )
        )
    return records, hit_rows


async def fill_database(path: Path, total: int, seed: int = 11) -> None:
    """Write the benchmark database through the storage layer, atomically (a temp file that
    is renamed when complete, so an interrupted fill is never mistaken for a cache)."""
    partial = path.with_suffix(".partial")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    rnd = random.Random(seed)
    db = await open_database(partial)
    try:
        for n in range(CHANNELS):
            username = f"bench_{n}" if n % 3 else None
            await channels.ensure_seen(db, 2_000_000 + n, title=f"Канал {n}", username=username)
        rule_ids = {name: (await rules.add(db, name, name)).id for name in STORED_RULES}
        recent: list[tuple[str, str]] = []
        for start in range(0, total, _BATCH):
            records, hit_rows = _message_rows(start, min(start + _BATCH, total), total, rnd, recent)
            async with db.transaction():
                await messages.insert_many(db, records)
                # A fresh table numbers rows in insertion order: message i has id i + 1.
                await hits.insert_many(
                    db,
                    [
                        HitRecord(
                            message_pk=index + 1,
                            rule_id=rule_ids[rule],
                            spans=((0, len(text.split(" ", 1)[0])),),
                            words=(text.split(" ", 1)[0],),
                            date=records[index - start].message.date,
                        )
                        for index, rule, text in hit_rows
                    ],
                )
            print(f"  stored {min(start + _BATCH, total):>9,} messages", end="\r", flush=True)
        stored = await messages.count(db)
        if stored != total:
            raise RuntimeError(f"stored {stored} messages, expected {total}")
    finally:
        await db.close()
    partial.rename(path)
    print()


async def median_async_ms(action: Callable[[], Awaitable[object]], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def bench_storage(total: int, runs: int) -> None:
    path = BENCH_DIR / f"digest-{total}.db"
    if not path.exists():
        print(f"filling {path} (once; later runs reuse it)")
        started = time.perf_counter()
        await fill_database(path, total)
        print(f"filled in {time.perf_counter() - started:.0f} s")
    tz = ZoneInfo("Europe/Kyiv")
    since, until = END - timedelta(hours=24), END
    db = await open_database(path)
    try:
        stored, stored_hits = await messages.count(db), await hits.count(db)

        async def query() -> list[DigestRow]:
            return await digests.hits_between(db, since, until, rules=SUBSCRIBED)

        async def whole(
            prints: Fingerprints | None, days: int = 1, only: Sequence[str] | None = SUBSCRIBED
        ) -> list[str]:
            start = until - timedelta(days=days)
            digest = await digest_for(
                db, since=start, until=until, rules=only, tz=tz, fingerprints=prints
            )
            return render_html(digest)

        started = time.perf_counter()
        await whole(None)
        first_ms = (time.perf_counter() - started) * 1000
        query_ms = await median_async_ms(query, runs)
        cold_ms = await median_async_ms(lambda: whole(None), runs)
        prints = Fingerprints()
        await whole(prints)
        warm_ms = await median_async_ms(lambda: whole(prints), runs)
        week_ms = await median_async_ms(lambda: whole(None, days=7, only=None), max(runs // 2, 1))
        found = await query()
        digest = await digest_for(db, since=since, until=until, rules=SUBSCRIBED, tz=tz)
        parts = render_html(digest)
    finally:
        await db.close()
    print(
        f"{stored:,} messages, {stored_hits:,} hits; 24 h for {len(SUBSCRIBED)} rules: "
        f"{len(found):,} hits -> {digest.stories} stories, {len(parts)} HTML messages"
    )
    print(f"{'query only:':<40}{query_ms:7.1f} ms")
    print(f"{'first digest after opening the file:':<40}{first_ms:7.1f} ms")
    for label, ms in (("/digest 24h, cold", cold_ms), ("scheduler 24h, warm", warm_ms)):
        print(
            f"{label + ' (query+build+html):':<40}{ms:7.1f} ms"
            f"  ({ms / TARGET_MS:.2f} of the {TARGET_MS:.0f} ms target)"
        )
    print(f"{'/digest 7d, every rule, cold:':<40}{week_ms:7.1f} ms  (beyond the target's scope)")
    scope = f"24 h digest (query, build, HTML) over {stored:,} stored messages"
    emit("digest.cold", f"{scope}, cold as /digest", cold_ms, "ms", TARGET_MS, "lower")
    emit("digest.warm", f"{scope}, warm as the scheduler", warm_ms, "ms", TARGET_MS, "lower")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=2000, help="hits for the core benchmark")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=1_000_000, help="stored messages")
    parser.add_argument("--core-only", action="store_true", help="skip the database benchmark")
    args = parser.parse_args(argv)
    print("-- digest core (pure)")
    bench_core(args.hits, args.runs)
    if not args.core_only:
        print("-- whole digest over stored messages")
        asyncio.run(bench_storage(args.messages, args.runs))


if __name__ == "__main__":
    main()
