"""The fake Telegram behaves like Telegram where our code depends on it."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
from telethon import TelegramClient, errors, events, functions, types

from tests.faketg import FakeTelegram, deliver, forget_flood_waits, make_client, push
from tests.faketg.wire import InvalidTLObject, over_the_wire
from tests.support.waiting import eventually

GetHistory = functions.messages.GetHistoryRequest
Resolve = functions.contacts.ResolveUsernameRequest


@pytest.fixture
def world() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def client(world: FakeTelegram) -> AsyncIterator[TelegramClient]:
    c = await make_client(world)
    yield c
    await c.disconnect()


async def test_reverse_paging_above_a_mark_returns_every_newer_post_oldest_first(
    world: FakeTelegram, client: TelegramClient
) -> None:
    channel = world.add_channel("kursk_news", posts=[f"пост {i}" for i in range(1, 251)])
    got = [m.id async for m in client.iter_messages(channel, min_id=100, reverse=True, wait_time=0)]
    assert got == list(range(101, 251))
    windows = [(r.offset_id, r.add_offset, r.limit) for r in world.of(GetHistory)]
    assert windows == [(101, -100, 100), (201, -100, 100), (251, -100, 100)]


async def test_newest_first_paging_with_a_limit(
    world: FakeTelegram, client: TelegramClient
) -> None:
    channel = world.add_channel("ukr_front", posts=[f"новина {i}" for i in range(1, 151)])
    got = [m.id async for m in client.iter_messages(channel, limit=120)]
    assert got == list(range(150, 30, -1))


async def test_reverse_paging_from_a_date(world: FakeTelegram, client: TelegramClient) -> None:
    channel = world.add_channel("osint_en", posts=[f"post {i}" for i in range(1, 11)])
    since = world.message(channel, 7).date
    got = [
        m.id
        async for m in client.iter_messages(channel, offset_date=since, reverse=True, wait_time=0)
    ]
    assert got == [7, 8, 9, 10]


async def test_flood_wait_reaches_the_caller_then_the_retry_resolves(
    world: FakeTelegram, client: TelegramClient
) -> None:
    world.add_channel("officer_plus", "Офицер+")
    world.fail(Resolve, errors.FloodWaitError, capture=3600)
    with pytest.raises(errors.FloodWaitError) as caught:
        await client(Resolve("officer_plus"))
    assert caught.value.seconds == 3600
    forget_flood_waits(client)
    resolved = await client(Resolve("OFFICER_PLUS"))
    assert resolved.chats[0].title == "Офицер+"
    assert world.count(Resolve) == 2


async def test_unknown_username_is_telegrams_error(client: TelegramClient) -> None:
    with pytest.raises(errors.UsernameNotOccupiedError):
        await client(Resolve("no_such_channel"))


async def test_wrong_access_hash_is_refused(world: FakeTelegram, client: TelegramClient) -> None:
    channel = world.add_channel("kursk_news", posts=["пост"])
    bad = types.InputPeerChannel(channel.id, channel.access_hash + 1)
    with pytest.raises(errors.ChannelInvalidError):
        await client(GetHistory(bad, 0, None, 0, 10, 0, 0, 0))


async def test_new_message_reaches_handlers_pushed_directly(
    world: FakeTelegram, client: TelegramClient
) -> None:
    channel = world.add_channel("kursk_news")
    seen: list[tuple[int, str]] = []

    @client.on(events.NewMessage(chats=[channel.id]))
    async def on_new(event: events.NewMessage.Event) -> None:
        seen.append((event.message.id, event.raw_text))

    await push(client, world, world.post(channel, "войска КНДР в Курской области"))
    assert seen == [(1, "войска КНДР в Курской области")]


async def test_a_pts_gap_through_the_update_loop_fetches_the_channel_difference(
    world: FakeTelegram, client: TelegramClient
) -> None:
    channel = world.add_channel("kursk_news")
    seen: list[int] = []

    @client.on(events.NewMessage(chats=[channel.id]))
    async def on_new(event: events.NewMessage.Event) -> None:
        seen.append(event.message.id)

    await deliver(client, world, world.post(channel, "перший"))
    world.post(channel, "другий (never pushed)")
    await deliver(client, world, world.post(channel, "третій"), until=lambda: len(seen) == 3)
    assert sorted(seen) == [1, 2, 3]
    assert world.count(functions.updates.GetChannelDifferenceRequest) >= 1


async def test_edits_and_deletions_dispatch_their_events(
    world: FakeTelegram, client: TelegramClient
) -> None:
    channel = world.add_channel("kursk_news", posts=["Курск", "Kursk"])
    edited: list[str] = []
    deleted: list[list[int]] = []
    client.add_event_handler(
        lambda e: edited.append(e.raw_text), events.MessageEdited(chats=[channel.id])
    )
    client.add_event_handler(lambda e: deleted.append(e.deleted_ids), events.MessageDeleted())
    await push(client, world, world.edit(channel, 1, "Курск (уточнение)"))
    await push(client, world, world.delete(channel, 2))
    assert edited == ["Курск (уточнение)"]
    assert deleted == [[2]]
    assert [m.id for m in world.history[channel.id]] == [1]


async def test_invites_join_expire_and_the_channel_limit(
    world: FakeTelegram, client: TelegramClient
) -> None:
    world.channel_limit = 1
    private = world.add_channel(None, "Закрытый канал", joined=False)
    other = world.add_channel("other", joined=False)
    world.add_invite(private, "AbCdEf")
    invite = await client(functions.messages.CheckChatInviteRequest("AbCdEf"))
    assert isinstance(invite, types.ChatInvite)
    await client(functions.messages.ImportChatInviteRequest("AbCdEf"))
    assert isinstance(
        await client(functions.messages.CheckChatInviteRequest("AbCdEf")), types.ChatInviteAlready
    )
    with pytest.raises(errors.ChannelsTooMuchError):
        await client(
            functions.channels.JoinChannelRequest(types.InputChannel(other.id, other.access_hash))
        )
    world.expire_invite("AbCdEf")
    with pytest.raises(errors.InviteHashExpiredError):
        await client(functions.messages.CheckChatInviteRequest("AbCdEf"))


async def test_peer_dialogs_report_the_top_message_of_joined_channels(
    world: FakeTelegram, client: TelegramClient
) -> None:
    a = world.add_channel("a", posts=["1", "2", "3"])
    b = world.add_channel("b", posts=["1"], joined=False)
    peers = [types.InputDialogPeer(types.InputPeerChannel(c.id, c.access_hash)) for c in (a, b)]
    answer = await client(functions.messages.GetPeerDialogsRequest(peers))
    assert [(d.peer.channel_id, d.top_message) for d in answer.dialogs] == [(a.id, 3)]


async def test_a_hung_request_is_received_but_never_answered(
    world: FakeTelegram, client: TelegramClient
) -> None:
    world.hang(Resolve)
    hung = asyncio.create_task(client(Resolve("kursk_news")))
    await eventually(lambda: world.count(Resolve) == 1, what="the request reached Telegram")
    world.add_channel("kursk_news")
    answered = await client(Resolve("kursk_news"))
    assert [c.username for c in answered.chats] == ["kursk_news"]
    assert not hung.done()
    hung.cancel()
    with pytest.raises(asyncio.CancelledError):
        await hung


async def test_going_offline_completes_disconnected_and_refuses_requests(
    world: FakeTelegram, client: TelegramClient
) -> None:
    world.go_offline()
    with pytest.raises(ConnectionError):
        await client.disconnected
    with pytest.raises(ConnectionError):
        await client(functions.updates.GetStateRequest())
    await client.disconnect()
    with pytest.raises(ConnectionError):
        await client.connect()
    world.go_online()
    await client.connect()
    assert isinstance(await client(functions.updates.GetStateRequest()), types.updates.State)


async def test_a_bot_receives_commands_sends_replies_and_answers_callbacks(
    world: FakeTelegram,
) -> None:
    bot = await make_client(world, bot=True)
    alice = world.add_user("Аліна", "alina")
    commands: list[tuple[int, str]] = []
    presses: list[bytes] = []

    @bot.on(events.NewMessage(incoming=True))
    async def on_command(event: events.NewMessage.Event) -> None:
        commands.append((event.sender_id, event.raw_text))
        await event.respond("Подписка оформлена")

    @bot.on(events.CallbackQuery())
    async def on_press(event: events.CallbackQuery.Event) -> None:
        presses.append(event.data)
        await event.answer("ok")

    assert (await bot.get_me()).bot
    await push(bot, world, world.user_message(alice, "/subscribe kursk"))
    await push(bot, world, world.callback(alice, b"mute:kursk", msg_id=1))
    assert commands == [(alice.id, "/subscribe kursk")]
    assert [(m.peer_id.user_id, m.message) for m in world.sent] == [
        (alice.id, "Подписка оформлена")
    ]
    assert presses == [b"mute:kursk"]
    assert len(world.callback_answers) == 1
    await bot.disconnect()


async def test_group_admin_check(world: FakeTelegram) -> None:
    bot = await make_client(world, bot=True)
    group = world.add_channel("analysts", "Аналитики", megagroup=True)
    boss, member = world.add_user("Boss"), world.add_user("Member")
    world.make_admin(group, boss)
    world.members[group.id].add(member.id)
    roles = []
    for user in (boss, member):
        answer = await bot(
            functions.channels.GetParticipantRequest(
                types.InputChannel(group.id, group.access_hash),
                types.InputPeerUser(user.id, user.access_hash),
            )
        )
        roles.append(type(answer.participant).__name__)
    assert roles == ["ChannelParticipantAdmin", "ChannelParticipant"]
    await bot.disconnect()


async def test_a_digit_string_is_a_phone_number_and_an_unseen_id_needs_its_access_hash(
    world: FakeTelegram, client: TelegramClient
) -> None:
    """As on Telegram: Telethon looks a digit string up among the contacts by phone, and a
    user id the account has never seen cannot be addressed without its access hash."""
    colleague = world.add_user("Олена", phone="380501234567", started_bot=False)
    stranger = world.add_user("Stranger", started_bot=False)
    with pytest.raises(ValueError, match="Cannot find any entity"):
        await client.get_input_entity(str(stranger.id))
    assert world.count(functions.contacts.GetContactsRequest) == 1
    with pytest.raises(ValueError, match="Could not find the input entity"):
        await client.get_input_entity(stranger.id)

    world.add_contact(colleague)
    found = await client.get_input_entity("+380501234567")
    assert (found.user_id, found.access_hash) == (colleague.id, colleague.access_hash)


async def test_dialogs_list_the_joined_channels_and_private_chats(
    world: FakeTelegram, client: TelegramClient
) -> None:
    news = world.add_channel("kursk_news", posts=["пост"])
    world.add_channel("left_one", joined=False)
    room = world.add_channel(None, "Штаб", megagroup=True)
    olena = world.add_user("Олена", started_bot=False)
    world.open_chat(olena)
    names = {d.name for d in await client.get_dialogs()}
    assert names == {news.title, room.title, "Олена", "Analyst"}
    # Now cached: a -100 group id and a bare user id resolve without a hash in the request.
    assert (await client.get_input_entity(int(f"-100{room.id}"))).channel_id == room.id
    assert (await client.get_input_entity(olena.id)).user_id == olena.id


def test_a_tl_object_missing_a_required_field_fails_loudly() -> None:
    dialog = types.Dialog(
        peer=types.PeerChannel(1),
        top_message=1,
        read_inbox_max_id=1,
        read_outbox_max_id=0,
        unread_count=0,
        unread_mentions_count=0,
        unread_reactions_count=0,
        unread_poll_votes_count=None,  # Telethon 1.45's layer requires it
        notify_settings=types.PeerNotifySettings(),
    )
    with pytest.raises(InvalidTLObject, match="built a Dialog that cannot be sent"):
        over_the_wire(dialog)
    dialog.unread_poll_votes_count = 0
    assert over_the_wire(dialog).unread_poll_votes_count == 0


async def test_a_photo_is_uploaded_in_parts_and_sent_with_its_caption(
    world: FakeTelegram, client: TelegramClient
) -> None:
    olena = world.add_user("Олена")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3000  # 768 KB: several parts
    sent = await client.send_file(
        _peer(olena), _named(png), caption="<b>Сплеск</b>", parse_mode="html"
    )
    [message] = world.sent
    assert message.id == sent.id and message.message == "Сплеск"
    assert world.media.image_of(message) == png
    assert world.count(functions.upload.SaveFilePartRequest) > 1  # Telethon picks the part size


@pytest.mark.parametrize(
    ("data", "caption", "refused"),
    [
        (b"not an image at all", "", errors.PhotoExtInvalidError),
        (b"\x89PNG\r\n\x1a\n", "я" * 1025, errors.MediaCaptionTooLongError),
    ],
)
async def test_a_photo_telegram_would_refuse_is_refused(
    world: FakeTelegram, client: TelegramClient, data: bytes, caption: str, refused: type
) -> None:
    olena = world.add_user("Олена")
    with pytest.raises(refused):
        await client.send_file(_peer(olena), _named(data), caption=caption)
    assert world.sent == []


async def test_a_chat_without_media_refuses_photos_but_takes_text(
    world: FakeTelegram, client: TelegramClient
) -> None:
    olena = world.add_user("Олена")
    world.media.forbidden.add(olena.id)
    with pytest.raises(errors.ChatSendMediaForbiddenError):
        await client.send_file(_peer(olena), _named(b"\x89PNG\r\n\x1a\n"))
    await client.send_message(_peer(olena), "текст")
    assert [m.message for m in world.sent] == ["текст"]


def _peer(user: types.User) -> types.InputPeerUser:
    assert user.access_hash is not None
    return types.InputPeerUser(user.id, user.access_hash)


def _named(data: bytes) -> io.BytesIO:
    picture = io.BytesIO(data)
    picture.name = "chart.png"
    return picture
