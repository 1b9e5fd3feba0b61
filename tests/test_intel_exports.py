"""``chanwatch hits --format misp|stix`` and ``chanwatch feed RULE`` over replayed ru/uk/en
posts; each output validated by the tools a case tool would use: MISP's JSON schema (shipped
with PyMISP, the lax one: the strict one predates objects) and PyMISP's loader and object
templates, the STIX 2.1 validator and the
``stix2`` parser, and an XML parse of the feed."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import stix2
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_string

from tests.support.exports import WATCHLIST, chat, message, run_cli

POSTS = {
    1: "Под Курском замечены военные из #КНДР, атака дронов.",
    2: "North Korean troops near Kursk.",
    3: "Північнокорейські військові вже на Курщині — ГУР.",
    4: "Погода: дождь.",
}
ATOM = "{http://www.w3.org/2005/Atom}"
DELETED_AT = 1729900000


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "c.db"
    watchlist = tmp_path / "w.toml"
    watchlist.write_text(WATCHLIST, encoding="utf-8")
    assert run_cli(["--db", str(path), "apply", str(watchlist)])[0] == 0
    export = chat([message(i, text) for i, text in POSTS.items()])
    (tmp_path / "e.json").write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    assert run_cli(["--db", str(path), "replay", str(tmp_path / "e.json")])[0] == 0
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE channels SET username = 'svodki_prigran'")
        # Post 2 was taken down, as the reader's deletion check records it.
        conn.execute(
            "UPDATE messages SET deleted = 1, deleted_at = ?, deleted_via = 'check'"
            " WHERE message_id = 2",
            (DELETED_AT,),
        )
    return path


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_misp_event_validates_and_has_one_microblog_object_per_post(db: Path) -> None:
    code, out, err = run_cli(["--db", str(db), "hits", "--since", "all", "--format", "misp"])
    assert (code, err) == (0, "")
    # MISP's format schema as PyMISP ships it; the strict one predates objects (PyMISP's
    # loader itself validates against the lax one), so objects are checked by their template.
    schema = json.loads(
        (resources.files("pymisp") / "data" / "schema-lax.json").read_text(encoding="utf-8")
    )
    jsonschema.validate(json.loads(out), schema)

    event = MISPEvent()
    event.load(out)
    assert {t.name for t in event.tags} == {
        'chanwatch:rule="dprk-kursk"',
        'chanwatch:rule="drones"',
    }
    posts = {o.get_attributes_by_relation("link")[0].value: o for o in event.objects}
    assert set(posts) == {f"https://t.me/svodki_prigran/{i}" for i in (1, 2, 3)}
    hashes = {a.uuid: a.value for a in event.attributes if a.type == "sha256"}
    for number in (1, 2, 3):
        item = posts[f"https://t.me/svodki_prigran/{number}"]
        assert item.name == "microblog"
        assert item._validate()  # every relation is in MISP's microblog template
        assert item.get_attributes_by_relation("post")[0].value == POSTS[number]
        assert item.get_attributes_by_relation("username")[0].value == "@svodki_prigran"
        assert item.get_attributes_by_relation("display-name")[0].value == "Сводки Приграничья"
        created = item.get_attributes_by_relation("creation-date")[0].value
        assert int(created.timestamp()) == 1729828800 + number * 60
        [reference] = item.references
        assert hashes[reference.referenced_uuid] == sha(POSTS[number])
    assert "dprk-kursk" in posts["https://t.me/svodki_prigran/1"].comment
    taken_down = posts["https://t.me/svodki_prigran/2"]
    [removed] = taken_down.get_attributes_by_relation("removal-date")
    assert int(removed.value.timestamp()) == DELETED_AT
    assert taken_down.comment.endswith("(deleted since)")
    assert not posts["https://t.me/svodki_prigran/1"].get_attributes_by_relation("removal-date")


def test_two_misp_exports_of_a_post_give_it_the_same_ids(db: Path) -> None:
    runs = [run_cli(["--db", str(db), "hits", "--since", "all", "--format", "misp"])[1]]
    runs.append(run_cli(["--db", str(db), "hits", "--since", "all", "--format", "misp"])[1])
    uuids = [sorted(o["uuid"] for o in json.loads(r)["Event"]["Object"]) for r in runs]
    assert uuids[0] == uuids[1]


def test_the_stix_bundle_passes_the_stix_2_1_validator_and_parses_strictly(db: Path) -> None:
    code, out, err = run_cli(["--db", str(db), "hits", "--since", "all", "--format", "stix"])
    assert (code, err) == (0, "")
    result = validate_string(out, ValidationOptions(version="2.1", strict=True))
    assert result.is_valid, [str(e) for e in result.errors]

    bundle = stix2.parse(out, allow_custom=False)
    by_type: dict[str, list[object]] = {}
    for item in bundle.objects:
        by_type.setdefault(item.type, []).append(item)
    assert {k: len(v) for k, v in by_type.items()} == {
        "identity": 1,
        "url": 3,
        "artifact": 3,
        "observed-data": 3,
        "note": 3,
    }
    index = {item.id: item for item in bundle.objects}
    for note in by_type["note"]:
        [seen] = [index[ref] for ref in note.object_refs]
        url, artifact = (index[ref] for ref in seen.object_refs)
        text = base64.b64decode(artifact.payload_bin).decode()
        assert note.content == text and text in POSTS.values()
        assert artifact.hashes["SHA-256"] == sha(text)
        assert url.value.startswith("https://t.me/svodki_prigran/")
        assert seen.first_observed == seen.last_observed
    ukrainian = next(n for n in by_type["note"] if "Курщині" in n.content)
    assert ukrainian.labels == ["chanwatch-rule:dprk-kursk"]
    english = next(n for n in by_type["note"] if "North Korean" in n.content)
    assert english.labels == ["chanwatch-rule:dprk-kursk", "chanwatch-deleted"]


def test_an_empty_period_is_a_valid_empty_misp_event_and_stix_bundle(db: Path) -> None:
    for fmt in ("misp", "stix"):
        code, out, _ = run_cli(["--db", str(db), "hits", "--since", "1h", "--format", fmt])
        assert code == 0
    assert validate_string(out, ValidationOptions(version="2.1")).is_valid


def test_feed_writes_an_atom_file_with_each_post_of_the_rule_newest_first(
    db: Path, tmp_path: Path
) -> None:
    target = tmp_path / "feeds" / "dprk.atom"
    target.parent.mkdir()
    code, out, _ = run_cli(
        ["--db", str(db), "feed", "dprk-kursk", "--since", "all", "-o", str(target)]
    )
    assert code == 0 and out == f"Wrote {target} (3 posts).\n"
    root = ET.fromstring(target.read_bytes())
    assert root.find(f"{ATOM}id").text == "urn:chanwatch:rule:dprk-kursk"  # type: ignore[union-attr]
    entries = root.findall(f"{ATOM}entry")
    ids = [e.find(f"{ATOM}id").text for e in entries]  # type: ignore[union-attr]
    assert ids == [f"https://t.me/svodki_prigran/{i}" for i in (3, 2, 1)]
    assert entries[0].find(f"{ATOM}content").text == POSTS[3]  # type: ignore[union-attr]


def test_feed_as_rss_and_its_mistakes_are_one_line(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "drones.rss"
    argv = ["--db", str(db), "feed", "drones", "--format", "rss", "--since", "all"]
    assert run_cli([*argv, "-o", str(target)])[0] == 0
    [item] = ET.fromstring(target.read_bytes()).iter("item")
    assert item.findtext("link") == "https://t.me/svodki_prigran/1"
    assert item.findtext("description") == POSTS[1]

    code, _, err = run_cli(["--db", str(db), "feed", "nope", "-o", str(target)])
    assert (code, err) == (
        2,
        "chanwatch: error: no rule named 'nope' (`chanwatch rules list` names them)\n",
    )
    code, _, err = run_cli([*argv, "-o", str(tmp_path / "missing" / "x.rss")])
    assert code == 1 and err.startswith("chanwatch: error: cannot write")
