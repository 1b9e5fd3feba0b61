"""Every spelling a search word may take in stored text, for ``/search`` over the FTS5 index.

The index holds raw message text split by SQLite's unicode61 tokenizer, which knows no
morphology and folds no Cyrillic letters, so the product's promise that ``Курщина`` finds
``Курщині`` and ``drone`` finds ``Drones`` has to be kept on the query side (no second index
to migrate or keep in step):

- Russian and Ukrainian words expand to every inflected form of each lemma the matcher's
  morphology gives them (``morphology.keys`` already routes a word to the right language, so
  only parses with one of those lemmas count). The other language's parses of the same lemma
  stay: its endings are often real (Russian ``на Курщине`` for Ukrainian ``Курщина``), and
  the rest (``обстрілов``) only cost a slot under the cap.
- English words become their Snowball stem as a prefix (``drone*``); the word itself is kept
  when the stem is not its prefix (``happy`` stems to ``happi``). Stems shorter than
  ``MIN_PREFIX`` stay exact words, since ``is*`` would find ``island``.
- A word a dictionary lacks also brings the matcher's name forms (``names``): its guessed
  lexemes miss them (``Плехово`` finds ``в Плехове``). They come first for a word no
  dictionary knows, whose guesses are the doubtful part, and last otherwise.
- Texts spell ``ё`` or ``е`` freely, so forms with ``ё`` are searched both ways.
- unicode61 reads ``ʼ`` (U+02BC) as a letter but ``'`` and ``’`` as separators, so a word
  with an apostrophe is searched as one token with ``ʼ`` and as the two-word phrase.

A form ending in ``PREFIX`` is a prefix; every other form is literal text, with spaces
separating the words of a phrase. Forms are capped per word (lexemes of both languages
interleaved, so one long verb paradigm cannot crowd out the other language).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import chain, islice, zip_longest

from bot.matching.morphology import morphology, script

MAX_FORMS = 60
MIN_PREFIX = 3
PREFIX = "*"
CACHE_SIZE = 4096

_APOSTROPHE = "'"
_LETTER_APOSTROPHE = "\u02bc"


@lru_cache(maxsize=CACHE_SIZE)
def search_forms(word: str) -> tuple[str, ...]:
    """The forms of a normalized word (``bot.matching.normalize``) to search for, the word's own
    spelling first, at most ``MAX_FORMS``, no duplicates."""
    kind = script(word)
    if kind == "cyrillic":
        forms = _slavic_forms(word)
    elif kind == "latin":
        forms = _english_forms(word)
    else:
        forms = [word]
    spelled = chain.from_iterable(_spellings(form) for form in forms)
    return tuple(islice(dict.fromkeys(spelled), MAX_FORMS))


def _slavic_forms(word: str) -> list[str]:
    morph = morphology()
    lexemes = [[form.word for form in parse.lexeme] for parse in morph.parses(word)]
    inflected = [form for row in zip_longest(*lexemes) for form in row if form is not None]
    names = sorted(morph.name_forms(word))
    if len(morph.unknown_to(word)) == len(morph.languages(word)):
        return [word, *names, *inflected]
    return [word, *inflected, *names]


def _english_forms(word: str) -> list[str]:
    stem = next(iter(morphology().keys(word)))
    if len(stem) < MIN_PREFIX:
        return [word]
    prefix = stem + PREFIX
    return [prefix] if word.startswith(stem) else [word, prefix]


def _spellings(form: str) -> list[str]:
    spellings = [form, form.replace("ё", "е")] if "ё" in form else [form]
    if _APOSTROPHE not in form:
        return spellings
    return [
        variant
        for spelling in spellings
        for variant in (
            spelling.replace(_APOSTROPHE, _LETTER_APOSTROPHE),
            spelling.replace(_APOSTROPHE, " "),
        )
    ]
