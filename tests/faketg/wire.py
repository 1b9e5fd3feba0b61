"""What a client reads off the network: every answer and update of the fake Telegram is
serialized to MTProto bytes and parsed back, as Telethon would receive it.

A fake that builds TL objects by hand can pass ``None`` for a field Telegram always sends (a
newer layer adds one, as 1.45 added ``Dialog.unread_poll_votes_count``) and the client code
would still run; the real wire refuses that, so here it fails at once, naming the object. The
round trip also hands the client copies, so a later change in the world never reaches into
objects the client already holds.
"""

from __future__ import annotations

import struct
from typing import Any

from telethon.extensions import BinaryReader
from telethon.tl.tlobject import TLObject


class InvalidTLObject(AssertionError):
    """The fake built an object Telegram could never send."""


def over_the_wire(answer: Any) -> Any:
    if isinstance(answer, list):
        return [over_the_wire(item) for item in answer]
    if not isinstance(answer, TLObject):
        return answer  # True, None: the few answers that are not TL objects here
    try:
        data = bytes(answer)
    except (AssertionError, TypeError, ValueError, AttributeError, struct.error) as error:
        raise InvalidTLObject(
            f"the fake Telegram built a {type(answer).__name__} that cannot be sent"
            f" (a required field is missing or of the wrong type): {error!r}\n{answer!r}"
        ) from error
    with BinaryReader(data) as reader:
        return reader.tgread_object()
