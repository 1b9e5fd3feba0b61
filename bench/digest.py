"""Digest build time for a period's hits: story folding and rendering of 2,000 hits.

The issue's target is < 200 ms for a digest over 1,000,000 stored messages, SQL included;
this measures the pure half (the storage query is benchmarked with storage). The hits are
synthetic but shaped like a busy news day: ~1,000 distinct ru/uk/en posts of 20-120 words
over 5 rules and 80 channels, a third of the hits reposted as exact copies, copies with a
channel footer, lightly edited copies, or forwards carrying their source ids.

Prints the median of several runs: build (cold fingerprints, i.e. every post normalized and
min-hashed), build (warm, fingerprints reused as a long-lived scheduler would), and each
renderer.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.digest import (
    DigestHit,
    Fingerprints,
    Period,
    build_digest,
    render_html,
    render_json,
    render_text,
)

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    hits, period = make_hits(args.hits)
    tz = ZoneInfo("Europe/Kyiv")
    build_digest(hits[:50], period, tz)  # imports, LSH parameters, permutations
    cold = median_ms(lambda: build_digest(hits, period, tz), args.runs)
    prints = Fingerprints()
    build_digest(hits, period, tz, fingerprints=prints)
    warm = median_ms(lambda: build_digest(hits, period, tz, fingerprints=prints), args.runs)
    digest = build_digest(hits, period, tz)
    html_ms = median_ms(lambda: render_html(digest), args.runs)
    text_ms = median_ms(lambda: render_text(digest), args.runs)
    json_ms = median_ms(lambda: render_json(digest), args.runs)
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


if __name__ == "__main__":
    main()
