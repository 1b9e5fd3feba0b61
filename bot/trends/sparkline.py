"""Counts as a line of Unicode blocks, for a Telegram message and a terminal alike."""

from __future__ import annotations

from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int], width: int = 48) -> str:
    """One block per value (the last ``width``), scaled to the largest; empty for none.

    A zero is the lowest block too, so the line keeps its length and hours line up; a
    flat line of zeros is all lowest blocks.
    """
    shown = list(values)[-width:]
    top = max(shown, default=0)
    if top <= 0:
        return BLOCKS[0] * len(shown)
    last = len(BLOCKS) - 1
    return "".join(BLOCKS[round(v / top * last)] for v in shown)
