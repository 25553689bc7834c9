"""The gold files the README's figures come from are well formed: exact offsets, no overlaps."""

from __future__ import annotations

from pathlib import Path

import pytest

from medner_cli.doc import Doc
from medner_cli.read import read_inputs

DATA = Path(__file__).parent / "data"
# every gold file (assertion_cases.jsonl is the table of test_assertion.py, in its own layout)
FILES = sorted(p.name for p in DATA.glob("*.jsonl") if p.name != "assertion_cases.jsonl")


@pytest.mark.parametrize("name", FILES)
def test_gold_offsets_and_overlaps(name):
    docs = list(read_inputs([str(DATA / name)], "jsonl", with_gold=True))
    assert docs and all(isinstance(d, Doc) for d in docs), [d for d in docs if not isinstance(d, Doc)]
    for doc in docs:
        raw = doc.fields["entities"]
        assert all(doc.text[e["start"]:e["end"]] == e.get("text", doc.text[e["start"]:e["end"]])
                   for e in raw)
        spans = sorted((e.start, e.end) for e in doc.entities)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), doc.id


def test_sample_note_gold_is_the_sample_notes():
    notes = Path(__file__).parent.parent / "sample_notes"
    for doc in read_inputs([str(DATA / "sample_notes_gold.jsonl")], "jsonl", with_gold=True):
        assert (notes / f"{doc.id}.txt").read_bytes().decode("utf-8") == doc.text
