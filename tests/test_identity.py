"""Identity fields of note headers: names and record numbers the model tags are dropped."""

from __future__ import annotations

import pytest

import medner_cli.annotator
from medner_cli.annotator import Annotator, Options
from medner_cli.doc import Doc
from medner_cli.rules.identity import drop_identities, field_values

HEADER = ("Patient: Rosalind Achterberg        Age: 58        MRN: ED-55102 (synthetic)\r\n"
          "Attending: Tomasz Brzezinski, MD\tResident: Aisha Kamara, MD\n"
          "Ordering physician: Eleni Papadakis, MD (Emergency Medicine)\n")


def values_of(text):
    return [text[s:e] for s, e in field_values(text)]


def test_values_end_at_the_next_field_tab_or_line_end():
    assert values_of(HEADER) == ["Rosalind Achterberg", "ED-55102 (synthetic)",
                                 "Tomasz Brzezinski, MD", "Aisha Kamara, MD",
                                 "Eleni Papadakis, MD (Emergency Medicine)"]


def test_keys_need_a_colon_and_a_word_boundary():
    assert values_of("The patient denies pain. Inpatient: yes\nDrug name: Warfarin\n") == []


def _model(doc, text, label="Chemical"):
    start = doc.text.index(text)
    return doc.span(start, start + len(text), label, score=0.99, source="model")


def test_names_and_numbers_in_fields_are_dropped_clinical_words_kept():
    text = HEADER + "Patient: 67M with sepsis\nMRN 5521 heparin 5000 units\n"
    doc = Doc("d", text)
    found = [_model(doc, "ED-55102"), _model(doc, "Tomasz Brzezinski"),
             _model(doc, "Eleni Papadakis", "Disease"), _model(doc, "sepsis", "Disease"),
             _model(doc, "heparin")]
    dosage = doc.span(text.index("5000"), text.index("5000") + 10, "Dosage", source="rule")
    kept = drop_identities(found + [dosage], field_values(text))
    assert [e.text for e in kept] == ["sepsis", "heparin", "5000 units"]


@pytest.fixture
def header_decoder(monkeypatch):
    """A decoder that tags the first occurrence of a few names, as the model did on notes."""
    names = {"Brzezinski": "Chemical", "aspirin": "Chemical"}

    def decode(doc, *args):
        return sorted((_model(doc, name, label) for name, label in names.items()
                       if name in doc.text), key=lambda e: e.start)

    monkeypatch.setattr(medner_cli.annotator, "decode_entities", decode)


def test_propagation_neither_spreads_nor_restores_header_names(header_decoder, tiny_model):
    note = ("Attending: Brzezinski\nGave aspirin. Brzezinski saw her; aspirin again.\n"
            "Signed: Brzezinski\n")
    annotator = Annotator(Options(tiny_model, dosage=False, propagate=True))
    found = annotator.entities([note])[0]
    assert [(e.text, note[e.start:e.end]) for e in found] == [("aspirin", "aspirin")] * 2
    shifted = "Gave aspirin. Brzezinski saw her.\nSigned: Brzezinski\n"
    found = annotator.entities([shifted])[0]  # a body mention is tagged, the signature is not
    assert [(e.start, e.text) for e in found] == [(5, "aspirin"), (14, "Brzezinski")]
