"""Hypothesis against the command line: any argv ends in exit code 0, 1 or 2, never a traceback.

Every example runs in its own empty directory with no settings, so nothing can reach Telegram
or touch files outside it (paths are drawn without ``/``, so they stay relative).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli.main import build_parser, main

COMMANDS = sorted(
    next(a for a in build_parser()._actions if a.dest == "command").choices  # type: ignore[arg-type]
)
WORDS = [
    "--help",
    "-h",
    "--db",
    "x.db",
    "--env-file",
    ".env",
    "--force",
    "--since",
    "24h",
    "0h",
    "-5d",
    "--format",
    "csv",
    "json",
    "md",
    "xml",
    "--rules",
    "watchlist.toml",
    "--all-channels",
    "add",
    "del",
    "list",
    "test",
    "pause",
    "resume",
    "Курск",
    "КНДР AND (Курщина",
    "@rybar",
    "t.me/+AbCd",
    "tag:ua",
    "--",
    "-",
    "",
    "=",
    "\x00",
    "💥",
    "--version",
]
safe_text = st.text(
    alphabet=st.characters(blacklist_characters="/\\", blacklist_categories=("Cs",)), max_size=20
)
argvs = st.one_of(
    st.lists(st.sampled_from(COMMANDS + WORDS) | safe_text, max_size=6),
    st.tuples(
        st.sampled_from(COMMANDS), st.lists(st.sampled_from(WORDS) | safe_text, max_size=5)
    ).map(lambda t: [t[0], *t[1]]),
)


@contextmanager
def inside_empty_directory() -> Iterator[None]:
    before = os.getcwd()
    with tempfile.TemporaryDirectory() as directory:
        os.chdir(directory)
        try:
            yield
        finally:
            os.chdir(before)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(argvs)
def test_any_argv_exits_cleanly(argv: list[str]) -> None:
    if "demo" in argv:
        argv = [a for a in argv if a != "demo"]  # the demo's full run is tested on its own
    out, err = io.StringIO(), io.StringIO()
    with inside_empty_directory():
        try:
            code = main(argv, environ={}, stdout=out, stderr=err, stdin=io.StringIO(""))
        except SystemExit as exit_:  # --help and --version exit through argparse
            code = exit_.code if isinstance(exit_.code, int) else 1
    assert code in (0, 1, 2), (argv, code, err.getvalue())
    assert "Traceback" not in err.getvalue() + out.getvalue()
