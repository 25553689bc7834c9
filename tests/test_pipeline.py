"""The pipeline run over many documents at once gives what it gives one document at a time."""

from __future__ import annotations

from medner_cli.doc import Doc
from medner_cli.pipeline import ORDER, build
from medner_cli.timing import Stats

TEXTS = [
    "Patient: Rosalind Achterberg  MRN: ED-55102\nHPI: 67M with chest pain, on Lasix 40 mg daily.",
    "ROS: denies fever, chills or night sweats. Pleasant, obese man in no distress.",
    "History of type 2 diabetes mellitus; metformin 500 mg BID. No family history of cancer.",
    "Famotidine-associated delirium. Famotidine is a histamine H2-receptor antagonist.",
    "",
]


def _model_entities(doc: Doc) -> list:
    """A model span on the first word of each line, so the span steps have work to do."""
    out, pos = [], 0
    for line in doc.text.split("\n"):
        word = line.split(" ", 1)[0].rstrip(":,.")
        if len(word) > 2:
            out.append(doc.span(pos, pos + len(word), "Disease", score=0.9, source="model"))
        pos += len(line) + 1
    return out


def test_run_all_equals_one_document_at_a_time():
    pipeline = build()
    one = []
    for text in TEXTS:
        doc = Doc("", text)
        one.append(pipeline(doc, _model_entities(doc)))
    docs = [Doc("", t) for t in TEXTS]
    stats, own = Stats(), [0.0] * len(docs)
    many = pipeline.run_all(docs, [_model_entities(d) for d in docs], stats, own)
    assert [[e.to_json() for e in f] for f in many] == [[e.to_json() for e in f] for f in one]
    assert any(f for f in many)
    assert set(ORDER) <= set(stats.stages) and all(t > 0 for t in own)
