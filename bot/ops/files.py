"""File permission checks shared by ``chanwatch doctor`` and the CLI start-up warning."""

from __future__ import annotations

import stat
from pathlib import Path


def check_private(path: Path) -> str | None:
    """A problem sentence if ``path`` can be read or written by group or others, else None.

    ``.env``, the session file and the database each hold secrets or every stored post; a
    mode looser than 0600 on a shared machine hands them to every local user.
    """
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if mode & 0o077:
        return (
            f"{path} has mode {mode:04o}, readable by other users on this machine; "
            f"run: chmod 600 {path}"
        )
    return None
