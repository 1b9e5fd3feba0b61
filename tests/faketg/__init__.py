"""An in-process fake Telegram for tests that drive a real ``telethon.TelegramClient``.

Only the client's network layer (``client._sender``) is replaced; request building, the
entity cache, ``iter_messages`` paging, the update loop, event dispatch and RPC error mapping
are Telethon's own. See ``../shared/notes/testing-telethon.md`` for why.

Typical use::

    from tests.faketg import FakeTelegram, make_client, push

    world = FakeTelegram()
    news = world.add_channel("kursk_news", "Курские новости", posts=["пост 1", "пост 2"])
    client = await make_client(world)               # the user account, connected
    update = world.post(news, "войска КНДР в Курской области")
    await push(client, world, update)               # runs the registered handlers now
    assert world.count(GetHistoryRequest) == 1      # every request is logged

The world:

- ``add_channel(username, title, joined=True, megagroup=False, posts=...)`` -> ``types.Channel``
  (``left`` tells whether the user account has joined); ``add_user``; ``add_invite`` /
  ``expire_invite``; ``make_admin(group, user, creator=False)``; ``ban(channel)``.
- Things that happen, each appended to history and returned as the update Telegram would push
  (with a consistent per-channel pts): ``post``, ``album``, ``pin`` (a service message),
  ``edit``, ``delete``;
  ``user_message(user, "/subscribe kursk")`` (a private message to the bot, or ``group=`` a
  supergroup), ``anonymous_message(group, text)`` (an anonymous admin's: ``from_id`` is the
  group) and ``callback(user, b"data", msg_id=...)`` for the bot; ``kick``, ``leave``
  and ``rename`` of a channel return the ``UpdateChannel`` Telegram pushes for them (a banned
  channel then comes with updates as ``ChannelForbidden``). A left channel has no dialog in
  ``GetPeerDialogs``; ``JoinChannel`` takes the account back into a public channel only (an
  invite-only one answers ``ChannelPrivateError``: it needs its invite).
- ``fail(RequestType, errors.SomeError, times=1, when=predicate, **kwargs)`` queues real RPC
  errors (``FloodWaitError`` takes ``capture=seconds``); ``hang(RequestType, times=1)``
  receives requests and never answers them (a dead connection Telethon has not noticed).
- ``go_offline()`` drops every connection (``client.disconnected`` completes with
  ``ConnectionError``, sends fail, reconnects are refused) until ``go_online()``.
- ``requests`` logs every request (wrappers unwrapped); ``count(Type)`` and ``of(Type)``.
- ``sent`` holds messages the clients sent; ``callback_answers`` the callback answers.
- Photos (``tests/faketg/media.py``): ``upload.SaveFilePart`` parts and
  ``messages.SendMedia`` of an uploaded photo, checked (every part, the MD5, PNG/JPEG bytes,
  a caption of at most 1,024 characters); ``media.image_of(message)`` is the picture sent,
  ``media.forbidden`` the chats refusing media (``ChatSendMediaForbiddenError``).
- Logging in: ``tests.faketg.auth.LoginDesk(world, code=..., password=...)`` answers the
  ``auth.*`` requests of ``chanwatch login`` (code, 2FA by real SRP, QR tokens); attach the
  client with ``authorized=False``. ``world.handlers`` maps request types to answers.

Strict where Telegram is: every answer and pushed update goes over the wire
(``tests/faketg/wire.py``: serialized and parsed back), so a TL object missing a required
field fails loudly; message ids are never reused; a user account resolves a digit string as a
phone number among its contacts (``add_contact``), and an id it has never seen only with its
access hash or through its dialogs (``GetDialogs``: joined channels, ``open_chat`` users,
Saved Messages); ``saved_message(text)`` is the owner writing to themselves; the bot signs
in with a token from ``bot_tokens``. ``tests/test_faketg_contract.py`` checks the private
Telethon parts this relies on.

Feeding updates: :func:`push` dispatches directly (deterministic, no pts checks);
:func:`deliver` goes through the update loop, where a pts gap makes Telethon ask
``GetChannelDifference``, answered from the world's event log. Use ``make_client(world,
bot=True)`` for the bot account; both accounts may share one world.
"""

from tests.faketg.client import (
    API_HASH,
    API_ID,
    attach,
    deliver,
    forget_flood_waits,
    make_client,
    push,
    settle,
)
from tests.faketg.sender import FakeSender
from tests.faketg.world import START, FakeTelegram

__all__ = [
    "API_HASH",
    "API_ID",
    "START",
    "FakeSender",
    "FakeTelegram",
    "attach",
    "deliver",
    "forget_flood_waits",
    "make_client",
    "push",
    "settle",
]
