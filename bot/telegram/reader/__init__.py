"""The live reader (``Reader``): the worker and its queue (``worker``), syncs and catch-up
(``sync``), live updates and what they say about a channel (``live``), and the channels it
follows with their state (``watched``)."""

from bot.telegram.reader.watched import ReaderOptions
from bot.telegram.reader.worker import Reader

__all__ = ["Reader", "ReaderOptions"]
