"""``chanwatch run`` as one asyncio service: reader, pipeline, bot, deliverer, heartbeat,
and the optional health listener.

The service receives connected clients (so tests hand it clients on the fake Telegram) and a
stop event (set by SIGINT/SIGTERM). Shutdown is ordered and bounded by ``stop_grace``: the
bot stops taking commands, the reader commits the batch in hand, the deliverer finishes the
send in progress, then whatever is still running is cancelled. A send cut off there stays
``sending`` in the outbox and goes out at most once more on the next start.

Without a bot, alerts go through the user session to ``ALERT_CHAT`` (subscribed to ``all``
when it has no subscription yet) and commands are read from that chat, where the account
owner counts as an operator.

One ``Clock`` and one ``Metrics`` serve the whole process: every part gets the same clock
(so a test moves the whole service's time at once); the pipeline is wrapped in
``MeteredIngest``, the reader reports its connection and lag, the deliverer counts its sends,
and the health listener renders it.

What is wired to what: the reader feeds every post to the pipeline (``MeteredIngest``
around ``Pipeline``); the pipeline's routers (``OutboxRouter`` for chats,
``DestinationRouter`` for webhooks and services) turn instant hits into outbox rows in the
same transaction and wake their deliverers (Telegram's, and the destinations' beside it),
which send them. The scheduler is the one timer of the service: digests (queued as outbox
rows, waking the deliverer too) and the destinations' digests, the trends check (surge and
corroboration alerts, ``bot/trends/watch.py``), the settings reload, retention pruning, the
reader's periodic sweep and the heartbeat. It starts
after the reader (it sends digests missed while down at once) and stops first, so no digest
is queued during the stop. The bot asks it to rebuild its jobs after a chat changes its
subscriptions or settings, and asks the reader to sync after a watch-list change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Iterable
from datetime import timedelta

from bot.chat import BotContext
from bot.chat.assemble import make_dispatcher
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.destinations.deliverer import DestinationDeliverer
from bot.destinations.digests import DIGEST_CHECK_EVERY, queue_due_digests
from bot.destinations.router import DestinationRouter, Routers
from bot.errors import ChanwatchError
from bot.logs import RedactingFilter, fields, redact_also
from bot.ops import heartbeat
from bot.ops.health import HealthServer
from bot.ops.metered import MeteredIngest
from bot.ops.metrics import Metrics
from bot.ops.retention import PRUNE_EVERY, prune
from bot.ops.scheduler import Periodic, Scheduler
from bot.pipeline.alert_router import OutboxRouter
from bot.pipeline.deletions import DeletionLog
from bot.pipeline.ingest import Pipeline
from bot.telegram.clients import Clients, resolve_alert_chat
from bot.telegram.deliverer import Deliverer
from bot.telegram.frontend import BotFrontend, TelethonPlatform
from bot.telegram.reader import Reader, ReaderOptions
from bot.telegram.sender import TelethonSender
from bot.trends.watch import CHECK_EVERY, TrendWatch, trend_options
from storage import subscribers
from storage.database import Database
from storage.errors import StorageError
from storage.subscribers import ChatKind

log = logging.getLogger(__name__)

STOP_GRACE_S = 10.0
# How often the reader asks Telegram which channels have anything above their mark: the
# safety net for updates that never came (they do not say when they are lost).
SWEEP_EVERY = timedelta(minutes=5)
# Share of the grace the reader gets to commit its batch; the deliverer gets the rest.
READER_SHARE = 0.5
DELIVERER = "chanwatch-deliverer"
DESTINATIONS = "chanwatch-destinations"


class Service:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        clients: Clients,
        *,
        clock: Clock | None = None,
        metrics: Metrics | None = None,
        stop_grace: float = STOP_GRACE_S,
    ) -> None:
        self.settings = settings
        self.db = db
        self.clients = clients
        self.clock = clock or SystemClock()
        self.metrics = metrics or Metrics()
        self.stop_grace = stop_grace
        self.redactor = RedactingFilter(settings.secrets())
        sender = clients.bot or clients.user
        self.deliverer = Deliverer(
            db, TelethonSender(sender), clock=self.clock, metrics=self.metrics
        )
        self.destinations = DestinationDeliverer(
            db,
            settings.environment,
            clock=self.clock,
            give_up_after=settings.destination_give_up,
            redact=self._redact,
        )
        router = OutboxRouter(settings.zone, clock=self.clock, wake_deliverer=self.deliverer.notify)
        to_destinations = DestinationRouter(
            clock=self.clock, wake_deliverer=self.destinations.notify
        )
        self.pipeline = Pipeline(db, router=Routers(router, to_destinations))
        options = ReaderOptions(
            backfill=settings.backfill,
            stop_grace=stop_grace * READER_SHARE,
            check_window=settings.deletion_check_window,
            check_period=settings.deletion_check_period,
        )
        self.reader = Reader(
            clients.user,
            db,
            MeteredIngest(self.pipeline, self.metrics),
            options,
            clock=self.clock,
            metrics=self.metrics,
            deletions=DeletionLog(router.changes),
        )
        self.trends = TrendWatch(
            db,
            settings.zone,
            trend_options(settings),
            clock=self.clock,
            wake_deliverer=self.deliverer.notify,
        )
        retention = timedelta(days=settings.retention_days)
        self.scheduler = Scheduler(
            db,
            default_zone=settings.zone,
            periodic=(
                Periodic("prune", PRUNE_EVERY, lambda: prune(db, self.clock.now(), retention)),
                Periodic("sweep", SWEEP_EVERY, self.reader.sync),
                Periodic(
                    "heartbeat",
                    heartbeat.HEARTBEAT_INTERVAL,
                    lambda: heartbeat.beat(db, self.clock.now()),
                ),
                Periodic("destination-digests", DIGEST_CHECK_EVERY, self._destination_digests),
                Periodic("trends", CHECK_EVERY, self.trends.check),
            ),
            clock=self.clock,
            wake_deliverer=self.deliverer.notify,
        )
        self.frontend: BotFrontend | None = None
        self.health: HealthServer | None = None

    async def _destination_digests(self) -> None:
        if await queue_due_digests(self.db, self.clock.now(), self.settings.timezone):
            self.destinations.notify()

    def _redact(self, secrets: Iterable[str]) -> None:
        """A destination URL's secrets, once read: out of the logs and the kept last error."""
        self.redactor.add(secrets)
        redact_also(secrets)

    async def _install_bot(self) -> None:
        operators = set(self.settings.operator_ids)
        bot = self.clients.bot
        client = bot or self.clients.user
        only_chat: int | None = None
        if bot is None:
            me = await client.get_me()
            operators.add(int(me.id))
            assert self.settings.alert_chat is not None  # validated: BOT_TOKEN or ALERT_CHAT
            only_chat = await resolve_alert_chat(client, self.settings.alert_chat)
            await self._ensure_alert_chat(only_chat)
        ctx = BotContext(
            db=self.db,
            settings=self.settings,
            platform=TelethonPlatform(client),
            clock=self.clock,
            started_at=self.clock.now(),
            operators=frozenset(operators),
            watchlist_changed=self.reader.request_sync,
            schedules_changed=self.scheduler.request_reload,
        )
        username = (await client.get_me()).username if bot is not None else None
        dispatcher = make_dispatcher(ctx, bot_username=username)
        self.frontend = BotFrontend(
            client, dispatcher, only_chat=only_chat, buttons=bot is not None
        )
        self.frontend.install()

    async def _ensure_alert_chat(self, chat_id: int) -> None:
        kind: ChatKind = "user" if chat_id > 0 else "group"
        subscriber = await subscribers.ensure(self.db, chat_id, kind=kind, title="ALERT_CHAT")
        if not subscriber.targets:
            await subscribers.subscribe(self.db, chat_id, "all")

    async def _start_health(self) -> None:
        port = self.settings.health_port
        if port is None:
            return
        server = HealthServer(
            self.db,
            self.metrics,
            self.metrics,
            port=port,
            host=self.settings.health_host,
            clock=self.clock,
        )
        try:
            await server.start()
        except OSError as error:
            raise ChanwatchError(
                f"cannot listen on {self.settings.health_host}:{port} (HEALTH_PORT): "
                f"{error.strerror or error}"
            ) from None
        self.health = server

    async def _start(self) -> set[asyncio.Task[None]]:
        await self._start_health()
        await self._install_bot()
        await self.reader.start()
        await self.scheduler.start()
        return {
            asyncio.create_task(self.deliverer.run(), name=DELIVERER),
            asyncio.create_task(self.destinations.run(), name=DESTINATIONS),
        }

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set, then shut down in order within ``stop_grace``."""
        await heartbeat.mark_started(self.db, self.clock.now())
        tasks: set[asyncio.Task[None]] = set()
        stopping = asyncio.create_task(stop.wait())
        try:
            tasks = await self._start()
            log.info("service started", extra=fields(bot=self.clients.bot is not None))
            done, _ = await asyncio.wait({stopping, *tasks}, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stopping}:
                error = task.exception()
                if error is not None:
                    expected = isinstance(error, ChanwatchError | StorageError)
                    log.error(
                        "service task failed",
                        exc_info=None if expected else error,  # a bug: its traceback helps
                        extra=fields(task=task.get_name(), error=type(error).__name__),
                    )
                    raise error
                raise ChanwatchError(f"{task.get_name()} stopped unexpectedly")
        except Exception as error:
            await self.record_error(error)
            raise
        finally:
            stopping.cancel()
            await self._shutdown(tasks)

    async def record_error(self, error: BaseException) -> None:
        """Keep the failure for ``status``, with every configured secret scrubbed out."""
        text = self.redactor.scrub(f"{type(error).__name__}: {error}")
        with contextlib.suppress(Exception):  # the database may be what failed
            await heartbeat.record_error(self.db, text, self.clock.now())

    async def _shutdown(self, tasks: set[asyncio.Task[None]]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.stop_grace
        if self.frontend is not None:
            self.frontend.uninstall()
        await self.scheduler.stop()
        await self.reader.stop()
        self.deliverer.stop()
        self.destinations.stop()
        deliverer = [t for t in tasks if t.get_name() in (DELIVERER, DESTINATIONS)]
        if deliverer:
            await asyncio.wait(deliverer, timeout=max(0.0, deadline - loop.time()))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.health is not None:
            await _bounded(self.health.close(), max(0.1, deadline - loop.time()))
        with contextlib.suppress(Exception):
            await heartbeat.mark_stopped(self.db, self.clock.now())
        log.info("service stopped")


async def _bounded(work: Awaitable[None], seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(work, seconds)
