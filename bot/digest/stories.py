"""Fold near-duplicate hits into stories: the same claim copied across ten channels is one
story with ten sources, not ten items.

Five passes over one rule's hits, cheapest first, joined with a union-find:

1. Forwards that name their source post (channel id + message id) join that post's story.
2. Exact copies: identical normalized word sequences (most reposts) share one fingerprint,
   so only distinct texts reach MinHash.
3. Near copies: MinHash signatures of word shingles, banded LSH to find candidates, and a
   check of the estimated Jaccard similarity before two posts are joined. Two stories are not
   joined this way when that would put one channel's posts more than ``REPEAT_GAP`` apart
   into one story: a channel's template (a daily tally of downed drones) posted again the
   next day is a new report with new numbers, not a repost — nor may a repost of Monday's
   tally chain Monday's and Tuesday's together.
4. Translations: posts in different languages within ``CLAIM_WINDOW`` of each other that
   make the same claim (``bot/digest/claims.py``: the same figures and names) join, under
   the same guard as near copies.
5. Forwards that only give a display name (Telegram Desktop exports, hidden sources) join
   the most similar post of the channel with that title, with a relaxed similarity bar.

Parameters, tuned on the ru/uk/en news posts in ``tests/test_digest_stories.py`` (exact
3-shingle Jaccard, measured):

- ``SHINGLE = 3`` words. Every repost variant there (channel footer, emoji prefix, a few
  edited words) has a 3-shingle Jaccard of at least 0.36 with another post of its story,
  while different reports on the same event (same place names and topic words) top out at
  0.06. Two-word shingles gave 0.54 vs 0.17 (set phrases like "Курской области" pull
  same-topic posts together); four-word ones dropped a three-word edit of a 20-word post to
  0.27.
- ``THRESHOLD = 0.2`` estimated Jaccard: about three standard errors of the 64-permutation
  estimate below the loosest repost (0.36) and above the closest same-topic pair (0.06).
  Sharing a fifth of one's 3-word sequences does not happen by topic alone.
- ``NUM_PERM = 64``: standard error ~0.05 at these similarities; 128 would double the
  signature cost for no change in the outcome. LSH bands (28 x 2) come from datasketch's
  ``MinHashLSH`` optimizer for this threshold and permutation count.

Speed: a digest of 2,000 hits must fold in well under 100 ms, so signatures are computed for
all distinct texts at once with numpy, using datasketch's ``affine32`` permutations (the
values are identical to ``datasketch.MinHash.update_batch`` over the same shingle hashes;
a test checks it), and banding is done with numpy rather than one ``MinHashLSH.insert`` per
post, which alone took ~40 ms for 2,000 posts. Only the first ``FINGERPRINT_CHARS`` of a
post are fingerprinted, so a 10 MB post costs no more than a long one.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from bot.digest.claims import Aliases, Claim, claim_of, figures_differ, same_claim
from bot.digest.contents import DigestHit, Story
from bot.matching import normalize

SHINGLE = 3
THRESHOLD = 0.2
NUM_PERM = 64
FINGERPRINT_CHARS = 1500
REPEAT_GAP = timedelta(hours=6)
CLAIM_WINDOW = timedelta(hours=6)
# A claim key held by more posts than this is the digest's subject (the rule's own place or
# actor), not evidence that two posts report one thing: it finds no candidates, though it
# still counts once a pair is compared.
_COMMON_KEY = 64
_NAME_THRESHOLD = THRESHOLD / 2
_PAIRWISE_BUCKET = 32
_WORD = re.compile(r"[\w']+")

Signature = npt.NDArray[np.uint32]
_U32 = np.uint32
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(0x9E3779B97F4A7C15)  # odd multipliers: position-sensitive word mixing
_SALT = np.uint64(0xC2B2AE3D27D4EB4F)


# datasketch is imported where it is used: its LSH module pulls in scipy, 0.4 s that every
# ``chanwatch`` command would pay at start for what only a digest needs, once per process.


@lru_cache(maxsize=4)
def _permutations(num_perm: int) -> tuple[Signature, Signature]:
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=1).permutations
    return np.asarray(a, dtype=_U32), np.asarray(b, dtype=_U32)


@lru_cache(maxsize=8)
def _bands(threshold: float, num_perm: int) -> tuple[int, int]:
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


def fmix32(values: Signature) -> Signature:
    """MurmurHash3's finalizer, as datasketch applies it before its affine32 permutations."""
    values = values ^ (values >> _U32(16))
    values = values * _U32(0x85EBCA6B)
    values = values ^ (values >> _U32(13))
    values = values * _U32(0xC2B2AE35)
    return values ^ (values >> _U32(16))


def words(text: str) -> list[str]:
    """The normalized words of a post's fingerprinted prefix."""
    return _WORD.findall(normalize(text[:FINGERPRINT_CHARS]))


class Fingerprints:
    """MinHash signatures per distinct post text, shared by every rule of a digest.

    Fingerprinting (mostly ``normalize``) is the larger half of folding; a long-lived
    instance lets the scheduler fingerprint each post once rather than once per digest.
    Entries are keyed by the fingerprinted text itself, not by the post's id, so an edited
    post is fingerprinted afresh. ``max_texts`` bounds a long-lived instance: ``trim()``
    (called by ``build_digest`` before each digest, never in the middle of one) starts afresh
    once more texts than that are held, which costs one cold digest. ``lock`` is held by
    ``build_digest`` for a whole digest: digests are built in worker threads, and a trim in
    one must not pull signatures from under another.
    """

    def __init__(
        self,
        num_perm: int = NUM_PERM,
        shingle: int = SHINGLE,
        max_texts: int = 100_000,
        aliases: Aliases | None = None,
    ) -> None:
        self.num_perm = num_perm
        self.shingle = shingle
        self.max_texts = max_texts
        self.aliases = aliases
        self.lock = threading.Lock()
        self._word_ids: dict[str, int] = {}
        self._by_text: dict[str, int | None] = {}
        self._signatures: dict[int, Signature] = {}
        self._claims: dict[str, Claim] = {}

    @property
    def texts(self) -> int:
        """How many distinct texts are held."""
        return len(self._by_text)

    def trim(self) -> None:
        """Forget everything once over ``max_texts``; safe only between digests."""
        if len(self._by_text) > self.max_texts:
            self._word_ids.clear()
            self._by_text.clear()
            self._signatures.clear()
            self._claims.clear()

    def exact_key(self, hit: DigestHit) -> int | None:
        """Equal for posts with the same normalized words; ``None`` for posts without words."""
        prefix = hit.text[:FINGERPRINT_CHARS]
        if prefix not in self._by_text:
            self.add([hit])
        return self._by_text[prefix]

    def signature(self, exact_key: int) -> Signature:
        return self._signatures[exact_key]

    def claim(self, hit: DigestHit) -> Claim:
        """The figures and names of the post's fingerprinted prefix."""
        prefix = hit.text[:FINGERPRINT_CHARS]
        if prefix not in self._claims:
            self.add([hit])
        return self._claims[prefix]

    def add(self, hits: Iterable[DigestHit]) -> None:
        """Fingerprint every post text not seen yet, in one vectorized batch."""
        pending: dict[int, list[int]] = {}
        known = self._word_ids.get
        for hit in hits:
            prefix = hit.text[:FINGERPRINT_CHARS]
            if prefix in self._by_text:
                continue
            tokens = words(prefix)
            self._claims[prefix] = claim_of(prefix, tokens, self.aliases)
            ids = list(map(known, tokens))
            if None in ids:
                ids = [self._word_id(token) for token in tokens]
            key = hash(tuple(ids)) if ids else None
            self._by_text[prefix] = key
            if key is not None and key not in self._signatures:
                pending[key] = ids  # type: ignore[assignment]  # no None left
        if pending:
            rows = self._minhash(list(pending.values()))
            for key, row in zip(pending, rows, strict=True):
                self._signatures[key] = row

    def _word_id(self, word: str) -> int:
        found = self._word_ids.get(word)
        if found is None:
            found = self._word_ids[word] = zlib.crc32(word.encode())
        return found

    def _minhash(self, docs: list[list[int]]) -> Signature:
        """Signatures (one row per doc) of each doc's ``shingle``-word shingles."""
        k = self.shingle
        flat: list[int] = []
        counts: list[int] = []
        for ids in docs:
            padded = ids + [0] * (k - 1)
            flat.extend(padded)
            counts.append(max(len(ids) - k + 1, 1))
        ids_array = np.array(flat + [0] * k, dtype=np.uint64)
        total = len(flat)
        mixed = np.zeros(total, dtype=np.uint64)
        for offset in range(k):
            mixed = mixed * _SHIFT + (ids_array[offset : offset + total] ^ _SALT)
        folded = ((mixed ^ (mixed >> np.uint64(32))) & _MASK32).astype(_U32)
        lengths = np.array([len(ids) + k - 1 for ids in docs])
        seg_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        offsets = np.arange(total) - np.repeat(seg_starts, lengths)
        shingles = fmix32(folded[offsets < np.repeat(np.array(counts), lengths)])
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        a, b = _permutations(self.num_perm)
        signature = np.empty((len(docs), self.num_perm), dtype=_U32)
        for p in range(self.num_perm):
            signature[:, p] = np.minimum.reduceat(shingles * a[p] + b[p], starts)
        return signature


class _Union:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


def fold_stories(
    hits: Sequence[DigestHit],
    fingerprints: Fingerprints | None = None,
    threshold: float = THRESHOLD,
) -> list[Story]:
    """Group ``hits`` (one rule's) into stories, largest first, then most recent."""
    prints = fingerprints if fingerprints is not None else Fingerprints()
    prints.add(hits)
    union = _Union(len(hits))
    _join_forwards(hits, union)
    exact = [prints.exact_key(hit) for hit in hits]
    first_of: dict[int, int] = {}
    for i, key in enumerate(exact):
        if key is not None:
            union.join(first_of.setdefault(key, i), i)
    reps = list(first_of.values())
    claims = [prints.claim(hit) for hit in hits]
    guard = _Guard(hits, union, claims)
    if len(reps) > 1:
        matrix = np.stack([prints.signature(key) for key in first_of])
        _join_similar(matrix, reps, guard, threshold)
    _join_translations(hits, claims, guard)
    _join_named_forwards(hits, exact, prints, union)
    groups: dict[int, list[DigestHit]] = {}
    for i, hit in enumerate(hits):
        groups.setdefault(union.find(i), []).append(hit)
    stories = [
        Story(tuple(sorted(group, key=lambda h: (h.date, h.channel_id, h.message_id))))
        for group in groups.values()
    ]
    stories.sort(key=lambda s: (-s.size, -s.latest.timestamp(), s.first.key))
    return stories


def _join_forwards(hits: Sequence[DigestHit], union: _Union) -> None:
    index = {hit.key: i for i, hit in enumerate(hits)}
    for i, hit in enumerate(hits):
        if hit.forward_channel_id is not None and hit.forward_message_id is not None:
            source = index.get((hit.forward_channel_id, hit.forward_message_id))
            if source is not None:
                union.join(source, i)


def _similarity(a: Signature, b: Signature) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


def _join_named_forwards(
    hits: Sequence[DigestHit], exact: list[int | None], prints: Fingerprints, union: _Union
) -> None:
    """A forward known only by its source's display name joins that channel's closest post."""
    named = [
        i
        for i, hit in enumerate(hits)
        if hit.forward_from and hit.forward_channel_id is None and exact[i] is not None
    ]
    if not named:
        return
    titles: dict[str, str] = {}
    by_title: dict[str, list[int]] = {}
    for i, hit in enumerate(hits):
        if hit.channel_title:
            title = titles.get(hit.channel_title)
            if title is None:
                title = titles[hit.channel_title] = normalize(hit.channel_title).strip()
            by_title.setdefault(title, []).append(i)
    for i in named:
        key = exact[i]
        if key is None:
            continue
        source = hits[i].forward_from or ""
        candidates = by_title.get(normalize(source).strip(), [])
        best, best_score = None, _NAME_THRESHOLD
        for j in candidates:
            other = exact[j]
            if j == i or other is None:
                continue
            score = _similarity(prints.signature(key), prints.signature(other))
            if score >= best_score:
                best, best_score = j, score
        if best is not None:
            union.join(best, i)


def _join_translations(hits: Sequence[DigestHit], claims: list[Claim], guard: _Guard) -> None:
    """Join posts in different languages that make the same claim within ``CLAIM_WINDOW``.

    Candidates are the pairs sharing a key that is not too common (``_COMMON_KEY``), so a
    digest of one rule's 2,000 hits compares a few pairs per post, not all of them.
    """
    if len({claim.language for claim in claims} - {""}) < 2:
        return
    postings: dict[str, list[int]] = {}
    for i, claim in enumerate(claims):
        if claim.language:
            for key in claim.keys:
                postings.setdefault(key, []).append(i)
    limit = max(_COMMON_KEY, len(hits) // 4)
    for i, claim in enumerate(claims):
        candidates: set[int] = set()
        for key in claim.keys:
            posting = postings.get(key, ())
            if len(posting) <= limit:
                candidates.update(j for j in posting if j > i)
        for j in sorted(candidates):
            if (
                abs(hits[i].date - hits[j].date) <= CLAIM_WINDOW
                and not guard.same(i, j)
                and same_claim(claim, claims[j])
            ):
                guard.join(i, j)


class _Guard:
    """Joins stories unless one channel's posts would end up more than REPEAT_GAP apart, or
    the two posts joined give different figures (``figures_differ``): a template's reports
    are near copies of each other word for word, whatever channel posts them."""

    def __init__(self, hits: Sequence[DigestHit], union: _Union, claims: list[Claim]) -> None:
        self.union = union
        self.claims = claims
        self.spans: dict[int, dict[int, tuple[datetime, datetime]]] = {}
        for i, hit in enumerate(hits):
            spans = self.spans.setdefault(union.find(i), {})
            low, high = spans.get(hit.channel_id, (hit.date, hit.date))
            spans[hit.channel_id] = (min(low, hit.date), max(high, hit.date))

    def same(self, i: int, j: int) -> bool:
        return self.union.find(i) == self.union.find(j)

    def join(self, i: int, j: int) -> None:
        ri, rj = self.union.find(i), self.union.find(j)
        if ri == rj or figures_differ(self.claims[i], self.claims[j]):
            return
        a, b = self.spans[ri], self.spans[rj]
        merged = dict(a)
        for channel, (low, high) in b.items():
            if channel in merged:
                low, high = min(low, merged[channel][0]), max(high, merged[channel][1])
                if high - low > REPEAT_GAP:
                    return
            merged[channel] = (low, high)
        self.union.join(ri, rj)
        self.spans[self.union.find(ri)] = merged


def _join_similar(matrix: Signature, reps: list[int], guard: _Guard, threshold: float) -> None:
    """Join rows whose estimated Jaccard is at least ``threshold``; LSH bands pick candidates.

    Buckets whose members are already one story are skipped, so a pair of near copies that
    collides in every band is verified once.
    """
    bands, rows = _bands(threshold, matrix.shape[1])
    for band in range(bands):
        keys = np.zeros(len(matrix), dtype=np.uint64)
        for column in range(band * rows, (band + 1) * rows):
            keys = keys * _SHIFT + matrix[:, column]
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        if counts.max() < 2:
            continue
        order = np.argsort(inverse, kind="stable").tolist()
        bounds = np.concatenate(([0], np.cumsum(counts))).tolist()
        for bucket in np.flatnonzero(counts > 1).tolist():
            members = order[bounds[bucket] : bounds[bucket + 1]]
            if len({guard.union.find(reps[m]) for m in members}) > 1:
                _join_bucket(matrix, members, reps, guard, threshold)


def _join_bucket(
    matrix: Signature, members: list[int], reps: list[int], guard: _Guard, threshold: float
) -> None:
    need = int(np.ceil(threshold * matrix.shape[1]))
    if len(members) > _PAIRWISE_BUCKET:
        head, rest = members[0], np.array(members[1:])
        agree = np.count_nonzero(matrix[rest] == matrix[head], axis=1)
        for m in rest[agree >= need].tolist():
            guard.join(reps[head], reps[m])
        return
    for x, first in enumerate(members):
        for second in members[x + 1 :]:
            if guard.same(reps[first], reps[second]):
                continue
            if np.count_nonzero(matrix[first] == matrix[second]) >= need:
                guard.join(reps[first], reps[second])
