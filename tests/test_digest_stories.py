"""Story folding on real-looking ru/uk/en news: copies, forwards and light edits fold;
different reports on the same topic stay apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from datasketch import MinHash

from bot.digest import DigestHit, Fingerprints, fold_stories
from bot.digest.stories import NUM_PERM, fmix32, words

T0 = datetime(2024, 10, 27, 6, tzinfo=UTC)

KURSK = (
    "Губернатор Курской области сообщил, что ночью над Курском сбили три беспилотника. "
    "Обломки упали на крышу частного дома в Сеймском округе, пострадавших нет. "
    "На месте работают экстренные службы."
)
KYIV = (
    "У Києві через аварію на підстанції без світла залишилися понад 20 тисяч абонентів "
    "Оболонського району. Енергетики обіцяють відновити живлення до вечора."
)
ODESA = (
    "Dockworkers at the port of Odesa walked off the job on Tuesday, demanding back pay for "
    "three months. The port authority said grain shipments would continue under a reserve crew."
)
BELGOROD = "В Белгороде снова объявлена ракетная опасность."

VARIANTS = {
    "kursk": [
        KURSK,
        KURSK + "\n\nПодписывайтесь на Курск Онлайн",
        "⚡️ " + KURSK.replace("три беспилотника", "3 беспилотника"),
        KURSK.replace("пострадавших нет", "по предварительным данным, пострадавших нет"),
    ],
    "kyiv": [
        KYIV,
        "❗️" + KYIV + " Підписуйтесь 👉 @kyiv_news",
        KYIV.replace("залишилися", "залишились")
        .replace("20 тисяч", "20 тис.")
        .replace("живлення", "електропостачання"),
    ],
    "odesa": [ODESA, "BREAKING: " + ODESA + " Follow us for updates."],
    "belgorod": [BELGOROD, BELGOROD + " Подписаться", "‼️" + BELGOROD.rstrip(".")],
}
SAME_TOPIC = [
    "В Курской области за сутки зафиксировано более 40 прилетов по приграничным селам, "
    "сообщил губернатор. Повреждены линии электропередачи в Глушковском районе.",
    "Минобороны: над территорией Курской области ночью уничтожены восемь беспилотников. "
    "Еще два сбиты над Брянской областью.",
    "Жители Курска жалуются на сирены ночью: беспилотники снова летели над городом, "
    "губернатор призвал не публиковать видео работы ПВО.",
    "Укренерго: графіки відключень світла в Києві та області сьогодні не застосовуватимуться. "
    "Споживання електроенергії залишається високим.",
    "У Києві на Оболоні відновили світло після аварії, повідомили в ДТЕК. Енергетики "
    "працювали всю ніч.",
    "Grain exports from Odesa reached a record in October, the port authority said, despite "
    "attacks on port infrastructure.",
    "Dockworkers in Rotterdam plan a strike next week over automation, the union said on Tuesday.",
    "В Белгороде объявлена ракетная опасность, жителей просят пройти в укрытия. Работает ПВО, "
    "на окраине города слышны взрывы.",
]


def hit(
    n: int,
    text: str,
    channel: int | None = None,
    title: str | None = None,
    **forward: object,
) -> DigestHit:
    return DigestHit(
        rule="news",
        channel_id=channel if channel is not None else 1000 + n,
        channel_title=title or f"Channel {n}",
        channel_username=None,
        message_id=n,
        date=T0 + timedelta(minutes=n),
        text=text,
        **forward,  # type: ignore[arg-type]
    )


def corpus() -> tuple[list[DigestHit], dict[int, str]]:
    hits: list[DigestHit] = []
    group_of: dict[int, str] = {}
    for group, texts in VARIANTS.items():
        for text in texts:
            hits.append(hit(len(hits) + 1, text))
            group_of[len(hits)] = group
    for i, text in enumerate(SAME_TOPIC):
        hits.append(hit(len(hits) + 1, text))
        group_of[len(hits)] = f"alone{i}"
    return hits, group_of


def test_copies_and_light_edits_fold_and_same_topic_posts_stay_apart() -> None:
    hits, group_of = corpus()
    stories = fold_stories(hits)
    folded = sorted(sorted(group_of[h.message_id] for h in s.hits) for s in stories)
    expected = sorted(
        [[group] * len(texts) for group, texts in VARIANTS.items()]
        + [[f"alone{i}"] for i in range(len(SAME_TOPIC))]
    )
    assert folded == expected


def test_a_channels_daily_template_is_a_new_report_each_day_but_its_reposts_fold() -> None:
    def tally(n: int) -> str:
        return f"Утренняя сводка: за ночь над Белгородом и областью сбито {n} беспилотников."

    days = [
        DigestHit("drones", 1, "Сводки", None, 10 + day, T0 + timedelta(days=day), tally(n))
        for day, n in enumerate((16, 18, 28))
    ]
    repost = DigestHit(
        "drones",
        2,
        "Border Watch",
        None,
        5,
        T0 + timedelta(hours=1),
        tally(16) + " Источник: Сводки",
    )
    stories = fold_stories([*days, repost])
    assert sorted(s.size for s in stories) == [1, 1, 2]
    assert {h.channel_id for h in stories[0].hits} == {1, 2}


def test_story_knows_first_post_channels_and_size_and_order() -> None:
    late = hit(50, KURSK, channel=7, title="Late")
    early = hit(2, KURSK + " Подписывайтесь!", channel=8, title="Early")
    again = hit(60, KURSK, channel=8, title="Early")
    other = hit(30, SAME_TOPIC[0])
    stories = fold_stories([late, other, again, early])
    assert [s.size for s in stories] == [3, 1]
    story = stories[0]
    assert story.first == early
    assert [h.channel_title for h in story.channels] == ["Early", "Late"]
    assert story.latest == again.date


def test_forward_with_source_ids_joins_even_when_text_differs() -> None:
    source = hit(1, ODESA, channel=500)
    forward = hit(2, "Look at this", forward_channel_id=500, forward_message_id=1)
    stranger = hit(3, "Look at that")
    stories = fold_stories([source, forward, stranger])
    assert sorted(s.size for s in stories) == [1, 2]
    assert stories[0].first == source


def test_forward_known_by_display_name_joins_that_channels_post() -> None:
    source = hit(1, KYIV, channel=500, title="Київ Оперативний")
    # A rewrite too loose to fold on text alone (3-shingle Jaccard ~0.15).
    rewrite = (
        "Аварія на Оболоні: без світла понад 20 тисяч абонентів Оболонського району, "
        "кажуть енергетики."
    )
    commented = hit(2, rewrite, forward_from="КИЇВ ОПЕРАТИВНИЙ")
    without_name = hit(3, rewrite, channel=600)
    assert [s.size for s in fold_stories([source, commented])] == [2]
    assert sorted(s.size for s in fold_stories([source, without_name])) == [1, 1]


def test_posts_without_words_stay_separate() -> None:
    stories = fold_stories([hit(1, "🔥🔥🔥"), hit(2, "🔥🔥🔥"), hit(3, "")])
    assert [s.size for s in stories] == [1, 1, 1]


def test_homoglyph_copies_fold_through_normalization() -> None:
    disguised = BELGOROD.replace("о", "o").replace("а", "a")  # Latin look-alikes
    assert [s.size for s in fold_stories([hit(1, BELGOROD), hit(2, disguised)])] == [2]


def test_fingerprints_are_shared_between_rules() -> None:
    prints = Fingerprints()
    hits, _ = corpus()
    fold_stories(hits, prints)
    assert prints.exact_key(hits[0]) is not None
    assert prints.exact_key(hits[0]) != prints.exact_key(hits[1])
    assert [s.size for s in fold_stories(hits[:4], prints)] == [4]


def test_signature_step_equals_datasketch_minhash() -> None:
    """Our vectorized min-hash is datasketch's affine32 MinHash over the same shingle hashes."""
    shingles = np.arange(1, 200, dtype=np.uint32) * np.uint32(2654435761)
    reference = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=int)
    reference.update_batch(shingles.tolist())
    a, b = (np.asarray(v, dtype=np.uint32) for v in MinHash(num_perm=NUM_PERM, seed=1).permutations)
    ours = (fmix32(shingles)[:, None] * a + b).min(axis=0)
    assert np.array_equal(ours, reference.hashvalues)


def test_words_are_normalized_and_bounded() -> None:
    assert words("Ку́рск, KУРСК і м’ясо") == ["курск", "курск", "і", "м'ясо"]
    assert len(words("слово " * 1_000_000)) < 400


def test_large_fold_keeps_every_hit_exactly_once() -> None:
    base, _ = corpus()
    hits = [
        hit(i + 1, base[i % len(base)].text + f" #{i % 7}", channel=2000 + i % 40)
        for i in range(2000)
    ]
    stories = fold_stories(hits)
    seen = [h.key for s in stories for h in s.hits]
    assert sorted(seen) == sorted(h.key for h in hits)
    assert len(stories) < 100
