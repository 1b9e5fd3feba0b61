"""``chanwatch hits --format stix``: a STIX 2.1 bundle, built with the ``stix2`` library.

Per post: a ``url`` (its link) and an ``artifact`` (its text, ``text/plain``, with the
SHA-256 of the UTF-8 bytes) as cyber-observables; an ``observed-data`` saying they were seen
when the post was published; and a ``note`` that quotes the post, names the channel and the
rules that matched, and points at the observation. Everything is created by one ``identity``
(chanwatch). The observables' ids derive from their content (STIX's deterministic ids), so a
post exported twice is the same URL and artifact to a case tool; the observation and the
note get fresh version-4 ids, as STIX asks of domain objects.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime

import stix2

from bot.intel.posts import NAMESPACE, name_of, text_sha256, utc
from bot.text.posts import post_url
from storage.hits import MessageHits

IDENTITY_ID = f"identity--{NAMESPACE}"
NOTE_LIMIT = 4000


def stix_bundle(found: Sequence[MessageHits], *, now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    identity = stix2.Identity(
        id=IDENTITY_ID,
        name="chanwatch",
        identity_class="system",
        description="Self-hosted Telegram channel monitor",
        created=datetime(2024, 1, 1, tzinfo=UTC),
        modified=datetime(2024, 1, 1, tzinfo=UTC),
    )
    objects: list[object] = [identity]
    for post in found:
        objects += _post_objects(post, moment)
    bundle = stix2.Bundle(objects=objects)
    return str(bundle.serialize(pretty=True, ensure_ascii=False))


def _post_objects(post: MessageHits, now: datetime) -> list[object]:
    url = stix2.URL(value=post_url(post))
    text = stix2.Artifact(
        mime_type="text/plain",
        payload_bin=base64.b64encode(post.text.encode("utf-8")).decode("ascii"),
        hashes={"SHA-256": text_sha256(post)},
    )
    posted = utc(post.date)
    seen = stix2.ObservedData(
        created_by_ref=IDENTITY_ID,
        created=now,
        modified=now,
        first_observed=posted,
        last_observed=posted,
        number_observed=1,
        object_refs=[url.id, text.id],
    )
    quote = post.text if len(post.text) <= NOTE_LIMIT else post.text[: NOTE_LIMIT - 1] + "…"
    note = stix2.Note(
        created_by_ref=IDENTITY_ID,
        created=now,
        modified=now,
        abstract=f"{name_of(post)}: matched {', '.join(post.rules)}",
        content=quote or "(no text)",
        object_refs=[seen.id],
        labels=[f"chanwatch-rule:{rule}" for rule in post.rules]
        + (["chanwatch-deleted"] if post.deleted else []),
    )
    return [url, text, seen, note]
