"""Write the bundled demo sample: bot/sample/export.json and bot/sample/watchlist.toml.

The sample is a fictional full-account Telegram Desktop export: three news channels (Russian,
Ukrainian, English) over three days in late October 2024, about troop movements near the
Kursk border, mixed with the noise real channels carry. It is scripted so that the demo shows
every case the pipeline must handle: forwards and copy-paste reposts between channels, edits,
captions, entity-list text, a poll, an album, service messages, and the spelling evasions the
matcher normalizes away (a Latin K, a zero-width space, ё, inflections, ’ apostrophes).

The output is deterministic (fixed seed, fixed dates): run ``python scripts/make_sample.py``
and commit both files; running it again must leave git clean.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.sample import (  # noqa: E402  (the script runs from a checkout, not an install)
    EXPORT_PATH,
    LEFT_CHANNEL,
    SAMPLE_CHANNELS,
    WATCHLIST_PATH,
)

SEED = 20241025
START = datetime(2024, 10, 25, 4, 0, tzinfo=UTC)
HOURS = 72
# Telegram Desktop writes ``date`` in the exporting computer's local time; this one is UTC+3.
LOCAL = timedelta(hours=3)
NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"

Text = str | list[str | dict[str, str]]

RU_ID, UK_ID, EN_ID = SAMPLE_CHANNELS
RU_TITLE, UK_TITLE, EN_TITLE = (SAMPLE_CHANNELS[i][1] for i in (RU_ID, UK_ID, EN_ID))


def bold(text: str) -> dict[str, str]:
    return {"type": "bold", "text": text}


def tag(text: str) -> dict[str, str]:
    return {"type": "hashtag", "text": text}


def link(text: str, href: str) -> dict[str, str]:
    return {"type": "text_link", "text": text, "href": href}


def url(text: str) -> dict[str, str]:
    return {"type": "link", "text": text}


@dataclass
class Post:
    """One scripted post; ``hour`` counts from START, ``key`` lets later posts refer to it."""

    hour: float
    text: Text = ""
    key: str | None = None
    photo: bool = False
    video: bool = False
    album: int = 0
    edited_after_min: int | None = None
    forwarded_from: str | None = None
    reply_to: str | None = None
    poll: tuple[str, list[str]] | None = None
    pin: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def plain(text: Text) -> str:
    if isinstance(text, str):
        return text
    return "".join(p if isinstance(p, str) else p["text"] for p in text)


# --- Сводки Приграничья (Russian) -------------------------------------------------------
RU_DPRK: Text = [
    bold("⚡️ Срочно."),
    " Под Kурском, по словам местных жителей, замечены военные из ",
    tag("#КНДР"),
    ". Колонна техники прошла через Льгов в сторону Суджи.",
]
RU_SUDZHA = "Жители Суджи сообщают о звуках взрывов на окраине города. Информация уточняется."
RU_TRAINING = (
    "Северокорей\u200bские военные, по словам нашего источника, проходят слаживание на "
    "полигонах под Курском. Официального подтверждения нет."
)
RU_POSTS = [
    Post(1.2, RU_DPRK, key="dprk", photo=True, edited_after_min=25),
    Post(
        2.0,
        "Губернатор: в Белгороде после атаки дронов повреждены два жилых дома и ЛЭП. "
        "Пострадавших нет.",
        key="belgorod",
    ),
    Post(4.6, RU_SUDZHA, key="sudzha", edited_after_min=40),
    Post(
        7.1,
        "Под Курском развёрнут пункт временного размещения для эвакуированных из "
        "приграничных сёл. Нужны тёплые вещи и лекарства.",
        photo=True,
    ),
    Post(
        9.3,
        "Фото колонны военной техники на трассе Р-200 под Курском. Номера на бортах закрыты.",
        album=3,
    ),
    Post(12.4, "Вертолёт Ка-52 весь день работал над приграничьем, пишут читатели из Глушково."),
    Post(
        14.0,
        "UPD: в Судже повреждена подстанция, без света около 3 тысяч человек.",
        reply_to="sudzha",
    ),
    Post(15.5, pin="dprk"),
    Post(20.2, RU_TRAINING, key="training"),
    Post(
        26.7,
        "Обстрел приграничного Тёткино: повреждены школа и два дома. Эвакуация жителей "
        "продолжается.",
        photo=True,
    ),
    Post(
        30.1,
        "В районе Глушково замечена переброска РЭБ и колонна бронетехники.",
        forwarded_from="Военный осведомитель",
    ),
    Post(
        33.8,
        "Эвакуация из Беловского района: автобусы отправляются в 10:00 от здания "
        "администрации. Берите документы.",
    ),
    Post(41.5, "Жительница Курска сняла на видео пролёт дронов над городом.", video=True),
    Post(
        49.9,
        [
            "Военкоры пишут о появлении подразделений ",
            bold("КНДР"),
            " на Курщине. ",
            tag("#Курск"),
            " ",
            tag("#КНДР"),
            " ",
            link("Источник", "https://t.me/voenny_osvedomitel/8812"),
        ],
        edited_after_min=90,
    ),
    Post(55.6, "В Белгороде объявлена ракетная опасность. Жителей просят пройти в укрытия."),
    Post(59.8, "Под Белгородом сбит беспилотник, обломки упали во двор частного дома.", photo=True),
    Post(64.2, "Мэр Курска: школы города до конца недели переходят на дистанционное обучение."),
    Post(
        66.0,
        "",
        poll=(
            "Как вы оцениваете обстановку в вашем районе?",
            ["Спокойно", "Тревожно", "Собираюсь уезжать"],
        ),
    ),
    Post(
        69.4,
        "Минобороны: за сутки над Курской областью уничтожено 23 украинских БПЛА. "
        "Подтверждённых данных о пострадавших нет.",
    ),
]
RU_SERIES = [
    "Утренняя сводка: за ночь над Белгородом и областью сбито {n} беспилотников.",
    "Глава Курской области: за сутки {n} атак дронов, повреждены ЛЭП и автомобили.",
]

# --- Прикордонний вісник (Ukrainian) -----------------------------------------------------
UK_HUR: Text = [
    bold("Північнокорейські військові"),
    " вже на Курщині — ГУР. За даними розвідки, перші підрозділи прибули на полігони. ",
    tag("#КНДР"),
    " ",
    tag("#Курщина"),
]
UK_POSTS = [
    Post(1.8, "Російські пабліки пишуть: «" + plain(RU_DPRK) + "»"),
    Post(3.0, UK_HUR, key="hur", photo=True),
    Post(
        6.2,
        "Ворожий обстріл прикордонних громад Сумщини: 34 вибухи за ніч. Пошкоджено "
        "об’єкт критичної інфраструктури.",
        edited_after_min=30,
    ),
    Post(8.4, "Евакуація з прикордонних сіл Сумської області триває: вивезено ще 120 людей."),
    Post(11.1, "На Курщині тривають бої в районі Суджі, повідомляють військові."),
    Post(15.3, "Сили оборони уразили пункт управління дронами поблизу Бєлгорода.", photo=True),
    Post(
        18.6,
        "Geolocated: convoy of military vehicles on the R-200 near Kursk, plates covered.",
        forwarded_from=EN_TITLE,
    ),
    Post(23.5, pin="hur"),
    Post(27.2, "У Сумах повітряна тривога. Протиповітряна оборона збила 5 ударних дронів."),
    Post(
        33.4, "Колона військової техніки рухається трасою на Рильськ — місцеві пабліки.", video=True
    ),
    Post(
        39.0,
        "ЗМІ: до кордону з Україною перекинуто до 3 тисяч північноко\u200bрейських "
        "військових. Частина з них — під Курськом.",
        edited_after_min=15,
    ),
    Post(46.1, "Пошкоджено об’єкт енергетики в Сумському районі, ремонтні бригади вже працюють."),
    Post(52.3, "Z-канали визнають: «" + RU_TRAINING.replace("нашего ", "") + "»"),
    Post(58.0, "Ворожий гелікоптер Ка-52 помічено над прикордонням Сумщини."),
    Post(63.3, "Ввечері знову обстріл Білопілля з боку кордону, без постраждалих."),
    Post(
        68.8,
        [
            "Підсумки тижня на Курщині: ",
            bold("КНДР"),
            ", евакуація, дрони. Детально: ",
            url("https://example.org/prykordonnyi/weekly-43"),
        ],
    ),
]
UK_SERIES = [
    "Ранкове зведення: за ніч над Сумщиною збито {n} ударних дронів.",
    "Прикордонні громади Сумщини за добу зазнали {n} обстрілів.",
]

# --- Border Watch OSINT (English) --------------------------------------------------------
EN_CONVOY: Text = [
    bold("THREAD:"),
    " geolocated footage shows a convoy of military vehicles on the R-200 near ",
    bold("Kursk"),
    ". Plates covered. ",
    tag("#Kursk"),
    " ",
    tag("#OSINT"),
]
EN_POSTS = [
    Post(2.5, UK_HUR, forwarded_from=UK_TITLE),
    Post(4.1, EN_CONVOY, key="convoy", photo=True),
    Post(
        6.0,
        "North Korean troops reportedly arrived at training grounds in Kursk oblast, per "
        "Ukrainian intelligence (HUR). Not independently verified.",
        key="hur",
    ),
    Post(10.2, "Belgorod: local officials report drone debris hit a residential area overnight."),
    Post(13.0, RU_SUDZHA, forwarded_from=RU_TITLE),
    Post(
        17.4,
        "Satellite imagery from Oct 24 shows new tents at a training area north of "
        "Kursk, roughly 200 vehicles.",
        photo=True,
        edited_after_min=120,
    ),
    Post(21.0, "Evacuation orders expanded in Sumy oblast border communities."),
    Post(25.3, "Shelling along the border near Tyotkino reported by both sides."),
    Post(
        31.9,
        "",
        poll=(
            "Will North Korean troops see combat in Kursk oblast within two weeks?",
            ["Yes", "No", "It has already happened"],
        ),
    ),
    Post(
        37.6,
        "Correction: the convoy footage was filmed near Lgov, not Kursk city.",
        reply_to="convoy",
    ),
    Post(40.0, pin="hur"),
    Post(44.4, "Ka-52 helicopter activity over the Glushkovo district this afternoon."),
    Post(
        50.2,
        "Reports: north-korean officers seen in the Sudzha district. Low confidence.",
        edited_after_min=45,
    ),
    Post(
        56.8,
        "Drone strike on a fuel depot near Belgorod; a large fire is visible from the city.",
        video=True,
    ),
    Post(61.5, RU_TRAINING, forwarded_from=RU_TITLE),
    Post(
        66.7,
        [
            "Weekly summary of the Kursk axis: ",
            link("read here", "https://example.org/bw/43"),
            " ",
            tag("#DPRK"),
            " ",
            tag("#Kursk"),
        ],
    ),
    Post(70.3, "Russian MoD claims 23 UAVs downed over Kursk region overnight."),
]
EN_SERIES = [
    "Overnight: {n} drones reported downed over Belgorod and Kursk regions.",
    "Air raid alerts in Sumy oblast lasted {n} hours yesterday.",
]

# --- Noise: weather, sport, ads, unrelated politics, look-alikes such as «курс» -----------
RU_NOISE = [
    "Погода на завтра: днём до +{t}, ночью около нуля, без осадков.",
    "«Авангард» обыграл «Салават Юлаев» со счётом {a}:{b}.",
    "Реклама. Кредит наличными за 5 минут, ставка от {p}% годовых.",
    "Госдума приняла в первом чтении законопроект о маркировке {thing}.",
    "Курс доллара ЦБ на завтра — {r} руб., евро — {r2} руб.",
    "В областной филармонии в субботу концерт камерного оркестра, билеты от {p}00 руб.",
    "На проспекте Победы ремонт дороги, возможны пробки до {h}:00.",
    "Открыт набор на курсы повышения квалификации для учителей.",
    "Реклама. Доставка пиццы за 30 минут, промокод SVODKI{p}.",
    "В городском парке высадили {p}0 молодых клёнов.",
    "Цены на яйца за неделю выросли на {p}%, сообщает Росстат.",
    "Футбол: «Факел» и «Сокол» сыграли вничью {a}:{a}.",
]
UK_NOISE = [
    "Погода: завтра до +{t}, на півночі дощ.",
    "«Динамо» перемогло «Шахтар» з рахунком {a}:{b}.",
    "Реклама. Курси англійської онлайн, перший урок безкоштовно.",
    "Верховна Рада ухвалила в першому читанні законопроєкт про {thing_uk}.",
    "Курс гривні: долар — {r} грн, євро — {r2} грн.",
    "У Києві відкрили оновлений сквер, висаджено {p}0 дерев.",
    "Ціни на яйця за тиждень зросли на {p}%.",
    "Реклама. Сонячні панелі з монтажем, знижка {p}% до кінця місяця.",
    "Укрзалізниця призначила додатковий поїзд до Львова на вихідні.",
    "Вітаємо нашу читачку Олену з {p}-річчям!",
    "Тернопіль: на фестивалі сиру побувало {p} тисяч гостей.",
]
EN_NOISE = [
    "Weather in Kyiv tomorrow: up to +{t}, light rain.",
    "Premier League: Arsenal {a}-{b} Liverpool.",
    "Sponsored: secure VPN, {p}% off this week only.",
    "US election: new polls show a tight race in Pennsylvania.",
    "Bitcoin trades above ${r}k for the first time this month.",
    "Housekeeping: our mirror channel is back online.",
    "Reading list: three books on Cold War intelligence history.",
    "EU finance ministers meet in Luxembourg to discuss the budget.",
    "Tech: a new open-source mapping tool for satellite imagery was released.",
    "Our team is hiring a part-time Russian-language researcher.",
]
SLOTS: dict[str, list[str]] = {
    "thing": ["молочной продукции", "лекарств", "обуви", "пива"],
    "thing_uk": ["енергоефективність", "освіту", "податки", "медицину"],
}
NOISE_PER_CHANNEL = 78
SERIES_PER_CHANNEL = 9


def fill(template: str, rnd: random.Random) -> str:
    return template.format(
        t=rnd.randint(3, 14),
        a=rnd.randint(0, 5),
        b=rnd.randint(0, 5),
        p=rnd.randint(2, 40),
        h=rnd.randint(18, 22),
        r=rnd.randint(41, 97),
        r2=rnd.randint(42, 105),
        n=rnd.randint(2, 40),
        thing=rnd.choice(SLOTS["thing"]),
        thing_uk=rnd.choice(SLOTS["thing_uk"]),
    )


def filler(rnd: random.Random, noise: list[str], series: list[str]) -> list[Post]:
    posts = [
        Post(rnd.uniform(0, HOURS), fill(rnd.choice(noise), rnd)) for _ in range(NOISE_PER_CHANNEL)
    ]
    posts += [
        Post(rnd.uniform(0, HOURS), fill(rnd.choice(series), rnd))
        for _ in range(SERIES_PER_CHANNEL)
    ]
    return posts


def stamp(when: datetime, prefix: str = "date") -> dict[str, str]:
    return {
        prefix: (when + LOCAL).replace(tzinfo=None).isoformat(),
        f"{prefix}_unixtime": str(int(when.timestamp())),
    }


def text_fields(text: Text) -> dict[str, Any]:
    if isinstance(text, str):
        entities = [{"type": "plain", "text": text}] if text else []
        return {"text": text, "text_entities": entities}
    entities = [{"type": "plain", "text": p} if isinstance(p, str) else p for p in text]
    return {"text": text, "text_entities": entities}


def render_channel(
    telegram_id: int, title: str, first_id: int, posts: list[Post], rnd: random.Random
) -> dict[str, Any]:
    """Lay the posts out in time with increasing ids, as Telegram Desktop would export them."""
    messages: list[dict[str, Any]] = []
    ids: dict[str, int] = {}
    next_id = first_id
    sender = {"from": title, "from_id": f"channel{telegram_id}"}
    for post in sorted(posts, key=lambda p: p.hour):
        when = START + timedelta(hours=post.hour, seconds=rnd.randint(0, 59))
        when = when.replace(microsecond=0)
        next_id += 1 if rnd.random() < 0.9 else 2  # a deleted post leaves a gap
        if post.pin is not None:
            messages.append(
                {
                    "id": next_id,
                    "type": "service",
                    **stamp(when),
                    "actor": title,
                    "actor_id": f"channel{telegram_id}",
                    "action": "pin_message",
                    "message_id": ids[post.pin],
                    **text_fields(""),
                }
            )
            continue
        message: dict[str, Any] = {"id": next_id, "type": "message", **stamp(when)}
        if post.edited_after_min is not None:
            message |= stamp(when + timedelta(minutes=post.edited_after_min), "edited")
        message |= sender
        if post.forwarded_from is not None:
            message["forwarded_from"] = post.forwarded_from
        if post.reply_to is not None:
            message["reply_to_message_id"] = ids[post.reply_to]
        if post.photo or post.album:
            message |= {"photo": NOT_INCLUDED, "width": 1280, "height": 960}
        if post.video:
            message |= {
                "file": NOT_INCLUDED,
                "thumbnail": NOT_INCLUDED,
                "media_type": "video_file",
                "mime_type": "video/mp4",
                "duration_seconds": rnd.randint(8, 60),
                "width": 720,
                "height": 1280,
            }
        if post.poll is not None:
            question, answers = post.poll
            voters = [rnd.randint(40, 900) for _ in answers]
            message["poll"] = {
                "question": question,
                "closed": False,
                "total_voters": sum(voters),
                "answers": [
                    {"text": a, "voters": v, "chosen": False}
                    for a, v in zip(answers, voters, strict=True)
                ],
            }
        message |= text_fields(post.text)
        messages.append(message)
        if post.key is not None:
            ids[post.key] = next_id
        for _ in range(post.album - 1):  # the rest of an album: photos without a caption
            next_id += 1
            messages.append(
                {
                    "id": next_id,
                    "type": "message",
                    **stamp(when),
                    **sender,
                    "photo": NOT_INCLUDED,
                    "width": 1280,
                    "height": 960,
                    **text_fields(""),
                }
            )
    return {"name": title, "type": "public_channel", "id": telegram_id, "messages": messages}


def personal_chat() -> dict[str, Any]:
    """A private conversation in the same export: the reader must skip it, Курск or not."""
    mom = {"from": "Мама", "from_id": "user5550001234"}
    texts = ["Сынок, у нас в Курске всё спокойно, не переживай.", "Позвони вечером."]
    return {
        "name": "Мама",
        "type": "personal_chat",
        "id": 5550001234,
        "messages": [
            {
                "id": 90001 + i,
                "type": "message",
                **stamp(START + timedelta(hours=30 + i)),
                **mom,
                **text_fields(t),
            }
            for i, t in enumerate(texts)
        ],
    }


def left_channel(rnd: random.Random) -> dict[str, Any]:
    telegram_id, _, title = LEFT_CHANNEL
    posts = [
        Post(0.5, "Курский курьер: на въезде в Суджу выставлены новые блокпосты."),
        Post(2.2, plain(RU_DPRK).replace("⚡️ Срочно. ", "") + " Подробности уточняем."),
        Post(8.0, "Погода в Курске: ночью заморозки до -2."),
        Post(16.5, "Открыт пункт сбора гуманитарной помощи для эвакуированных, ул. Ленина, 5."),
        Post(25.0, RU_SUDZHA, forwarded_from=RU_TITLE),
    ]
    return render_channel(telegram_id, title, 3300, posts, rnd)


def build_export() -> dict[str, Any]:
    rnd = random.Random(SEED)
    chats = [
        render_channel(RU_ID, RU_TITLE, 4120, RU_POSTS + filler(rnd, RU_NOISE, RU_SERIES), rnd),
        personal_chat(),
        render_channel(UK_ID, UK_TITLE, 15230, UK_POSTS + filler(rnd, UK_NOISE, UK_SERIES), rnd),
        render_channel(EN_ID, EN_TITLE, 870, EN_POSTS + filler(rnd, EN_NOISE, EN_SERIES), rnd),
    ]
    return {
        "about": "Here is the data you requested. Remember: Telegram is ad free, it doesn't "
        "use your data for ad targeting and doesn't sell it to others.",
        "personal_information": {
            "user_id": 5550000001,
            "first_name": "Demo",
            "last_name": "Analyst",
            "username": "@demo_analyst",
            "bio": "",
        },
        "chats": {"about": "This page lists all chats from this export.", "list": chats},
        "left_chats": {
            "about": "This page lists all supergroups and channels from this export "
            "that you've left.",
            "list": [left_channel(rnd)],
        },
    }


WATCHLIST_HEADER = (
    "# The bundled demo watchlist for bot/sample/export.json.\n"
    "# Generated by scripts/make_sample.py; edit the script, not this file.\n\n"
)
RULES: list[dict[str, Any]] = [
    {
        "name": "dprk-kursk",
        "query": '(КНДР OR DPRK OR северокорейский OR північнокорейський OR "North Korean")'
        " AND (Курск OR Курськ OR Курщина OR Kursk OR Суджа OR Sudzha)",
        "priority": "instant",
    },
    {
        "name": "convoy",
        "query": "(колонна OR колона OR convoy) NEAR/5"
        " (техника OR техніка OR бронетехника OR vehicles)",
        "priority": "instant",
    },
    {"name": "sudzha", "query": "Суджа OR Sudzha"},
    {
        "name": "drones-belgorod",
        "query": "(дрон OR беспилотник OR БПЛА OR drone OR UAV)"
        " AND (Белгород OR Бєлгород OR Belgorod)",
    },
    {
        "name": "evacuation-border",
        "query": "эвакуация OR эвакуировать OR евакуація OR evacuation",
        "channels": ["tag:border"],
    },
    {
        "name": "border-shelling",
        "query": "(обстрел OR обстріл OR shelling) NEAR/6"
        " (приграничный OR прикордонний OR кордон OR border)",
    },
    {
        "name": "critical-infrastructure-ua",
        "query": "об'єкт NEAR/3 (енергетика OR інфраструктура)",
        "channels": [f"@{SAMPLE_CHANNELS[UK_ID][0]}"],
    },
    {"name": "helicopters", "query": "вертолет OR гелікоптер OR helicopter"},
]
CHANNEL_TAGS = {RU_ID: ["ru", "border"], UK_ID: ["ua", "border"], EN_ID: ["en", "osint"]}


def build_watchlist() -> str:
    channels = [
        {"ref": f"@{SAMPLE_CHANNELS[i][0]}", "tags": tags} for i, tags in CHANNEL_TAGS.items()
    ]
    return WATCHLIST_HEADER + tomli_w.dumps({"channels": channels, "rules": RULES})


def main() -> None:
    export = build_export()
    EXPORT_PATH.write_text(json.dumps(export, ensure_ascii=False, indent=1) + "\n", "utf-8")
    WATCHLIST_PATH.write_text(build_watchlist(), "utf-8")
    counts = {c["name"]: len(c["messages"]) for c in export["chats"]["list"]}
    print(f"wrote {EXPORT_PATH.relative_to(ROOT)}: {counts}")
    print(f"wrote {WATCHLIST_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
