"""An FTS5 expression that every message a query matches also matches — or None.

The full-text index only narrows the candidates for ``chanwatch backtest``; the matcher
still decides. So the expression may let through too much but must never leave out a
message the query matches, and it is built only where that holds:

- ``=exact`` and ``prefix*`` terms map to FTS tokens and prefixes (FTS folds case and, with
  ``remove_diacritics 2``, ``ё`` to ``е``, as normalization does).
- Plain words match any inflection (``Курск`` ~ ``Курске``, ``шёл`` ~ ``идти``); no token or
  prefix covers that, so they are never narrowed. Nor are regexes, nor anything under NOT.
- AND needs one narrowable part; OR needs every branch narrowable; a phrase or NEAR narrows
  by its narrowable words.

Why it is opt-in (``backtest --fast``): FTS indexes the raw text, while the matcher folds
look-alike letters of the other script (``Kурск`` with a Latin K) and drops invisible
characters inside words (``Северокорей\u200bские``). Posts written to dodge filters — the
bundled sample has several — tokenize differently in FTS and would be left out. Making the
narrowing sound needs an index over normalized text (a future migration); until then the
default is a full scan of the period, which the matcher's own prefilter keeps fast.
"""

from __future__ import annotations

import re

from bot.matching.query import And, Near, Node, Or, Phrase, Query, Term

_FTS_SAFE = re.compile(r"^\w+$")


def fts_expression(query: Query) -> str | None:
    return _node(query.root)


def _node(node: Node) -> str | None:
    if isinstance(node, Term):
        return _term(node)
    if isinstance(node, Phrase):
        return _all(node.terms)
    if isinstance(node, Near):
        return _all((node.left, node.right))
    if isinstance(node, And):
        return _all(node.children)
    if isinstance(node, Or):
        parts = [_node(child) for child in node.children]
        if any(p is None for p in parts):
            return None
        return "(" + " OR ".join(p for p in parts if p) + ")"
    return None  # NOT and regexes: nothing a match must contain


def _all(children: tuple[Node, ...]) -> str | None:
    parts = [p for p in map(_node, children) if p is not None]
    return "(" + " AND ".join(parts) + ")" if parts else None


def _term(term: Term) -> str | None:
    if term.kind == "word" or not _FTS_SAFE.match(term.text):
        return None
    quoted = f'"{term.text}"'
    return quoted + "*" if term.kind == "prefix" else quoted
