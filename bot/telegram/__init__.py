"""Everything that talks to Telegram through Telethon; nothing outside this package imports it."""
