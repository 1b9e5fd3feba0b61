"""Hypothesis against the rule language: any string either parses or is a located QueryError,
and a rule that compiles can be matched against any text without an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import QueryError, RuleError
from bot.matching import RuleSet, parse_query

PIECES = [
    "(",
    ")",
    '"',
    "=",
    "*",
    "-",
    "/",
    " ",
    "  ",
    "AND",
    "OR",
    "NOT",
    "NEAR/",
    "NEAR/2",
    "NEAR/0",
    "NEAR/99999999999",
    "and",
    "Курск",
    "Курщині",
    "КНДР",
    "ё",
    "drone",
    "#КНДР",
    "бурят*",
    "=Курск",
    "/к[уо]рск/",
    "/(a+)+$/",
    "/[/",
    "\\",
    "’",
    "ʼ",
    "\u200b",
    "\u00ad",
    "\u202e",
    "K\u0443rsk",
    "ﬁ",
    "\x00",
    "\n",
    "🇺🇦",
    "1",
    "٣",
]
queries = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
    st.lists(st.sampled_from(PIECES), max_size=40).map(" ".join),
)
texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(PIECES), max_size=60).map(" ".join),
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(queries)
def test_parse_query_raises_nothing_but_a_located_query_error(query: str) -> None:
    try:
        parse_query(query)
    except QueryError as caught:
        error = caught
    else:
        return
    assert 1 <= error.column <= len(query) + 1, (query, error.column)
    assert str(error)


@FUZZ
@given(queries, texts)
def test_a_compiled_rule_matches_any_text(query: str, text: str) -> None:
    try:
        ruleset = RuleSet.compile([("fuzz", query)])
    except RuleError as refused:
        assert refused.rule == "fuzz"  # noqa: PT017 - the refusal must name the rule
        return
    for match in ruleset.match(text):
        assert match.rule == "fuzz"
        assert all(0 <= start <= end <= len(text) for start, end in match.spans)
