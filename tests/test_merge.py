"""Merging model entities with rule Dosage spans: overlap with Chemical, the drug, offsets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from medner_cli.doc import Doc, Entity
from medner_cli.rules.dosage import DosageSpan, add_dosages, find_dosages, merge, only_dose_words


def ent(doc: Doc, phrase: str, label: str = "Chemical", nth: int = 0) -> Entity:
    """The model entity over the ``nth`` occurrence of ``phrase``."""
    start = -1
    for _ in range(nth + 1):
        start = doc.text.index(phrase, start + 1)
    return doc.span(start, start + len(phrase), label, score=0.9)


def dosages_of(entities: list[Entity]) -> list[Entity]:
    return [e for e in entities if e.label == "Dosage"]


def run(text: str, *chemicals: str, extra: list[Entity] | None = None) -> list[Entity]:
    doc = Doc("d", text)
    model = [ent(doc, c) for c in chemicals] + (extra or [])
    return merge(doc, model, find_dosages(text))


def test_dosage_entity_fields_and_drug() -> None:
    out = run("Lasix 40 mg PO daily.", "Lasix")
    (dose,) = dosages_of(out)
    assert (dose.text, dose.label, dose.source) == ("40 mg PO daily", "Dosage", "rule")
    assert dose.score == 1.0
    assert dose.attrs == {"amount": 40.0, "unit": "mg", "route": "PO", "frequency": "daily",
                          "per_day": 1.0, "drug": "Lasix"}


def test_drug_is_the_nearest_chemical_before() -> None:
    out = run("Aspirin and clopidogrel 75 mg daily", "Aspirin", "clopidogrel")
    assert dosages_of(out)[0].attrs["drug"] == "clopidogrel"


def test_drug_only_from_the_same_sentence() -> None:
    out = run("Patient takes Lasix. 40 mg daily was continued.\nAspirin\n81 mg", "Lasix", "Aspirin")
    assert [d.text for d in dosages_of(out)] == ["40 mg daily", "81 mg"]
    assert all("drug" not in d.attrs for d in dosages_of(out))


def test_a_dose_written_before_its_drug_names_it() -> None:
    out = run("Give 2 g of cefazolin", "cefazolin")
    (dose,) = dosages_of(out)
    assert dose.text == "2 g" and dose.attrs["drug"] == "cefazolin"
    out = run("Local: 0.25% bupivacaine with epinephrine. Injected 4 cc of triamcinolone and "
              "2 mL of lidocaine.", "bupivacaine", "epinephrine", "triamcinolone", "lidocaine")
    assert [(d.text, d.attrs["drug"]) for d in dosages_of(out)] == [
        ("0.25%", "bupivacaine"), ("4 cc", "triamcinolone"), ("2 mL", "lidocaine")]


def test_a_drug_right_before_a_dose_keeps_it_and_a_share_names_no_drug() -> None:
    out = run("aspirin 81 mg metoprolol 25 mg", "aspirin", "metoprolol")
    assert [(d.text, d.attrs["drug"]) for d in dosages_of(out)] == [
        ("81 mg", "aspirin"), ("25 mg", "metoprolol")]
    out = run("Aspirin 81 mg daily; 30% of warfarin users bled.", "Aspirin", "warfarin")
    assert [d.text for d in dosages_of(out)] == ["81 mg daily", "30%"]
    assert dosages_of(out)[1].attrs.get("drug") != "warfarin"


def test_no_chemical_no_drug_key() -> None:
    (dose,) = dosages_of(run("Take 1 tablet twice a day"))
    assert dose.attrs == {"amount": 1.0, "unit": "tablet", "frequency": "BID", "per_day": 2.0}


def test_dosage_overlapping_a_chemical_is_trimmed() -> None:
    text = "Apply hydrocortisone 2.5% cream BID"
    doc = Doc("d", text)
    chem = ent(doc, "hydrocortisone 2.5% cream")
    out = merge(doc, [chem], find_dosages(text))
    (dose,) = dosages_of(out)
    assert dose.text == "BID"
    assert dose.attrs == {"frequency": "BID", "per_day": 2.0, "drug": "hydrocortisone 2.5% cream"}


def test_trimmed_keeps_the_longest_part_that_holds_a_dose() -> None:
    text = "Give 10 mL of 1% lidocaine"
    doc = Doc("d", text)
    assert [text[d.start:d.end] for d in find_dosages(text)] == ["10 mL of 1%"]
    out = merge(doc, [ent(doc, "1% lidocaine")], find_dosages(text))
    (dose,) = dosages_of(out)
    assert dose.text == "10 mL"
    assert dose.attrs == {"amount": 10.0, "unit": "mL", "drug": "1% lidocaine"}


def test_dosage_inside_a_chemical_is_dropped() -> None:
    text = "Started on Tylenol 500 mg tablets"
    doc = Doc("d", text)
    out = merge(doc, [ent(doc, "Tylenol 500 mg tablets")], find_dosages(text))
    assert dosages_of(out) == []


def test_remainder_without_a_number_or_frequency_is_dropped() -> None:
    text = "Lasix 40 mg PO"
    doc = Doc("d", text)
    dosages = [DosageSpan(6, 14, {"amount": 40.0})]  # a span reaching over the route
    out = merge(doc, [ent(doc, "Lasix 40 mg")], dosages)
    assert dosages_of(out) == []


def test_model_dosage_is_dropped_other_labels_kept() -> None:
    text = "Metformin 500 mg BID for diabetes"
    doc = Doc("d", text)
    model = [ent(doc, "Metformin"), ent(doc, "500 mg", "Dosage"), ent(doc, "diabetes", "Disease")]
    out = merge(doc, model, find_dosages(text))
    assert [(e.label, e.text, e.source) for e in out] == [
        ("Chemical", "Metformin", "model"), ("Dosage", "500 mg BID", "rule"),
        ("Disease", "diabetes", "model")]


def test_sorted_and_offsets_match_text() -> None:
    text = ("Discharge meds:\r\n1. Aspirin 81 mg daily\r\n2. Lisinopril 10 mg PO daily for HTN\r\n"
            "Hgb 9.8 g/dL; ferrous sulfate 325 mg PO TID. Héparine 5000 units SC q8h.")
    doc = Doc("d", text)
    model = [ent(doc, "Aspirin"), ent(doc, "Lisinopril"), ent(doc, "HTN", "Disease"),
             ent(doc, "ferrous sulfate"), ent(doc, "Héparine")]
    out = merge(doc, model, find_dosages(text))
    assert [e.start for e in out] == sorted(e.start for e in out)
    for e in out:
        assert text[e.start:e.end] == e.text
    assert [(d.text, d.attrs["drug"]) for d in dosages_of(out)] == [
        ("81 mg daily", "Aspirin"), ("10 mg PO daily", "Lisinopril"),
        ("325 mg PO TID", "ferrous sulfate"), ("5000 units SC q8h", "Héparine")]


def test_rule_attrs_are_not_mutated() -> None:
    text = "Lasix 40 mg daily"
    doc = Doc("d", text)
    dosages = find_dosages(text)
    merge(doc, [ent(doc, "Lasix")], dosages)
    assert "drug" not in dosages[0].attrs


def test_no_dosages_returns_model_entities() -> None:
    text = "Aspirin for pain"
    doc = Doc("d", text)
    model = [ent(doc, "pain", "Disease"), ent(doc, "Aspirin")]
    assert [e.text for e in merge(doc, model, [])] == ["Aspirin", "pain"]


def test_chemical_inside_a_dosage_keeps_the_longer_side() -> None:
    text = "Prednisone 40 mg PO BID x 5 days"
    doc = Doc("d", text)
    assert [text[d.start:d.end] for d in find_dosages(text)] == ["40 mg PO BID x 5 days"]
    out = merge(doc, [ent(doc, "Prednisone"), ent(doc, "BID x")], find_dosages(text))
    (dose,) = dosages_of(out)
    assert dose.text == "40 mg"  # "40 mg PO" is longer than "5 days"; the route stays an attr
    assert dose.attrs == {"amount": 40.0, "unit": "mg", "route": "PO", "drug": "Prednisone"}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 120), st.integers(1, 15)), max_size=6))
def test_dosages_never_overlap_chemicals(cuts: list[tuple[int, int]]) -> None:
    text = ("Lasix 40 mg PO b.i.d. x 5 days; Tylenol 1-2 tabs q4-6h prn.\n"
            "Heparin 5000 units SC q8h, then 10 mL of 1% lidocaine at bedtime")
    doc = Doc("d", text)
    chemicals = [doc.span(s, min(len(text), s + n), "Chemical") for s, n in cuts if s < len(text)]
    out = merge(doc, chemicals, find_dosages(text))
    assert [e.start for e in out] == sorted(e.start for e in out)
    kept = [e for e in out if e.label == "Chemical"]
    doses = find_dosages(text)
    # a Chemical may give a number back; it vanishes only when it is dose words inside a dose
    stay = [c for c in chemicals if not (only_dose_words(text, c.start, c.end) and any(
        d.start <= c.start and c.end <= d.end for d in doses))]
    assert len(kept) == len(stay)
    assert all(k.start == c.start and k.end <= c.end for k, c in
               zip(kept, sorted(stay, key=lambda c: (c.start, c.end))))
    for e in dosages_of(out):
        assert text[e.start:e.end] == e.text and e.text.strip() == e.text
        assert not any(c.start < e.end and e.start < c.end for c in kept)


def test_dosage_never_overlaps_a_disease_either() -> None:
    text = "Aspirin 81 mg daily headache"
    doc = Doc("d", text)
    disease = doc.span(14, 28, "Disease", score=0.6)  # a model span that swallowed "daily"
    out = merge(doc, [ent(doc, "Aspirin"), disease], find_dosages(text))
    (dose,) = dosages_of(out)
    assert dose.text == "81 mg" and dose.end <= disease.start
    assert disease in out


def test_a_number_swept_into_a_chemical_goes_back_to_the_dose() -> None:
    text = "Metformin 500 mg bid for diabetes"
    doc = Doc("d", text)
    chem = doc.span(0, 13, "Chemical", score=0.9)  # the model took "Metformin 500"
    out = merge(doc, [chem], find_dosages(text))
    assert [(e.text, e.label) for e in out] == [("Metformin", "Chemical"), ("500 mg bid", "Dosage")]
    assert out[1].attrs["drug"] == "Metformin"


def test_a_model_entity_that_is_only_a_schedule_gives_way_to_the_dose() -> None:
    text = "Acetaminophen 1,000 mg PO q8h x 3 days. Ondansetron 4 mg PO q6h PRN."
    doc = Doc("d", text)
    model = [ent(doc, "Acetaminophen"), ent(doc, "q8h"), ent(doc, "Ondansetron"),
             ent(doc, "PO q6h", "Disease")]
    out = merge(doc, model, find_dosages(text))
    assert [(e.text, e.label) for e in out] == [
        ("Acetaminophen", "Chemical"), ("1,000 mg PO q8h x 3 days", "Dosage"),
        ("Ondansetron", "Chemical"), ("4 mg PO q6h PRN", "Dosage")]
    assert out[1].attrs["frequency"] == "q8h" and out[1].attrs["drug"] == "Acetaminophen"


def test_only_dose_words_inside_a_rule_dose_are_dropped() -> None:
    # a drug name inside the dose's reach stays the model's, and cuts the dose
    out = run("Give 2 g IV cefazolin q8h", "cefazolin")
    assert ("cefazolin", "Chemical") in [(e.text, e.label) for e in out]
    # no rule dose around "q.1h." (what the patient does), so the model entity stands
    doc = Doc("d", "Reports nocturia q.1h. overnight")
    odd = ent(doc, "q.1h.")
    assert find_dosages(doc.text) == [] and merge(doc, [odd], []) == [odd]


def test_add_dosages_is_merge_with_the_rule_dosages() -> None:
    doc = Doc("d", "Lasix 40 mg PO daily.")
    model = [ent(doc, "Lasix")]
    assert add_dosages(doc, model) == merge(doc, model, find_dosages(doc.text))
