"""Run the benchmarks and write ``docs/benchmarks.md``: ``python -m bench [NAME ...] [--no-write]``.

Every ``bench/*.py`` that defines a top-level ``main()`` is a benchmark; nothing lists them.
Each runs in its own process, one after another (the target machine has two cores), so one
benchmark's caches and peak RSS do not colour the next one's numbers. A benchmark that fails
is reported as failed and the suite exits non-zero, but the others still run.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import machine, summary
from bench.report import MARKER

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUTPUT = ROOT / "docs" / "benchmarks.md"


def discover() -> list[str]:
    """Benchmark module names, in name order: files with ``def main`` at the top level.

    Read with ``ast`` rather than imported, so the suite's own process stays small.
    """
    found = []
    for path in sorted(HERE.glob("*.py")):
        if path.name.startswith("_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body):
            found.append(path.stem)
    return found


def run_module(name: str) -> summary.ModuleRun:
    """Run ``bench.<name>.main()`` in a child process, echoing its output as it comes."""
    print(f"== bench.{name}", flush=True)
    started = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-c", f"import bench.{name} as m; m.main()"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    ) as child:
        assert child.stdout is not None
        output = []
        for line in child.stdout:
            output.append(line)
            if not line.startswith(MARKER):
                print(line, end="", flush=True)
        code = child.wait()
    return summary.outcome(name, output, code, time.perf_counter() - started)


def _commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    available = discover()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(available)}"
    )
    parser.add_argument("--no-write", action="store_true", help=f"do not write {OUTPUT.name}")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in available]
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}; have {', '.join(available)}")

    load = os.getloadavg()
    when = datetime.now(UTC)
    runs = [run_module(name) for name in args.names or available]
    print()
    print("\n".join(summary.table(runs)))
    print(summary.counts(runs))
    if not args.no_write:
        text = summary.document(
            runs,
            when=when,
            machine=machine.describe(),
            scale=os.environ.get("BENCH_SCALE", "1"),
            commit=_commit(),
            load=load,
        )
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 1 if any(run.failed for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
