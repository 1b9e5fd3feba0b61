"""The rule language of SPEC section 3: query text -> syntax tree, or a ``QueryError`` that says
what is wrong and at which 1-based column.

Operators are upper-case (``AND OR NOT NEAR/n``) so the English words ``or``/``not`` stay
searchable; quote them (``"or"``) to search for the upper-case spelling. Precedence from
tightest: ``NOT``/``-``, ``NEAR/n``, ``AND`` (or plain juxtaposition), ``OR``.

Terms are normalized here, with the same function as message text, so the tree holds the
words the matcher compares. Morphology is applied later by the rule set, which keeps parsing
dictionary-free and fast enough to validate a watchlist on every keystroke of an editor.

Hostile input is bounded: at most ``MAX_LENGTH`` characters and ``MAX_DEPTH`` levels of
nesting (parentheses, ``NOT`` chains and ``NEAR`` chains all count), so neither the parser
nor the matcher can recurse out of the stack. A query that could match a message by the
absence of words alone (``NOT spam``) is refused: it would alert on nearly everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import re2

from bot.errors import QueryError
from bot.matching.boundaries import BoundedRegex, PatternError, rewrite
from bot.matching.normalize import normalize
from bot.matching.tokens import words

MAX_LENGTH = 10_000
MAX_DEPTH = 50
MIN_PREFIX = 2

TermKind = Literal["word", "exact", "prefix"]


@dataclass(frozen=True)
class Term:
    """One normalized word: any inflection (``word``), this form (``exact``) or a prefix."""

    kind: TermKind
    text: str
    column: int


@dataclass(frozen=True)
class Phrase:
    """Consecutive words in order (a quoted phrase, or a hyphenated word)."""

    terms: tuple[Term, ...]
    column: int


@dataclass(frozen=True)
class Regex:
    """An RE2 pattern searched in normalized text, case-insensitively."""

    pattern: str
    column: int
    compiled: BoundedRegex = field(compare=False, repr=False)


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Near:
    """Both sides within ``distance`` words: at most that many other words between them."""

    left: Node
    right: Node
    distance: int
    column: int


Node = Term | Phrase | Regex | And | Or | Not | Near


@dataclass(frozen=True)
class Query:
    source: str
    root: Node


def parse_query(source: str) -> Query:
    """Parse ``source``; raises ``QueryError(what, column)`` on any malformed query."""
    if len(source) > MAX_LENGTH:
        raise QueryError(f"query is longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    tokens = _Lexer(source).tokens()
    if len(tokens) == 1:
        raise QueryError("empty query", 1)
    root = _Parser(tokens).parse()
    if not _needs_a_word(root):
        raise QueryError(
            "the query matches by absence alone; add a word the message must contain", 1
        )
    return Query(source, root)


def regex_options() -> re2.Options:
    """RE2 options for rule regexes: case-insensitive, errors raised rather than logged."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    return options


# --- lexer -----------------------------------------------------------------------------

_Kind = Literal["term", "(", ")", "AND", "OR", "NOT", "NEAR", "end"]
_DELIMITERS = frozenset('()"')
_NEAR = re.compile(r"NEAR/(\d+)")


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    column: int
    text: str
    node: Node | None = None
    distance: int = 0


class _Lexer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.out: list[_Token] = []

    def tokens(self) -> list[_Token]:
        src = self.source
        while self.pos < len(src):
            ch = src[self.pos]
            column = self.pos + 1
            if ch.isspace():
                self.pos += 1
            elif ch in "()":
                self.out.append(_Token(ch, column, ch))  # type: ignore[arg-type]
                self.pos += 1
            elif ch == '"':
                self._phrase(column)
            elif ch == "/":
                self._regex(column)
            elif ch == "-":
                self._minus(column)
            else:
                self._bare(column)
        self.out.append(_Token("end", len(src) + 1, ""))
        return self.out

    def _phrase(self, column: int) -> None:
        end = self.source.find('"', self.pos + 1)
        if end < 0:
            raise QueryError("unclosed quote", column)
        body = self.source[self.pos + 1 : end]
        self.pos = end + 1
        found = words(normalize(body))
        if not found:
            raise QueryError("phrase has no words", column)
        terms = tuple(Term("word", w, column) for w in found)
        node: Node = terms[0] if len(terms) == 1 else Phrase(terms, column)
        self.out.append(_Token("term", column, body, node))

    def _regex(self, column: int) -> None:
        src = self.source
        i = self.pos + 1
        while i < len(src) and src[i] != "/":
            i += 2 if src[i] == "\\" else 1
        if i >= len(src):
            raise QueryError("unclosed regex (no closing '/')", column)
        body_start = self.pos + 1
        pattern = src[body_start:i].replace("\\/", "/")
        self.pos = i + 1
        if not pattern:
            raise QueryError("empty regex", column)
        try:
            rewritten = rewrite(pattern)
        except PatternError as exc:
            raise QueryError(f"regex is not valid: {exc}", body_start + exc.offset + 1) from None
        try:
            compiled = BoundedRegex(rewritten, regex_options())
        except re2.error as exc:
            reason = exc.args[0] if exc.args else "rejected"
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise QueryError(f"regex is not valid: {reason}", column) from None
        self.out.append(_Token("term", column, pattern, Regex(pattern, column, compiled)))

    def _minus(self, column: int) -> None:
        nxt = self.source[self.pos + 1 : self.pos + 2]
        if not nxt or nxt.isspace() or nxt == ")":
            raise QueryError("dangling '-': put the term right after it, like -word", column)
        self.out.append(_Token("NOT", column, "-"))
        self.pos += 1

    def _bare(self, column: int) -> None:
        src = self.source
        end = self.pos
        while end < len(src) and not src[end].isspace() and src[end] not in _DELIMITERS:
            end += 1
        text = src[self.pos : end]
        self.pos = end
        if text in ("AND", "OR", "NOT"):
            self.out.append(_Token(text, column, text))  # type: ignore[arg-type]
        elif text.startswith("NEAR") and (len(text) == 4 or text[4] == "/"):
            near = _NEAR.fullmatch(text)
            if near is None:
                raise QueryError("NEAR needs a distance like NEAR/3", column)
            self.out.append(_Token("NEAR", column, text, distance=int(near.group(1))))
        else:
            self.out.append(_Token("term", column, text, _term(text, column)))


def _term(text: str, column: int) -> Node:
    kind: TermKind = "word"
    body = text
    if body.startswith("="):
        kind, body = "exact", body[1:]
        if not body:
            raise QueryError("'=' needs a word right after it, like =Курск", column)
    star = body.find("*")
    if star >= 0:
        if star != len(body) - 1 or kind == "exact":
            where = column + len(text) - len(body) + star
            raise QueryError("'*' may only end a word, like бурят*", where)
        kind, body = "prefix", body[:-1]
    found = words(normalize(body))
    if not found:
        raise QueryError(f"{text!r} has no letters or digits to match", column)
    if kind == "prefix":
        if len(found) > 1:
            raise QueryError("a prefix must be a single word", column)
        if len(found[0]) < MIN_PREFIX:
            raise QueryError(f"prefix is too short: use at least {MIN_PREFIX} letters", column)
    terms = tuple(Term(kind, w, column) for w in found)
    return terms[0] if len(terms) == 1 else Phrase(terms, column)


# --- parser ----------------------------------------------------------------------------

_STARTS_OPERAND = frozenset(("term", "(", "NOT"))


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        node = self.parse_or()
        token = self.peek()
        if token.kind == ")":
            raise QueryError("unbalanced parenthesis: nothing to close", token.column)
        if token.kind != "end":  # pragma: no cover - every other token starts or joins a term
            raise QueryError(f"unexpected {token.text!r}", token.column)
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while self.peek().kind == "OR":
            self.take()
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_near()]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.take()
            elif kind not in _STARTS_OPERAND:
                break
            children.append(self.parse_near())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_near(self) -> Node:
        left = self.parse_unary()
        outer = self.depth
        while self.peek().kind == "NEAR":
            op = self.take()
            self._check_depth(1, op)
            self.depth += 1
            right = self.parse_unary()
            for side in (left, right):
                if not _near_operand(side):
                    raise QueryError(
                        "NEAR works on words, phrases and OR groups of them", op.column
                    )
            left = Near(left, right, op.distance, op.column)
        self.depth = outer
        return left

    def parse_unary(self) -> Node:
        token = self.peek()
        if token.kind == "NOT":
            self.take()
            self._check_depth(1, token)
            self.depth += 1
            child = self.parse_unary()
            self.depth -= 1
            return Not(child)
        return self.parse_primary()

    def parse_primary(self) -> Node:
        token = self.take()
        if token.kind == "term":
            assert token.node is not None
            return token.node
        if token.kind == "(":
            self._check_depth(1, token)
            if self.peek().kind == ")":
                raise QueryError("empty parentheses", token.column)
            self.depth += 1
            node = self.parse_or()
            self.depth -= 1
            if self.peek().kind != ")":
                raise QueryError("unbalanced parenthesis: '(' is never closed", token.column)
            self.take()
            return node
        previous = self.tokens[self.i - 2] if self.i >= 2 else None
        if token.kind in ("AND", "OR", "NEAR"):
            raise QueryError(f"dangling {token.text}: it needs a term before it", token.column)
        if previous is not None and previous.kind in ("AND", "OR", "NEAR", "NOT"):
            raise QueryError(f"dangling {previous.text}: it needs a term after it", previous.column)
        if token.kind == ")":
            raise QueryError("unbalanced parenthesis: nothing to close", token.column)
        if previous is not None and previous.kind == "(":
            raise QueryError("unbalanced parenthesis: '(' is never closed", previous.column)
        raise QueryError("empty query", token.column)  # pragma: no cover - caught earlier

    def _check_depth(self, extra: int, token: _Token) -> None:
        if self.depth + extra > MAX_DEPTH:
            raise QueryError(f"query nests deeper than {MAX_DEPTH} levels", token.column)


def _near_operand(node: Node) -> bool:
    if isinstance(node, Term | Phrase | Near):
        return True
    if isinstance(node, Or):
        return all(_near_operand(child) for child in node.children)
    return False


def _needs_a_word(node: Node) -> bool:
    """Whether a message can only match when at least one positive term is present."""
    if isinstance(node, And):
        return any(_needs_a_word(child) for child in node.children)
    if isinstance(node, Or):
        return all(_needs_a_word(child) for child in node.children)
    return not isinstance(node, Not)
