"""Assertion (negated, uncertain, historical, hypothetical, family) with the cues that say so.

The case table is data (tests/data/assertion_cases.jsonl): one line per case, the entity given
as its text and occurrence (0-based, counting whole-word matches only, so "MI" is not found in
"FAMILY"), its label, the expected true flags, for the arguable ones why, and where they
matter the other entities of the note ("others", given the same way).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from medner_cli.assertion import CATEGORIES, Assertion, LexiconError, score_assertion
from medner_cli.assertion.rules import DEFAULT_PATH, compile_lexicon
from medner_cli.doc import Doc, Entity

CASES_PATH = Path(__file__).parent / "data" / "assertion_cases.jsonl"
CASES = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines()
         if line.strip()]
KEYS = ["negated", "uncertain", "historical", "hypothetical", "family", "cues"]


@pytest.fixture(scope="module")
def step() -> Assertion:
    return Assertion()


def _find(text: str, needle: str, occurrence: int = 0) -> int:
    """The start of the ``occurrence``-th (0-based) whole-word ``needle`` in ``text``."""
    pattern = (r"(?<!\w)" if needle[0].isalnum() else "") + re.escape(needle) \
        + (r"(?!\w)" if needle[-1].isalnum() else "")
    found = [m.start() for m in re.finditer(pattern, text)]
    assert len(found) > occurrence, f"{needle!r} (occurrence {occurrence}) is not in {text!r}"
    return found[occurrence]


def _entity(doc: Doc, needle: str, label: str, occurrence: int = 0) -> Entity:
    start = _find(doc.text, needle, occurrence)
    return doc.span(start, start + len(needle), label)


def _check_shape(doc: Doc, ent: Entity) -> None:
    a = ent.assertion
    assert isinstance(a, dict) and list(a) == KEYS
    assert all(isinstance(a[c], bool) for c in CATEGORIES)
    for cue in a["cues"]:
        assert set(cue) == {"start", "end", "text", "category"}
        assert 0 <= cue["start"] < cue["end"] <= len(doc.text)
        assert doc.text[cue["start"]:cue["end"]] == cue["text"]
        assert a[cue["category"]] is True, f"a cue for a false flag: {cue}"
    assert {c["category"] for c in a["cues"]} == {c for c in CATEGORIES if a[c]}, \
        "every true flag has a cue, and only those"


def _case_id(case: dict) -> str:
    return f"{case['entity'][:18]}|{case['text'][:40]}".replace("\n", "/")


def test_the_table_is_large_and_covers_every_category():
    assert len(CASES) >= 200
    for c in CATEGORIES:
        assert sum(c in case["flags"] for case in CASES) >= 20, c
    assert sum(not case["flags"] for case in CASES) >= 40
    assert all(set(case["flags"]) <= set(CATEGORIES) for case in CASES)
    assert all(case["label"] in ("Chemical", "Disease") for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_case(step, case):
    doc = Doc("case", case["text"])
    ent = _entity(doc, case["entity"], case["label"], case.get("occurrence", 0))
    others = [_entity(doc, o["entity"], o["label"], o.get("occurrence", 0))
              for o in case.get("others", [])]  # other entities of the note, when they matter
    found = sorted([ent, *others], key=lambda e: e.start)
    out = step(doc, list(found))
    assert out == found
    _check_shape(doc, ent)
    got = sorted(c for c in CATEGORIES if ent.assertion[c])
    assert got == sorted(case["flags"]), \
        f"{case['text']!r} / {case['entity']!r}: got {got}, want {case['flags']}" \
        + (f" ({case['why']})" if "why" in case else "") + f"; cues {ent.assertion['cues']}"


def test_cues_point_at_the_trigger(step):
    doc = Doc("d", "Patient denies fever.\nFAMILY HISTORY:\nDiabetes.")
    fever, dm = _entity(doc, "fever", "Disease"), _entity(doc, "Diabetes", "Disease")
    step(doc, [fever, dm])
    assert fever.assertion["cues"] == [{"start": 8, "end": 14, "text": "denies",
                                        "category": "negated"}]
    assert dm.assertion["cues"] == [{"start": 22, "end": 36, "text": "FAMILY HISTORY",
                                     "category": "family"}]


def test_the_closer_trigger_is_the_cue(step):
    doc = Doc("d", "No fever, no chills.")
    chills = _entity(doc, "chills", "Disease")
    step(doc, [chills])
    assert [c["start"] for c in chills.assertion["cues"]] == [10]


def test_two_categories_from_one_cue(step):
    doc = Doc("d", "No family history of colon cancer.")
    ent = _entity(doc, "colon cancer", "Disease")
    step(doc, [ent])
    assert sorted(c["category"] for c in ent.assertion["cues"]) == ["family", "negated"]
    assert {c["text"] for c in ent.assertion["cues"]} == {"No family history of"}


def test_crlf_text(step):
    text = ("FAMILY HISTORY:\r\nMother with diabetes.\r\n\r\nHPI:\r\nDenies fever,\r\n"
            "chills or rash.\r\nStopped metformin.\r\nCough: none\r\nWheezing")
    doc = Doc("d", text)
    ents = [_entity(doc, "diabetes", "Disease"), _entity(doc, "chills", "Disease"),
            _entity(doc, "metformin", "Chemical"), _entity(doc, "Cough", "Disease"),
            _entity(doc, "Wheezing", "Disease")]
    step(doc, ents)
    flags = [sorted(c for c in CATEGORIES if e.assertion[c]) for e in ents]
    assert flags == [["family"], ["negated"], ["historical"], ["negated"], []]
    for e in ents:
        _check_shape(doc, e)
    assert "\r" not in "".join(c["text"] for e in ents for c in e.assertion["cues"])


def test_non_ascii_text_keeps_offsets(step):
    # "İ" lowers to two characters; offsets must still be those of the original text
    text = "İlker Müller 🙂 — denies fièvre; no café-au-lait macules. Graves’ disease."
    doc = Doc("d", text)
    fievre = _entity(doc, "fièvre", "Disease")
    macules = _entity(doc, "café-au-lait macules", "Disease")
    graves = _entity(doc, "Graves’ disease", "Disease")
    step(doc, [fievre, macules, graves])
    assert fievre.assertion["negated"] and macules.assertion["negated"]
    assert not graves.assertion["negated"]
    assert fievre.assertion["cues"][0]["text"] == "denies"
    assert macules.assertion["cues"][0]["text"] == "no"
    for e in (fievre, macules, graves):
        _check_shape(doc, e)


def test_other_labels_untouched_and_nothing_lost(step):
    doc = Doc("d", "No aspirin 81 mg daily. Denies fever. Seen by Dr. Patel.")
    aspirin = _entity(doc, "aspirin", "Chemical")
    dose = _entity(doc, "81 mg daily", "Dosage")
    fever = _entity(doc, "fever", "Disease")
    other = _entity(doc, "Patel", "Person")
    found = [fever, dose, other, aspirin]  # not in text order: the order must be kept
    out = step(doc, list(found))
    assert out == found and all(a is b for a, b in zip(out, found))
    assert dose.assertion is None and other.assertion is None
    assert aspirin.assertion["negated"] and fever.assertion["negated"]


def test_no_targets_returns_the_same_list(step):
    doc = Doc("d", "No aspirin 81 mg daily.")
    dose = _entity(doc, "81 mg daily", "Dosage")
    found = [dose]
    assert step(doc, found) is found
    assert dose.assertion is None
    assert step(Doc("e", ""), []) == []


def test_an_old_assertion_is_overwritten(step):
    doc = Doc("d", "Possible pneumonia.")
    ent = _entity(doc, "pneumonia", "Disease")
    ent.assertion = {"negated": True, "cues": []}
    step(doc, [ent])
    assert ent.assertion["negated"] is False and ent.assertion["uncertain"] is True


def test_entities_in_one_sentence_do_not_block_each_other(step):
    doc = Doc("d", "Denies chest pain, shortness of breath, nausea or syncope.")
    names = ["chest pain", "shortness of breath", "nausea", "syncope"]
    ents = [_entity(doc, n, "Disease") for n in names]
    step(doc, ents)
    assert all(e.assertion["negated"] for e in ents)


def test_a_trigger_inside_an_entity_is_part_of_its_name(step):
    doc = Doc("d", "No-reflow phenomenon after PCI.")
    ent = _entity(doc, "No-reflow phenomenon", "Disease")
    step(doc, [ent])
    assert not ent.assertion["negated"]


def test_layout_is_computed_once_per_document(step, monkeypatch):
    calls = []
    real = step.layout
    monkeypatch.setattr(step, "layout", lambda text: calls.append(text) or real(text))
    doc = Doc("d", "No fever.\nPossible pneumonia.")
    step(doc, [_entity(doc, "fever", "Disease")])
    step(doc, [_entity(doc, "pneumonia", "Disease")])
    assert len(calls) == 1
    assert any(k.startswith("assertion.") for k in doc.memo)


def test_json_shape(step):
    doc = Doc("d", "Mother had breast cancer.")
    ent = _entity(doc, "breast cancer", "Disease")
    step(doc, [ent])
    assert ent.to_json()["assertion"] == {
        "negated": False, "uncertain": False, "historical": False, "hypothetical": False,
        "family": True, "cues": [{"start": 0, "end": 6, "text": "Mother", "category": "family"}]}


def test_a_user_triggers_file(tmp_path):
    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["rules"].append({"literal": "sin evidencia de", "category": "negated"})
    path = tmp_path / "triggers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    mine = Assertion(path)
    doc = Doc("d", "Sin evidencia de neumonía.")
    ent = _entity(doc, "neumonía", "Disease")
    mine(doc, [ent])
    assert ent.assertion["negated"]
    doc2 = Doc("d", "Sin evidencia de neumonía.")
    ent2 = _entity(doc2, "neumonía", "Disease")
    Assertion()(doc2, [ent2])
    assert not ent2.assertion["negated"]


@pytest.mark.parametrize("bad, message", [
    ({"rules": [{"literal": "no", "category": "negative"}]}, "category"),
    ({"rules": [{"literal": "no", "category": "negated", "directon": "forward"}]}, "unknown keys"),
    ({"rules": [{"literal": "no", "category": "negated", "direction": "sideways"}]}, "direction"),
    ({"rules": [{"literal": "no", "category": "negated", "max_scope": 0}]}, "max_scope"),
    ({"rules": [{"regex": "No\\b", "category": "negated"}]}, "lower case"),
    ({"rules": [{"regex": "(", "category": "negated"}]}, "compile"),
    ({"rules": [{"regex": "x*", "category": "negated"}]}, "empty"),
    ({"rules": [{"literal": "no", "category": "negated"}, {"literal": "no", "kind": "pseudo"}]},
     "already"),
    ({"rules": [{"literal": "{who}", "category": "family"}]}, "variable"),
    ({"rules": [{"literal": "x", "kind": "termination", "direction": "forward"}]}, "triggers"),
    ({"sections": [{"category": "historical", "one_sentence": 1, "headings": ["pmh"]}]},
     "one_sentence must be true or false"),
    ({"rules": [{"literal": "x", "kind": "termination", "preceded_by": "y"}]},
     "a termination takes not_preceded_by"),
])
def test_a_bad_triggers_file_is_refused(bad, message):
    with pytest.raises(LexiconError, match=message):
        compile_lexicon(bad)


def _e(start: int, end: int, **flags: bool) -> Entity:
    return Entity(start, end, "Disease", "x", assertion=dict(flags) if flags else None)


def test_score_assertion_arithmetic():
    gold_1 = [_e(0, 5, negated=True), _e(10, 15, negated=True, historical=True),
              _e(20, 25), _e(30, 35, negated=True), _e(40, 45, family=False)]
    pred_1 = [_e(0, 5, negated=True), _e(10, 15, historical=True), _e(20, 26, negated=True),
              _e(40, 45, negated=True)]
    # gold (30, 35) and (20, 25) have no prediction on their span; (20, 25) carries no
    # assertion gold and is skipped
    gold_2 = [_e(0, 3, uncertain=True), _e(5, 9, negated=False)]
    pred_2 = [_e(0, 3, uncertain=True, negated=True), Entity(5, 9, "Disease", "x")]
    out = score_assertion([(gold_1, pred_1), (gold_2, pred_2)])
    assert out["matched"] == 5 and out["unmatched_gold"] == 1
    # negated over matched spans: tp (0,5); fn (10,15); fp (40,45) and doc 2 (0,3)
    assert out["negated"] == {"tp": 1, "fp": 2, "fn": 1, "precision": 0.3333, "recall": 0.5,
                              "f1": 0.4, "support": 2}
    assert out["historical"] == {"tp": 1, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0,
                                 "f1": 1.0, "support": 1}
    assert out["uncertain"]["tp"] == 1 and out["uncertain"]["f1"] == 1.0
    assert out["family"] == {"tp": 0, "fp": 0, "fn": 0, "precision": 0.0, "recall": 0.0,
                             "f1": 0.0, "support": 0}


def test_score_prefers_the_prediction_with_the_gold_label():
    gold = [Entity(0, 4, "Chemical", "x", assertion={"negated": True})]
    pred = [Entity(0, 4, "Disease", "x", assertion={"negated": False}),
            Entity(0, 4, "Chemical", "x", assertion={"negated": True})]
    assert score_assertion([(gold, pred)])["negated"]["tp"] == 1
