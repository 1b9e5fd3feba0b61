"""Matcher throughput with 10,000 rules over ~300-character mixed ru/uk/en messages.

Prints messages/s for the compiled ``RuleSet`` (cold: empty analysis caches; warm: second
pass), for the per-rule regex loop most tools use (one ``re`` pattern per rule, run on a
subsample and extrapolated), their ratio, compile time and peak RSS. Targets (SPEC section 7):
>= 20,000 messages/s on one core, >= 50x the baseline, < 300 MB; cold (issue 15): >= 25,000.

The corpus is synthetic but shaped like the real thing: Zipfian common words, inflected
Russian and Ukrainian forms (pymorphy3 lexemes), made-up place and person names that no
dictionary knows (as with new front-line villages), hashtags, numbers, emoji, and rules that
mostly name specific things, as analysts' rules do.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import time
from collections.abc import Sequence

from bench.report import emit
from bot.matching import RuleSet
from bot.matching.morphology import morphology

RU_COMMON = (
    "в на и не что с по к о из за от для как это о до но у же бы все так его ее они мы вы "
    "был была были будет может уже ещё еще только также после во при около более менее "
    "сегодня вчера ночью утром днем вечером сообщает сообщили заявил заявила передает "
    "источник данные информация сведения время год день неделя месяц часть район город село "
    "область край страна человек люди место сторона дорога дом улица мост здание объект"
)
RU_TOPIC = (
    "удар ракета дрон беспилотник атака обстрел взрыв пожар войска армия батальон бригада "
    "полк рота солдат военный командир граница наступление оборона позиция техника танк "
    "артиллерия миномет снаряд самолет вертолет корабль флот перемирие переговоры санкции "
    "правительство министр президент губернатор мэр администрация парламент выборы закон "
    "эвакуация беженец больница школа электричество подстанция нефтебаза склад завод порт "
    "аэродром станция поезд колонна погибший раненый пленный обмен дезертир мобилизация "
    "призыв контракт доброволец наемник разведка спутник связь интернет блокировка"
)
UK_COMMON = (
    "в на і й не що з по до про із за від для як це але у вже ще лише також після під час "
    "близько більше менше сьогодні вчора вночі вранці вдень ввечері повідомляє повідомили "
    "заявив заявила передає джерело дані інформація відомості рік день тиждень місяць "
    "частина район місто село область край країна людина люди місце бік дорога будинок "
    "вулиця міст будівля об'єкт"
)
UK_TOPIC = (
    "удар ракета дрон безпілотник атака обстріл вибух пожежа війська армія батальйон "
    "бригада полк рота солдат військовий командир кордон наступ оборона позиція техніка "
    "танк артилерія міномет снаряд літак гелікоптер корабель флот перемир'я переговори "
    "санкції уряд міністр президент губернатор мер адміністрація парламент вибори закон "
    "евакуація біженець лікарня школа електрика підстанція нафтобаза склад завод порт "
    "аеродром станція потяг колона загиблий поранений полонений обмін дезертир мобілізація "
    "призов контракт доброволець найманець розвідка супутник зв'язок інтернет"
)
EN_COMMON = (
    "the a of to in and on for is was were has have had by with from at as it that this "
    "said says reported according officials sources today yesterday night morning after "
    "before near more than about new also people city region country area village road "
    "bridge building"
)
EN_TOPIC = (
    "strike missile drone attack shelling explosion fire troops army battalion brigade "
    "regiment soldier military commander border offensive defense position tank artillery "
    "shell aircraft helicopter ship fleet ceasefire talks sanctions government minister "
    "president governor mayor parliament election law evacuation refugee hospital school "
    "power substation depot warehouse plant port airfield station train convoy killed "
    "wounded prisoner exchange deserter mobilization conscription contract volunteer "
    "mercenary intelligence satellite internet blackout"
)
CYR_SYLLABLES = "ку ра бе ло до ни ва ма ре го си то пе ла зо ры ти ко ля хо чу ше ду ми на"
CYR_ENDINGS = ("ск", "во", "ка", "ово", "ино", "івка", "цы", "ев", "енко", "ов", "град", "поль")
LAT_SYLLABLES = "ka ro be lo do ni va ma re go si to pe la zo ri ti ko le ho chu she du mi"
LAT_ENDINGS = ("sk", "vo", "ka", "ovo", "ino", "ivka", "ev", "enko", "ov", "grad", "pol")
EMOJI = ("🔥", "⚡️", "❗", "🇺🇦", "💥", "📍", "🚀")
PUNCT = (",", ".", ":", ";", " —", "!", "?")


def _zipf(rng: random.Random, items: Sequence[str]) -> str:
    """Rank r with probability ~1/r: the shape of word frequencies in news."""
    n = len(items)
    return items[min(int(n ** rng.random()) - 1, n - 1)]


def _names(rng: random.Random, syllables: str, endings: tuple[str, ...], n: int) -> list[str]:
    """Made-up place and person names: unknown to every dictionary, like new villages."""
    parts = syllables.split()
    out: set[str] = set()
    while len(out) < n:
        stem = "".join(rng.choice(parts) for _ in range(rng.randint(2, 3)))
        out.add(stem + rng.choice(endings))
    return sorted(out)


class Corpus:
    """Vocabulary with inflected forms, messages and rules, all from one seed."""

    def __init__(self, seed: int = 4) -> None:
        self.rng = random.Random(seed)
        morph = morphology()
        self.common = {
            "ru": RU_COMMON.split(),
            "uk": UK_COMMON.split(),
            "en": EN_COMMON.split(),
        }
        self.topic = {"ru": RU_TOPIC.split(), "uk": UK_TOPIC.split(), "en": EN_TOPIC.split()}
        cyr_names = _names(self.rng, CYR_SYLLABLES, CYR_ENDINGS, 6500)
        lat_names = _names(self.rng, LAT_SYLLABLES, LAT_ENDINGS, 2500)
        self.names = {"ru": cyr_names, "uk": cyr_names, "en": lat_names}
        self.forms: dict[str, list[str]] = {}
        for lang, analyzer in (("ru", morph._ru), ("uk", morph._uk)):
            for word in self.topic[lang]:
                parse = analyzer.parse(word)[0]
                self.forms[word] = sorted({f.word for f in parse.lexeme})[:12]
        for word in self.topic["en"]:
            self.forms[word] = [word, word + "s", word + "ed", word + "ing"]

    def inflect(self, lang: str, word: str) -> str:
        forms = self.forms.get(word)
        if forms:
            return self.rng.choice(forms)
        if lang == "en":
            return word
        return word + self.rng.choice(("", "", "е", "а", "ом", "у", "і", "ы"))

    def message(self) -> str:
        rng = self.rng
        lang = rng.choices(("ru", "uk", "en"), weights=(45, 35, 20))[0]
        parts: list[str] = []
        size = 0
        while size < 300:
            roll = rng.random()
            if roll < 0.55:
                word = _zipf(rng, self.common[lang])
            elif roll < 0.85:
                word = self.inflect(lang, _zipf(rng, self.topic[lang]))
            elif roll < 0.95:
                word = self.inflect(lang, _zipf(rng, self.names[lang])).capitalize()
            elif roll < 0.97:
                other = rng.choice(("ru", "uk", "en"))
                word = "#" + _zipf(rng, self.topic[other])
            elif roll < 0.99:
                word = str(rng.randint(1, 2025))
            else:
                word = rng.choice(EMOJI)
            if rng.random() < 0.08:
                word += rng.choice(PUNCT)
            parts.append(word)
            size += len(word) + 1
        return " ".join(parts)

    def keyword(self) -> str:
        lang = self.rng.choices(("ru", "uk", "en"), weights=(45, 35, 20))[0]
        return self.rng.choice(self.names[lang])

    def rule(self) -> str:
        """Analysts name specific things; general topic words only narrow a name down."""
        rng = self.rng
        k = self.keyword
        t = self.topic_word
        roll = rng.random()
        if roll < 0.30:
            return k()
        if roll < 0.45:
            return f"{k()} AND {t()}"
        if roll < 0.60:
            return f"{k()} OR {k()} OR {k()}"
        if roll < 0.70:
            return f'"{t()} {k()}"'
        if roll < 0.78:
            name = rng.choice(self.names["ru"])
            return f"{name[: max(6, len(name) - 1)]}*"
        if roll < 0.85:
            return f"{k()} NEAR/3 {t()}"
        if roll < 0.95:
            return f"{k()} -{t()}"
        if roll < 0.99:
            return f"({k()} OR {k()}) {t()}"
        if roll < 0.995:
            return f"={k()}"
        name = rng.choice(self.names["ru"])
        return rf"/{name[:4]}\pL*\s+\d+/"

    def topic_word(self) -> str:
        lang = self.rng.choices(("ru", "uk", "en"), weights=(45, 35, 20))[0]
        return self.rng.choice(self.topic[lang])


def _baseline_pattern(query: str) -> re.Pattern[str]:
    """The per-rule regex a typical tool would write for ``query``: stems plus \\w*."""

    def word(w: str) -> str:
        w = w.strip('"=*').lower()
        return rf"\b{re.escape(w[: max(3, len(w) - 2)])}\w*"

    q = query
    if q.startswith("/"):
        return re.compile(q.strip("/").replace(r"\pL", r"[^\W\d_]"), re.I)
    if q.startswith('"'):
        a, b = q.strip('"').split()
        return re.compile(rf"{word(a)}\W+{word(b)}", re.I)
    if " NEAR/" in q:
        a, _, b = q.split()
        return re.compile(rf"{word(a)}(?:\W+\w+){{0,3}}\W+{word(b)}", re.I | re.S)
    if " OR " in q and q.startswith("("):
        alts, last = q[1:].split(") ")
        a, _, b = alts.split()
        return re.compile(rf"^(?=.*?(?:{word(a)}|{word(b)}))(?=.*?{word(last)})", re.I | re.S)
    if " OR " in q:
        return re.compile("|".join(word(w) for w in q.split(" OR ")), re.I)
    if " AND " in q:
        a, b = q.split(" AND ")
        return re.compile(rf"^(?=.*?{word(a)})(?=.*?{word(b)})", re.I | re.S)
    if " -" in q:
        a, b = q.split(" -")
        return re.compile(rf"^(?!.*?{word(b)}).*?{word(a)}", re.I | re.S)
    return re.compile(word(q), re.I)


def _rate(ruleset: RuleSet, messages: Sequence[str]) -> tuple[float, int]:
    hits = 0
    start = time.perf_counter()
    for text in messages:
        hits += len(ruleset.match(text))
    return len(messages) / (time.perf_counter() - start), hits


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.matcher", description=__doc__)
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--baseline-sample", type=int, default=100)
    args = parser.parse_args(argv if argv is not None else [])

    started = time.perf_counter()
    morphology()
    load_s = time.perf_counter() - started
    corpus = Corpus()
    rules = [(f"rule-{i:05d}", corpus.rule()) for i in range(args.rules)]
    messages = [corpus.message() for _ in range(args.messages)]
    avg_len = sum(map(len, messages)) / len(messages)

    started = time.perf_counter()
    ruleset = RuleSet.compile(rules)
    compile_s = time.perf_counter() - started

    morphology().clear_cache()
    ruleset.clear_caches()
    cold, hits = _rate(ruleset, messages)
    warm, _ = _rate(ruleset, messages)

    patterns = [_baseline_pattern(q) for _, q in rules]
    sample = messages[: args.baseline_sample]
    started = time.perf_counter()
    for text in sample:
        lowered = text.lower()
        for pattern in patterns:
            pattern.search(lowered)
    baseline = len(sample) / (time.perf_counter() - started)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rules: {len(rules)}   messages: {len(messages)} (avg {avg_len:.0f} chars)")
    print(
        f"dictionaries loaded in {load_s:.2f} s; {len(rules)} rules compiled in {compile_s:.2f} s"
    )
    print(f"compiled rule set, cold:  {cold:10,.0f} messages/s   (target >= 25,000)")
    print(f"compiled rule set, warm:  {warm:10,.0f} messages/s   (target >= 20,000)")
    print(f"per-rule regex loop:      {baseline:10,.1f} messages/s   ({len(sample)} messages)")
    print(f"speed-up (warm/baseline): {warm / baseline:10,.0f}x   (target >= 50x)")
    print(f"hits per message:         {hits / len(messages):10.2f}")
    print(f"peak RSS:                 {peak_mb:10,.0f} MB   (target < 300 MB)")
    n = f"{len(rules):,} rules"
    emit("matcher.warm", f"warm throughput, {n}", warm, "msg/s", target=20_000)
    emit("matcher.cold", f"cold throughput (empty caches), {n}", cold, "msg/s", target=25_000)
    emit("matcher.speedup", "speed-up over a per-rule regex loop", warm / baseline, "x", target=50)
    emit("matcher.compile", f"compile {n}", compile_s, "s")
    emit("matcher.peak_rss", "peak RSS of the matcher benchmark", peak_mb, "MB", 300, "lower")


if __name__ == "__main__":
    main(sys.argv[1:])
