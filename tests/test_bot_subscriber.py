"""Subscriber commands through the real client: subscribe, settings, digest, search paging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telethon import types

from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from storage import channels, rules, subscribers
from tests.support.bot_harness import BotHarness

NEWS = ChannelInfo(1500000077, "Курские новости", "kursk_news")
OTHER = ChannelInfo(1500000078, "Суджа онлайн", "sudzha_online")


@pytest.fixture
async def olena(bot: BotHarness) -> types.User:
    user = bot.world.add_user("Олена", username="olena")
    await subscribers.allow(bot.db, user.id, username="olena", added_by="cli")
    return user


async def posts(bot: BotHarness, *texts: str) -> None:
    """Store posts (and their hits) through the real pipeline, an hour apart, newest last."""
    now = bot.clock.now()
    batch = [
        IncomingMessage(NEWS, i + 1, now - timedelta(hours=len(texts) - i), text)
        for i, text in enumerate(texts)
    ]
    await Pipeline(bot.db).ingest(batch)


async def test_subscribe_to_rule_tag_and_all_then_unsubscribe(
    bot: BotHarness, olena: types.User
) -> None:
    await rules.add(bot.db, "dprk-kursk", "КНДР AND Курск", priority="instant")
    await channels.watch(bot.db, "@kursk_news", username="kursk_news", tags=["mil"])
    assert "Subscribed to rule:dprk-kursk" in (await bot.say(olena, "/subscribe dprk-kursk"))[0]
    assert "Subscribed to tag:mil" in (await bot.say(olena, "/subscribe tag:mil"))[0]
    assert "Already subscribed" in (await bot.say(olena, "/subscribe rule:dprk-kursk"))[0]
    assert "Subscribed to all" in (await bot.say(olena, "/subscribe all"))[0]
    [listing] = await bot.say(olena, "/mysubs")
    assert "rule:dprk-kursk" in listing and "tag:mil" in listing and "Instant alerts: on" in listing
    assert (
        "Unsubscribed from rule:dprk-kursk" in (await bot.say(olena, "/unsubscribe dprk-kursk"))[0]
    )
    assert "everything (2)" in (await bot.say(olena, "/unsubscribe everything"))[0]
    assert (await subscribers.get(bot.db, olena.id)).targets == ()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/subscribe", "Say what to subscribe to"),
        ("/subscribe nosuchrule", "There is no rule 'nosuchrule'"),
        ("/subscribe tag:nosuchtag", "No watched channel has the tag 'nosuchtag'"),
        ("/subscribe topic:x", "is not a rule name, tag:NAME, surge:RULE or all"),
        ("/unsubscribe kursk", "You are not subscribed to 'rule:kursk'"),
        ("/settings tz Mars/Olympus", "is not a time zone I know"),
        ("/settings quiet 25:00-07:00", "is not a time of day"),
        ("/settings quiet 23:00", "HH:MM-HH:MM"),
        ("/settings instant maybe", "/settings instant on"),
        ("/settings digest hourly", "unknown digest schedule"),
        ("/settings colour blue", "Unknown setting 'colour'"),
        ("/settings empty sometimes", "/settings empty on"),
        ("/digest 0h", "is not a period"),
        ("/digest 24h 7d", "give one period"),
        ("/digest 24h nosuchrule", "no rule named 'nosuchrule'"),
        ("/digest", "Nothing to digest"),
        ("/search", "Say what to look for"),
        ("/subscribe " + "x" * 4000, "too long"),
        ("/subscribe курщина", "There is no rule 'курщина'"),
        ("/subscribe tag:прикордоння", "No watched channel has the tag 'прикордоння'"),
        ("/unsubscribe дрони", "You are not subscribed to 'rule:дрони'"),
        ("/digest 24h курщина", "no rule named 'курщина'"),
        ("/digest 24h drones", "no rule named 'drones'"),
        ("/search Покровськ", "Nothing stored matches покровськ"),
        ("/search Pokrovsk", "Nothing stored matches pokrovsk"),
    ],
)
async def test_bad_arguments_get_a_clear_reply(
    bot: BotHarness, olena: types.User, command: str, answer: str
) -> None:
    [reply] = await bot.say(olena, command)
    assert answer in reply


async def test_settings_are_stored_and_shown(bot: BotHarness, olena: types.User) -> None:
    [shown] = await bot.say(olena, "/settings")
    assert "Time zone: Europe/Kyiv" in shown and "Quiet hours: off" in shown
    await bot.say(olena, "/settings tz America/New_York")
    await bot.say(olena, "/settings quiet 23:00-7:30")
    await bot.say(olena, "/settings instant off")
    [empty] = await bot.say(olena, "/settings empty on")
    assert "Empty digests: on" in empty
    [final] = await bot.say(olena, "/settings digest weekly mon,thu 09:00")
    assert "Quiet hours: 23:00-07:30" in final and "Digest: weekly mon,thu 09:00" in final
    stored = await subscribers.get(bot.db, olena.id)
    assert stored is not None
    assert (
        stored.timezone,
        stored.quiet_start,
        stored.quiet_end,
        stored.instant,
        stored.digest_empty,
    ) == ("America/New_York", "23:00", "07:30", False, True)
    await bot.say(olena, "/settings quiet off")
    assert (await subscribers.get(bot.db, olena.id)).quiet_start is None  # type: ignore[union-attr]


async def test_digest_lists_recent_hits_of_subscribed_rules(
    bot: BotHarness, olena: types.User
) -> None:
    await rules.add(bot.db, "dprk", "КНДР")
    await rules.add(bot.db, "drones", "дрон")
    await posts(bot, "Войска КНДР замечены под Курском", "Дроны атаковали Белгород")
    await bot.say(olena, "/subscribe dprk")
    [digest] = await bot.say(olena, "/digest 24h")
    assert "КНДР" in digest and "Курском" in digest
    assert "Белгород" not in digest
    [one_rule] = await bot.say(olena, "/digest drones 7d")  # any rule, either order
    assert "Белгород" in one_rule and "Курском" not in one_rule


async def test_a_ukrainian_rule_and_an_english_one_each_digest_their_own_posts(
    bot: BotHarness, olena: types.User
) -> None:
    await rules.add(bot.db, "дрони", "дрон AND Сумщина")
    await rules.add(bot.db, "drones", "drone AND Belgorod")
    await posts(
        bot,
        "ЗСУ збили шість дронів над Сумщиною",
        "Drones struck a fuel depot in Belgorod overnight",
        "Войска КНДР замечены под Курском",
    )
    assert "Subscribed to rule:дрони" in (await bot.say(olena, "/subscribe дрони"))[0]
    [listing] = await bot.say(olena, "/mysubs")
    assert "rule:дрони" in listing
    [digest] = await bot.say(olena, "/digest 24h")
    assert "дронів над Сумщиною" in digest
    assert "Belgorod" not in digest and "КНДР" not in digest
    [english] = await bot.say(olena, "/digest drones 7d")
    assert "Drones struck a fuel depot in Belgorod" in english and "Сумщиною" not in english
    assert "Unsubscribed from rule:дрони" in (await bot.say(olena, "/unsubscribe дрони"))[0]


SEARCHED = (
    "Обстріл на Курщині вночі: пошкоджено лінію електропередач",
    "Drones struck a fuel depot in Belgorod overnight",
    "Обстрел Суджи ночью, повреждена ЛЭП",
    "На Сумщині з’явилися нові укріплення біля Ґлушкова",
    "Уражено обʼєкт під Суджею",
)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Курщині", "Обстріл на Курщині"),
        ("обстріл", "Обстріл на Курщині"),  # Ukrainian і: not the Russian post
        ("обстрел", "Обстрел Суджи"),  # and back
        ("Ґлушкова", "біля Ґлушкова"),
        ("з'явилися", "з’явилися нові"),  # typed with ' , written with ’
        ("обʼєкт", "Уражено обʼєкт"),
        ("DRONES belgorod", "Drones struck a fuel depot"),
        ("fuel depot", "Drones struck a fuel depot"),
        ("Курщина", "Обстріл на Курщині"),  # other forms of the word
        ("drone", "Drones struck"),
        ("об'єкт", "Уражено обʼєкт"),  # typed with ' , written with ʼ
    ],
)
async def test_search_finds_the_one_post_with_every_word(
    bot: BotHarness, olena: types.User, query: str, found: str
) -> None:
    await posts(bot, *SEARCHED)
    [answer] = await bot.say(olena, f"/search {query}")
    assert found in answer
    others = [text for text in SEARCHED if found not in text]
    assert not any(text in answer for text in others)


async def test_digest_folds_reposts_into_one_story_with_its_channels(
    bot: BotHarness, olena: types.User
) -> None:
    await rules.add(bot.db, "dprk", "КНДР")
    text = "Колонна военных КНДР прошла через Суджу в сторону Курска, сообщают местные жители"
    now = bot.clock.now()
    await Pipeline(bot.db).ingest(
        [
            IncomingMessage(NEWS, 1, now - timedelta(hours=3), text),
            IncomingMessage(OTHER, 5, now - timedelta(hours=2), text),
            IncomingMessage(NEWS, 2, now - timedelta(hours=1), "КНДР: новые данные о потерях"),
        ]
    )
    await bot.say(olena, "/subscribe dprk")
    [digest] = await bot.say(olena, "/digest 6h")
    assert "2 posts in 2 channels" in digest
    assert "3 hits" in digest and "2 stories" in digest
    assert any(ch in digest for ch in "▁▂▃▄▅▆▇█")  # the rule's sparkline


async def test_search_pages_with_buttons(bot: BotHarness, olena: types.User) -> None:
    await posts(bot, *(f"Сводка {i}: обстрел Суджи, <b>{i}</b>" for i in range(7)))
    [first] = await bot.say(olena, "/search Суджи обстрел")
    assert "Сводка 6" in first and "Сводка 2" in first and "Сводка 1" not in first
    assert "<b>6</b>" in first  # post HTML arrives as text, not markup
    markup = bot.last_request().reply_markup
    [older] = markup.rows[0].buttons
    assert older.text == "Older ▶"
    sent_id = bot.world.sent[-1].id
    await bot.press(olena, older.type.data, msg_id=sent_id)
    edited = bot.world.sent[-1].message
    assert "Сводка 1" in edited and "Сводка 0" in edited and "Сводка 6" not in edited
    [answer] = bot.world.callback_answers  # the spinner stops, with nothing to pop up
    assert not answer.alert and not answer.message
    [nothing] = await bot.say(olena, "/search Бахмут")
    assert "Nothing stored matches" in nothing


async def test_expired_search_button_asks_to_search_again(
    bot: BotHarness, olena: types.User
) -> None:
    await posts(bot, "обстрел Суджи")
    await bot.say(olena, "/search Суджи")
    await bot.press(olena, b"s:deadbeef:1", msg_id=bot.world.sent[-1].id)
    assert "expired" in bot.world.sent[-1].message


async def test_a_typo_among_500_rules_gets_one_short_answer(
    bot: BotHarness, olena: types.User
) -> None:
    for n in range(500):
        await rules.add(bot.db, f"курськ_{n:03}", f"Курськ AND дрон{n}")
        await channels.watch(bot.db, f"@channel_{n:03}", username=f"channel_{n:03}", tags=[f"t{n}"])
    [no_rule] = await bot.say(olena, "/subscribe kursk")
    assert "There is no rule 'kursk'" in no_rule and "курськ_000" in no_rule
    assert "and 480 more" in no_rule
    [no_tag] = await bot.say(olena, "/subscribe tag:missing")
    assert "No watched channel has the tag 'missing'" in no_tag and "and 480 more" in no_tag
    await subscribers.ensure(bot.db, olena.id, kind="user", title=None)
    for n in range(300):
        await subscribers.subscribe(bot.db, olena.id, f"rule:курськ_{n:03}")
    listing = await bot.say(olena, "/mysubs")
    assert "курськ_299" in listing[-1] and "Instant alerts" in listing[-1]
