"""The faster fingerprint gives the same answers as the one before it.

The speed-up (issue 19 follow-up) rewrote regexes so the engine can skip ahead, found
the harmful markers' needles in one pass, and built the sketch and Bloom filter with
fewer Python steps. Stored snapshots must read the same, so each rewritten piece is
compared with its earlier form on many generated strings, and the snapshots stored by
each format are pinned: format 1 (tests/files/fingerprint_v1_golden.json, written by
main at 8de94d1) still loads and writes back byte for byte, format 2
(fingerprint_v2_golden.json, issue 14: phones and postcodes by parsing/contact_values.py)
is reproduced exactly. tests/test_fingerprint_formats.py compares the two formats.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from localoffer_audit.links import fingerprint
from localoffer_audit.links.classify import page_text
from localoffer_audit.parsing import contact_values
from localoffer_audit.links.harmful import MARKERS, NeedleSet
from localoffer_audit.links.fingerprint import snapshot_of, words_of
from localoffer_audit.snapshots import PageSnapshot

GOLDEN = Path(__file__).parent / "files" / "fingerprint_v1_golden.json"
GOLDEN_V2 = Path(__file__).parent / "files" / "fingerprint_v2_golden.json"

# The earlier forms, verbatim.
OLD_PHONE = re.compile(r"(?:\+44\s?(?:\(0\)\s?)?|\b0)(?:\d[\s\-.()]{0,2}){9,10}")
OLD_POSTCODE = re.compile(r"\b([a-z]{1,2}[0-9][a-z0-9]?)\s*([0-9][a-z]{2})\b")
OLD_ATTRIBUTE_TEXT = re.compile(r"\b(?:alt|title|content|aria-label)=[\"']([^\"'<>]{2,200})[\"']")


def _strings(alphabet: str, pieces: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        parts = [rng.choice(pieces) if rng.random() < 0.5 else rng.choice(alphabet) for _ in range(rng.randint(1, 40))]
        out.append("".join(parts))
    return out


def test_a_snapshot_stored_in_format_1_still_loads() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for name, markup in golden["pages"].items():
        stored = PageSnapshot.from_json(golden["snapshots"][name])
        assert stored.format == 1, name
        assert stored.to_json() == golden["snapshots"][name], name  # written back byte for byte
        # The page reads the same today: everything but the term filter is what format 2 makes.
        now = snapshot_of("https://www.example.org.uk/a", page_text(markup), cert_subject="CN=www.example.org.uk")
        assert now.format == 2 and replace(now, terms=stored.terms, format=1) == stored, name


def test_a_snapshot_stored_in_format_2_is_reproduced_exactly() -> None:
    golden = json.loads(GOLDEN_V2.read_text(encoding="utf-8"))
    assert set(json.loads(GOLDEN.read_text(encoding="utf-8"))["pages"]) < set(golden["pages"])
    for name, markup in golden["pages"].items():
        now = snapshot_of(golden["url"], page_text(markup), cert_subject=golden["cert_subject"])
        assert now.to_json() == golden["snapshots"][name], name
        assert PageSnapshot.from_json(golden["snapshots"][name]) == now


def test_the_golden_pages_exercise_what_they_guard() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))["snapshots"]
    assert golden["provider"]["merger"] and golden["casino"]["harmful"]["category"] == "gambling"


def test_phone_regex_matches_as_before() -> None:
    pieces = ["+44", "(0)", "0114", " 496 ", "0123", "-", ".", "a0", "_0", "07700 900123", "(01632) 960123", "é0"]
    for text in _strings("0123456789 +-.()ax", pieces, 3000, 1):
        new = [m.group(0) for m in contact_values._PHONE_IN_TEXT.finditer(text)]
        assert new == [m.group(0) for m in OLD_PHONE.finditer(text)], text


def test_attribute_regex_matches_as_before() -> None:
    pieces = ["alt=", "title=", "content=", "aria-label=", "data-alt=", "xalt=", "'", '"', "photo", "<", " ", "=", "subtitle="]
    for text in _strings("ab ='\"<>-", pieces, 3000, 2):
        new = [(m.start(1), m.group(1)) for m in fingerprint._ATTRIBUTE_TEXT.finditer(text)]
        assert new == [(m.start(1), m.group(1)) for m in OLD_ATTRIBUTE_TEXT.finditer(text)], text


def test_merger_search_finds_the_same_first_match() -> None:
    pieces = ["has merged with", "have now joined forces with", "is now part of", "a member of the", "changed our name",
              "our new name", "now known as", "formerly known as ", "was renamed", "has rebranded", "service has moved to",
              "we've moved to a new website", "name", "part", "moved", " the ", "has ", "is "]
    for text in _strings("abc .,", pieces, 3000, 3):
        old, new = fingerprint._MERGER.search(text), fingerprint.merger_match(text)
        assert (old and old.span()) == (new and new.span()), text


@pytest.mark.parametrize("in_markup", [False, True])
def test_needle_pass_finds_exactly_the_needles_present(in_markup: bool) -> None:
    needles = [n for m in MARKERS if m.in_markup == in_markup for n in m.needles]
    needle_set = NeedleSet.of(needles)
    for text in _strings("abcdefghijklmnopqrstuvwxyz0123456789 '%.-&", needles + ["children's", "slot88", "gam"], 1500, 5):
        text = text.lower()
        expected = {n for n in set(needles) if n in text}
        assert needle_set.found_on(text) == expected, text
        # with the fingerprint's words (apostrophes dropped, "&" split) as the word list
        assert needle_set.found_on(text, set(words_of(text))) == expected, text


def test_postcodes_are_found_as_before() -> None:
    pieces = ["s11 8ab", "sw1a 1aa", "s118ab", "m1  1ae", "ec1a\n1bb", "b33 8th", "x", "_s1", "9zz", "1ab", " ", "a", "é"]
    for text in _strings("ab01 9z", pieces, 4000, 6):
        # Format 2 keeps contact_values' key, in capitals (format 1 kept "s118ab").
        expected = {f"{m.group(1)}{m.group(2)}".upper() for m in OLD_POSTCODE.finditer(text)}
        assert contact_values.postcode_keys_in(text) == expected, text
