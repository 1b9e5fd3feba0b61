"""The watchlist — watched channels with their tags, and rules — as a TOML file and as the
operator actions the CLI and the bot share."""

from bot.watchlist.entries import ChannelSpec, RuleSpec, Watchlist
from bot.watchlist.parse import parse_watchlist, read_watchlist
from bot.watchlist.plan import Plan, plan_changes
from bot.watchlist.toml_io import dump_watchlist

__all__ = [
    "ChannelSpec",
    "Plan",
    "RuleSpec",
    "Watchlist",
    "dump_watchlist",
    "parse_watchlist",
    "plan_changes",
    "read_watchlist",
]
