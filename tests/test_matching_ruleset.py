"""Matching through the public RuleSet: morphology, syntax rows, evasion, spans, errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import ChanwatchError, RuleError
from bot.matching import RuleSet


def matches(query: str, text: str) -> bool:
    return bool(RuleSet.compile([("r", query)]).match(text))


CASES = [
    # word: any inflection, by lemma (ru, uk) or stem (en)
    ("Курск", "Удар по Курску ночью", True),
    ("Курск", "под Курском", True),
    ("Курск", "в Курске", True),
    ("Курщина", "ситуация на Курщине", True),
    ("Курщина", "бої на Курщині", True),
    ("Харків", "вибухи у Харкові", True),
    ("дрон", "збили п'ять дронів", True),
    ("дрон", "сбили пять дронов", True),
    ("drone", "two drones were shot down", True),
    ("drone", "the area was droned all night", True),
    ("мобилизация", "новая волна мобилизации", True),
    ("Курск", "Курчатов", False),
    ("drone", "dronescape", False),
    # Deliberate: the adjective is a different lemma; ask for it with OR or a prefix.
    ("Курск", "в Курской области", False),
    ("Курск OR курский", "в Курской области", True),
    ("курск*", "в Курской области", True),
    # evasion
    ("Курск", "КУРСК", True),
    ("Курск", "Kурске с латинской K", True),
    ("Курск", "Кур\u200bске", True),
    ("Курск", "Кур\u00adске", True),
    ("Курск", "Ку\u0301рске", True),
    ("Харків", "Хapкiв", True),
    ("об'єкт", "уражено обʼєкт", True),
    ("ёжик", "ежика", True),
    ("ежик", "Ёжика", True),
    ("КНДР", "#КНДР отправила войска", True),
    # phrase: consecutive, in order, each word inflected
    ('"северокорейские военные"', "северокорейских военных заметили", True),
    ('"северокорейские военные"', "военные северокорейские", False),
    ('"северокорейские военные"', "северокорейские и военные", False),
    ('"North Korean"', "North-Korean troops", True),
    ("north-korean", "north korean troops", True),
    ('"North Korean troops"', "north korean troop movements", True),
    # =exact
    ("=Курск", "Курск", True),
    ("=Курск", "Курске", False),
    ("=drones", "drone", False),
    # prefix
    ("бурят*", "в Бурятии", True),
    ("бурят*", "буряты", True),
    ("бурят*", "Забурятье", False),
    # regex, over normalized text
    (r"/\d+ км/", "в 15 км от границы", True),
    (r"/\d+ км/", "в пятнадцати км", False),
    (r"/курск\pL*/", "КУРСКОЙ", True),
    (r"/курск\pL*/", "Kурске с латинской K", True),
    (r"/курск\pL*/ дрон", "дроны над Kурском", True),
    (r"/курск(?:\PL|$)/", "курские", False),
    (r"/курск(?:\PL|$)/", "из курск.", True),
    # AND, implicit AND, OR
    ("КНДР AND Курск", "войска КНДР под Курском", True),
    ("КНДР Курск", "войска КНДР под Курском", True),
    ("КНДР Курск", "войска КНДР", False),
    ("КНДР OR Курск", "войска КНДР", True),
    # NOT and -term
    ("Курск NOT учения", "под Курском", True),
    ("Курск NOT учения", "учения под Курском", False),
    ("Курск -учения", "учений под Курском не было", False),
    ("Курск -(учения OR маневры)", "маневры у Курска", False),
    # precedence: NOT, NEAR, AND, OR
    ("a OR b c", "a", True),
    ("a OR b c", "b", False),
    ("(a OR b) c", "a", False),
    ("a -b OR c", "a b", False),
    ("a -b OR c", "a b c", True),
]


@pytest.mark.parametrize(("query", "text", "expected"), CASES)
def test_query_against_text(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


@pytest.mark.parametrize(
    ("between", "distance", "expected"),
    [(0, 0, True), (1, 0, False), (3, 3, True), (4, 3, False)],
)
def test_near_allows_at_most_n_words_between_in_either_order(
    between: int, distance: int, expected: bool
) -> None:
    filler = ["и"] * between
    query = f"дрон NEAR/{distance} Курск"
    assert matches(query, " ".join(["дроны", *filler, "Курск"])) is expected
    assert matches(query, " ".join(["Курском", *filler, "дроны"])) is expected


def test_near_with_phrases_and_or_groups() -> None:
    query = '"North Korean" NEAR/2 (Kursk OR Курск)'
    assert matches(query, "North Korean troops in Kursk")
    assert matches(query, "под Курском north korean")
    assert not matches(query, "North Korean soldiers were spotted far away near Kursk")


def test_near_needs_two_different_words() -> None:
    assert not matches("дрон NEAR/3 дрон*", "дрон")
    assert matches("дрон NEAR/3 дрон*", "дрон и дроны")


def test_ambiguous_word_matches_any_candidate_lemma() -> None:
    assert matches("сталь", "цены на стали")
    assert matches("стать", "они стали")


def test_many_rules_sorted_and_only_matching_ones() -> None:
    ruleset = RuleSet.compile(
        [
            ("z-kursk", "Курск OR Kursk"),
            ("a-dprk", "(КНДР OR северокорейский) AND (Курск OR Курщина)"),
            ("m-drone", "дрон"),
        ]
    )
    assert ruleset.names == frozenset({"z-kursk", "a-dprk", "m-drone"})
    found = ruleset.match("Северокорейские военные замечены под Курском")
    assert [m.rule for m in found] == ["a-dprk", "z-kursk"]
    assert ruleset.match("ничего интересного") == []


def test_only_limits_the_rules_tried() -> None:
    ruleset = RuleSet.compile([("kursk", "Курск"), ("drone", "дрон")])
    text = "дрон над Курском"
    assert [m.rule for m in ruleset.match(text, only={"drone"})] == ["drone"]
    assert ruleset.match(text, only=frozenset()) == []


def test_spans_and_words_point_into_the_original_text() -> None:
    text = "🔥 Kурске и Кур\u200bске, а также KURSK!"
    (found,) = RuleSet.compile([("k", "Курск OR Kursk")]).match(text)
    assert [text[s:e] for s, e in found.spans] == ["Kурске", "Кур\u200bске", "KURSK"]
    assert found.words == ("Kурске", "Кур\u200bске", "KURSK")


def test_spans_survive_length_changing_normalization() -> None:
    text = "ﬁnal Straße: Ку\u0301рск"
    (found,) = RuleSet.compile([("k", "Курск final")]).match(text)
    assert [text[s:e] for s, e in found.spans] == ["ﬁnal", "Ку\u0301рск"]


def test_negated_and_absent_words_are_not_highlighted() -> None:
    text = "дроны над Курском, учений нет"
    (found,) = RuleSet.compile([("k", "(Курск OR Kursk) -маневры дрон")]).match(text)
    assert found.words == ("дроны", "Курском")


def test_regex_matches_are_highlighted() -> None:
    text = "Удар в 15 км от Курска"
    (found,) = RuleSet.compile([("k", r"/\d+ км/ Курск")]).match(text)
    assert found.words == ("15 км", "Курска")


def test_words_are_listed_once_in_text_order() -> None:
    (found,) = RuleSet.compile([("d", "drone")]).match("Drone, drone, DRONES")
    assert found.words == ("Drone", "drone", "DRONES")
    assert len(found.spans) == 3


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("КНДР", "#КНДР_в_Курске", ["КНДР"]),
        ("Курск", "#КНДР_в_Курске", ["Курске"]),
        ("Курщина", "#ЗСУ_на_Курщині", ["Курщині"]),
        ("ЗСУ", "#ЗСУ_на_Курщині", ["ЗСУ"]),
        ("Суджа", "__Суджа__ снова под ударом", ["Суджа"]),
        ('"North Korea"', "#North_Korea sends troops", ["North", "Korea"]),
        ("drone", "#drone_strikes overnight", ["drone"]),
        ("Курск", "#Kурск_news", ["Kурск"]),
        ("rybar_channel", "пишет @rybar_channel", ["rybar", "channel"]),
    ],
)
def test_underscore_separates_words_and_spans_cover_only_the_words(
    query: str, text: str, expected: list[str]
) -> None:
    (found,) = RuleSet.compile([("r", query)]).match(text)
    assert [text[s:e] for s, e in found.spans] == expected


def test_underscore_joined_words_still_need_their_own_match() -> None:
    assert not matches("Курск", "#Курская_область")
    assert not matches("=Курск", "#КНДР_в_Курске")
    assert not matches('"КНДР Курск"', "#КНДР_в_Курске")
    assert matches('"КНДР в Курске"', "#КНДР_в_Курске")


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        # 3 Latin + 2 Cyrillic look-alikes: the Cyrillic reading is a known word
        ("Курск", "удар по Кypcку", ("Кypcку",)),
        ("Курск", "под Kypcком", ("Kypcком",)),
        ("Курск", "из Kypcка", ("Kypcка",)),
        ("Харків", "вибухи у Xapкoвi", ("Xapкoвi",)),
        # a letter only Cyrillic has (й, и, я) never lets a word fold toward Latin
        ("северокорейский", "ceвepокopейcкиe военные", ("ceвepокopейcкиe",)),
        ('"северокорейские военные"', "ceвepокopейcкиe военные", ("ceвepокopейcкиe", "военные")),
        ("Корея", "Пiвнiчнa Kopeя", ("Kopeя",)),
        ("война", "BOЙHA", ("BOЙHA",)),
        (r"/курск\pL*/", "в Кypcке", ("Кypcке",)),
        # English words stay English
        ("drone", "two drоnes", ("drоnes",)),
        ("Kyiv", "strikes on Кyiv", ("Кyiv",)),
        ("hockey", "hoсkey night", ("hoсkey",)),
    ],
)
def test_look_alike_letters_fold_toward_the_script_the_word_is_in(
    query: str, text: str, expected: tuple[str, ...]
) -> None:
    (found,) = RuleSet.compile([("r", query)]).match(text)
    assert found.words == expected


def test_look_alike_folding_does_not_invent_cyrillic_words() -> None:
    assert not matches("Киев", "strikes on Кyiv")
    assert not matches("Курск", "Kyrsk")
    assert not matches("Курск", "Kypcк")  # one Cyrillic letter: read as Latin kypck
    assert matches("home", "hоme")  # not the Russian номе
    assert not matches("тур", "tуpe")
    assert not matches("Київ", "Kyїv")


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        # names the dictionaries do not know: every case form reaches the rule word
        ('"Ким Чен Ын"', "визит Ким Чен Ына", ("Ким", "Чен", "Ына")),
        ('"Ким Чен Ын"', "письмо Ким Чен Ыну", ("Ким", "Чен", "Ыну")),
        ('"Ким Чен Ын"', "о Ким Чен Ыне", ("Ким", "Чен", "Ыне")),
        ('"Ким Чен Ын"', "встреча с Ким Чен Ыном", ("Ким", "Чен", "Ыном")),
        ('"Малая Локня"', "бои у Малой Локни", ("Малой", "Локни")),
        ('"Малая Локня"', "зашли в Малую Локню", ("Малую", "Локню")),
        ('"Малая Локня"', "бої біля Малої Локні", ("Малої", "Локні")),
        ("Плехово", "В Плехове ночью", ("Плехове",)),
        ("Плехово", "под Плеховом", ("Плеховом",)),
        ("Плехово", "в Плехово", ("Плехово",)),
        ("Плехово", "ситуація у Плехові", ("Плехові",)),
        # a possessive place name declines as an adjective, though часов is a Russian word
        ('"Часов Яр"', "В Часовом Яре", ("Часовом", "Яре")),
        ('"Часов Яр"', "под Часовым Яром", ("Часовым", "Яром")),
        ('"Часов Яр"', "окраины Часова Яра", ("Часова", "Яра")),
        ('"Часов Яр"', "бої за Часового Яру", ("Часового", "Яру")),
        (
            '"Часов Яр" NEAR/3 (дрон OR drone)',
            "дроны над Часовым Яром",
            ("дроны", "Часовым", "Яром"),
        ),
    ],
)
def test_unknown_names_match_in_every_case(
    query: str, text: str, expected: tuple[str, ...]
) -> None:
    (found,) = RuleSet.compile([("r", query)]).match(text)
    assert found.words == expected


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("Ын", "Ынтымак"),
        ("Плехово", "Плехановым"),
        ("Плехово", "Плеховка"),
        ('"Часов Яр"', "часовой яр"),
        ('"Малая Локня"', "малая ложка"),
        ("Plekhovo", "Plekhove"),
        ("еще", "ещі"),  # known to Russian as an adverb: no name to decline in Ukrainian
    ],
)
def test_name_forms_are_case_endings_on_the_name_and_nothing_else(query: str, text: str) -> None:
    assert not matches(query, text)


def test_name_forms_do_not_reach_exact_rules() -> None:
    ruleset = RuleSet.compile([("word", "Плехово"), ("exact", "=Плехово")])
    assert [m.rule for m in ruleset.match("в Плехове")] == ["word"]
    assert [m.rule for m in ruleset.match("в Плехово")] == ["exact", "word"]


def test_compile_raises_on_the_first_bad_rule_naming_it() -> None:
    with pytest.raises(RuleError) as caught:
        RuleSet.compile([("good", "Курск"), ("bad", '"Курск'), ("worse", "(")])
    assert caught.value.rule == "bad"
    assert str(caught.value) == "rule 'bad': unclosed quote at column 1"


def test_compile_all_errors_returns_every_problem_and_the_good_rules() -> None:
    ruleset, errors = RuleSet.compile_all_errors(
        [("good", "Курск"), ("bad", '"Курск'), ("worse", "("), ("good", "Kursk")]
    )
    assert ruleset.names == frozenset({"good"})
    assert [str(e) for e in errors] == [
        "rule 'bad': unclosed quote at column 1",
        "rule 'worse': unbalanced parenthesis: '(' is never closed at column 1",
        "rule 'good' is defined more than once",
    ]
    assert all(isinstance(e, ChanwatchError) for e in errors)


def test_results_stay_right_when_the_word_cache_is_evicted() -> None:
    ruleset = RuleSet.compile([("k", '"Курск область" OR Kursk')])
    ruleset.token_cache_size = 3
    texts = [f"слово{i} Kursk" for i in range(10)] + ["Курская область", "в Курске области"]
    assert [bool(ruleset.match(t)) for t in texts] == [True] * 10 + [False, True]


def test_empty_rule_set_matches_nothing() -> None:
    assert RuleSet.compile([]).match("Курск") == []


RULES = RuleSet.compile(
    [
        ("word", "Курск"),
        ("phrase", '"North Korean"'),
        ("prefix", "бурят*"),
        ("exact", "=дрон"),
        ("near", "дрон NEAR/2 Курск"),
        ("not", "Курск -учения"),
        ("regex", r"/\d+\s*км/"),
        ("mixed", "(КНДР OR Kursk) AND NOT /spam/"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_matching_never_raises_on_any_unicode(text: str) -> None:
    for found in RULES.match(text):
        assert found.rule in RULES.names
        for start, end in found.spans:
            assert 0 <= start <= end <= len(text)
        assert len(found.words) <= len(found.spans)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["Kурске", "Кур\u200bск", "дрон", "North", "Korean", "КНДР", "5км", "Бурятии", "-"]
        )
        | st.text(max_size=3),
        max_size=12,
    )
)
def test_spans_always_cover_matched_words(parts: list[str]) -> None:
    text = " ".join(parts)
    for found in RULES.match(text):
        for start, end in found.spans:
            assert text[start:end].strip()
