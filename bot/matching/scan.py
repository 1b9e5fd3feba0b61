"""One message being matched: what predicates and highlighting ask about it, computed lazily.

Most candidate rules are decided by the set of atoms present alone. Word positions (phrases,
NEAR), regex searches, the homoglyph-folded text and the offset alignment cost more, so each is
computed on first request and kept for the other rules checked against the same message.
"""

from __future__ import annotations

from bot.matching.atoms import AtomIndex
from bot.matching.normalize import fold_homoglyphs
from bot.matching.tokens import TOKEN, Alignment, align


class Scan:
    """The facts about one message that exact checks and highlighting share."""

    __slots__ = (
        "_alignment",
        "_normalized",
        "_positions",
        "_regex_results",
        "_word_atoms",
        "atoms",
        "original",
        "present",
        "unfolded",
    )

    def __init__(
        self,
        atoms: AtomIndex,
        original: str,
        unfolded: str,
        normalized: str | None,
        present: set[int],
    ) -> None:
        self.atoms = atoms
        self.original = original
        self.unfolded = unfolded
        self.present = present
        self._normalized = normalized
        self._word_atoms: list[frozenset[int]] | None = None
        self._positions: dict[int, list[int]] = {}
        self._regex_results: dict[int, bool] = {}
        self._alignment: Alignment | None = None

    @property
    def normalized(self) -> str:
        """The fully normalized text, homoglyphs folded, as regexes expect it."""
        if self._normalized is None:
            self._normalized = fold_homoglyphs(self.unfolded)
        return self._normalized

    @property
    def alignment(self) -> Alignment:
        """The way from normalized offsets back to the original text."""
        if self._alignment is None:
            self._alignment = align(self.original, self.normalized)
        return self._alignment

    def positions(self, atom: int) -> list[int]:
        """Indexes of the words that satisfy ``atom``."""
        found = self._positions.get(atom)
        if found is None:
            word_atoms = self._word_atoms
            if word_atoms is None:
                atoms_of = self.atoms.word_atoms
                word_atoms = self._word_atoms = [atoms_of(w) for w in TOKEN.findall(self.unfolded)]
            found = [i for i, atoms in enumerate(word_atoms) if atom in atoms]
            self._positions[atom] = found
        return found

    def phrase_starts(self, atoms: tuple[int, ...]) -> list[int]:
        """Indexes of the words where ``atoms`` occur one after another."""
        rest = [set(self.positions(a)) for a in atoms[1:]]
        return [
            i
            for i in self.positions(atoms[0])
            if all(i + k in later for k, later in enumerate(rest, start=1))
        ]

    def regex_matches(self, regex_id: int) -> bool:
        """Whether the rule regex ``regex_id`` occurs anywhere in the normalized text."""
        result = self._regex_results.get(regex_id)
        if result is None:
            result = self.atoms.regexes[regex_id].search(self.normalized) is not None
            self._regex_results[regex_id] = result
        return result
