"""The benchmark suite's bookkeeping: result lines, target verdicts, failed modules, the table.

Nothing here times anything; the figures are made up.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench import summary
from bench.__main__ import discover
from bench.report import MARKER, MalformedResult, Result, emit, parse_results


def test_emit_prints_a_human_line_and_a_line_the_suite_reads_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sent = emit("matcher.warm", "тёплый прогон, 10 000 правил", 43_210.5, "msg/s", target=20_000)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "[matcher.warm] тёплый прогон, 10 000 правил: 43,210 msg/s  (target >= 20,000 msg/s)  ok"
    )
    assert lines[1].startswith(MARKER)
    assert parse_results(lines) == [sent]


def test_parse_keeps_results_in_order_among_ordinary_output() -> None:
    output = [
        "rules: 10000   messages: 20000 (avg 301 chars)\n",
        MARKER + '{"key": "a", "label": "Київ", "value": 1, "unit": "s"}\n',
        "  stored   950,000 messages\r\n",
        MARKER + '{"key": "b", "label": "RSS", "value": 250, "unit": "MB",'
        ' "target": 300, "better": "lower"}\n',
    ]
    assert parse_results(output) == [
        Result("a", "Київ", 1.0, "s"),
        Result("b", "RSS", 250.0, "MB", 300.0, "lower"),
    ]


@pytest.mark.parametrize(
    "payload",
    [
        "{not json",
        '{"key": "a", "label": "x", "unit": "s"}',
        '{"key": "a", "label": "x", "value": "fast", "unit": "s"}',
        '{"key": "a", "label": "x", "value": 1, "unit": "s", "better": "faster"}',
    ],
)
def test_an_unreadable_result_line_is_refused(payload: str) -> None:
    with pytest.raises(MalformedResult, match="unreadable benchmark result"):
        parse_results([MARKER + payload])


@pytest.mark.parametrize(
    ("value", "target", "better", "met"),
    [
        (20_000, 20_000, "higher", True),  # "at least 20,000"
        (19_999, 20_000, "higher", False),
        (299.9, 300, "lower", True),  # "under 300 MB"
        (300, 300, "lower", False),
        (5, None, "higher", None),
    ],
)
def test_targets_read_as_the_spec_words_them(
    value: float, target: float | None, better: str, met: bool | None
) -> None:
    result = Result("k", "label", value, "u", target, "lower" if better == "lower" else "higher")
    assert result.met is met
    assert summary.status(result) == {True: "ok", False: "**miss**", None: "—"}[met]


def test_a_clean_exit_keeps_every_figure() -> None:
    line = MARKER + '{"key": "ingest.rate", "label": "ingest", "value": 6100, "unit": "msg/s",'
    run = summary.outcome("ingest", [line + ' "target": 5000}'], 0, 12.0)
    assert not run.failed
    assert [r.met for r in run.results] == [True]


def test_a_crash_fails_the_module_and_keeps_what_it_measured_first() -> None:
    output = [
        MARKER + '{"key": "m.x", "label": "before the crash", "value": 1, "unit": "s"}\n',
        "Traceback (most recent call last):\n",
        "sqlite3.OperationalError: database or disk is full\n",
        "\n",
    ]
    run = summary.outcome("digest", output, 1, 3.0)
    assert run.failed
    assert run.error == "exit 1: sqlite3.OperationalError: database or disk is full"
    assert [r.label for r in run.results] == ["before the crash"]


def test_a_garbled_result_fails_the_module_even_on_a_clean_exit() -> None:
    run = summary.outcome("memory", [MARKER + "{oops"], 0, 1.0)
    assert run.failed
    assert run.results == ()


def _runs() -> list[summary.ModuleRun]:
    return [
        summary.ModuleRun(
            "matcher",
            (
                Result("matcher.warm", "warm throughput", 43_000, "msg/s", 20_000),
                Result("matcher.speedup", "speed-up | regex", 41, "x", 50),
                Result("matcher.compile", "compile", 2.5, "s"),
            ),
            60.0,
        ),
        summary.ModuleRun("digest", (), 4.0, "exit 1: RuntimeError: stored 5 messages"),
        summary.ModuleRun("quiet", (), 1.0),
    ]


def test_the_table_puts_each_figure_beside_its_target() -> None:
    rows = summary.table(_runs())
    assert rows[0] == "| benchmark | measured | target | status |"
    assert rows[2:] == [
        "| matcher: warm throughput | 43,000 msg/s | >= 20,000 msg/s | ok |",
        "| matcher: speed-up \\| regex | 41 x | >= 50 x | **miss** |",
        "| matcher: compile | 2.5 s | — | — |",
        "| digest | failed: exit 1: RuntimeError: stored 5 messages | — | **failed** |",
        "| quiet | no figures reported | — | — |",
    ]
    assert summary.counts(_runs()) == "1 of 2 targets met; failed: digest"


def test_the_document_names_the_run_the_machine_and_how_to_repeat_it() -> None:
    text = summary.document(
        _runs(),
        when=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
        machine=[("CPU", "AMD EPYC"), ("SQLite", "3.40.1")],
        scale="0.1",
        commit="e0aaecb",
        load=(0.5, 0.25, 1.0),
    )
    assert "on 2026-11-25 12:00 UTC at commit `e0aaecb`, `BENCH_SCALE=0.1`" in text
    assert "| matcher: warm throughput | 43,000 msg/s | >= 20,000 msg/s | ok |" in text
    assert "- CPU: AMD EPYC\n- SQLite: 3.40.1\n" in text
    assert "| digest | 4 s | failed |" in text
    assert "`make bench`" in text
    assert "one run on a shared machine" in text


def test_every_benchmark_module_is_found_and_the_helpers_are_not() -> None:
    found = discover()
    assert {"matcher", "ingest", "digest", "memory"} <= set(found)
    assert not {"report", "summary", "machine", "__main__"} & set(found)
