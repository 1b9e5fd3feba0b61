"""Links to Telegram posts: one spelling for alerts, digests, search, backtests and exports."""

from __future__ import annotations


def post_link(username: str | None, telegram_id: int, message_id: int) -> str:
    """Public ``t.me/<username>/<id>``, or the members-only ``t.me/c/<id>/<msg>`` form.

    ``telegram_id`` is the bare channel id (Telethon's ``Channel.id``, without ``-100``), which
    is what the ``t.me/c/`` form expects.
    """
    if username:
        return f"https://t.me/{username}/{message_id}"
    return f"https://t.me/c/{telegram_id}/{message_id}"
