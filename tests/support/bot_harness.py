"""A running bot for tests: the real TelegramClient (bot account) on the fake Telegram,
the real dispatcher and handlers, a real database, and a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from telethon import TelegramClient, types
from telethon.tl.functions.messages import SendMessageRequest
from telethon.tl.tlobject import TLObject

from bot.chat import BotContext
from bot.chat.assemble import make_dispatcher
from bot.config import Settings
from bot.telegram.frontend import BotFrontend, TelethonPlatform
from storage.database import Database
from tests.faketg import FakeTelegram, make_client, push
from tests.support.clock import FakeClock

OPERATOR_ID = 4242


def entity_texts(request: SendMessageRequest, kind: type[TLObject]) -> list[str]:
    """The texts Telegram would show as ``kind`` (bold, code…); offsets count UTF-16 units."""
    text = request.message.encode("utf-16-le")
    return [
        text[2 * e.offset : 2 * (e.offset + e.length)].decode("utf-16-le")
        for e in request.entities or ()
        if isinstance(e, kind)
    ]


@dataclass
class BotHarness:
    world: FakeTelegram
    client: TelegramClient
    db: Database
    clock: FakeClock
    ctx: BotContext

    async def say(
        self, user: types.User, text: str, *, group: types.Channel | None = None
    ) -> list[str]:
        """Send a command as ``user``; return the texts the bot sent in answer."""
        return await self.answers(self.world.user_message(user, text, group=group))

    async def say_anonymously(self, group: types.Channel, text: str) -> list[str]:
        """Send a command as an anonymous admin of ``group`` (as the group itself)."""
        return await self.answers(self.world.anonymous_message(group, text))

    async def answers(self, update: types.TypeUpdate) -> list[str]:
        before = len(self.world.sent)
        await push(self.client, self.world, update)
        return [m.message for m in self.world.sent[before:]]

    async def press(self, user: types.User, data: bytes, msg_id: int) -> None:
        await push(self.client, self.world, self.world.callback(user, data, msg_id=msg_id))

    def last_request(self) -> SendMessageRequest:
        return self.world.of(SendMessageRequest)[-1]

    def operator(self) -> types.User:
        user = types.User(id=OPERATOR_ID, access_hash=1, first_name="Operator", username="boss")
        self.world.users[user.id] = user
        return user


@asynccontextmanager
async def running_bot(db: Database, **settings: object) -> AsyncIterator[BotHarness]:
    """A bot over ``db`` with ``settings`` on top of the defaults, disconnected on the way out
    even when the test fails, so no client outlives its test."""
    world = FakeTelegram()
    client = await make_client(world, bot=True, raise_last_call_error=True, request_retries=0)
    try:
        clock = FakeClock()
        config = replace(Settings(), timezone="Europe/Kyiv", **settings)  # type: ignore[arg-type]
        ctx = BotContext(
            db=db,
            settings=config,
            platform=TelethonPlatform(client),
            clock=clock,
            started_at=clock.now(),
            operators=frozenset({OPERATOR_ID}),
        )
        BotFrontend(client, make_dispatcher(ctx, bot_username="chanwatch_bot")).install()
        yield BotHarness(world, client, db, clock, ctx)
    finally:
        await client.disconnect()
