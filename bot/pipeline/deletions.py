"""Recording that posts were deleted: the flag, its time and source, and the notices to the
chats that were alerted to them, in one transaction.

The reader calls it for a live ``UpdateDeleteChannelMessages`` (``via="live"``) and for the
posts the deletion check finds gone (``via="check"``). Because the flag and the notices commit
together and a post already flagged is skipped, a crash between the two is impossible, and a
deletion learned twice (live, then by the check) notifies once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.pipeline.change_router import ChangeNotices
from bot.pipeline.values import ChannelInfo
from storage import deletions
from storage.database import Database
from storage.deletions import DeletedVia


class DeletionLog:
    def __init__(self, notices: ChangeNotices | None = None) -> None:
        self.notices = notices  # None: record only (a reader without subscribers)

    async def record(
        self,
        db: Database,
        channel: ChannelInfo,
        channel_pk: int,
        message_ids: Sequence[int],
        *,
        via: DeletedVia,
        at: datetime,
    ) -> int:
        """Flag the stored posts among ``message_ids`` as deleted, learned ``at``; returns how
        many were newly flagged."""
        if not message_ids:
            return 0
        async with db.transaction():
            gone = await deletions.mark_deleted(db, channel_pk, message_ids, via=via, at=at)
            if gone and self.notices is not None:
                await self.notices.deleted(db, channel, gone)
        return len(gone)
