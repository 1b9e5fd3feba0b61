"""One exception root, so the CLI and the bot can turn any expected failure into one plain line.

Anything that is the user's fault (bad settings, a malformed rule, a broken export file) is a
``ChanwatchError``; anything else is a bug and may surface as a traceback in the logs.
"""

from __future__ import annotations

from collections.abc import Sequence


class ChanwatchError(Exception):
    """An expected failure whose message is fit to show a user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(ChanwatchError):
    """The command line itself is wrong (exit code 2, like argparse)."""


class ConfigError(ChanwatchError):
    """Every problem in the settings at once, so a user fixes them in one pass."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the configuration has {len(self.problems)} problem(s):\n{lines}")


class QueryError(ChanwatchError):
    """A malformed rule query; ``column`` is 1-based so it can point at the mistake."""

    def __init__(self, what: str, column: int) -> None:
        self.what = what
        self.column = column
        super().__init__(f"{what} at column {column}")


class RuleError(ChanwatchError):
    """A named rule whose query does not parse; names the rule so a 10,000-rule file is fixable."""

    def __init__(self, rule: str, error: QueryError) -> None:
        self.rule = rule
        self.error = error
        super().__init__(f"rule {rule!r}: {error}")


class WatchlistError(ChanwatchError):
    """Every problem found in a watchlist file, each with its location; nothing was changed."""

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  {path}: {p}" for p in self.problems)
        super().__init__(
            f"{len(self.problems)} problem(s) in {path}, nothing was changed:\n{lines}"
        )


class ExportError(ChanwatchError):
    """A Telegram Desktop export that cannot be read (truncated, malformed, wrong shape)."""
