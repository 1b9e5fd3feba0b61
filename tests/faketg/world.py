"""The state of a fake Telegram: accounts, channels, histories, invites, and how it answers.

Every answer is a real TL object and every failure a real ``telethon.errors`` class, so the
client code above the sender (entity cache, paging, update dispatch, error mapping) runs as it
would against Telegram.
"""

from __future__ import annotations

import copy
import itertools
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from telethon import errors, functions, types
from telethon.tl.tlobject import TLRequest

from tests.faketg.media import MEDIA_HANDLERS, Media

START = datetime(2024, 10, 20, 12, 0, tzinfo=UTC)
DEFAULT_CHANNEL_LIMIT = 500
MESSAGE_LIMIT = 4096  # Telegram counts UTF-16 code units of the text after formatting
NO_ANSWER = object()  # ``answer``'s result for a request that ``hang`` swallows


@dataclass
class _Fault:
    error: type[Exception]
    kwargs: dict[str, Any]
    when: Callable[[Any], bool] | None


def _notify() -> types.PeerNotifySettings:
    return types.PeerNotifySettings()


class FakeTelegram:
    """One Telegram world shared by any number of connected clients (a user and a bot).

    ``me`` is the user account, ``bot`` the bot account. Channels are real ``types.Channel``
    objects whose ``left`` flag says whether ``me`` has joined; histories are real
    ``types.Message`` lists in ascending id order.
    """

    def __init__(self, *, channel_limit: int = DEFAULT_CHANNEL_LIMIT) -> None:
        self._ids = itertools.count(1_500_000_001)
        self._user_ids = itertools.count(100_001)
        self.now = START
        self.channel_limit = channel_limit
        self.me = types.User(
            id=777, is_self=True, access_hash=7_770, first_name="Analyst", username="analyst"
        )
        self.bot = types.User(
            id=888,
            is_self=True,
            bot=True,
            bot_info_version=1,
            access_hash=8_880,
            first_name="chanwatch",
            username="chanwatch_bot",
        )
        self.users: dict[int, types.User] = {}
        self.bot_tokens: set[str] = set()  # tokens that sign in as ``bot`` (from @BotFather)
        # Per account: users in its contacts, and users it has a private chat with.
        self.contacts: dict[int, set[int]] = defaultdict(set)
        self.private_chats: dict[int, set[int]] = defaultdict(set)
        self.channels: dict[int, types.Channel] = {}
        self.history: dict[int, list[types.Message]] = defaultdict(list)
        self.invites: dict[str, int | None] = {}
        self.banned: set[int] = set()
        self.admins: dict[int, dict[int, str]] = defaultdict(dict)
        self.members: dict[int, set[int]] = defaultdict(set)
        self.sent: list[types.Message] = []
        self.callback_answers: list[functions.messages.SetBotCallbackAnswerRequest] = []
        self.requests: list[TLRequest] = []
        self._faults: dict[type, deque[_Fault]] = defaultdict(deque)
        self._hangs: dict[type, int] = defaultdict(int)
        self._pts: dict[int, int] = defaultdict(lambda: 1)
        self._last_ids: dict[int, int] = defaultdict(int)
        self._events: dict[int, list[tuple[int, types.TypeUpdate]]] = defaultdict(list)
        self._common_pts: dict[int, int] = defaultdict(lambda: 1)
        self._private_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self.network_up = True
        self.senders: list[Any] = []
        self.media = Media()  # uploads, sent photos, chats refusing media (media.py)
        self.handlers: dict[type, Handler] = {**_HANDLERS, **MEDIA_HANDLERS}  # auth.py adds more

    # ----------------------------------------------------------------- building the world
    def add_channel(
        self,
        username: str | None,
        title: str | None = None,
        *,
        joined: bool = True,
        megagroup: bool = False,
        posts: Iterable[str] = (),
    ) -> types.Channel:
        """A broadcast channel (or a supergroup with ``megagroup=True``), optionally pre-filled."""
        cid = next(self._ids)
        channel = types.Channel(
            id=cid,
            title=title or username or f"channel {cid}",
            photo=types.ChatPhotoEmpty(),
            date=START - timedelta(days=365),
            access_hash=self.access_hash(cid),
            username=username,
            broadcast=not megagroup,
            megagroup=megagroup,
            left=not joined,
        )
        self.channels[cid] = channel
        for text in posts:
            self.post(channel, text)
        return channel

    def add_user(
        self,
        first_name: str,
        username: str | None = None,
        *,
        phone: str | None = None,
        started_bot: bool = True,
    ) -> types.User:
        """A Telegram user; by default one who has started the bot (every subscriber has),
        so the bot may write to them by id. The user account knows them only through a
        contact (:meth:`add_contact`) or a chat (:meth:`open_chat`)."""
        uid = next(self._user_ids)
        user = types.User(
            id=uid, access_hash=uid * 3, first_name=first_name, username=username, phone=phone
        )
        self.users[uid] = user
        if started_bot:
            self.private_chats[self.bot.id].add(uid)
        return user

    def add_contact(self, user: types.User, *, of: types.User | None = None) -> None:
        """``user`` is in the contacts of ``of`` (default: the user account)."""
        self.contacts[(of or self.me).id].add(user.id)

    def open_chat(self, user: types.User, *, of: types.User | None = None) -> None:
        """``of`` (default: the user account) has a private chat with ``user``: a dialog."""
        self.private_chats[(of or self.me).id].add(user.id)

    def add_invite(self, channel: types.Channel, invite_hash: str) -> str:
        self.invites[invite_hash] = channel.id
        return invite_hash

    def expire_invite(self, invite_hash: str) -> None:
        self.invites[invite_hash] = None

    def make_admin(self, group: types.Channel, user: types.User, *, creator: bool = False) -> None:
        self.members[group.id].add(user.id)
        self.admins[group.id][user.id] = "creator" if creator else "admin"

    def ban(self, channel: types.Channel) -> None:
        """The account loses access: requests about this channel fail with ChannelPrivate."""
        self.banned.add(channel.id)
        channel.left = True

    def kick(self, channel: types.Channel) -> types.UpdateChannel:
        """Banned while connected: Telegram pushes ``UpdateChannel`` with a ChannelForbidden."""
        self.ban(channel)
        return types.UpdateChannel(channel.id)

    def leave(self, channel: types.Channel) -> types.UpdateChannel:
        """The account left (say, in the Telegram app); a public channel stays readable."""
        channel.left = True
        return types.UpdateChannel(channel.id)

    def rename(
        self, channel: types.Channel, username: str | None, title: str | None = None
    ) -> types.UpdateChannel:
        """A new username (the old one is free for anyone to take) and maybe a new title."""
        channel.username = username
        channel.title = title or channel.title
        return types.UpdateChannel(channel.id)

    @staticmethod
    def access_hash(channel_id: int) -> int:
        return channel_id * 7 + 13

    def joined(self) -> list[types.Channel]:
        return [c for c in self.channels.values() if not c.left]

    # ----------------------------------------------------------------- things that happen
    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def _next_id(self, channel: types.Channel) -> int:
        """Telegram never reuses a channel's message ids, not even after deleting them all."""
        self._last_ids[channel.id] += 1
        return self._last_ids[channel.id]

    def _record(self, channel: types.Channel, make: Callable[[int], types.TypeUpdate]) -> Any:
        self._pts[channel.id] += 1
        update = make(self._pts[channel.id])
        self._events[channel.id].append((self._pts[channel.id], update))
        return update

    def post(
        self,
        channel: types.Channel,
        text: str,
        *,
        grouped_id: int | None = None,
        media: bool = False,
        date: datetime | None = None,
        forward_from: types.Channel | None = None,
        reply_to: int | None = None,
        from_user: types.User | None = None,
        from_chat: types.Channel | None = None,
    ) -> types.UpdateNewChannelMessage:
        """Append a post to the channel's history; return the update Telegram would push.

        In a supergroup the sender is ``from_user``, or ``from_chat`` for a message sent as a
        chat (the group itself when an admin posts anonymously).
        """
        history = self.history[channel.id]
        message = types.Message(
            id=self._next_id(channel),
            peer_id=types.PeerChannel(channel.id),
            date=date or self.tick(),
            message=text,
            post=not channel.megagroup,
            from_id=_peer(from_user or from_chat),
            grouped_id=grouped_id,
            media=_photo(self.now) if media else None,
            fwd_from=_forward_header(forward_from, self.now) if forward_from else None,
            reply_to=types.MessageReplyHeader(reply_to_msg_id=reply_to) if reply_to else None,
        )
        history.append(message)
        return self._record(
            channel, lambda pts: types.UpdateNewChannelMessage(message, pts=pts, pts_count=1)
        )

    def pin(self, channel: types.Channel, message_id: int) -> types.UpdateNewChannelMessage:
        """A service message "pinned a post": it takes the next id but has no text."""
        history = self.history[channel.id]
        service = types.MessageService(
            id=self._next_id(channel),
            peer_id=types.PeerChannel(channel.id),
            date=self.tick(),
            action=types.MessageActionPinMessage(),
            reply_to=types.MessageReplyHeader(reply_to_msg_id=message_id),
            post=not channel.megagroup,
        )
        history.append(service)
        return self._record(
            channel, lambda pts: types.UpdateNewChannelMessage(service, pts=pts, pts_count=1)
        )

    def album(
        self, channel: types.Channel, caption: str, size: int, *, grouped_id: int
    ) -> list[types.UpdateNewChannelMessage]:
        """An album: ``size`` photos sharing ``grouped_id``, the caption on the first one."""
        return [
            self.post(channel, caption if i == 0 else "", grouped_id=grouped_id, media=True)
            for i in range(size)
        ]

    def edit(
        self, channel: types.Channel, message_id: int, text: str
    ) -> types.UpdateEditChannelMessage:
        message = self.message(channel, message_id)
        message.message = text
        message.edit_date = self.tick()
        return self._record(
            channel, lambda pts: types.UpdateEditChannelMessage(message, pts=pts, pts_count=1)
        )

    def delete(
        self, channel: types.Channel, *message_ids: int
    ) -> types.UpdateDeleteChannelMessages:
        ids = set(message_ids)
        self.history[channel.id] = [m for m in self.history[channel.id] if m.id not in ids]
        return self._record(
            channel,
            lambda pts: types.UpdateDeleteChannelMessages(
                channel.id, sorted(ids), pts=pts, pts_count=1
            ),
        )

    def message(self, channel: types.Channel, message_id: int) -> types.Message:
        return next(m for m in self.history[channel.id] if m.id == message_id)

    def user_message(
        self,
        user: types.User,
        text: str,
        *,
        to: types.User | None = None,
        group: types.Channel | None = None,
    ) -> types.UpdateNewMessage | types.UpdateNewChannelMessage:
        """A message from ``user``: privately to ``to`` (default: the bot) or in a supergroup."""
        self.users[user.id] = user
        if group is not None:
            self.members[group.id].add(user.id)
            return self.post(group, text, from_user=user)
        account = to or self.bot
        self.private_chats[account.id].add(user.id)
        self._common_pts[account.id] += 1
        message = types.Message(
            id=next(self._private_ids[account.id]),
            peer_id=types.PeerUser(user.id),
            from_id=types.PeerUser(user.id),
            date=self.tick(),
            message=text,
        )
        return types.UpdateNewMessage(message, pts=self._common_pts[account.id], pts_count=1)

    def anonymous_message(self, group: types.Channel, text: str) -> types.UpdateNewChannelMessage:
        """A message an admin posts anonymously in a supergroup: sent as the group itself."""
        return self.post(group, text, from_chat=group)

    def saved_message(self, text: str) -> types.UpdateNewMessage:
        """The account owner writes in their own Saved Messages (outgoing, to themselves)."""
        self._common_pts[self.me.id] += 1
        message = types.Message(
            id=next(self._private_ids[self.me.id]),
            peer_id=types.PeerUser(self.me.id),
            from_id=types.PeerUser(self.me.id),
            date=self.tick(),
            message=text,
            out=True,
        )
        return types.UpdateNewMessage(message, pts=self._common_pts[self.me.id], pts_count=1)

    def callback(
        self, user: types.User, data: bytes, *, msg_id: int, query_id: int | None = None
    ) -> types.UpdateBotCallbackQuery:
        """A user pressing an inline button under the bot's message ``msg_id`` in their chat."""
        self.users[user.id] = user
        return types.UpdateBotCallbackQuery(
            query_id=query_id or next(self._user_ids),
            user_id=user.id,
            peer=types.PeerUser(user.id),
            msg_id=msg_id,
            chat_instance=user.id,
            data=data,
        )

    def entities(self) -> tuple[list[types.User], list[Any]]:
        """What an update comes with: each channel as it is now (a copy, as sent over the
        wire, so a later rename does not reach back into it); a banned one as forbidden."""
        chats = [
            types.ChannelForbidden(c.id, c.access_hash, c.title)
            if c.id in self.banned
            else copy.copy(c)
            for c in self.channels.values()
        ]
        return [self.me, self.bot, *self.users.values()], chats

    # ----------------------------------------------------------------- the network
    def go_offline(self) -> None:
        """Drop every connection and refuse new ones until :meth:`go_online`."""
        self.network_up = False
        for sender in self.senders:
            sender.drop()

    def go_online(self) -> None:
        self.network_up = True

    # ----------------------------------------------------------------- faults and the log
    def fail(
        self,
        request_type: type,
        error: type[Exception],
        *,
        times: int = 1,
        when: Callable[[Any], bool] | None = None,
        **kwargs: Any,
    ) -> None:
        """Make the next ``times`` requests of this type (matching ``when``) raise ``error``.

        ``error`` is built as ``error(request=req, **kwargs)``, e.g.
        ``world.fail(GetHistoryRequest, errors.FloodWaitError, capture=30)``.
        """
        for _ in range(times):
            self._faults[request_type].append(_Fault(error, kwargs, when))

    def hang(self, request_type: type, *, times: int = 1) -> None:
        """Receive the next ``times`` requests of this type and never answer them: a dead
        connection that Telethon has not noticed yet."""
        self._hangs[request_type] += times

    def count(self, request_type: type) -> int:
        return sum(isinstance(r, request_type) for r in self.requests)

    def of(self, request_type: type) -> list[Any]:
        return [r for r in self.requests if isinstance(r, request_type)]

    # ----------------------------------------------------------------- answering
    def answer(self, request: TLRequest, account: types.User) -> Any:
        if isinstance(request, functions.InvokeWithLayerRequest | functions.InitConnectionRequest):
            return self.answer(request.query, account)
        if isinstance(request, functions.InvokeWithoutUpdatesRequest):
            return self.answer(request.query, account)
        self.requests.append(copy.copy(request))  # Telethon mutates paging requests
        self._maybe_fail(request)
        if self._hangs[type(request)]:
            self._hangs[type(request)] -= 1
            return NO_ANSWER
        handler = self.handlers.get(type(request))
        if handler is None:
            raise NotImplementedError(f"the fake Telegram does not answer {type(request).__name__}")
        return handler(self, request, account)

    def _maybe_fail(self, request: TLRequest) -> None:
        queue = self._faults.get(type(request))
        if not queue:
            return
        for fault in list(queue):
            if fault.when is None or fault.when(request):
                queue.remove(fault)
                raise fault.error(request=request, **fault.kwargs)

    def channel_for(self, peer: Any, request: Any) -> types.Channel:
        """The channel an input peer names, checked like Telegram checks access hashes."""
        channel_id = getattr(peer, "channel_id", None)
        channel = self.channels.get(channel_id) if channel_id is not None else None
        if channel is None or peer.access_hash != channel.access_hash:
            raise errors.ChannelInvalidError(request=request)
        if channel.id in self.banned:
            raise errors.ChannelPrivateError(request=request)
        return channel

    def _join(self, channel: types.Channel, request: TLRequest) -> types.Updates:
        if channel.id in self.banned:
            raise errors.ChannelPrivateError(request=request)
        if not channel.left:
            raise errors.UserAlreadyParticipantError(request=request)
        if len(self.joined()) >= self.channel_limit:
            raise errors.ChannelsTooMuchError(request=request)
        channel.left = False
        return types.Updates(updates=[], users=[], chats=[channel], date=self.now, seq=0)

    def _invite_channel(self, invite_hash: str, request: TLRequest) -> types.Channel:
        if invite_hash not in self.invites:
            raise errors.InviteHashInvalidError(request=request)
        channel_id = self.invites[invite_hash]
        if channel_id is None:
            raise errors.InviteHashExpiredError(request=request)
        return self.channels[channel_id]

    def _forward_sources(self, messages: list[Any]) -> list[types.Channel]:
        """The channels posts were forwarded from: Telegram sends them along with a page."""
        ids = {
            m.fwd_from.from_id.channel_id
            for m in messages
            if getattr(m, "fwd_from", None) is not None
            and isinstance(m.fwd_from.from_id, types.PeerChannel)
        }
        return [self.channels[i] for i in sorted(ids) if i in self.channels]

    def _channel_messages(
        self, channel: types.Channel, messages: list[Any], count: int
    ) -> types.messages.ChannelMessages:
        return types.messages.ChannelMessages(
            pts=self._pts[channel.id],
            count=count,
            messages=messages,
            topics=[],
            chats=[channel, *self._forward_sources(messages)],
            users=[],
        )

    def _outgoing(self, request: Any, account: types.User, *, media: Any = None) -> Any:
        """A message or, with ``media``, a photo with its caption (checked by media.py)."""
        peer, text, random_id = request.peer, request.message, request.random_id
        if media is None:
            _check_text(text, request)
        if isinstance(peer, types.InputPeerChannel):
            channel = self.channel_for(peer, request)
            update = self.post(channel, text)
            update.message.out = True
            update.message.media = media
            self.sent.append(update.message)
            return types.Updates(
                updates=[types.UpdateMessageID(update.message.id, random_id=random_id), update],
                users=[],
                chats=[channel],
                date=self.now,
                seq=0,
            )
        user_id = peer.user_id if isinstance(peer, types.InputPeerUser) else account.id
        if isinstance(peer, types.InputPeerUser):
            user = self.users.get(user_id)
            if user_id != account.id and (user is None or peer.access_hash != user.access_hash):
                raise errors.PeerIdInvalidError(request=request)
        self.private_chats[account.id].add(user_id)
        self._common_pts[account.id] += 1
        message = types.Message(
            id=next(self._private_ids[account.id]),
            peer_id=types.PeerUser(user_id),
            from_id=types.PeerUser(account.id),
            date=self.tick(),
            message=text,
            out=True,
            media=media,
        )
        self.sent.append(message)
        new = types.UpdateNewMessage(message, pts=self._common_pts[account.id], pts_count=1)
        return types.Updates(
            updates=[types.UpdateMessageID(message.id, random_id=random_id), new],
            users=[u for u in (self.users.get(user_id), account) if u is not None],
            chats=[],
            date=self.now,
            seq=0,
        )


def _check_text(text: str, request: TLRequest) -> None:
    """Telegram refuses an empty text and one over the limit, as the client sent it."""
    if not text.strip():
        raise errors.MessageEmptyError(request=request)
    if len(text.encode("utf-16-le")) // 2 > MESSAGE_LIMIT:
        raise errors.MessageTooLongError(request=request)


def _peer(sender: types.User | types.Channel | None) -> types.PeerUser | types.PeerChannel | None:
    if sender is None:
        return None
    if isinstance(sender, types.User):
        return types.PeerUser(sender.id)
    return types.PeerChannel(sender.id)


def _photo(date: datetime) -> types.MessageMediaPhoto:
    return types.MessageMediaPhoto(
        photo=types.Photo(
            id=int(date.timestamp()),
            access_hash=1,
            file_reference=b"",
            date=date,
            sizes=[],
            dc_id=2,
        )
    )


def _forward_header(source: types.Channel, date: datetime) -> types.MessageFwdHeader:
    return types.MessageFwdHeader(
        # Telegram names a channel source only through from_id (and the chats it sends along);
        # from_name is for hidden users.
        date=date,
        from_id=types.PeerChannel(source.id),
        channel_post=1,
    )


# --------------------------------------------------------------------- request handlers
Handler = Callable[[FakeTelegram, Any, types.User], Any]


def _get_config(w: FakeTelegram, r: Any, a: types.User) -> None:
    return None  # connect() discards it


def _get_users(w: FakeTelegram, r: Any, a: types.User) -> list[types.User]:
    """Users by id, each checked like Telegram checks access hashes: a user account may use 0
    only for its contacts, a bot only for users who wrote to it; otherwise the hash must fit."""
    found = []
    for user in r.id:
        if isinstance(user, types.InputUserSelf):
            found.append(a)
            continue
        known = w.users.get(user.user_id) or {w.me.id: w.me, w.bot.id: w.bot}.get(user.user_id)
        if known is None:
            continue
        zero_allowed = user.user_id in (
            w.private_chats[a.id] if a.bot else w.contacts[a.id] | {a.id}
        )
        if user.access_hash == known.access_hash or (user.access_hash == 0 and zero_allowed):
            found.append(known)
    return found


def _import_bot_authorization(w: FakeTelegram, r: Any, a: types.User) -> types.auth.Authorization:
    if r.bot_auth_token not in w.bot_tokens:
        raise errors.AccessTokenInvalidError(request=r)
    return types.auth.Authorization(user=w.bot)


def _get_contacts(w: FakeTelegram, r: Any, a: types.User) -> types.contacts.Contacts:
    if a.bot:
        raise errors.BotMethodInvalidError(request=r)
    ids = sorted(w.contacts[a.id])
    return types.contacts.Contacts(
        contacts=[types.Contact(user_id=i, mutual=True) for i in ids],
        saved_count=0,
        users=[w.users[i] for i in ids],
    )


def _dialog(peer: Any, top: int, pts: int | None = None) -> types.Dialog:
    return types.Dialog(
        peer=peer,
        top_message=top,
        read_inbox_max_id=top,
        read_outbox_max_id=0,
        unread_count=0,
        unread_mentions_count=0,
        unread_reactions_count=0,
        unread_poll_votes_count=0,
        notify_settings=_notify(),
        pts=pts,
    )


def _get_dialogs(w: FakeTelegram, r: Any, a: types.User) -> types.messages.Dialogs:
    """Every chat of the account in one answer (a ``Dialogs``, not a slice: there is no more).

    The joined channels and groups, and the private chats: Saved Messages and the users it
    has written with. Bots have no dialog list on Telegram.
    """
    if a.bot:
        raise errors.BotMethodInvalidError(request=r)
    dialogs, messages, chats = [], [], []
    for channel in w.joined():
        if channel.id in w.banned:
            continue
        history = w.history[channel.id]
        dialogs.append(
            _dialog(
                types.PeerChannel(channel.id), history[-1].id if history else 0, w._pts[channel.id]
            )
        )
        messages.extend(history[-1:])
        chats.append(channel)
    people = [a, *(w.users[i] for i in sorted(w.private_chats[a.id]) if i in w.users)]
    dialogs.extend(_dialog(types.PeerUser(u.id), 0) for u in people)
    return types.messages.Dialogs(dialogs=dialogs, messages=messages, chats=chats, users=people)


def _get_state(w: FakeTelegram, r: Any, a: types.User) -> types.updates.State:
    return types.updates.State(pts=w._common_pts[a.id], qts=0, date=w.now, seq=1, unread_count=0)


def _get_difference(w: FakeTelegram, r: Any, a: types.User) -> types.updates.DifferenceEmpty:
    return types.updates.DifferenceEmpty(date=w.now, seq=1)


def _get_channel_difference(w: FakeTelegram, r: Any, a: types.User) -> Any:
    channel = w.channel_for(r.channel, r)
    missed = [u for pts, u in w._events[channel.id] if pts > r.pts]
    if not missed:
        return types.updates.ChannelDifferenceEmpty(pts=w._pts[channel.id], final=True)
    new = [u.message for u in missed if isinstance(u, types.UpdateNewChannelMessage)]
    other = [u for u in missed if not isinstance(u, types.UpdateNewChannelMessage)]
    return types.updates.ChannelDifference(
        pts=w._pts[channel.id],
        new_messages=new,
        other_updates=other,
        chats=[channel],
        users=[],
        final=True,
    )


def _resolve_username(w: FakeTelegram, r: Any, a: types.User) -> types.contacts.ResolvedPeer:
    name = r.username.lower()
    for channel in w.channels.values():
        if channel.username and channel.username.lower() == name:
            return types.contacts.ResolvedPeer(
                peer=types.PeerChannel(channel.id), chats=[channel], users=[]
            )
    for user in (w.me, w.bot, *w.users.values()):
        if user.username and user.username.lower() == name:
            return types.contacts.ResolvedPeer(peer=types.PeerUser(user.id), chats=[], users=[user])
    raise errors.UsernameNotOccupiedError(request=r)


def _get_history(w: FakeTelegram, r: Any, a: types.User) -> types.messages.ChannelMessages:
    channel = w.channel_for(r.peer, r)
    history = w.history[channel.id]
    # Telegram's paging: newest first; the window starts at the first id below offset_id (or
    # at the first message not after offset_date), shifted by add_offset, clipped at the ends.
    newest_first = history[::-1]
    if r.offset_id:
        start = next(
            (i for i, m in enumerate(newest_first) if m.id < r.offset_id), len(newest_first)
        )
    elif r.offset_date:
        start = next(
            (i for i, m in enumerate(newest_first) if m.date < r.offset_date), len(newest_first)
        )
    else:
        start = 0
    begin = start + r.add_offset
    window = newest_first[max(0, begin) : max(0, begin + r.limit)]
    messages = [m for m in window if m.id > r.min_id and (not r.max_id or m.id < r.max_id)]
    return w._channel_messages(channel, messages, len(history))


def _channel_get_messages(w: FakeTelegram, r: Any, a: types.User) -> Any:
    channel = w.channel_for(r.channel, r)
    by_id = {m.id: m for m in w.history[channel.id]}
    found = [
        by_id.get(i.id, types.MessageEmpty(i.id, peer_id=types.PeerChannel(channel.id)))
        for i in r.id
    ]
    return w._channel_messages(channel, found, len(by_id))


def _get_channels(w: FakeTelegram, r: Any, a: types.User) -> types.messages.Chats:
    return types.messages.Chats(chats=[w.channel_for(c, r) for c in r.id])


def _get_peer_dialogs(w: FakeTelegram, r: Any, a: types.User) -> types.messages.PeerDialogs:
    dialogs, messages, chats = [], [], []
    for dialog_peer in r.peers:
        channel = w.channel_for(dialog_peer.peer, r)
        if channel.left:
            continue
        history = w.history[channel.id]
        top = history[-1].id if history else 0
        dialogs.append(_dialog(types.PeerChannel(channel.id), top, w._pts[channel.id]))
        messages.extend(history[-1:])
        chats.append(channel)
    return types.messages.PeerDialogs(
        dialogs=dialogs, messages=messages, chats=chats, users=[], state=_get_state(w, r, a)
    )


def _join_channel(w: FakeTelegram, r: Any, a: types.User) -> types.Updates:
    channel = w.channel_for(r.channel, r)
    if channel.username is None and channel.left:
        raise errors.ChannelPrivateError(request=r)  # an invite-only channel needs its invite
    return w._join(channel, r)


def _check_chat_invite(w: FakeTelegram, r: Any, a: types.User) -> Any:
    channel = w._invite_channel(r.hash, r)
    if not channel.left:
        return types.ChatInviteAlready(chat=channel)
    return types.ChatInvite(
        title=channel.title,
        photo=types.PhotoEmpty(id=0),
        participants_count=1000,
        color=0,
        channel=True,
        broadcast=bool(channel.broadcast),
        megagroup=bool(channel.megagroup),
    )


def _import_chat_invite(w: FakeTelegram, r: Any, a: types.User) -> types.Updates:
    return w._join(w._invite_channel(r.hash, r), r)


def _send_message(w: FakeTelegram, r: Any, a: types.User) -> Any:
    return w._outgoing(r, a)


def _edit_message(w: FakeTelegram, r: Any, a: types.User) -> types.Updates:
    edited = next(
        (m for m in reversed(w.sent) if m.id == r.id and _same_peer(m.peer_id, r.peer)), None
    )
    if edited is None:
        raise errors.MessageIdInvalidError(request=r)
    if edited.message == r.message:
        raise errors.MessageNotModifiedError(request=r)
    if r.message is not None:
        _check_text(r.message, r)
    edited.message = r.message
    edited.edit_date = w.tick()
    if isinstance(edited.peer_id, types.PeerChannel):
        channel = w.channels[edited.peer_id.channel_id]
        update: Any = w._record(
            channel, lambda pts: types.UpdateEditChannelMessage(edited, pts=pts, pts_count=1)
        )
        chats = [channel]
    else:
        w._common_pts[a.id] += 1
        update = types.UpdateEditMessage(edited, pts=w._common_pts[a.id], pts_count=1)
        chats = []
    return types.Updates(updates=[update], users=[a], chats=chats, date=w.now, seq=0)


def _same_peer(peer: Any, input_peer: Any) -> bool:
    if isinstance(peer, types.PeerChannel):
        return getattr(input_peer, "channel_id", None) == peer.channel_id
    return getattr(input_peer, "user_id", None) == peer.user_id


def _set_callback_answer(w: FakeTelegram, r: Any, a: types.User) -> bool:
    w.callback_answers.append(r)
    return True


def _get_participant(w: FakeTelegram, r: Any, a: types.User) -> types.channels.ChannelParticipant:
    group = w.channel_for(r.channel, r)
    if isinstance(r.participant, types.InputPeerSelf):
        user_id = a.id
    elif isinstance(r.participant, types.InputPeerUser):
        user_id = r.participant.user_id
    else:
        raise errors.ParticipantIdInvalidError(request=r)  # the fake knows user members only
    role = w.admins[group.id].get(user_id)
    participant: Any
    if role == "creator":
        participant = types.ChannelParticipantCreator(user_id, admin_rights=types.ChatAdminRights())
    elif role == "admin":
        participant = types.ChannelParticipantAdmin(
            user_id, promoted_by=a.id, date=START, admin_rights=types.ChatAdminRights()
        )
    elif user_id in w.members[group.id]:
        participant = types.ChannelParticipant(user_id, date=START)
    else:
        raise errors.UserNotParticipantError(request=r)
    users = [u for u in (w.users.get(user_id),) if u is not None]
    return types.channels.ChannelParticipant(participant=participant, chats=[group], users=users)


_HANDLERS: dict[type, Handler] = {
    functions.help.GetConfigRequest: _get_config,
    functions.users.GetUsersRequest: _get_users,
    functions.contacts.GetContactsRequest: _get_contacts,
    functions.auth.ImportBotAuthorizationRequest: _import_bot_authorization,
    functions.messages.GetDialogsRequest: _get_dialogs,
    functions.updates.GetStateRequest: _get_state,
    functions.updates.GetDifferenceRequest: _get_difference,
    functions.updates.GetChannelDifferenceRequest: _get_channel_difference,
    functions.contacts.ResolveUsernameRequest: _resolve_username,
    functions.messages.GetHistoryRequest: _get_history,
    functions.channels.GetMessagesRequest: _channel_get_messages,
    functions.channels.GetChannelsRequest: _get_channels,
    functions.messages.GetPeerDialogsRequest: _get_peer_dialogs,
    functions.channels.JoinChannelRequest: _join_channel,
    functions.messages.CheckChatInviteRequest: _check_chat_invite,
    functions.messages.ImportChatInviteRequest: _import_chat_invite,
    functions.messages.SendMessageRequest: _send_message,
    functions.messages.EditMessageRequest: _edit_message,
    functions.messages.SetBotCallbackAnswerRequest: _set_callback_answer,
    functions.channels.GetParticipantRequest: _get_participant,
}
