"""Rule regexes with Unicode word boundaries, on RE2.

RE2 (linear time, so no rule can hang the process) knows ``\\b``, ``\\B``, ``\\w`` and ``\\W``
for ASCII only: next to Cyrillic a ``\\b`` silently never fires. Users copy regexes from
elsewhere, and ``\\b`` around a Russian word is the most common thing they write, so they get
the Unicode meaning here: a word character is a letter, digit or underscore of any script, and
a boundary lies between a word character and anything else (the text's edges included).

- ``\\w`` and ``\\W`` become the classes ``[\\pL\\pN_]`` and ``[^\\pL\\pN_]`` (``\\w`` also
  inside a bracket class), which RE2 runs as they are.
- ``\\b`` and ``\\B`` are zero-width and RE2 has no look-around to express them, so they are
  taken where a person puts them, at the start and the end of the regex, and checked here
  around each match of the rest: a candidate whose edges fail is dropped and the search goes
  on from the next start. The cost is at most one RE2 search per start position of a text,
  bounded by Telegram's 4,096 characters. Elsewhere (or before a top-level ``|``, where the
  edge would bind to one alternative only) they are refused with a hint.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import re2

Edge = Literal["", "b", "B"]

WORD_CLASS = r"\pL\pN_"
_HINT = r"; put \b or \B at the start or end of the regex, e.g. /\b(кот|пес)\b/"


class PatternError(ValueError):
    """A regex this module cannot give its meaning: message and 0-based offset in the body."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def is_word(text: str, index: int) -> bool:
    """Whether ``text[index]`` is a word character; outside the text nothing is."""
    if not 0 <= index < len(text):
        return False
    char = text[index]
    return char == "_" or char.isalnum()


def at_boundary(text: str, index: int) -> bool:
    return is_word(text, index - 1) != is_word(text, index)


@dataclass(frozen=True)
class Rewritten:
    """A user's regex as RE2 runs it: the core pattern and the boundaries checked around it."""

    core: str
    leading: Edge
    trailing: Edge


def rewrite(pattern: str) -> Rewritten:
    """Translate the Unicode escapes, or raise ``PatternError`` at the escape that cannot be."""
    out: list[str] = []
    leading: Edge = ""
    trailing: Edge = ""
    depth = 0
    class_start = -1  # index of the "[" of the bracket class we are in, -1 outside one
    top_level_bar = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escape = pattern[i + 1]
            in_class = class_start >= 0
            if escape in "bB" and not in_class:
                if i == 0:
                    leading = "b" if escape == "b" else "B"
                elif i + 2 == len(pattern):
                    trailing = "b" if escape == "b" else "B"
                else:
                    raise PatternError(rf"\{escape} only works at the start or end" + _HINT, i)
            elif escape == "w":
                out.append(WORD_CLASS if in_class else f"[{WORD_CLASS}]")
            elif escape == "W":
                if in_class:
                    raise PatternError(r"\W inside [...] is not supported; use [^\pL\pN_]", i)
                out.append(f"[^{WORD_CLASS}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if class_start >= 0:
            # "]" first in a class ("[]" or "[^]") is a literal, not the end
            first = class_start + (2 if pattern[class_start + 1 : class_start + 2] == "^" else 1)
            if char == "]" and i > first:
                class_start = -1
        elif char == "[":
            class_start = i
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "|" and depth == 0:
            top_level_bar = True
        out.append(char)
        i += 1
    if top_level_bar and (leading or trailing):
        raise PatternError(
            r"\b or \B at the edge of a regex with a top-level | binds to one alternative only;"
            r" group them, e.g. /\b(кот|пес)\b/",
            0 if leading else len(pattern) - 2,
        )
    return Rewritten("".join(out), leading, trailing)


class BoundedRegex:
    """A compiled rule regex: ``search`` and ``finditer`` like RE2's, boundaries included.

    ``pattern`` is the core RE2 runs; it matches wherever the whole regex does (and maybe more),
    which is what the prefilter's RE2 set needs of it.
    """

    def __init__(self, rewritten: Rewritten, options: re2.Options) -> None:
        self.pattern = rewritten.core
        self._core = re2.compile(rewritten.core, options)
        self._leading = rewritten.leading
        self._trailing = rewritten.trailing

    def _fits(self, edge: Edge, text: str, index: int) -> bool:
        return not edge or at_boundary(text, index) == (edge == "b")

    def search(self, text: str, pos: int = 0) -> re2._Match | None:
        if not self._leading and not self._trailing:
            return self._core.search(text, pos)
        while pos <= len(text):
            found = self._core.search(text, pos)
            if found is None:
                return None
            start, end = found.span()
            if self._fits(self._leading, text, start) and self._fits(self._trailing, text, end):
                return found
            pos = start + 1
        return None

    def finditer(self, text: str) -> Iterator[re2._Match]:
        pos = 0
        while (found := self.search(text, pos)) is not None:
            yield found
            start, end = found.span()
            pos = end if end > start else start + 1
