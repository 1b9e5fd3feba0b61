"""Retention: messages older than ``RETENTION_DAYS`` that no rule hit are deleted, every
``PRUNE_EVERY``; hits and the posts they point at are kept as evidence."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.logs import fields
from storage import messages
from storage.database import Database

log = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=6)


async def prune(db: Database, now: datetime, retention: timedelta) -> int:
    """Delete the messages past retention that no rule hit; returns how many."""
    removed = await messages.prune_without_hits(db, now - retention)
    log.info("pruned messages", extra=fields(removed=removed))
    return removed
