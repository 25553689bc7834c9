"""Note layout: entities cut at list items, section headings dropped."""

from __future__ import annotations

import re

import pytest

from medner_cli.doc import Doc
from medner_cli.rules.layout import drop_headings, split_list_items


def model(doc: Doc, phrase: str, label: str = "Chemical"):
    start = doc.text.index(phrase)
    return doc.span(start, start + len(phrase), label, score=0.9, source="model")


@pytest.mark.parametrize("text,phrase,kept", [
    ("- Fluconazole 150 mg PO once q72h\n- Clotrimazole cream", "q72h\n- Clotrimazole",
     ["Clotrimazole"]),
    ("Premeds: dexamethasone 20 mg IV x1\r\n- Diphenhydramine 50 mg", "x1\r\n- Diphenhydramine",
     ["Diphenhydramine"]),
    ("days 2-3\n  * Olanzapine 5 mg", "2-3\n  * Olanzapine", ["Olanzapine"]),
    ("1. Hypertension\n2. Type 2 diabetes", "Hypertension\n2. Type 2 diabetes",
     ["Hypertension", "Type 2 diabetes"]),
])
def test_cut_at_list_items(text, phrase, kept):
    doc = Doc("d", text)
    out = split_list_items(doc, [model(doc, phrase)])
    assert [e.text for e in out] == kept
    for e in out:
        assert text[e.start:e.end] == e.text and e.label == "Chemical" and e.score == 0.9


def test_wrapped_prose_and_other_entities_are_left_alone():
    doc = Doc("d", "history of congestive heart\nfailure and MLC\n0800 given")
    wrapped = model(doc, "congestive heart\nfailure", "Disease")
    table = model(doc, "MLC\n0800")
    rule = doc.span(0, 7, "Dosage", score=1.0, source="rule")
    assert split_list_items(doc, [rule, wrapped, table]) == [rule, wrapped, table]


def test_a_piece_without_a_word_or_only_dose_words_is_dropped():
    doc = Doc("d", "q8h\n- 25\n- Heparin")
    out = split_list_items(doc, [model(doc, "q8h\n- 25\n- Heparin")])
    assert [e.text for e in out] == ["Heparin"]


def test_a_section_name_heading_a_line_is_dropped():
    text = ("ALLERGIES: penicillin (hives)\r\n# Allergies : none\nAlcohol: 3-4 beers\n"
            "Hypertension: continue lisinopril\nNo known drug allergies: see chart\n"
            "Allergies reviewed.")
    doc = Doc("d", text)
    ents = [doc.span(m.start(), m.end(), "Disease", score=0.9, source="model")
            for m in re.finditer(r"ALLERGIES|Allergies|Hypertension|drug allergies", text)]
    ents.insert(2, model(doc, "Alcohol"))
    kept = drop_headings(doc, sorted(ents, key=lambda e: e.start))
    assert [e.text for e in kept] == ["Alcohol", "Hypertension", "drug allergies", "Allergies"]
    assert kept[-1].start == text.rindex("Allergies")  # not a heading: no colon after it


def test_a_review_of_systems_key_heading_a_line_is_dropped():
    text = "NEUROLOGIC: No headache.\nPSYCHIATRIC: No depression.\nPsychiatric history: depression"
    doc = Doc("d", text)
    ents = [doc.span(m.start(), m.end(), "Disease", score=0.9, source="model")
            for m in re.finditer(r"NEUROLOGIC|PSYCHIATRIC|headache|depression|Psychiatric", text)]
    kept = drop_headings(doc, ents)
    assert [e.text for e in kept] == ["headache", "depression", "Psychiatric", "depression"]
