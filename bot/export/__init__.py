"""Telegram Desktop export reading, for replay and the bundled demo sample."""

from bot.export.reader import ExportReader

__all__ = ["ExportReader"]
