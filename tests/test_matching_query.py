"""The query parser: every syntax row of SPEC section 3, precedence, and located errors."""

from __future__ import annotations

import pytest

from bot.errors import QueryError
from bot.matching import parse_query
from bot.matching.query import MAX_DEPTH, MAX_LENGTH, And, Near, Node, Not, Or, Phrase, Regex, Term


def word(text: str, column: int) -> Term:
    return Term("word", text, column)


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("Курск", word("курск", 1)),
        ('"North Korean"', Phrase((word("north", 1), word("korean", 1)), 1)),
        ("north-korean", Phrase((word("north", 1), word("korean", 1)), 1)),
        ("=Курск", Term("exact", "курск", 1)),
        ("бурят*", Term("prefix", "бурят", 1)),
        ("Курск AND Kursk", And((word("курск", 1), word("kursk", 11)))),
        ("Курск Kursk", And((word("курск", 1), word("kursk", 7)))),
        ("Курск OR Kursk", Or((word("курск", 1), word("kursk", 10)))),
        ("дрон NOT Курск", And((word("дрон", 1), Not(word("курск", 10))))),
        ("дрон -Курск", And((word("дрон", 1), Not(word("курск", 7))))),
        ("дрон NEAR/3 Курськ", Near(word("дрон", 1), word("курськ", 13), 3, 6)),
        # Ukrainian: every apostrophe is one, and part of the word.
        ("пам’ятник", word("пам'ятник", 1)),
        ('"Збройні сили"', Phrase((word("збройні", 1), word("сили", 1)), 1)),
        ("=Суми", Term("exact", "суми", 1)),
        ("обстріл* OR Харків", Or((Term("prefix", "обстріл", 1), word("харків", 13)))),
        ("пам'ять NEAR/2 загиблих", Near(word("пам'ять", 1), word("загиблих", 16), 2, 9)),
        # Precedence: NOT, then NEAR, then AND, then OR.
        (
            "a OR b c",
            Or((word("a", 1), And((word("b", 6), word("c", 8))))),
        ),
        (
            "(a OR b) c",
            And((Or((word("a", 2), word("b", 7))), word("c", 10))),
        ),
        (
            "a b NEAR/2 c",
            And((word("a", 1), Near(word("b", 3), word("c", 12), 2, 5))),
        ),
        (
            "a -b OR c",
            Or((And((word("a", 1), Not(word("b", 4)))), word("c", 9))),
        ),
    ],
)
def test_each_syntax_row_parses_to_its_tree(query: str, tree: Node) -> None:
    assert parse_query(query).root == tree


def test_regex_is_kept_verbatim_with_its_column() -> None:
    root = parse_query(r"Курск /\d+ км/").root
    assert isinstance(root, And)
    regex = root.children[1]
    assert isinstance(regex, Regex) and regex.pattern == r"\d+ км" and regex.column == 7


def test_operators_are_upper_case_only_so_english_or_stays_a_word() -> None:
    assert parse_query("war or peace").root == And(
        (word("war", 1), word("or", 5), word("peace", 8))
    )


@pytest.mark.parametrize(
    ("query", "what", "column"),
    [
        ("", "empty query", 1),
        ("   ", "empty query", 1),
        ('(Курск OR "North Korean)', "unclosed quote", 11),
        ("(Курск OR Kursk", "unbalanced parenthesis: '(' is never closed", 1),
        ("Курск OR Kursk)", "unbalanced parenthesis: nothing to close", 15),
        ("Курск ()", "empty parentheses", 7),
        ('Курск ""', "phrase has no words", 7),
        ("дрон NEAR Курск", "NEAR needs a distance like NEAR/3", 6),
        ("дрон NEAR/x Курск", "NEAR needs a distance like NEAR/3", 6),
        ("Курск OR", "dangling OR: it needs a term after it", 7),
        ("OR Курск", "dangling OR: it needs a term before it", 1),
        ("Курск AND OR Kursk", "dangling OR: it needs a term before it", 11),
        ("Курск NOT", "dangling NOT: it needs a term after it", 7),
        ("Курск - Kursk", "dangling '-': put the term right after it, like -word", 7),
        ("=", "'=' needs a word right after it, like =Курск", 1),
        ("бу*рят", "'*' may only end a word, like бурят*", 3),
        ("=бурят*", "'*' may only end a word, like бурят*", 7),
        ("к*", "prefix is too short: use at least 2 letters", 1),
        ("north-kor*", "a prefix must be a single word", 1),
        ("🔥", "'🔥' has no letters or digits to match", 1),
        ("Курск /(a/", "regex is not valid: missing ): (a", 7),
        (r"Курск /(?=x)/", "regex is not valid: invalid perl operator: (?=", 7),
        ("Курск /abc", "unclosed regex (no closing '/')", 7),
        (
            r"Курск /курск\bобл/",
            r"regex is not valid: \b only works at the start or end; put \b or \B at the start"
            r" or end of the regex, e.g. /\b(кот|пес)\b/",
            13,
        ),
        (
            r"/\bкот|пес/",
            r"regex is not valid: \b or \B at the edge of a regex with a top-level | binds to"
            r" one alternative only; group them, e.g. /\b(кот|пес)\b/",
            2,
        ),
        (
            r"/[\W\d]+/",
            r"regex is not valid: \W inside [...] is not supported; use [^\pL\pN_]",
            3,
        ),
        ("Курск //", "empty regex", 7),
        ("дрон NEAR/2 (a b)", "NEAR works on words, phrases and OR groups of them", 6),
        ("-Курск", "the query matches by absence alone; add a word the message must contain", 1),
        (
            "Курск OR -Kursk",
            "the query matches by absence alone; add a word the message must contain",
            1,
        ),
    ],
)
def test_malformed_queries_say_what_and_where(query: str, what: str, column: int) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert (caught.value.what, caught.value.column) == (what, column)
    assert str(caught.value) == f"{what} at column {column}"


def test_overlong_query_is_refused_before_parsing() -> None:
    with pytest.raises(QueryError, match=f"longer than {MAX_LENGTH}"):
        parse_query("a " * MAX_LENGTH)


@pytest.mark.parametrize(
    "query",
    [
        "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1),
        "NOT " * (MAX_DEPTH + 1) + "a",
        "-" * (MAX_DEPTH + 1) + "a",
        " NEAR/1 ".join(["a"] * (MAX_DEPTH + 2)),
        "(a NEAR/1 " * 30 + "b" + ")" * 30,
    ],
)
def test_deep_nesting_is_a_query_error_not_a_recursion_error(query: str) -> None:
    with pytest.raises(QueryError, match=f"deeper than {MAX_DEPTH} levels"):
        parse_query(query)


def test_nesting_up_to_the_limit_parses() -> None:
    depth = MAX_DEPTH
    assert parse_query("(" * depth + "a" + ")" * depth).root == word("a", depth + 1)


def test_hostile_length_within_limit_parses() -> None:
    query = " OR ".join(f"w{i}" for i in range(1500))
    root = parse_query(query[:MAX_LENGTH].rsplit(" OR ", 1)[0]).root
    assert isinstance(root, Or)
