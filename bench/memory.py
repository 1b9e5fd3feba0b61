"""Resident memory of a matcher as the service holds one: both morphology dictionaries, 10,000
compiled rules, and the analysis caches warmed by a few thousand messages (target < 300 MB).

Runs in a fresh process (``python -m bench`` gives each benchmark its own), so the peak RSS
(``ru_maxrss``) is this workload's alone. The rules and messages are the matcher benchmark's,
from the same generator. Prints the peak after each step, so a regression shows where it grew.
"""

from __future__ import annotations

import argparse
import resource
import sys
from collections.abc import Sequence

from bench.matcher import Corpus
from bench.report import emit
from bot.matching import RuleSet
from bot.matching.morphology import morphology

TARGET_MB = 300.0


def peak_mb() -> float:
    """The process's peak resident set so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=5_000)
    args = parser.parse_args(argv if argv is not None else [])

    print(f"{'interpreter and imports:':<36}{peak_mb():7.0f} MB")
    morphology()
    print(f"{'+ ru and uk dictionaries:':<36}{peak_mb():7.0f} MB")
    corpus = Corpus()
    rules = [(f"rule-{i:05d}", corpus.rule()) for i in range(args.rules)]
    messages = [corpus.message() for _ in range(args.messages)]
    print(f"{'+ generated rules and messages:':<36}{peak_mb():7.0f} MB")
    ruleset = RuleSet.compile(rules)
    print(f"{f'+ {len(ruleset):,} rules compiled:':<36}{peak_mb():7.0f} MB")
    hits = sum(len(ruleset.match(text)) for text in messages)
    print(f"{f'+ {len(messages):,} messages matched:':<36}{peak_mb():7.0f} MB ({hits:,} hits)")
    emit(
        "memory.peak_rss",
        f"peak RSS: both dictionaries, {len(ruleset):,} rules, {len(messages):,} messages matched",
        peak_mb(),
        "MB",
        target=TARGET_MB,
        better="lower",
    )


if __name__ == "__main__":
    main(sys.argv[1:])
