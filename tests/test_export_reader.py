"""The Telegram Desktop export reader, through its public interface, on small files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ExportError
from bot.export import ExportReader
from bot.pipeline.values import IncomingMessage

SVODKI = 1987654321
VISNYK = 1876543210


def msg(mid: int, text: Any = "", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": mid,
        "type": "message",
        "date": "2024-10-25T12:00:00",
        "date_unixtime": str(1729850400 + mid),
        "from": "Сводки Приграничья",
        "from_id": f"channel{SVODKI}",
        "text": text,
    }
    return base | extra


def chat(messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": "Сводки Приграничья", "type": "public_channel", "id": SVODKI}
    return base | extra | {"messages": messages}


def write(tmp_path: Path, data: Any, name: str = "result.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    return path


def read_all(path: Path) -> tuple[ExportReader, list[IncomingMessage]]:
    reader = ExportReader(path)
    return reader, list(reader.messages())


def texts(path: Path) -> list[str]:
    return [m.text for m in read_all(path)[1]]


def test_single_chat_plain_text_message(tmp_path: Path) -> None:
    path = write(tmp_path, chat([msg(7, "Колонна техники прошла через Суджу")]))
    reader, messages = read_all(path)
    [m] = messages
    assert m.channel.telegram_id == SVODKI
    assert m.channel.title == "Сводки Приграничья"
    assert m.channel.username is None
    assert m.message_id == 7
    assert m.text == "Колонна техники прошла через Суджу"
    assert m.date == datetime.fromtimestamp(1729850407, tz=UTC)
    assert (m.edit_date, m.forward_from, m.reply_to, m.has_media) == (None, None, None, False)
    assert (reader.read, reader.chats_read, sum(reader.skipped.values())) == (1, 1, 0)


def test_entity_list_text_is_joined(tmp_path: Path) -> None:
    uk = [
        {"type": "bold", "text": "Північнокорейські військові"},
        " вже на Курщині ",
        {"type": "hashtag", "text": "#КНДР"},
        "",
        " ",
        {"type": "text_link", "text": "джерело", "href": "https://example.org/x"},
    ]
    en = ["Convoy near ", {"type": "bold", "text": "Kursk"}, {"type": "custom_emoji"}]
    path = write(tmp_path, chat([msg(1, uk), msg(2, en)]))
    assert texts(path) == [
        "Північнокорейські військові вже на Курщині #КНДР джерело",
        "Convoy near Kursk",
    ]


def test_captions_are_text_and_media_is_flagged(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        chat(
            [
                msg(1, "Фото колонны под Курском", photo="(File not included.)", width=1280),
                msg(2, "Drone footage, Belgorod", file="video.mp4", media_type="video_file"),
                msg(3, "", media_type="sticker", sticker_emoji="🔥"),
                msg(4, "Погода: завтра до +12"),
            ]
        ),
    )
    _, messages = read_all(path)
    assert [(m.text, m.has_media) for m in messages] == [
        ("Фото колонны под Курском", True),
        ("Drone footage, Belgorod", True),
        ("", True),
        ("Погода: завтра до +12", False),
    ]


def test_service_messages_are_skipped_and_counted(tmp_path: Path) -> None:
    service = {
        "id": 2,
        "type": "service",
        "date": "2024-10-25T12:00:00",
        "date_unixtime": "1729850402",
        "actor": "Сводки Приграничья",
        "action": "pin_message",
        "message_id": 1,
        "text": "",
    }
    path = write(tmp_path, chat([msg(1, "Эвакуация из Суджи"), service, msg(3, "Обстрел")]))
    reader, messages = read_all(path)
    assert [m.message_id for m in messages] == [1, 3]
    assert reader.skipped == {"service message": 1}
    assert reader.read == 2


def test_poll_question_and_answers_are_text(tmp_path: Path) -> None:
    poll = {
        "question": "Чи будуть війська КНДР на Курщині до листопада?",
        "closed": False,
        "total_voters": 12,
        "answers": [{"text": "Так", "voters": 7}, {"text": "Ні", "voters": 5}],
    }
    path = write(tmp_path, chat([msg(1, "", poll=poll), msg(2, "Vote:", poll=poll)]))
    assert texts(path) == [
        "Чи будуть війська КНДР на Курщині до листопада?\nТак\nНі",
        "Vote:\nЧи будуть війська КНДР на Курщині до листопада?\nТак\nНі",
    ]


def test_edits_forwards_and_replies_are_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        chat(
            [
                msg(
                    5,
                    "UPD: в Судже повреждена подстанция",
                    edited="2024-10-25T13:00:00",
                    edited_unixtime="1729861200",
                    forwarded_from="Border Watch OSINT",
                    forwarded_from_id="channel1765432109",
                    reply_to_message_id=4,
                )
            ]
        ),
    )
    [m] = read_all(path)[1]
    assert m.edit_date == datetime(2024, 10, 25, 13, 0, tzinfo=UTC)
    assert m.forward_from == "Border Watch OSINT"
    assert m.forward_channel_id == 1765432109
    assert m.reply_to == 4


def test_local_date_strings_are_taken_as_utc_when_unixtime_is_missing(tmp_path: Path) -> None:
    old = {
        "id": 1,
        "type": "message",
        "date": "2019-03-01T08:30:00",
        "edited": "2019-03-01T09:00:00",
        "text": "Old export without unixtime",
    }
    [m] = read_all(write(tmp_path, chat([old])))[1]
    assert m.date == datetime(2019, 3, 1, 8, 30, tzinfo=UTC)
    assert m.edit_date == datetime(2019, 3, 1, 9, 0, tzinfo=UTC)


def test_messages_without_id_or_date_are_skipped_with_reasons(tmp_path: Path) -> None:
    no_date = {"id": 2, "type": "message", "text": "без даты"}
    no_id = {"type": "message", "date_unixtime": "1729850400", "text": "без id"}
    path = write(tmp_path, chat([msg(1, "ok"), no_date, no_id, 42]))
    reader, messages = read_all(path)
    assert [m.text for m in messages] == ["ok"]
    assert reader.skipped == {
        "message without a valid date": 1,
        "message without a valid id": 1,
        "not a message object": 1,
    }


def full_account() -> dict[str, Any]:
    return {
        "about": "Here is the data you requested.",
        "personal_information": {"user_id": 1, "first_name": "Demo", "username": "@d"},
        "chats": {
            "about": "All chats.",
            "list": [
                chat([msg(1, "Дроны над Белгородом"), msg(2, "Погода")]),
                {
                    "name": "Мама",
                    "type": "personal_chat",
                    "id": 5550001234,
                    "messages": [msg(1, "У нас в Курске спокойно"), msg(2, "Позвони")],
                },
                {"name": "Bot", "type": "bot_chat", "id": 93372553, "messages": [msg(1, "/s")]},
                {"name": "Дача", "type": "private_group", "id": 777, "messages": []},
                chat([msg(10, "Обстріл прикордоння")], name="Прикордонний вісник", id=VISNYK),
                chat([msg(3, "Kursk: convoy")], name="OSINT chat", type="public_supergroup", id=3),
                chat([msg(4, "Закрита група")], name="Закрита", type="private_supergroup", id=4),
            ],
        },
        "left_chats": {
            "about": "Left chats.",
            "list": [chat([msg(9, "Суджа")], name="Курский курьер", type="private_channel", id=5)],
        },
    }


def test_full_account_export_reads_channels_and_supergroups_only(tmp_path: Path) -> None:
    reader, messages = read_all(write(tmp_path, full_account()))
    assert [(m.channel.telegram_id, m.message_id, m.text) for m in messages] == [
        (SVODKI, 1, "Дроны над Белгородом"),
        (SVODKI, 2, "Погода"),
        (VISNYK, 10, "Обстріл прикордоння"),
        (3, 3, "Kursk: convoy"),
        (4, 4, "Закрита група"),
        (5, 9, "Суджа"),
    ]
    assert messages[2].channel.title == "Прикордонний вісник"
    assert reader.chats_read == 5
    assert reader.chats_skipped == {"personal chat": 1, "bot chat": 1, "private group": 1}
    assert reader.skipped == {"personal chat": 2, "bot chat": 1}


def test_marked_channel_ids_are_made_bare(tmp_path: Path) -> None:
    path = write(tmp_path, chat([msg(1, "Курск")], id=-1001987654321))
    [m] = read_all(path)[1]
    assert m.channel.telegram_id == 1987654321


def test_empty_messages_list_is_a_chat_with_nothing_to_read(tmp_path: Path) -> None:
    reader, messages = read_all(write(tmp_path, chat([])))
    assert messages == []
    assert (reader.read, reader.chats_read) == (0, 1)


def test_account_export_without_chats_reads_nothing(tmp_path: Path) -> None:
    data = {"chats": {"about": "x", "list": []}, "left_chats": {"about": "y", "list": []}}
    reader, messages = read_all(write(tmp_path, data))
    assert messages == []
    assert (reader.read, reader.chats_read, reader.chats_skipped) == (0, 0, {})


def test_truncated_file_names_the_place(tmp_path: Path) -> None:
    full = json.dumps(chat([msg(i, f"Сводка номер {i}") for i in range(1, 6)]), ensure_ascii=False)
    raw = full.encode()
    cut = raw.index("Сводка номер 4".encode())
    path = tmp_path / "export.json"
    path.write_bytes(raw[:cut])
    reader = ExportReader(path)
    seen: list[int] = []
    with pytest.raises(ExportError) as caught:
        seen.extend(m.message_id for m in reader.messages())
    assert seen == [1, 2, 3]
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path} is truncated or malformed near byte {cut}")
    assert 'after message 3 (id 3) of chat "Сводки Приграничья"' in message


def test_garbage_in_the_middle_is_refused(tmp_path: Path) -> None:
    good = json.dumps(chat([msg(1, "Курск"), msg(2, "Суджа")]), ensure_ascii=False)
    path = tmp_path / "export.json"
    path.write_text(good.replace('"id": 2', '"id": 2,, oops'), "utf-8")
    with pytest.raises(ExportError, match=r"truncated or malformed .*after message 1 "):
        list(ExportReader(path).messages())


def test_invalid_utf8_is_refused_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    raw = json.dumps(chat([msg(1, "Курск")]), ensure_ascii=False).encode()
    path.write_bytes(raw.replace("Курск".encode(), b"\xff\xfe\xfd"))
    with pytest.raises(ExportError, match="truncated or malformed"):
        list(ExportReader(path).messages())


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"id": 1, "text": "Курск"}, 'is valid JSON but not a Telegram Desktop export (no "m'),
        ({"chats": {"about": "no list"}}, 'is valid JSON but not a Telegram Desktop export (no "'),
        ([{"id": 1, "text": "Курск"}], "is not a Telegram Desktop export (the top level is not"),
        (chat([]) | {"messages": {}}, 'is not a Telegram Desktop export ("messages" is not a'),
        ({"chats": {"list": [chat([]) | {"messages": {}}]}}, '("messages" is not a list)'),
    ],
)
def test_json_that_is_not_an_export_says_so(tmp_path: Path, data: Any, why: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(ExportError) as caught:
        list(ExportReader(path).messages())
    assert why in str(caught.value)


def test_channel_without_an_id_is_refused(tmp_path: Path) -> None:
    data = {"name": "Сводки", "type": "public_channel", "messages": [msg(1, "Курск")]}
    with pytest.raises(ExportError, match='chat "Сводки" has no valid channel id'):
        list(ExportReader(write(tmp_path, data)).messages())


def test_missing_and_empty_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"cannot read .*nope\.json"):
        ExportReader(tmp_path / "nope.json")
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    with pytest.raises(ExportError, match="is empty"):
        list(ExportReader(empty).messages())


def test_reading_streams_and_reports_progress(tmp_path: Path) -> None:
    many = [msg(i, f"Сводка {i}: над Белгородом сбито {i} беспилотников") for i in range(1, 3001)]
    path = write(tmp_path, chat(many))
    reader = ExportReader(path)
    assert reader.bytes_read == 0
    stream = reader.messages()
    first = next(stream)
    assert first.message_id == 1
    assert 0 < reader.bytes_read < reader.total_bytes
    progress = [reader.bytes_read for _ in stream]
    assert progress == sorted(progress)
    assert reader.bytes_read == reader.total_bytes == path.stat().st_size
    assert reader.read == 3000
    assert reader.parser_backend == "yajl2_c"  # the C parser ships in ijson's wheels


def test_each_pass_restarts_the_counters(tmp_path: Path) -> None:
    reader = ExportReader(write(tmp_path, full_account()))
    first = list(reader.messages())
    second = list(reader.messages())
    assert first == second
    assert (reader.read, reader.chats_read) == (6, 5)
    assert reader.skipped == {"personal chat": 2, "bot chat": 1}
