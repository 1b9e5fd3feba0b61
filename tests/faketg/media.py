"""Uploads and photos on the fake Telegram: ``upload.SaveFilePart`` parts kept per account
and file id, and ``messages.SendMedia`` of an uploaded photo checked like Telegram checks it.

Strict where the client can go wrong: every part must be there (``FILE_PARTS_INVALID`` /
``FILE_PART_MISSING``), the MD5 Telethon sends must match the bytes, the file must be an
image the fake can read (PNG or JPEG, ``PHOTO_EXT_INVALID``), the caption at most 1,024
characters (``MEDIA_CAPTION_TOO_LONG``), and a chat that forbids media refuses it
(``CHAT_SEND_MEDIA_FORBIDDEN``). Only uploaded photos are answered; anything else is a
``NotImplementedError``, so a test never passes on a request the fake did not check.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from telethon import errors, types
from telethon.tl import functions

CAPTION_LIMIT = 1024
PART_LIMIT = 512 * 1024
_IMAGES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


@dataclass
class Media:
    """What the fake keeps of uploads, and which chats refuse media."""

    parts: dict[tuple[int, int], dict[int, bytes]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    photos: dict[int, bytes] = field(default_factory=dict)  # photo id -> the image sent
    forbidden: set[int] = field(default_factory=set)  # peer ids (users, channels)

    def image_of(self, message: types.Message) -> bytes:
        """The bytes of the photo a sent message carries."""
        assert isinstance(message.media, types.MessageMediaPhoto)
        photo = message.media.photo
        assert isinstance(photo, types.Photo)
        return self.photos[photo.id]


def save_file_part(w: Any, r: functions.upload.SaveFilePartRequest, a: types.User) -> bool:
    if not 0 <= r.file_part < 4000 or len(r.bytes) > PART_LIMIT:
        raise errors.FilePartInvalidError(request=r)
    w.media.parts[(a.id, r.file_id)][r.file_part] = bytes(r.bytes)
    return True


def send_media(w: Any, r: functions.messages.SendMediaRequest, a: types.User) -> Any:
    if not isinstance(r.media, types.InputMediaUploadedPhoto):
        raise NotImplementedError(f"the fake Telegram sends uploaded photos only, not {r.media}")
    upload = r.media.file
    if not isinstance(upload, types.InputFile):
        raise NotImplementedError("the fake Telegram takes small uploads (InputFile) only")
    parts = w.media.parts.pop((a.id, upload.id), None)
    if parts is None or upload.parts <= 0:
        raise errors.FilePartsInvalidError(request=r)
    if sorted(parts) != list(range(upload.parts)):
        raise errors.FilePartMissingError(
            request=r, capture=min(set(range(upload.parts)) - set(parts), default=0)
        )
    data = b"".join(parts[i] for i in range(upload.parts))
    if upload.md5_checksum and hashlib.md5(data).hexdigest() != upload.md5_checksum:
        raise errors.Md5ChecksumInvalidError(request=r)
    if not data.startswith(_IMAGES):
        raise errors.PhotoExtInvalidError(request=r)
    if len((r.message or "").encode("utf-16-le")) // 2 > CAPTION_LIMIT:
        raise errors.MediaCaptionTooLongError(request=r)
    if _peer_id(r.peer, a) in w.media.forbidden:
        raise errors.ChatSendMediaForbiddenError(request=r)
    photo_id = len(w.media.photos) + 1
    w.media.photos[photo_id] = data
    media = types.MessageMediaPhoto(
        photo=types.Photo(
            id=photo_id, access_hash=1, file_reference=b"", date=w.now, sizes=[], dc_id=2
        )
    )
    return w._outgoing(r, a, media=media)


def _peer_id(peer: Any, account: types.User) -> int:
    if isinstance(peer, types.InputPeerChannel):
        return int(peer.channel_id)
    if isinstance(peer, types.InputPeerUser):
        return int(peer.user_id)
    return int(account.id)


MEDIA_HANDLERS = {
    functions.upload.SaveFilePartRequest: save_file_part,
    functions.messages.SendMediaRequest: send_media,
}
