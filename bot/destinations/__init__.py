"""Destinations beyond Telegram: a JSON webhook, or notification services through Apprise
(ntfy, Matrix, Slack, Discord, email ...), fed from the same outbox as Telegram alerts."""
