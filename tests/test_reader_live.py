"""Live updates: new posts, edits, deletions, albums, and watching at run time."""

from __future__ import annotations

from telethon.tl.functions.channels import JoinChannelRequest
from telethon.tl.functions.messages import GetHistoryRequest

from bot.text.alerts import channel_link
from bot.watchlist import actions
from storage import channels
from storage.database import Database
from tests.faketg import FakeTelegram, push
from tests.faketg.readers import start_reader


async def test_new_posts_are_ingested_in_order(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("kursk_news", posts=["старый"])
    h = await start_reader(world, db, ["@kursk_news"])
    await push(h.client, world, world.post(channel, "войска КНДР в Курской области"))
    await push(h.client, world, world.post(channel, "North Korean troops near Kursk"))
    await h.reader.sync()
    assert h.sink.ids(channel.id) == [1, 2, 3]
    texts = [m.text for b in h.sink.batches for m in b]
    assert texts[-2:] == ["войска КНДР в Курской области", "North Korean troops near Kursk"]
    await h.stop()


async def test_forwards_name_their_source_channel_live_and_in_catch_up(db: Database) -> None:
    world = FakeTelegram()
    source = world.add_channel("svodki_prigran", title="Сводки Приграничья")
    channel = world.add_channel("prykordonnyi_visnyk", title="Прикордонний вісник")
    world.post(channel, "Бої під Суджею", forward_from=source)  # missed while down
    h = await start_reader(world, db, ["@prykordonnyi_visnyk"])
    await push(h.client, world, world.post(channel, "КНДР на Курщині", forward_from=source))
    await h.reader.sync()
    forwards = [
        (m.message_id, m.forward_from, m.forward_channel_id) for b in h.sink.batches for m in b
    ]
    assert forwards == [
        (1, "Сводки Приграничья", source.id),
        (2, "Сводки Приграничья", source.id),
    ]
    await h.stop()


async def test_an_edit_is_reingested_and_a_deletion_keeps_the_stored_copy(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("ukr_front", posts=["Удар по Курщині", "другий"])
    h = await start_reader(world, db, ["@ukr_front"])
    row = await channels.find(db, ref="@ukr_front")
    assert row is not None
    await db.execute(  # what the pipeline would have stored
        "INSERT INTO messages (channel_id, message_id, date, text, ingested_at)"
        " VALUES (?, 2, 0, 'другий', 0)",
        (row.id,),
    )
    await push(h.client, world, world.edit(channel, 1, "Удар по Курщині (оновлено)"))
    await push(h.client, world, world.delete(channel, 2))
    await h.reader.sync()
    assert h.sink.edits(channel.id) == [(1, "Удар по Курщині (оновлено)")]
    stored = await db.fetchall("SELECT message_id, deleted FROM messages")
    assert [tuple(r) for r in stored] == [(2, 1)]
    await h.stop()


async def test_an_album_arrives_as_one_batch(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("rybar")
    h = await start_reader(world, db, ["@rybar"])
    for update in world.album(channel, "Фото с места удара", 3, grouped_id=555):
        await push(h.client, world, update)
    await h.reader.sync()
    album = [b for b in h.sink.batches if any(m.grouped_id for m in b)]
    assert [[(m.message_id, m.grouped_id, m.has_media) for m in b] for b in album] == [
        [(1, 555, True), (2, 555, True), (3, 555, True)]
    ]
    assert album[0][0].text == "Фото с места удара"
    await h.stop()


async def test_watch_and_unwatch_take_effect_at_run_time(db: Database) -> None:
    world = FakeTelegram()
    first = world.add_channel("first_chan", posts=["a"])
    later = world.add_channel("later_chan", posts=["b", "c"], joined=False)
    h = await start_reader(world, db, ["@first_chan"])
    await channels.watch(db, "@later_chan")
    await h.reader.sync()
    assert h.sink.ids(later.id) == [1, 2]
    assert not later.left  # the reader joined it
    await push(h.client, world, world.post(later, "новый"))
    await channels.unwatch(db, "@first_chan")
    await h.reader.sync()
    await push(h.client, world, world.post(first, "not watched any more"))
    await h.reader.sync()
    assert h.sink.ids(later.id) == [1, 2, 3]
    assert h.sink.ids(first.id) == [1]
    await h.stop()


async def test_posts_of_unwatched_channels_are_ignored(db: Database) -> None:
    world = FakeTelegram()
    watched = world.add_channel("watched")
    other = world.add_channel("other")
    h = await start_reader(world, db, ["@watched"])
    await push(h.client, world, world.post(other, "noise"))
    await push(h.client, world, world.post(watched, "signal"))
    await h.reader.sync()
    assert [m.text for b in h.sink.batches for m in b] == ["signal"]
    await h.stop()


async def test_a_renamed_channel_is_followed_and_links_use_its_new_name(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("kursk_news", "Курские новости", posts=["старый"])
    h = await start_reader(world, db, ["@kursk_news"])
    await push(h.client, world, world.rename(channel, "kursk_today", "Курск сегодня"))
    await push(h.client, world, world.post(channel, "войска КНДР в Курской области"))
    await h.reader.sync()
    latest = h.sink.batches[-1][-1].channel
    assert (latest.username, latest.title) == ("kursk_today", "Курск сегодня")
    world.rename(channel, "kursk_24")  # the UpdateChannel was lost: the post's entity says it
    await push(h.client, world, world.post(channel, "North Korean troops near Kursk"))
    await h.reader.sync()
    last = h.sink.batches[-1][-1]
    assert channel_link(last.channel, last.message_id) == "https://t.me/kursk_24/3"
    row = await channels.find(db, ref="@kursk_news")
    assert row is not None and (row.username, row.title) == ("kursk_24", "Курск сегодня")
    await h.stop()


async def test_a_channel_the_account_left_is_joined_again(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("ukr_front", posts=["Удар по Курщині"])
    h = await start_reader(world, db, ["@ukr_front"])
    world.post(channel, "пропущено, поки акаунт був поза каналом")
    await push(h.client, world, world.leave(channel))
    await h.reader.sync()
    assert not channel.left and world.count(JoinChannelRequest) == 1
    assert h.sink.ids(channel.id) == [1, 2]
    assert await h.state("@ukr_front") == ("ok", None)
    await h.stop()


async def test_service_messages_move_the_mark_without_reaching_the_pipeline(
    db: Database,
) -> None:
    world = FakeTelegram()
    channel = world.add_channel("kursk_news", posts=["перший"])
    world.pin(channel, 1)  # while down: in history
    world.post(channel, "другий")
    h = await start_reader(world, db, ["@kursk_news"])
    reads = world.count(GetHistoryRequest)
    await push(h.client, world, world.pin(channel, 3))  # live
    await push(h.client, world, world.post(channel, "КНДР у Курській області"))
    await h.reader.sync()
    assert h.sink.ids(channel.id) == [1, 3, 5]
    assert world.count(GetHistoryRequest) == reads  # id 5 after 4 is no gap
    row = await channels.find(db, ref="@kursk_news")
    assert row is not None and row.high_water == 5
    await h.stop()


async def test_channels_left_while_the_reader_was_down_are_joined_again(db: Database) -> None:
    world = FakeTelegram()
    public = world.add_channel("ukr_front", posts=["Удар по Курщині"])
    private = world.add_channel(None, "Закрытый канал", joined=False, posts=["секрет"])
    world.add_invite(private, "AbCdEfGh123")
    fine = world.add_channel("osint_en", posts=["Kursk: first"])
    refs = ["@ukr_front", "t.me/+AbCdEfGh123", "@osint_en"]
    h = await start_reader(world, db, refs)
    await h.stop()
    world.leave(public)  # in the app, while chanwatch was down: no update will ever say so
    world.leave(private)
    world.post(public, "пропущено, поки акаунт був поза каналом")
    world.post(fine, "Kursk: second")
    again = await start_reader(world, db, refs)
    assert not public.left and world.count(JoinChannelRequest) == 1
    assert again.sink.ids(public.id) == [2]
    assert await again.state("@ukr_front") == ("ok", None)
    assert await again.state("t.me/+AbCdEfGh123") == (
        "failed",
        "the account left this invite-only channel: watch it again with a valid invite link",
    )
    assert again.sink.ids(fine.id) == [2]
    await push(again.client, world, world.post(public, "наживо знову"))
    await again.reader.sync()
    assert again.sink.ids(public.id) == [2, 3]
    await actions.watch_channel(db, "cli", "t.me/+AbCdEfGh123")  # the operator's answer
    await again.reader.sync()
    assert await again.state("t.me/+AbCdEfGh123") == ("ok", None) and not private.left
    await again.stop()
