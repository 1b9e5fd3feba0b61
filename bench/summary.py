"""``docs/benchmarks.md``: each benchmark's figures beside the spec's targets, and the machine.

Kept apart from the runner so the document can be built (and tested) from results alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bench.report import MalformedResult, Result, parse_results


@dataclass(frozen=True)
class ModuleRun:
    """What one benchmark module left behind: its figures, its time, and why it failed."""

    name: str
    results: tuple[Result, ...]
    seconds: float
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def outcome(name: str, output: Sequence[str], code: int, seconds: float) -> ModuleRun:
    """A module's run from its output lines and exit code.

    Figures printed before a crash are kept, since they were measured; a result line the
    suite cannot read fails the module, since its figures can no longer be trusted.
    """
    try:
        results = tuple(parse_results(output))
    except MalformedResult as malformed:
        return ModuleRun(name, (), seconds, str(malformed))
    if code == 0:
        return ModuleRun(name, results, seconds)
    last = next((line.strip() for line in reversed(output) if line.strip()), "no output")
    return ModuleRun(name, results, seconds, f"exit {code}: {last}")


def status(result: Result) -> str:
    return {None: "—", True: "ok", False: "**miss**"}[result.met]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(*cells: str) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def table(runs: Sequence[ModuleRun]) -> list[str]:
    """The markdown table: one row per figure; a failed module says so in its own row."""
    lines = [_row("benchmark", "measured", "target", "status"), "|---|---:|---|---|"]
    for run in runs:
        for result in run.results:
            lines.append(
                _row(
                    f"{run.name}: {result.label}",
                    result.measured,
                    result.wanted or "—",
                    status(result),
                )
            )
        if run.error is not None:
            lines.append(_row(run.name, f"failed: {run.error}", "—", "**failed**"))
        elif not run.results:
            lines.append(_row(run.name, "no figures reported", "—", "—"))
    return lines


def counts(runs: Sequence[ModuleRun]) -> str:
    """One line for the terminal and the document: how many targets were met."""
    verdicts = [r.met for run in runs for r in run.results if r.met is not None]
    failed = [run.name for run in runs if run.failed]
    line = f"{sum(verdicts)} of {len(verdicts)} targets met"
    if failed:
        line += f"; failed: {', '.join(failed)}"
    return line


def document(
    runs: Sequence[ModuleRun],
    *,
    when: datetime,
    machine: Sequence[tuple[str, str]],
    scale: str,
    commit: str | None,
    load: tuple[float, float, float],
) -> str:
    at_commit = f" at commit `{commit}`" if commit else ""
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python -m bench` (`make bench`) on {when:%Y-%m-%d %H:%M %Z}{at_commit}, "
        f"`BENCH_SCALE={scale}`: {counts(runs)}.",
        "",
        "Targets are those of SPEC section 7. *ok*: the target is met; *miss*: it is not;",
        "*—*: a figure for context, with no target of its own.",
        "",
        *table(runs),
        "",
        "## Machine",
        "",
        *(f"- {name}: {value}" for name, value in machine),
        f"- load average when the suite started: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}"
        " (1, 5, 15 min)",
        "",
        "## Time per benchmark",
        "",
        _row("module", "wall time", "outcome"),
        "|---|---:|---|",
        *(
            _row(run.name, f"{run.seconds:.0f} s", "failed" if run.failed else "ran")
            for run in runs
        ),
        "",
        "## How to run",
        "",
        "- `make bench` runs every benchmark, one process each, one after the other, and",
        "  rewrites this file. `.venv/bin/python -m bench matcher digest` runs a subset;",
        "  `--no-write` leaves this file alone. Each module also runs alone, with its own",
        "  options: `.venv/bin/python -m bench.matcher --help`.",
        "- `BENCH_SCALE=0.1 make bench` makes the ingest benchmark a tenth of its size",
        "  (its replay target then scales with it); the digest benchmark keeps its stored",
        "  million messages, built once under `data/bench/`.",
        "- Every benchmark is in `bench/`; a new `bench/*.py` with a `main()` is run without",
        "  being listed anywhere, and reports figures with `bench.report.emit`.",
        "",
        "## Caveat",
        "",
        "These numbers are from one run on a shared machine: other work may have been running",
        "on the same cores, so treat them as a floor for throughput and a ceiling for",
        "latency, not as a precise measurement. Compare runs on the same machine only.",
        "",
    ]
    return "\n".join(lines)
