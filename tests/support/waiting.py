"""Waiting for something to happen in a test without betting on how fast the machine is.

A fixed ``asyncio.sleep(0.1)`` or "poll 200 times" passes on a quiet laptop and fails on a
loaded two-core CI box; a silent fall-through after the last poll hides which wait ran out.
:func:`eventually` polls the condition itself and fails loudly, after a timeout long enough
that only a real bug reaches it: a slow machine makes the test slower, never red.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

PATIENCE_S = 30.0

Condition = Callable[[], bool | Awaitable[bool]]


async def eventually(
    condition: Condition, *, patience: float = PATIENCE_S, interval: float = 0.005, what: str = ""
) -> None:
    """Return once ``condition()`` (sync or async) holds; raise ``AssertionError`` after
    ``patience`` seconds of wall time. ``interval=0`` checks at every turn of the event loop,
    for conditions on a simulated clock that races ahead between checks."""
    deadline = time.monotonic() + patience
    while True:
        held = condition()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {patience:g} s: {what or condition}")
        await asyncio.sleep(interval)
