"""Digests: schedules, story folding and rendering (pure; storage and Telegram wire in later)."""
