"""The atoms rules are built from, and which of them each word of a message satisfies.

An atom is what a rule term compiles to: a word term's set of lemma keys (and, for a word a
dictionary lacks, its ``names`` forms as exact spellings), an ``=exact`` form or a
``prefix*``. Rules share atoms (10,000 rules name far fewer distinct things), and the index
runs from key to atoms, so a message word costs one morphology lookup and a few dict probes
however many rules there are. Regexes are registered here as well, one id per distinct
pattern, so predicates and highlighting share them.

Message words are learned lazily: a whitespace-separated chunk is analyzed the first time it
is seen and remembered, as are its words. News vocabulary is Zipfian, so misses fade quickly;
both caches are dropped together when the chunk cache outgrows ``cache_size``.
"""

from __future__ import annotations

from bisect import insort
from typing import cast

from bot.matching.boundaries import BoundedRegex
from bot.matching.morphology import Morphology
from bot.matching.normalize import fold_word
from bot.matching.query import Regex, Term, TermKind
from bot.matching.tokens import TOKEN

EMPTY: frozenset[int] = frozenset()
CACHE_SIZE = 1 << 17
# Longer whitespace-free runs (URLs, base64, hostile input) are not worth remembering.
_LONGEST_CACHED_CHUNK = 64


class AtomIndex:
    """Atoms and regexes by id, filled while rules compile and read while messages match."""

    def __init__(self, morph: Morphology) -> None:
        self._morph = morph
        self._ids: dict[tuple[str, object], int] = {}
        self._cost: list[float] = []
        self._uses: list[int] = []
        self._by_lemma: dict[str, tuple[int, ...]] = {}
        self._by_exact: dict[str, tuple[int, ...]] = {}
        self._by_prefix: dict[str, tuple[int, ...]] = {}
        self._tables: dict[TermKind, dict[str, tuple[int, ...]]] = {
            "word": self._by_lemma,
            "exact": self._by_exact,
            "prefix": self._by_prefix,
        }
        self._prefix_lengths: list[int] = []
        # Word terms whose name forms are indexed: compiling asks for a term's atom repeatedly.
        self._named: set[str] = set()
        self._regex_ids: dict[str, int] = {}
        self.regexes: list[BoundedRegex] = []
        self._chunks: dict[str, frozenset[int]] = {}
        self._words: dict[str, frozenset[int]] = {}
        self.cache_size = CACHE_SIZE

    # compiling -------------------------------------------------------------------------

    def atom(self, term: Term) -> int:
        """The id of ``term``'s atom; terms with the same lemma keys share one.

        A word the dictionaries do not know also matches its name forms (``names``), indexed
        as exact spellings: its lemma would not reach them.
        """
        if term.kind == "word":
            keys = self._morph.keys(term.text)
            identity: tuple[str, object] = ("word", keys)
        else:
            keys = frozenset((term.text,))
            identity = (term.kind, term.text)
        atom = self._ids.get(identity)
        if atom is None:
            atom = len(self._cost)
            self._ids[identity] = atom
            table = self._tables[term.kind]
            for key in keys:
                _add(table, key, atom)
                if term.kind == "prefix" and len(key) not in self._prefix_lengths:
                    insort(self._prefix_lengths, len(key))
            self._cost.append((2.0 if term.kind == "prefix" else 1.0) / max(len(term.text), 1))
            self._uses.append(0)
        if term.kind == "word" and term.text not in self._named:
            self._index_name_forms(term.text, atom)
        return atom

    def _index_name_forms(self, word: str, atom: int) -> None:
        self._named.add(word)
        for form in self._morph.name_forms(word):
            _add(self._by_exact, form, atom)

    def regex(self, node: Regex) -> int:
        """The id of ``node``'s pattern; rules repeating a pattern share one."""
        regex_id = self._regex_ids.get(node.pattern)
        if regex_id is None:
            regex_id = len(self.regexes)
            self._regex_ids[node.pattern] = regex_id
            self.regexes.append(node.compiled)
        return regex_id

    def count_use(self, atom: int) -> None:
        """Record one more rule that highlights ``atom``; ``anchor_cost`` weighs it."""
        self._uses[atom] += 1

    def anchor_cost(self, atom: int) -> float:
        """How often an atom is likely present, relative to others; no corpus to ask.

        Longer words are rarer (Zipf), prefixes match more words than a word, and an atom
        many rules share is a context word (``дрон``) rather than the specific name a rule
        is about. Valid once every rule is compiled, hence anchors are chosen afterwards.
        """
        return self._cost[atom] * self._uses[atom]

    # matching --------------------------------------------------------------------------

    def present(self, unfolded: str) -> set[int]:
        """Atoms satisfied by some word of ``unfolded`` (``normalize_unfolded`` text)."""
        # Whitespace-separated chunks, not words: ``str.split`` is several times cheaper than
        # a word regex, and a chunk's atoms are those of the words in it (learned once).
        chunks = list(set(unfolded.split()))
        known = self._chunks
        looked_up = list(map(known.get, chunks))
        if None in looked_up:
            if len(known) > self.cache_size:
                known.clear()
                self._words.clear()
            found = [
                self._learn_chunk(c) if f is None else f
                for c, f in zip(chunks, looked_up, strict=True)
            ]
        else:
            found = cast(list[frozenset[int]], looked_up)
        return set().union(*found)

    def word_atoms(self, word: str) -> frozenset[int]:
        """Atoms a single (unfolded or folded) normalized word satisfies; cached."""
        atoms = self._words.get(word)
        if atoms is None:
            atoms = self._learn_word(word)
        return atoms

    def clear_caches(self) -> None:
        """Forget learned chunks and words (benchmarks use it to measure the cold path)."""
        self._chunks.clear()
        self._words.clear()

    def _learn_chunk(self, chunk: str) -> frozenset[int]:
        result = frozenset().union(*map(self.word_atoms, TOKEN.findall(chunk))) or EMPTY
        if len(chunk) <= _LONGEST_CACHED_CHUNK:
            self._chunks[chunk] = result
        return result

    def _learn_word(self, word: str) -> frozenset[int]:
        folded = fold_word(word)
        atoms: set[int] = set()
        for key in self._morph.keys(folded):
            atoms.update(self._by_lemma.get(key, ()))
        atoms.update(self._by_exact.get(folded, ()))
        for length in self._prefix_lengths:
            if length > len(folded):
                break
            atoms.update(self._by_prefix.get(folded[:length], ()))
        result = frozenset(atoms) if atoms else EMPTY
        self._words[word] = result
        return result


def _add(table: dict[str, tuple[int, ...]], key: str, atom: int) -> None:
    atoms = table.get(key, ())
    if atom not in atoms:
        table[key] = (*atoms, atom)
