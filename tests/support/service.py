"""The running service on the fake Telegram: the world a post needs to alert, the clients,
and what a chat was sent."""

from __future__ import annotations

from telethon import types

from bot.telegram.clients import Clients
from storage import channels, rules, subscribers
from storage.database import Database
from tests.faketg import FakeTelegram, make_client

BOT_TOKEN = "123456:AAE-secret-token-abcdefghijklmnopqrstuvwxyz"


async def fake_clients(world: FakeTelegram) -> Clients:
    user = await make_client(world)
    bot = await make_client(world, bot=True, raise_last_call_error=True)
    return Clients(user, bot)


def sent_to(world: FakeTelegram, peer_id: int) -> list[types.Message]:
    return [
        m
        for m in world.sent
        if getattr(m.peer_id, "user_id", None) == peer_id
        or getattr(m.peer_id, "channel_id", None) == peer_id
    ]


async def watched_dprk_channel(
    db: Database, world: FakeTelegram, rule: str = "dprk", query: str = "КНДР"
) -> types.Channel:
    """@kursk_news, watched, with an instant rule (on КНДР unless told): what a post needs to
    alert."""
    channel = world.add_channel("kursk_news", "Курские новости")
    await channels.watch(db, "@kursk_news", username="kursk_news")
    await rules.add(db, rule, query, priority="instant")
    return channel


async def subscriber_of_all(db: Database, world: FakeTelegram) -> types.User:
    """Олена, a chat subscribed to every alert."""
    olena = world.add_user("Олена")
    await subscribers.ensure(db, olena.id, kind="user", title="Олена")
    await subscribers.subscribe(db, olena.id, "all")
    return olena
