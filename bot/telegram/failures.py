"""Why a channel cannot be read, in the words an operator sees in ``/status``."""

from __future__ import annotations

from telethon import errors


class ChannelUnavailable(Exception):
    """This channel cannot be read (now or ever); ``reason`` is one plain sentence."""

    def __init__(self, reason: str, *, joining: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.joining = joining


class TooManyChannels(ChannelUnavailable):
    """The account is at Telegram's channel limit: no further join can succeed."""


TOO_MANY_CHANNELS = (
    "the account is in too many channels (Telegram allows about 500): leave some channels"
    " or unwatch some, then watch this one again"
)

_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (errors.UsernameNotOccupiedError, "no channel has this username"),
    (errors.UsernameInvalidError, "this username is not valid"),
    (errors.InviteHashExpiredError, "the invite link has expired or was revoked"),
    (errors.InviteHashInvalidError, "the invite link is not valid"),
    (errors.InviteHashEmptyError, "the invite link is empty"),
    (errors.ChannelPrivateError, "the channel is private or the account was banned from it"),
    (errors.ChannelInvalidError, "the channel no longer exists or the stored access is invalid"),
    (errors.UserBannedInChannelError, "the account is banned in this channel"),
    (errors.ChannelsTooMuchError, TOO_MANY_CHANNELS),
)


def unavailable(error: errors.RPCError) -> ChannelUnavailable | None:
    """The plain-words failure for an RPC error that is about the channel, else None."""
    if isinstance(error, errors.InviteRequestSentError):
        return ChannelUnavailable(
            "a join request was sent; waiting for a channel admin to approve it", joining=True
        )
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            cls = TooManyChannels if kind is errors.ChannelsTooMuchError else ChannelUnavailable
            return cls(reason)
    return None
