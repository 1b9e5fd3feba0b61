"""Telegram Desktop export reading, for replay and the bundled demo sample."""

from bot.export.stream import ExportReader

__all__ = ["ExportReader"]
