"""Surges and corroboration: when a subject suddenly spreads, not only when a word appears.

``series``, ``statistic``, ``surges``, ``sparkline`` and ``corroboration`` are pure (no
database, no Telegram); ``watch.py`` is the adapter the scheduler runs.
"""
