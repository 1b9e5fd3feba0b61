"""Surges and corroboration: when a subject suddenly spreads, not only when a word appears.

``series``, ``baseline``, ``statistic``, ``surges``, ``corroboration``, ``audience`` and
``report`` are pure (no database, no Telegram); ``watch.py`` is the adapter the scheduler
runs, ``bot/cli/trends.py`` the one ``chanwatch trends`` runs.
"""
