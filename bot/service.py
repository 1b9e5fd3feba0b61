"""``chanwatch run`` as one asyncio service: reader, pipeline, bot, deliverer, heartbeat.

The service receives connected clients (so tests hand it clients on the fake Telegram) and a
stop event (set by SIGINT/SIGTERM). Shutdown order matters: the reader stops first and
commits the batch in hand, then the deliverer finishes the send in progress, then the
clients disconnect; anything left in the outbox is sent on the next start.

Without a bot, alerts go through the user session to ``ALERT_CHAT`` (subscribed to ``all``
when it has no subscription yet) and commands are read from that chat, where the account
owner counts as an operator.

Seam for the digest scheduler: add a task beside the deliverer's in :meth:`Service.run`;
it enqueues ``digest`` rows in the outbox and calls ``self.deliverer.notify()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.botcmd import BotContext
from bot.botcmd.assemble import make_dispatcher
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.logs import fields
from bot.ops import heartbeat
from bot.pipeline.alert_router import OutboxRouter
from bot.pipeline.ingest import Pipeline
from bot.telegram.bot import BotFrontend, TelethonPlatform
from bot.telegram.clients import Clients
from bot.telegram.deliverer import Deliverer
from bot.telegram.reader import Reader, ReaderOptions
from bot.telegram.sender import TelethonSender
from storage import subscribers
from storage.database import Database
from storage.subscribers import ChatKind

log = logging.getLogger(__name__)

STOP_GRACE_S = 10.0


class Service:
    def __init__(
        self, settings: Settings, db: Database, clients: Clients, *, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.db = db
        self.clients = clients
        self.clock = clock or SystemClock()
        sender = clients.bot or clients.user
        self.deliverer = Deliverer(db, TelethonSender(sender), clock=self.clock)
        router = OutboxRouter(settings.zone, now=self.clock.now, queued=self.deliverer.notify)
        self.pipeline = Pipeline(db, router=router)
        self.reader = Reader(
            clients.user, db, self.pipeline, ReaderOptions(backfill=settings.backfill)
        )

    async def _install_bot(self) -> None:
        operators = set(self.settings.operator_ids)
        bot = self.clients.bot
        client = bot or self.clients.user
        only_chat: int | None = None
        if bot is None:
            me = await client.get_me()
            operators.add(int(me.id))
            only_chat = int(await client.get_peer_id(self.settings.alert_chat))
            await self._ensure_alert_chat(only_chat)
        ctx = BotContext(
            db=self.db,
            settings=self.settings,
            platform=TelethonPlatform(client),
            clock=self.clock,
            started_at=self.clock.now(),
            operators=frozenset(operators),
            watchlist_changed=self.reader.request_sync,
        )
        username = (await client.get_me()).username if bot is not None else None
        dispatcher = make_dispatcher(ctx, bot_username=username)
        BotFrontend(client, dispatcher, only_chat=only_chat, buttons=bot is not None).install()

    async def _ensure_alert_chat(self, chat_id: int) -> None:
        kind: ChatKind = "user" if chat_id > 0 else "group"
        subscriber = await subscribers.ensure(self.db, chat_id, kind=kind, title="ALERT_CHAT")
        if not subscriber.targets:
            await subscribers.subscribe(self.db, chat_id, "all")

    async def _beat(self) -> None:
        while True:
            await heartbeat.beat(self.db, self.clock.now())
            await asyncio.sleep(heartbeat.HEARTBEAT_INTERVAL.total_seconds())

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set, then shut down in order."""
        await heartbeat.mark_started(self.db, self.clock.now())
        await self._install_bot()
        await self.reader.start()
        tasks = {
            asyncio.create_task(self.deliverer.run(), name="chanwatch-deliverer"),
            asyncio.create_task(self._beat(), name="chanwatch-heartbeat"),
        }
        stopping = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({stopping, *tasks}, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stopping}:
                error = task.exception()
                if error is not None:
                    log.error("service task failed", extra=fields(task=task.get_name()))
                    await heartbeat.record_error(self.db, repr(error), self.clock.now())
                    raise error
        finally:
            stopping.cancel()
            await self._shutdown(tasks)

    async def _shutdown(self, tasks: set[asyncio.Task[None]]) -> None:
        await self.reader.stop()
        self.deliverer.stop()
        deliverer = next(t for t in tasks if t.get_name() == "chanwatch-deliverer")
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(deliverer), STOP_GRACE_S)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await heartbeat.mark_stopped(self.db, self.clock.now())
