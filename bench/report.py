"""How a benchmark reports a headline figure: one human line and one machine line on stdout.

Benchmarks run in their own processes (``python -m bench``), so stdout is the only channel
back to the suite. ``emit`` prints the figure for a person and a ``BENCH-RESULT {json}`` line
that ``parse_results`` reads back; the target travels with the figure, so the spec's numbers
are written down once, next to the code that measures against them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

MARKER = "BENCH-RESULT "

Better = Literal["higher", "lower"]


@dataclass(frozen=True)
class Result:
    """One measured figure and, when the spec sets one, the target it is held against.

    A ``higher`` target is a floor the value must reach (the spec's "at least"); a ``lower``
    target is a ceiling it must stay under (the spec's "under").
    """

    key: str
    label: str
    value: float
    unit: str
    target: float | None = None
    better: Better = "higher"

    @property
    def met(self) -> bool | None:
        """Whether the target is met; ``None`` when the figure has no target."""
        if self.target is None:
            return None
        if self.better == "higher":
            return self.value >= self.target
        return self.value < self.target

    @property
    def measured(self) -> str:
        return f"{_number(self.value)} {self.unit}"

    @property
    def wanted(self) -> str:
        """The target as the spec words it: ``>= 20,000 msg/s``, ``< 300 MB``, or ``""``."""
        if self.target is None:
            return ""
        sign = ">=" if self.better == "higher" else "<"
        return f"{sign} {_number(self.target)} {self.unit}"

    def human_line(self) -> str:
        verdict = {None: "", True: "  ok", False: "  MISSED"}[self.met]
        wanted = f"  (target {self.wanted})" if self.wanted else ""
        return f"[{self.key}] {self.label}: {self.measured}{wanted}{verdict}"

    def machine_line(self) -> str:
        return MARKER + json.dumps(asdict(self), ensure_ascii=False)


def emit(
    key: str,
    label: str,
    value: float,
    unit: str,
    target: float | None = None,
    better: Better = "higher",
) -> Result:
    """Print ``value`` for a reader and for the suite; returns the result for further use."""
    result = Result(key, label, float(value), unit, target, better)
    print(result.human_line())
    print(result.machine_line(), flush=True)
    return result


class MalformedResult(ValueError):
    """A ``BENCH-RESULT`` line the suite cannot read: a bug in the benchmark that printed it."""


def parse_results(lines: Iterable[str]) -> list[Result]:
    """The results among a benchmark's output lines, in the order they were printed."""
    found = []
    for line in lines:
        if not line.startswith(MARKER):
            continue
        try:
            fields = json.loads(line[len(MARKER) :])
            result = Result(
                key=str(fields["key"]),
                label=str(fields["label"]),
                value=float(fields["value"]),
                unit=str(fields["unit"]),
                target=None if fields.get("target") is None else float(fields["target"]),
                better=_better(fields.get("better", "higher")),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise MalformedResult(f"unreadable benchmark result {line.strip()!r}") from error
        found.append(result)
    return found


def _better(value: object) -> Better:
    if value == "higher":
        return "higher"
    if value == "lower":
        return "lower"
    raise ValueError(f"better must be 'higher' or 'lower', not {value!r}")


def _number(value: float) -> str:
    """Readable at a glance: whole numbers with thousands separated, three significant digits
    for small fractions."""
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"
