"""A stand-in for ``client._sender`` (Telethon's ``MTProtoSender``) that asks a FakeTelegram.

It keeps the parts of the sender's contract the client relies on: ``send`` returns futures
(or raises ``ConnectionError`` synchronously while disconnected, as the real one does),
``disconnected`` is a future that completes when the connection is lost for good, and
results that carry updates are also queued for the client's update loop, flagged as own
outgoing updates (``_self_outgoing``), exactly like the real sender does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telethon import errors, types

from tests.faketg.wire import over_the_wire
from tests.faketg.world import NO_ANSWER

_OWN_UPDATE_TYPES = (types.Updates, types.UpdatesCombined, types.UpdateShort)
_LOGGED_IN = (types.auth.Authorization, types.auth.LoginTokenSuccess)
_BEFORE_LOGIN = {
    "GetConfigRequest",
    "SendCodeRequest",
    "SignInRequest",
    "GetPasswordRequest",
    "CheckPasswordRequest",
    "ExportLoginTokenRequest",
    "ImportLoginTokenRequest",
    "ImportBotAuthorizationRequest",
}


class FakeSender:
    def __init__(self, world: Any, account: types.User, *, authorized: bool = True) -> None:
        self.world = world
        self.account = account
        self.authorized = authorized
        self.auth_key = None
        self.updates_queue: asyncio.Queue[Any] | None = None
        self.connects = 0  # connections made
        self.connect_attempts = 0  # including those refused while the network is down
        self._disconnected: asyncio.Future[None] | None = None

    # ------------------------------------------------------------ what connect() calls
    async def connect(self, connection: Any) -> bool:
        self.connect_attempts += 1
        if not self.world.network_up:
            raise ConnectionError("the fake network is down")
        self.connects += 1
        self._disconnected = asyncio.get_running_loop().create_future()
        return True

    def is_connected(self) -> bool:
        return self._disconnected is not None and not self._disconnected.done()

    @property
    def disconnected(self) -> asyncio.Future[None]:
        if self._disconnected is None:
            self._disconnected = asyncio.get_running_loop().create_future()
            self._disconnected.set_result(None)
        return self._disconnected

    async def disconnect(self) -> None:
        if self._disconnected is not None and not self._disconnected.done():
            self._disconnected.set_result(None)

    def drop(self) -> None:
        """The network died and auto-reconnect gave up: ``disconnected`` fails like Telethon's."""
        if self._disconnected is not None and not self._disconnected.done():
            self._disconnected.set_exception(ConnectionError("connection to Telegram lost"))
            self._disconnected.exception()  # mark retrieved: nobody may be awaiting it

    def _transport_connected(self) -> bool:
        return self.is_connected()

    def _keepalive_ping(self, rnd_id: int) -> None:
        pass

    # ------------------------------------------------------------ requests
    def send(self, request: Any, ordered: bool = False) -> Any:
        if isinstance(request, list):
            return [self.send(r, ordered) for r in request]
        if not self.is_connected():
            raise ConnectionError("Cannot send requests while disconnected")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        try:
            if not self.authorized and _needs_authorization(request):
                raise errors.AuthKeyUnregisteredError(request=request)
            result = over_the_wire(self.world.answer(request, self.account))
        except errors.RPCError as e:
            future.set_exception(e)
        else:
            if result is NO_ANSWER:
                return future  # never resolved: the request hangs until cancelled
            if isinstance(result, _LOGGED_IN):
                self.authorized = True  # the server now ties this key to the account
            if isinstance(result, _OWN_UPDATE_TYPES) and self.updates_queue is not None:
                result._self_outgoing = True
                self.updates_queue.put_nowait(result)
            future.set_result(result)
        return future


def _needs_authorization(request: Any) -> bool:
    inner = request
    while hasattr(inner, "query"):
        inner = inner.query
    return type(inner).__name__ not in _BEFORE_LOGIN
