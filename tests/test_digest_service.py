"""The digest from the database: which hits a period and a set of subscriptions cover, the
query plan that keeps it fast, and the /digest entry point the bot calls."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest import DigestHit, Fingerprints, render_html
from bot.digest.gather import (
    Coverage,
    DigestError,
    digest_for,
    digest_for_chat,
    parse_digest_args,
    parse_moment,
    period_length,
    render_demo_digest,
)
from storage import channels, deletions, digests, rules
from storage.database import Database
from tests.support.digest_dataset import DAY, OSINT, T0, VISNYK, add_subscriber, store_day

UTC_ZONE = ZoneInfo("UTC")
KYIV = ZoneInfo("Europe/Kyiv")
NOW = DAY[1]


async def test_period_query_returns_the_periods_hits_oldest_first(db: Database) -> None:
    await store_day(db)
    rows = await digests.hits_between(db, *DAY)
    assert [(r.rule, r.channel_telegram_id, r.message_id) for r in rows] == [
        ("dprk-kursk", 1001, 10),
        ("dprk-kursk", 1002, 20),
        ("dprk-kursk", 1003, 30),
        ("belgorod", 1001, 11),
        ("kyiv-power", 1002, 21),
    ]
    first = rows[0]
    assert [first.text[s:e] for s, e in first.spans] == ["Курском", "КНДР"]


async def test_rules_and_tags_select_hits_like_instant_routing(db: Database) -> None:
    await store_day(db)

    async def keys(**kw: object) -> set[tuple[str, int]]:
        rows = await digests.hits_between(db, *DAY, **kw)  # type: ignore[arg-type]
        return {(r.rule, r.message_id) for r in rows}

    assert await keys(rules=["belgorod"]) == {("belgorod", 11)}
    # tag:ua covers every rule's hits in the channels tagged ua
    assert await keys(rules=[], tags=["ua"]) == {("dprk-kursk", 20), ("kyiv-power", 21)}
    assert await keys(rules=["belgorod"], tags=["osint"]) == {("belgorod", 11), ("dprk-kursk", 30)}
    assert await keys(rules=[]) == set()
    assert await keys(rules=["no-such-rule"]) == set()


async def test_deleted_posts_are_left_out(db: Database) -> None:
    await store_day(db)
    visnyk = await channels.find(db, telegram_id=VISNYK.telegram_id)
    assert visnyk is not None
    await deletions.mark_deleted(db, visnyk.id, [20], via="live", at=T0)
    rows = await digests.hits_between(db, *DAY)
    assert (1002, 20) not in {(r.channel_telegram_id, r.message_id) for r in rows}
    assert len(rows) == 4


@pytest.mark.parametrize(
    ("rules", "tags", "index"),
    [(None, (), "hits_date"), (["a", "b"], (), "hits_rule_date"), (None, ["ua"], "hits_date")],
)
async def test_period_query_walks_a_hits_date_index_and_never_scans_messages(
    db: Database, rules: list[str] | None, tags: list[str], index: str
) -> None:
    sql, params = digests.period_query(*DAY, rules, tags)
    plan = [row[3] for row in await db.fetchall("EXPLAIN QUERY PLAN " + sql, params)]
    assert any(step.startswith(f"SEARCH h USING INDEX {index} ") for step in plan), plan
    assert "SEARCH m USING INTEGER PRIMARY KEY (rowid=?)" in plan
    assert not any(step.startswith(("SCAN m", "SCAN h", "SCAN messages")) for step in plan)


def test_coverage_reads_subscription_targets() -> None:
    coverage = Coverage.of(["rule:kursk", "tag:ua", "rule:", "bogus", "tag:mil"])
    assert coverage == Coverage(False, frozenset({"kursk"}), frozenset({"ua", "mil"}))
    assert Coverage.of(["all"]).everything
    assert Coverage.of([]).empty and not coverage.empty


async def test_digest_folds_the_cross_channel_repost_into_one_story(db: Database) -> None:
    await store_day(db)
    digest = await digest_for(db, since=DAY[0], until=DAY[1], rules=["dprk-kursk"], tz=KYIV)
    (rule,) = digest.rules
    assert rule.rule == "dprk-kursk" and rule.hits == 3
    sizes = sorted((s.size, len(s.channels)) for s in rule.stories)
    assert sizes == [(1, 1), (2, 2)]
    story = next(s for s in rule.stories if s.size == 2)
    assert story.first.channel_title == "Сводки Приграничья"
    assert [h.channel_name for h in story.channels] == ["Сводки Приграничья", VISNYK.title]


async def test_chat_digest_covers_its_subscriptions_in_its_time_zone(db: Database) -> None:
    await store_day(db)
    await add_subscriber(db, 7, "tag:osint", "rule:belgorod", timezone="Europe/Kyiv")
    digest = await digest_for_chat(db, 7, "24h", now=NOW)
    assert digest.tz == KYIV
    assert digest.period.until - digest.period.since == timedelta(hours=24)
    covered = {(r.rule, s.first.message_id) for r in digest.rules for s in r.stories}
    assert covered == {("belgorod", 11), ("dprk-kursk", 30)}
    assert str(OSINT.title) in render_html(digest)[0]


async def test_chat_digest_for_one_rule_and_its_errors(db: Database) -> None:
    await store_day(db)
    await add_subscriber(db, 8)  # no subscriptions
    one = await digest_for_chat(db, 8, timedelta(hours=24), "kyiv-power", now=NOW)
    assert [r.rule for r in one.rules] == ["kyiv-power"]
    with pytest.raises(DigestError, match="Nothing to digest"):
        await digest_for_chat(db, 8, "24h", now=NOW)
    with pytest.raises(DigestError, match="no rule named 'курск'"):
        await digest_for_chat(db, 8, "24h", "курск", now=NOW)


async def test_on_demand_digest_of_an_empty_period_says_nothing_new(db: Database) -> None:
    await store_day(db)
    await add_subscriber(db, 9, "all")
    digest = await digest_for_chat(db, 9, "6h", now=NOW + timedelta(days=3))
    assert digest.hits == 0
    (message,) = render_html(digest)
    assert message.startswith("Nothing new since")


def test_digest_arguments_in_either_order() -> None:
    assert parse_digest_args("") == (timedelta(hours=24), None)
    assert parse_digest_args("6h") == (timedelta(hours=6), None)
    assert parse_digest_args("dprk-kursk 7d") == (timedelta(days=7), "dprk-kursk")
    assert parse_digest_args("7D dprk-kursk") == (timedelta(days=7), "dprk-kursk")
    for bad in ("6h 7d", "a b", "0h", "999d"):
        with pytest.raises(DigestError):
            parse_digest_args(bad)


def test_moments_are_durations_before_now_or_dates_in_the_zone() -> None:
    assert parse_moment("24h", NOW, KYIV) == NOW - timedelta(hours=24)
    assert parse_moment("2024-10-27T08:00", NOW, KYIV) == T0  # 08:00 in Kyiv is 06:00 UTC
    assert parse_moment("2024-10-27T06:00+00:00", NOW, KYIV) == T0
    assert period_length("90m") == timedelta(minutes=90)
    with pytest.raises(DigestError, match="neither a period"):
        parse_moment("yesterday", NOW, KYIV)


async def test_reversed_period_is_a_clear_error(db: Database) -> None:
    with pytest.raises(DigestError, match="before it starts"):
        await digest_for(db, since=DAY[1], until=DAY[0], rules=None, tz=UTC_ZONE)


async def test_demo_digest_covers_every_stored_hit(db: Database) -> None:
    assert await render_demo_digest(db, UTC_ZONE) == "No hits stored, so no digest."
    await store_day(db)
    text = await render_demo_digest(db, UTC_ZONE)
    assert text.startswith("Digest 25 Oct 00:00 – 28 Oct 00:00 (UTC)")
    assert "6 hits, 5 stories, 3 rules" in text
    assert "2 posts in 2 channels" in text


def _hit(text: str) -> DigestHit:
    return DigestHit("r", 1, "Канал", None, 5, T0, text)


def test_fingerprints_follow_an_edit_of_the_same_post() -> None:
    prints = Fingerprints()
    before = prints.exact_key(_hit("Под Курском замечены военные КНДР"))
    after = prints.exact_key(_hit("Під Курськом помічені військові КНДР"))
    assert before != after
    assert prints.exact_key(_hit("ПОД КУРСКОМ  замечены военные КНДР")) == before


def test_fingerprints_start_afresh_past_their_bound_between_digests() -> None:
    prints = Fingerprints(max_texts=2)
    prints.add([_hit(f"Сообщение номер {n} о Белгороде") for n in range(3)])
    assert prints.texts == 3
    prints.trim()
    assert prints.texts == 0
    prints.add([_hit("Одно сообщение")])
    prints.trim()
    assert prints.texts == 1


class _GatedFingerprints(Fingerprints):
    """Fingerprints that wait, inside the build, for the event loop to open a gate: only a
    build running off the loop can see it opened."""

    def __init__(self) -> None:
        super().__init__()
        self.building = threading.Event()
        self.gate = threading.Event()
        self.opened: bool | None = None

    def add(self, hits: Iterable[DigestHit]) -> None:
        if self.opened is None:
            self.building.set()
            self.opened = self.gate.wait(timeout=5)  # a deadlock guard, not a timing
        super().add(hits)


async def test_the_digest_is_built_off_the_event_loop(db: Database) -> None:
    await store_day(db)
    prints = _GatedFingerprints()

    async def open_gate_once_building() -> None:
        await asyncio.to_thread(prints.building.wait, 5)
        prints.gate.set()

    digest, _ = await asyncio.gather(
        digest_for(db, since=DAY[0], until=DAY[1], rules=None, tz=KYIV, fingerprints=prints),
        open_gate_once_building(),
    )
    assert prints.opened is True
    assert digest.hits == 5


async def test_digests_sharing_fingerprints_in_threads_agree_with_one_alone(db: Database) -> None:
    await store_day(db)
    alone = await digest_for(db, since=DAY[0], until=DAY[1], rules=None, tz=KYIV)
    shared = Fingerprints(max_texts=1)  # every build trims what the other may be reading
    together = await asyncio.gather(
        *(
            digest_for(db, since=DAY[0], until=DAY[1], rules=None, tz=KYIV, fingerprints=shared)
            for _ in range(8)
        )
    )
    assert all(render_html(d) == render_html(alone) for d in together)


async def test_tag_coverage_is_read_when_the_digest_is_built(db: Database) -> None:
    """A re-tagged channel changes what a period's digest covers, past periods included:
    coverage is what the subscription means now (see ``storage.digests``)."""
    await store_day(db)
    await add_subscriber(db, 11, "tag:ua", timezone="Europe/Kyiv")

    async def covered() -> set[tuple[str, int]]:
        digest = await digest_for_chat(db, 11, "24h", now=NOW)
        return {(r.rule, h.message_id) for r in digest.rules for s in r.stories for h in s.hits}

    assert await covered() == {("dprk-kursk", 20), ("kyiv-power", 21)}  # Прикордонний вісник
    visnyk = await channels.find(db, telegram_id=VISNYK.telegram_id)
    osint = await channels.find(db, telegram_id=OSINT.telegram_id)
    assert visnyk is not None and osint is not None
    await channels.set_tags(db, visnyk.id, ["mil"])
    await channels.set_tags(db, osint.id, ["osint", "ua"])
    assert await covered() == {("dprk-kursk", 30)}  # the same period, the English channel now


async def test_deleted_and_paused_rules_on_demand(db: Database) -> None:
    await store_day(db)
    await add_subscriber(db, 12, "rule:belgorod", "rule:kyiv-power")
    await rules.remove(db, "belgorod")
    await rules.set_paused(db, "kyiv-power", True)
    digest = await digest_for_chat(db, 12, "24h", now=NOW)
    assert [r.rule for r in digest.rules] == ["kyiv-power"]  # caught while it was active
    assert "Белгород" not in render_html(digest)[0]
    with pytest.raises(DigestError, match="no rule named 'belgorod'"):
        await digest_for_chat(db, 12, "24h", "belgorod", now=NOW)
