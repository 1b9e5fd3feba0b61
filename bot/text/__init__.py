"""Text presentation shared by alerts and digests (pure: no Telegram, no storage)."""

from bot.text.snippet import DEFAULT_WIDTH, Snippet, make_snippet

__all__ = ["DEFAULT_WIDTH", "Snippet", "make_snippet"]
