"""Identity fields of note headers: names and record numbers the model tags are dropped."""

from __future__ import annotations

from medner_cli.doc import Doc
from medner_cli.pipeline import build
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
    kept = drop_identities(doc, found + [dosage])
    assert [e.text for e in kept] == ["sepsis", "heparin", "5000 units"]


def _decoded(doc):
    """What the model tagged on notes: the first occurrence of a few names."""
    names = {"Brzezinski": "Chemical", "aspirin": "Chemical"}
    return sorted((_model(doc, name, label) for name, label in names.items()
                   if name in doc.text), key=lambda e: e.start)


def test_propagation_neither_spreads_nor_restores_header_names():
    pipeline = build(skip={"dosage"})
    note = ("Attending: Brzezinski\nGave aspirin. Brzezinski saw her; aspirin again.\n"
            "Signed: Brzezinski\n")
    doc = Doc("n", note)
    found = pipeline(doc, _decoded(doc))
    assert [(e.text, note[e.start:e.end]) for e in found] == [("aspirin", "aspirin")] * 2
    shifted = Doc("s", "Gave aspirin. Brzezinski saw her.\nSigned: Brzezinski\n")
    found = pipeline(shifted, _decoded(shifted))  # a body mention is tagged, the signature not
    assert [(e.start, e.text) for e in found] == [(5, "aspirin"), (14, "Brzezinski")]


def test_without_the_identity_step_header_names_stay():
    doc = Doc("n", "Attending: Brzezinski\nGave aspirin.\n")
    found = build(skip={"dosage", "identities"})(doc, _decoded(doc))
    assert [e.text for e in found] == ["Brzezinski", "aspirin"]


def test_values_are_what_a_scan_with_the_field_pattern_finds():
    """field_values tries the pattern only before separators; it must find what a scan from
    every character finds, on the hard cases: keys across spaces and tabs, a key inside another
    field's value, a key glued to a word, non-ASCII letters, '#' and CRLF."""
    from medner_cli.rules.identity import _FIELD

    cases = [HEADER, "Electronically  Signed\tby: Dr. X  Nurse: Y", "Attending: A Resident: B",
             "co-patient: x\nxpatient: y\n(MRN: 1)", "PCP#12 ſigned by: Q", "Patient:\r\nMRN:",
             "signed by signed by: Z", "Primary  care physician: Dr Who\tDate of birth: 1/1/50",
             "é patient name : Ana Lía\tDOB: 1/2/3", ": # :: ##"]
    for text in cases:
        scan = [m.span("value") for m in _FIELD.finditer(text) if m.end("value") > m.start("value")]
        assert field_values(text) == scan, text
