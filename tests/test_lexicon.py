"""The drug lexicon: matching (whole words, longest first, salts, brand suffixes, offsets), the
merge with the model's entities, the shipped file and the build's collision guard."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medner_cli.doc import Doc, Entity
from medner_cli.lexicon import DrugLexicon, LexiconStep, find_file, lexicon_step
from medner_cli.lexicon.clipped import ClippedNames
from medner_cli.lexicon.match import HEADER, key_of
from medner_cli.rules.findings import note_layout, research_prose
from medner_cli.model import shipped_model_dir

MODEL = shipped_model_dir()

ROWS = [
    ("keflex", "Cephalexin", "", "DB00567"),
    ("cephalexin", "Cephalexin", "", "DB00567"),
    ("lasix", "Furosemide", "", "DB00695"),
    ("furosemide", "Furosemide", "D005665", "DB00695"),
    ("septra", "Trimethoprim/sulfamethoxazole", "", ""),
    ("toprol", "Metoprolol", "", "DB00264"),
    ("metoprolol", "Metoprolol", "", "DB00264"),
    ("lithium", "Lithium", "D008094", ""),
    ("lithium carbonate", "Lithium carbonate", "", "DB14509"),
    ("insulin", "Insulin", "", ""),
    ("insulin glargine", "Insulin Glargine", "", "DB00047"),
    ("insulin glargine-yfgn", "Insulin Glargine", "", "DB00047"),
    ("heparin", "Heparin", "", "DB01109"),
    ("sodium", "Sodium", "", ""),
    ("potassium chloride", "Potassium chloride", "", "DB00761"),
    ("aspirin", "Aspirin", "", "DB00945"),
    ("5-fu", "Fluorouracil", "", "DB00544"),
    ("acetaminofén", "Acetaminophen", "", "DB00316"),
    ("tylenol #3", "Acetaminophen/codeine", "", ""),
    ("glucose", "Glucose", "", "DB01914"),
]


def write_tsv(folder: Path, rows=ROWS, gz: bool = False) -> Path:
    body = HEADER + "\n" + "".join("\t".join(r) + "\n" for r in rows)
    path = folder / ("drugs.tsv.gz" if gz else "drugs.tsv")
    path.write_bytes(gzip.compress(body.encode()) if gz else body.encode())
    return path


@pytest.fixture()
def lex(tmp_path) -> DrugLexicon:
    write_tsv(tmp_path)
    return DrugLexicon.load(tmp_path)


def texts(lex: DrugLexicon, text: str) -> list[str]:
    hits = lex.find(text)
    assert all(text[h.start:h.end] for h in hits)
    return [text[h.start:h.end] for h in hits]


# --- loading ------------------------------------------------------------------------------------

def test_load_plain_and_gzip_once_per_folder(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_tsv(tmp_path / "a")
    write_tsv(tmp_path / "b", gz=True)
    a, b = DrugLexicon.load(tmp_path / "a"), DrugLexicon.load(tmp_path / "b")
    assert len(a) == len(b) == len(ROWS)
    assert DrugLexicon.load(tmp_path / "a") is a
    assert find_file(tmp_path / "b").name == "drugs.tsv.gz"
    assert b.get("LASIX") == ("Furosemide", ("DRUGBANK:DB00695",))
    assert b.get("furosemide") == ("Furosemide", ("MESH:D005665", "DRUGBANK:DB00695"))
    assert "Keflex" in b and "kef" not in b and b.get("nothing") is None


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        DrugLexicon.load(tmp_path)
    (tmp_path / "drugs.tsv").write_text("a\tb\nlasix\tFurosemide\n")
    with pytest.raises(ValueError, match="not a drug lexicon"):
        DrugLexicon.read(tmp_path / "drugs.tsv")


def test_key_of():
    assert key_of("lasix") == ("lasix", "")
    assert key_of("insulin glargine") == ("insulin", "")
    assert key_of("l-dopa") == ("dopa", "l-")
    assert key_of("5-fu") == ("fu", "5-")
    assert key_of("5-6") is None and key_of("b") is None


# --- matching -----------------------------------------------------------------------------------

def test_whole_words_any_case(lex):
    assert texts(lex, "KEFLEX 500 mg, then keflex; Keflex.") == ["KEFLEX", "keflex", "Keflex"]
    assert texts(lex, "prekeflex keflexin lasix2 _lasix") == ["lasix"]  # "_" is no letter
    assert texts(lex, "") == [] and texts(lex, "no drugs at all") == []


def test_longest_match_first(lex):
    assert texts(lex, "Insulin glargine 10 units, insulin lispro, insulin") == [
        "Insulin glargine", "insulin", "insulin"]
    assert texts(lex, "insulin glargine-yfgn 5 units") == ["insulin glargine-yfgn"]
    assert texts(lex, "Lithium carbonate 300 mg") == ["Lithium carbonate"]


def test_hits_carry_ids_and_name(lex):
    (hit,) = lex.find("Lasix 40 mg")
    assert (hit.start, hit.end, hit.variant, hit.name, hit.ids) == (
        0, 5, "lasix", "Furosemide", ("DRUGBANK:DB00695",))


def test_prefix_keys_and_punctuation_variants(lex):
    assert texts(lex, "started 5-FU and leucovorin; 15-fu no") == ["5-FU"]
    assert texts(lex, "Tylenol #3 1 tab q6h") == ["Tylenol #3"]


def test_salts(lex):
    assert texts(lex, "lithium citrate 5 mL") == ["lithium citrate"]
    assert texts(lex, "Sertraline HCl; lithium HCl 300 mg") == ["lithium HCl"]
    assert texts(lex, "metoprolol succinate 25 mg") == ["metoprolol succinate"]
    assert texts(lex, "lithium cit 5 mL; lithium citation") == ["lithium cit", "lithium"]  # clipped
    # a drug of its own after a drug is taken in as its salt ...
    assert texts(lex, "heparin sodium 5,000 units") == ["heparin sodium"]
    # ... but a cation before an anion is the next drug, and a line break ends a name
    assert texts(lex, "furosemide potassium chloride") == ["furosemide", "potassium chloride"]
    assert texts(lex, "lithium\ncarbonate") == ["lithium"]


def test_brand_suffixes(lex):
    assert texts(lex, "Septra DS 1 tab BID") == ["Septra DS"]
    assert texts(lex, "Toprol XL 50 mg and Toprol-XL") == ["Toprol XL", "Toprol-XL"]
    assert texts(lex, "metoprolol XL 50 mg") == ["metoprolol"]  # a generic takes none
    assert texts(lex, "Septra ds, Septra DSX, Septra\r\nDS") == ["Septra", "Septra", "Septra"]


def test_offsets_with_crlf_and_non_ascii(lex):
    text = ("İlaçlar:\r\n• Keflex 500 mg\r\n• acetaminofén 1 g\tLASIX\r\n"
            "– ACETAMINOFÉN – insulin\u00a0glargine µg Lasix")
    hits = lex.find(text)
    assert [text[h.start:h.end] for h in hits] == [
        "Keflex", "acetaminofén", "LASIX", "ACETAMINOFÉN", "insulin\u00a0glargine", "Lasix"]
    doc = Doc("d", text)
    for e in LexiconStep(lex)(doc, []):
        assert doc.text[e.start:e.end] == e.text


def test_non_ascii_letters_are_letters(lex):
    # "lasixé" is one word, so no Lasix; "x" stands for a non-ASCII letter only in the rendering
    assert texts(lex, "lasixé éheparin acetaminofxn") == []


# --- merging ------------------------------------------------------------------------------------

def model(doc: Doc, phrase: str, label: str = "Chemical", nth: int = 0, **kw) -> Entity:
    start = -1
    for _ in range(nth + 1):
        start = doc.text.index(phrase, start + 1)
    return doc.span(start, start + len(phrase), label, score=kw.pop("score", 0.9), **kw)


def spans(ents: list[Entity]) -> list[tuple[str, str, str]]:
    return [(e.text, e.label, e.source) for e in ents]


def test_lexicon_only_hits_are_added(lex):
    doc = Doc("d", "Keflex 500 mg for cellulitis")
    cellulitis = model(doc, "cellulitis", "Disease")
    out = LexiconStep(lex)(doc, [cellulitis])
    assert spans(out) == [("Keflex", "Chemical", "lexicon"), ("cellulitis", "Disease", "model")]
    keflex = out[0]
    assert (keflex.score, keflex.ids, keflex.name) == (1.0, ["DRUGBANK:DB00567"], "Cephalexin")
    assert keflex.to_json()["name"] == "Cephalexin"


def test_same_span_keeps_the_model_entity_and_links_it(lex):
    doc = Doc("d", "Lasix 40 mg daily")
    lasix = model(doc, "Lasix")
    (out,) = LexiconStep(lex)(doc, [lasix])
    assert out is lasix and out.source == "model" and out.score == 0.9
    assert (out.ids, out.name) == (["DRUGBANK:DB00695"], "Furosemide")
    doc2 = Doc("d", "Lasix 40 mg daily")
    linked = model(doc2, "Lasix", ids=["MESH:D000001"], name="X")
    (out,) = LexiconStep(lex)(doc2, [linked])
    assert (out.ids, out.name) == (["MESH:D000001"], "X")  # ids it has are kept


def test_lexicon_gives_the_better_boundary(lex):
    doc = Doc("d", "Keflex 500 mg PO q6h and Septra DS BID; lithium carbonate level")
    found = [model(doc, "Keflex 500 mg PO"), model(doc, "Septra"), model(doc, "lithium")]
    out = LexiconStep(lex)(doc, found)
    assert spans(out) == [("Keflex", "Chemical", "lexicon"), ("Septra DS", "Chemical", "lexicon"),
                          ("lithium carbonate", "Chemical", "lexicon")]


def test_model_wins_otherwise(lex):
    doc = Doc("d", "aspirin-induced asthma; Insulin glargine-like; glargine Lasix tablets of x")
    found = [model(doc, "aspirin-induced asthma", "Disease"),  # a Disease holding the drug
             model(doc, "glargine-like"),  # a partial overlap
             model(doc, "Lasix tablets of x")]  # more than strengths and forms beside it
    out = LexiconStep(lex)(doc, list(found))
    assert spans(out) == spans(found)


def test_disease_with_the_drugs_span(lex):
    doc = Doc("d", "Lasix was given")
    out = LexiconStep(lex)(doc, [model(doc, "Lasix", "Disease")])
    assert spans(out) == [("Lasix", "Chemical", "lexicon")]
    out = LexiconStep(lex, disease_exact=False)(doc, [model(doc, "Lasix", "Disease")])
    assert spans(out) == [("Lasix", "Disease", "model")]


def test_other_sources_and_labels_win(lex):
    doc = Doc("d", "Lasix 40 mg and Keflex")
    given_ = model(doc, "Lasix", source="given")
    dose = model(doc, "Keflex", "Dosage", source="rule")
    out = LexiconStep(lex)(doc, [dose, given_])
    assert spans(out) == [("Lasix", "Chemical", "given"), ("Keflex", "Dosage", "rule")]


def test_several_overlapped_entities_win(lex):
    doc = Doc("d", "insulin glargine 10 units")
    found = [model(doc, "insulin"), model(doc, "glargine")]
    assert spans(LexiconStep(lex)(doc, list(found))) == spans(found)


def test_lab_analytes_are_not_added(lex):
    doc = Doc("d", "Fingerstick glucose 148 mg/dL; check glucose qid")
    assert LexiconStep(lex)(doc, []) == []
    assert spans(LexiconStep(lex, analytes=frozenset())(doc, [])) == [
        ("glucose", "Chemical", "lexicon")] * 2
    # a model analyte still gets its boundary fixed
    out = LexiconStep(lex)(doc, [model(doc, "glucose 148")])
    assert spans(out) == [("glucose", "Chemical", "lexicon")]


def test_no_hits_returns_found_unchanged(lex):
    doc = Doc("d", "no drug here")
    found = [model(doc, "drug")]
    assert LexiconStep(lex)(doc, found) is found


WORDS = ["Keflex", "keflex", "500", "mg", "Septra", "DS", "lithium", "carbonate", "insulin",
         "glargine", "heparin", "sodium", "aspirin", "asthma", "5-FU", "acetaminofén", "İ", "x",
         "-", "/", ",", "(", ")"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=25),
       st.lists(st.sampled_from([" ", "  ", "\r\n", "\t", "\n"]), min_size=25, max_size=25),
       st.lists(st.tuples(st.integers(0, 24), st.integers(1, 3),
                          st.sampled_from(["Chemical", "Disease"])), max_size=4))
def test_outputs_are_exact_sorted_and_never_overlap(tmp_path_factory, words, seps, marks):
    folder = tmp_path_factory.getbasetemp() / "lexicon-prop"
    folder.mkdir(exist_ok=True)
    if not (folder / "drugs.tsv").exists():
        write_tsv(folder)
    lex = DrugLexicon.load(folder)
    text = "".join(w + s for w, s in zip(words, seps))
    doc = Doc("d", text)
    starts = [sum(len(w) + len(s) for w, s in zip(words[:i], seps)) for i in range(len(words))]
    found: list[Entity] = []
    for i, n, label in marks:  # non-overlapping model entities over whole words
        if i + n <= len(words):
            s, e = starts[i], starts[i + n - 1] + len(words[i + n - 1])
            if all(e <= f.start or s >= f.end for f in found):
                found.append(doc.span(s, e, label, score=0.5))
    found.sort(key=lambda e: e.start)  # a step gets its entities in order, as decode gives them
    out = LexiconStep(lex)(doc, found)
    assert all(doc.text[e.start:e.end] == e.text for e in out)
    assert [(e.start, e.end) for e in out] == sorted((e.start, e.end) for e in out)
    assert all(a.end <= b.start for a, b in zip(out, out[1:]))
    hits = lex.find(text)
    assert all(a.end <= b.start for a, b in zip(hits, hits[1:]))


# --- the shipped lexicon ------------------------------------------------------------------------

shipped = pytest.mark.skipif(find_file(MODEL) is None, reason="no shipped lexicon")


@pytest.fixture(scope="module")
def real() -> DrugLexicon:
    return DrugLexicon.load(MODEL)


@shipped
def test_shipped_common_brands(real):
    text = ("Meds: Keflex 500 mg QID; Lasix 40 mg daily; Flomax 0.4 mg qhs; Norco 5/325 q6h "
            "PRN; Septra DS BID; Toprol XL 25 mg; Zofran ODT 4 mg; lithium carbonate 300 mg; "
            "Coumadin 5 mg; iron 325 mg")
    got = {text[h.start:h.end]: h.name for h in real.find(text)}
    assert got == {"Keflex": "Cephalexin", "Lasix": "Furosemide", "Flomax": "Tamsulosin",
                   "Norco": "Hydrocodone/acetaminophen",
                   "Septra DS": "Trimethoprim/sulfamethoxazole", "Toprol XL": "Metoprolol",
                   "Zofran ODT": "Ondansetron", "lithium carbonate": "Lithium carbonate",
                   "Coumadin": "Warfarin", "iron": "Iron"}
    assert real.get("lasix")[1] == ("DRUGBANK:DB00695",)


@shipped
def test_shipped_common_words_are_not_drugs(real):
    text = ("Patient alert and oriented today. Pain plan: cold compress, ice, heat, rest. "
            "Dose held; allergy list reviewed. Lead II on EKG; normal saline lock; water, milk, "
            "tea, coffee; BP 120/80, HR 72, PT 9 days post-op, 5 mg PO BID, mg, at, he, or. "
            "Antibiotics, statins and ACE inhibitors; mRNA, prolactin, ubiquitin, RelA.")
    assert [text[h.start:h.end] for h in real.find(text)] == []


@shipped
def test_shipped_step_on_a_note(real):
    text = "Plan:\r\n- Keflex 500 mg PO QID x 7 days\r\n- Norco 5/325 1 tab q6h PRN pain\r\n"
    doc = Doc("note", text)
    keflex = model(doc, "Keflex 500")
    out = lexicon_step(MODEL)(doc, [keflex])
    assert spans(out) == [("Keflex", "Chemical", "lexicon"), ("Norco", "Chemical", "lexicon")]
    assert all(doc.text[e.start:e.end] == e.text for e in out)


@shipped
def test_shipped_over_the_counter_lines_and_gummies():
    text = "OTC:\n- Tylenol PM 2 caplets at bedtime\n- Prilosec OTC 20 mg\n- melatonin gummies 5 mg\n"
    doc = Doc("note", text)
    out = lexicon_step(MODEL)(doc, [model(doc, "melatonin gummies")])
    # "PM" adds a drug to the brand, "OTC" does not; a form word is cut from a model span
    assert [e.text for e in out if e.label == "Chemical"] == ["Tylenol PM", "Prilosec", "melatonin"]


@shipped
def test_shipped_licence_names_the_source():
    licence = (MODEL / "drugs.LICENSE.txt").read_text(encoding="utf-8")
    assert "drug-named-entity-recognition" in licence and "MIT License" in licence
    assert "Permission is hereby granted" in licence


# --- the build ----------------------------------------------------------------------------------

def test_build_collision_guard(tmp_path):
    build = pytest.importorskip("medner_cli.lexicon.build")
    data = {
        "drug_variant_to_canonical": {
            "lasix": ["furosemide"], "furosemide": ["furosemide"], "kinasex": ["kinasex"],
            "tomorrow": ["tomorrowol"], "rela": ["carisoprodol"], "carisoprodol": ["carisoprodol"],
            "mrna": ["rna, messenger"], "foo receptor": ["foo receptor"],
            "acid, bile": ["bile acids"], "at-10": ["dihydrotachysterol"],
            "clonidine": ["clonidine"], "apraclonidine": ["apraclonidine"],
            "prevnar 20": ["pcv"], "hbig": ["hbig"], "thymoglobulin": ["ratg"],
        },
        "drug_canonical_to_data": {
            "furosemide": {"name": "Furosemide", "mesh_id": "D049994", "drugbank_id": "DB00695"},
            "clonidine": {"name": "Clonidine", "mesh_id": "D049994", "drugbank_id": "DB00575"},
            "apraclonidine": {"name": "Apraclonidine", "mesh_id": "D017298"},
            "kinasex": {"name": "Kinasex", "mesh_tree": ["D08.811"]},
            "tomorrowol": {"name": "Tomorrowol", "drugbank_id": "DB99999"},
            "carisoprodol": {"name": "Carisoprodol", "drugbank_id": "DB00395"},
            "rna, messenger": {"name": "RNA, Messenger", "mesh_tree": ["D13.444"]},
            "foo receptor": {"name": "Foo receptor", "drugbank_id": "DB1"},
            "bile acids": {"name": "Bile Acids"}, "dihydrotachysterol": {"name": "DHT"},
            "iron": {"name": "Iron", "drugbank_id": "DB01592"},
            "cephalexin": {"name": "Cephalexin", "drugbank_id": "DB00567"},
            "hydrocodone": {"name": "Hydrocodone"}, "acetaminophen": {"name": "Acetaminophen"},
            "pcv": {"name": "Pneumococcal conjugate vaccine"},
            "hbig": {"name": "Hepatitis B immune globulin"},
            "ratg": {"name": "Antithymocyte immunoglobulin (rabbit)"},
        },
        "drug_variant_to_variant_data": {},
    }
    # every ingredient of the supplement must be a canonical of the package
    for parts in build.SUPPLEMENT.values():
        for p in parts:
            data["drug_canonical_to_data"].setdefault(p, {"name": p.title()})
    bc5 = tmp_path / "train.PubTator.txt"
    # "iron" is a word of the vocabulary, but a gold Chemical of the corpus
    bc5.write_text("1|t|Clonidine and mRNA.\n1|a|mRNA of clonidine, iron.\n"
                   "1\t0\t9\tClonidine\tChemical\tD003000\n"
                   "1\t28\t37\tclonidine\tChemical\tD003000\n"
                   "1\t39\t43\tiron\tChemical\tD007501\n\n")
    biomed = tmp_path / "sentences.txt"
    biomed.write_text("rela binds p50 .\n" * 12)
    tok = tmp_path / "tokenizer.json"
    tok.write_text(json.dumps({"model": {"vocab": {"tomorrow": 0, "iron": 1, "##ix": 2}}}))
    rows, dropped, figures = build.build(bc5, biomed, tok, data)
    assert rows["lasix"] == ("Furosemide", "", "DB00695")  # a shared MeSH id is a class
    assert rows["apraclonidine"] == ("Apraclonidine", "D017298", "")
    assert rows["iron"][0] == "Iron" and rows["carisoprodol"][2] == "DB00395"
    assert rows["keflex"] == ("Cephalexin", "", "DB00567")
    assert rows["norco"] == ("Hydrocodone/acetaminophen", "", "")
    assert dropped["mrna"] == "bc5cdr 0/2"
    assert dropped["kinasex"] == "class" and dropped["foo receptor"] == "head-noun"
    assert dropped["tomorrow"] == "english" and dropped["rela"].startswith("biomed")
    assert dropped["acid, bile"] == "inverted" and dropped["at-10"] == "short-key"
    # vaccines and blood products are no Chemical in notes; an immunosuppressant globulin is
    assert dropped["prevnar 20"] == dropped["hbig"] == "biological" and "thymoglobulin" in rows
    assert "clonidine" in rows and figures["kept"] == len(rows)
    info = {"version": "9.9", "sha256": "0" * 64, "licence": "MIT License\n\nPermission ..."}
    path = build.write(tmp_path / "out", rows, info, figures, gz=True)
    lex = DrugLexicon.read(path)
    assert lex.get("Keflex") == ("Cephalexin", ("DRUGBANK:DB00567",))
    licence = (tmp_path / "out" / "drugs.LICENSE.txt").read_text()
    assert "drug-named-entity-recognition 9.9" in licence and "MIT License" in licence


# --- drug short forms ---------------------------------------------------------------------------

def test_drug_short_forms_are_chemicals_where_nothing_else_is(lex):
    doc = Doc("d", "Continue ASA 81 mg daily, INH with B6, TMP-SMX DS BID; 5-FU; TXA given.")
    txa = model(doc, "TXA", "Disease")  # a model Disease with the span gives way
    out = LexiconStep(lex)(doc, [txa])
    assert spans(out) == [("ASA", "Chemical", "lexicon"), ("INH", "Chemical", "lexicon"),
                          ("B6", "Chemical", "lexicon"),  # ambiguous, but listed with a drug
                          ("TMP-SMX", "Chemical", "lexicon"),
                          ("5-FU", "Chemical", "lexicon"),  # the lexicon's own hit
                          ("TXA", "Chemical", "lexicon")]
    assert out[0].ids is None and out[0].name is None  # the linker resolves them
    assert out[4].ids == ["DRUGBANK:DB00544"]


@pytest.mark.parametrize("text", [
    "ASA class II", "ASA physical status 3", "ASA 3, Mallampati II", "ASA: III", "ASA II-III",
    "PCN tube", "inh", "albuterol inh q4h", "asa class II", "MTXs", "XASA", "Inh", "20 mg daily",
    "MG 1.5",
])
def test_drug_short_forms_not_a_drug(lex, text):
    assert [e.text for e in LexiconStep(lex)(Doc("d", text), []) if e.text != "albuterol"] == []


@pytest.mark.parametrize("text,expected", [
    ("levo 6 -> 14 mcg/min, norepi 4, vanc IV", ["levo", "norepi", "vanc"]),  # rates, a route
    ("ASA 3 airway, ASA IV", []),  # the anaesthetists' classes
    ("lido w/ epi", ["lido", "epi"]),  # an additive given with a drug
    ("2L ns bolus then lr 250/h, d5-1/2ns at 75", ["ns", "lr", "d5-1/2ns"]),
    ("mag IV, start bicarb 650 tid", ["mag", "bicarb"]),
    ("headache -> apap 1 g + oxy 5", ["apap", "oxy"]),  # listed with a drug and its dose
    ("pain 6/10, got oxy 5, vanc 1 g iv, dex", ["oxy", "vanc", "dex"]),
    ("D50 1 amp, KCl 40 PO; Mg 2.1", ["D50", "KCl"]),  # a unit, a result
    ("got 2l ns, 30 ml/kg lr, on 2l o2; switch to d5-1/2ns", ["ns", "lr", "o2", "d5-1/2ns"]),
    ("metop tart 25 bid", ["metop tart"]),
    ("BP 132->108\nMOM 30 mL prn constipation; mom at bedside", ["MOM"]),  # a number on the
    # line before is no amount of the form
    ("on IFX 10 mg/kg q6wk, failed LEF; rosuva 20; ADA diet; on ADA 40 q2wk",
     ["IFX", "LEF", "rosuva", "ADA"]),
    # antiepileptic, antiviral and leukaemia short forms, clipped JAK inhibitors
    ("focal epilepsy on LEV 1500 BID + LCM 100 BID; APL on ATRA + ATO; add upa",
     ["LEV", "LCM", "ATRA", "ATO", "upa"]),
])
def test_short_forms_as_notes_give_drugs(lex, text, expected):
    doc = Doc("d", "CLINIC NOTE\n" + text + "\n")
    assert [e.text for e in LexiconStep(lex)(doc, []) if e.label == "Chemical"] == expected


@shipped
def test_a_combination_written_with_a_hyphen_is_one_product(real):
    doc = Doc("d", "CLINIC NOTE\nplan: buprenorphine-naloxone 8-2 mg daily, senna-docusate bid\n")
    pieces = [model(doc, "buprenorphine-"), model(doc, "naloxone")]
    out = LexiconStep(real)(doc, pieces)
    assert [e.text for e in out] == ["buprenorphine-naloxone", "senna-docusate"]
    assert out[0].name == "Buprenorphine/naloxone" and not out[0].ids
    abstract = Doc("a", "Rats given buprenorphine-naloxone were compared with controls. " * 3)
    assert [e.text for e in LexiconStep(real)(abstract, [])][:2] == ["buprenorphine", "naloxone"]


@shipped
def test_a_combination_the_lexicon_names_whole_replaces_the_models_pieces_in_notes(real):
    text = "sacubitril/valsartan 49/51 mg bid"
    note = Doc("d", "CLINIC NOTE\nMeds: " + text + "\n")
    out = LexiconStep(real)(note, [model(note, "sacubitril"), model(note, "valsartan")])
    assert [(e.text, e.source) for e in out] == [("sacubitril/valsartan", "lexicon")]
    abstract = Doc("a", "Patients given " + text + " were compared with controls. " * 3)
    pieces = [model(abstract, "sacubitril"), model(abstract, "valsartan")]
    assert [e.text for e in LexiconStep(real)(abstract, pieces)][:2] == ["sacubitril", "valsartan"]


@shipped
def test_a_brand_suffix_in_the_case_of_the_brand(real):
    doc = Doc("d", "CLINIC NOTE\nstart bactrim ss bid, Septra DS, septra DS, Augmentin ES-600\n")
    assert [e.text for e in LexiconStep(real)(doc, [])] == ["bactrim ss", "Septra DS", "septra DS",
                                                             "Augmentin ES"]


def test_notes_write_short_forms_in_either_case(lex):
    """A note in lower case writes "asa" and "txa", one in capitals "VANC" and "MAG SULFATE";
    the ambiguous forms keep their condition ("pcn" in an allergy line, not "pcn tube")."""
    doc = Doc("d", "took asa 325, txa 1 g, VANC 1 g IV, MAG SULFATE 2 G IV, D50 1 amp, on oxy 5 "
                   "q4h. allergies: pcn. pcn tube site clean")
    assert [e.text for e in LexiconStep(lex)(doc, [])] == ["asa", "txa", "VANC", "MAG SULFATE",
                                                          "D50", "oxy", "pcn"]
    abstract = Doc("a", "Patients given asa were compared with controls in this trial. " * 2)
    assert LexiconStep(lex)(abstract, []) == []  # outside a note, the case as listed


def test_drug_short_forms_can_be_left_out(lex):
    doc = Doc("d", "Continue ASA 325 mg. INH level pending.")  # a drug's level: a Chemical
    assert spans(LexiconStep(lex)(doc, [])) == [("ASA", "Chemical", "lexicon"),
                                                ("INH", "Chemical", "lexicon")]
    assert LexiconStep(lex, short_forms=False)(doc, []) == []


def test_every_drug_short_form_links_with_the_shipped_files():
    from medner_cli.lexicon.match import SHORT_FORMS
    from medner_cli.link import Linker

    linker = Linker.load(MODEL)
    forms = [line for line in SHORT_FORMS.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    doc = Doc("d", "\n".join(forms))
    found = LexiconStep(DrugLexicon.load(MODEL))(doc, [])
    assert [e.text for e in found] == forms  # each is found as written, whole
    linker(doc, found)
    # left unlinked on purpose: "levo" is norepinephrine or levofloxacin; MeSH 2015 has no
    # piperacillin-tazobactam, nor one concept for the potassium phosphates of "K phos", and
    # the drug package gives buprenorphine-naloxone and ipratropium-albuterol (DuoNeb) no id,
    # nor the antiretroviral combinations ("BIC/FTC/TAF") and the fixed-dose products written
    # with "/" ("losartan/HCTZ", "hydrocodone/APAP"), like its own combinations
    unlinked = [e.text for e in found if not e.ids]
    combinations = [t for t in unlinked if re.fullmatch(r"[A-Z0-9]+(?:/[A-Za-z0-9]+)+", t)]
    assert len(combinations) == 21 and "DTG/3TC" in combinations
    fixed = [t for t in unlinked if re.fullmatch(r"[a-z]+/(?:HCTZ|APAP|clav)|amox-clav", t)]
    assert len(fixed) == 21 and "losartan/HCTZ" in fixed and "hydrocodone/APAP" in fixed
    assert [t for t in unlinked if t not in combinations and t not in fixed] == [
        "levo", "pip-tazo", "pip/tazo", "K phos", "bup-nx", "bup/nx", "duonebs", "DuoNebs"]


@pytest.mark.parametrize("text, drugs", [
    # given: a dose, a route or form, a verb of giving, an allergy line, a drug's level
    ("Taper pred to 5 mg. FEV1 45% pred.", ["pred"]),
    ("SQ hep for VTE ppx; hep gtt per protocol; h/o hep C; 2 exacerbations (pred bursts).",
     ["hep", "hep", "pred"]),
    ("no rash on LTG. LTG: walk 150 ft.", ["LTG"]),
    ("pred 40 mg PO daily; neo gtt; epi 1 mg IV x3", ["pred", "neo", "epi"]),
    ("Repleted K 40 mEq PO and Mg 2 g IV. K 3.1, Mg 1.5, K 4.1 mmol/L.", ["K", "Mg"]),
    ("Allergies: PCN (hives). PCN tube in place, L PCN exchanged.", ["PCN"]),
    ("Week 6 of INH, RIF, PZA and EMB. RIF tenderness. s/p EMB.", ["INH", "RIF", "PZA", "EMB"]),
    ("Start NPH 10 units qHS. NPH on MRI: ventriculomegaly.", ["NPH"]),
    ("Tac level 9.4; EPO level 12; on EPO.", ["Tac", "EPO"]),
    ("Rx TAC 0.1% ointment BID. CBD dilated to 9 mm. Uses CBD gummies.", ["TAC", "CBD"]),
    # of two lists the longer form wins ("vit k", not its "k")
    ("-> vit k 10 mg iv.", ["vit k"]),
    # two forms joined by a slash name each other; results do not ("K/Mg 3.9/1.8")
    ("s/p 48h amp/gent (bcx ngtd). K/Mg 3.9/1.8.", ["amp", "gent"]),
    # lower-case "k" as a dose gives it, not as a result; a supplement is a drug given
    ("k 3.2 this am -> k 40 meq po x1. plt 180 k. no vit a supplements. mg 1.6, k 3.9.",
     ["k", "vit a"]),
    ("c/o epi pain. neo team at delivery. B12 142 (low).", []),
    # what follows: a dose per kilogram (not per volume), an allergy, what was done with it
    ("EMB 15 mg/kg + RIF 600 mg. K 4.1 mmol/L, Mg 1.8 mg/dL.", ["EMB", "RIF"]),
    ("PCN allergy (rash). pred weaned off 3/2025. 1 mg dex suppression test.",
     ["PCN", "pred", "dex"]),
    # given with a drug: an additive, never an analyte
    ("Infiltrated lidocaine with epi. On Lasix with K 3.2.", ["lidocaine", "epi", "Lasix"]),
    # "vit K" is vitamin K whole, never the "K" (potassium) alone; vitamin levels are results
    ("Gave vit K 10 mg IV. Vit D 50,000 units weekly. 25-OH vit D 14; vit D level 9.", [
        "vit K", "Vit D"]),
    # prophylaxis after it gives a drug; a ventilator mode is none, even "on" it
    ("ACV ppx for HSV. Vent on ACV 450/16, PEEP 5, FiO2 40%.", ["ACV"]),
])
def test_ambiguous_short_forms_only_where_given_as_drugs(text, drugs):
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [e.text for e in found] == drugs


def test_ambiguous_short_forms_not_in_abstracts():
    abstract = ("Rats were given pred 5 mg/kg and K 2 mEq/kg in a randomized study of the "
                "effects of treatment compared with controls. ") * 6
    assert research_prose(abstract) and not note_layout(abstract)
    assert LexiconStep(DrugLexicon.load(MODEL))(Doc("a", abstract), []) == []


def test_ambiguous_short_forms_beside_a_model_chemical():
    doc = Doc("d", "Week 6 of zonizid, RIF and EMB.")  # a drug no lexicon knows
    found = LexiconStep(DrugLexicon.load(MODEL))(doc, [model(doc, "zonizid", "Chemical")])
    assert [e.text for e in found] == ["zonizid", "RIF", "EMB"]


def test_every_ambiguous_short_form_links_but_ctx_and_prop():
    """CTX (ceftriaxone or cyclophosphamide) and prop (propofol or propranolol) name two drugs."""
    from medner_cli.lexicon.match import AMBIGUOUS_SHORT_FORMS
    from medner_cli.link import Linker

    forms = [line for line in AMBIGUOUS_SHORT_FORMS.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    doc = Doc("d", "\n".join(f"on {form} 5 mg" for form in forms))
    found = [e for e in LexiconStep(DrugLexicon.load(MODEL))(doc, []) if e.label == "Chemical"]
    assert [e.text for e in found] == forms
    Linker.load(MODEL)(doc, found)
    assert [e.text for e in found if not e.ids] == ["CTX", "prop"]
    names = {e.text: e.name for e in found}
    assert (names["pred"], names["RIF"], names["K"]) == ("Prednisone", "Rifampin", "Potassium")
    assert (names["vit K"], names["Vit D3"]) == ("Vitamin K", "Cholecalciferol")


def test_fluid_short_forms_need_a_volume_or_a_rate():
    text = ("s/p 2L NS bolus, then 500 cc of LR. D5-1/2NS at 75. LR bolus x1. NS 1 L.\n"
            "The difference was NS (p = 0.4); the LR for sepsis was 2.1.")
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [(e.text, e.source) for e in found] == [("NS", "lexicon"), ("LR", "lexicon"),
                                                  ("D5-1/2NS", "lexicon"), ("LR", "lexicon"),
                                                  ("NS", "lexicon")]


def test_a_short_form_holding_a_lexicon_name_is_the_longer_name():
    doc = Doc("d", "Ca citrate 500 mg BID; citrate alone; UA nitrite+.")
    found = LexiconStep(DrugLexicon.load(MODEL))(doc, [])
    assert [e.text for e in found] == ["Ca citrate", "citrate"]  # a nitrite result is no drug


def test_an_analyte_counts_in_notes_only_where_it_is_given():
    lex = DrugLexicon.load(MODEL)
    text = ("ICU NOTE\nK 3.1: gave potassium 40 mEq PO. Monitor creatinine daily; glucose "
            "182 mg/dL; glucose 25 g IV.\n")
    assert [e.text for e in LexiconStep(lex)(Doc("d", text), [])] == ["potassium", "glucose"]
    repleted = "ICU NOTE\nPotassium 3.1, repleted. Potassium repleted; magnesium was repleted.\n"
    assert [e.start for e in LexiconStep(lex)(Doc("d", repleted), [])] == [34, 54]
    abstract = "Rats given potassium 4 mmol/kg and glucose 2 g/kg in a randomized study. " * 8
    assert LexiconStep(lex)(Doc("a", abstract), []) == []


def test_saline_alone_in_notes_beside_a_volume_or_a_rate():
    text = ("ED COURSE\nGiven 1 L normal saline bolus, then a 40 mL saline flush; 9 L of saline "
            "inflow.\nIrrigated with saline.\n")
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [e.text for e in found] == ["normal saline", "saline", "saline", "saline"]
    abstract = "Rats received 1 ml/kg saline or drug in a randomized controlled study. " * 8
    assert LexiconStep(DrugLexicon.load(MODEL))(Doc("a", abstract), []) == []


def test_a_generic_loses_its_release_word_a_brand_keeps_its_suffix():
    lex = DrugLexicon.load(MODEL)
    doc = Doc("d", "nifedipine XL 60 mg; Toprol XL 50 mg; EpiPen Jr 0.15 mg; etoh use")
    ents = [model(doc, "nifedipine XL"), model(doc, "Toprol XL")]
    assert [e.text for e in LexiconStep(lex)(doc, ents)] == [
        "nifedipine", "Toprol XL", "EpiPen Jr", "etoh"]


def test_oxygen_is_a_chemical_where_it_is_given_not_where_it_is_read():
    text = "COPD on 2 L home O2. O2 sat 86% on RA; SpO2 95%. O2 via NC. Sevo in air/O2. O2: 2L."
    assert [e.text for e in LexiconStep(DrugLexicon.load(MODEL))(Doc("d", "sevo in O2/air"), [])
            ] == ["sevo", "O2"]
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [e.start for e in found if e.text == "O2"] == [17, 49, 72]


def test_fluids_and_oxygen_in_lower_case_too():
    text = "s/p 2L ns bolus, now on 2L o2 via nc. o2 sat 91%. ns (p=0.4)."
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [(e.start, e.text) for e in found] == [(7, "ns"), (27, "o2")]


def test_fluids_by_name_in_notes_only():
    note = "ED COURSE\n- Normal saline 1 L IV bolus.\nResuscitate with normal saline.\n\n\n"
    abstract = ("Group PS received normal saline and succinylcholine 1.5 mg/kg. " * 9).strip()
    step = LexiconStep(DrugLexicon.load(MODEL))
    assert [e.text for e in step(Doc("n", note), [])] == ["Normal saline", "normal saline"]
    assert not any(e.text == "normal saline" for e in step(Doc("a", abstract), []))


def test_iv_after_a_short_form_is_its_route_but_after_asa_a_class():
    text = "Continue vanc IV. ASA IV, E. EtOH 2-3 beers/wk."
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [e.text for e in found] == ["vanc", "EtOH"]


def test_a_short_form_joined_by_a_hyphen_to_a_word_is_not_one():
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", "vaso-vagal episode; vaso 0.04"), [])
    assert [(e.start, e.text) for e in found] == [(20, "vaso")]


def test_the_shipped_lexicon_holds_every_supplement_brand():
    """The model folder's file was built with today's ``SUPPLEMENT`` (rebuild after editing it)."""
    from medner_cli.lexicon import build

    lex = DrugLexicon.load(MODEL)
    missing = [brand for brand in build.SUPPLEMENT if lex.get(brand) is None]
    assert missing == []
    assert lex.get("Trelegy")[0] == "Fluticasone furoate/umeclidinium/vilanterol"


def test_a_drug_at_the_start_of_a_model_disease_is_split_off_in_notes():
    text = ("RHEUM NOTE\nPatient: (synthetic)\nDate: 01/01/2025\n\n"
            "eye exam for plaquenil retinopathy. warfarin toxicity.\n")
    doc = Doc("d", text)
    found = LexiconStep(DrugLexicon.load(MODEL))(doc, [model(doc, "plaquenil retinopathy",
                                                             "Disease"),
                                                       model(doc, "warfarin toxicity", "Disease")])
    assert [(e.text, e.label) for e in found] == [
        ("plaquenil", "Chemical"), ("retinopathy", "Disease"),
        ("warfarin toxicity", "Disease")]  # the drug's own trouble stays one mention



def test_a_name_ending_on_a_shorthands_first_letter_is_no_drug():
    lex = DrugLexicon.load(MODEL)
    assert [h.variant for h in lex.find("heme c/s: plt 68k. start heme c daily")] == ["heme c"]


def test_one_letter_premixes_count_in_either_case_in_notes():
    text = "ED NOTE\ninsulin 10u + d50 1 amp; add d5 when bg <250. D10 at 50/h. d5 of abx.\n"
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [e.text for e in found] == ["insulin", "d50", "d5", "D10"]  # "d5 of abx": a day


def test_a_dose_before_an_ambiguous_form_gives_it_as_a_drug():
    text = "CODE NOTE\n1 amp bicarb, 40 mEq K and 2 g mag given. bicarb 22, K 3.1, mag 1.9.\n"
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [e.text for e in found] == ["bicarb", "K", "mag"]


def test_a_nutrient_with_a_result_after_it_is_no_drug_in_notes():
    text = ("HEME NOTE\nB12 162 and folate 3.1 - low; iron 28 ug/dL. Start folate 1 mg daily. "
            "thiamine 100, folate 1, mvi. Hold iron 5 days prior; iron 325 daily.\n")
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [(e.text, e.start) for e in found if e.text in ("folate", "iron")] == [
        ("folate", text.index("folate 1 mg")), ("folate", text.index("folate 1,")),
        ("iron", text.index("iron 5")), ("iron", text.index("iron 325"))]


def test_saline_used_as_a_flush_or_irrigation_is_the_fluid_a_lock_a_device():
    text = "RN NOTE\nNS flush 10 mL q8h. Start saline irrigations BID. Saline lock in place.\n"
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [e.text for e in found] == ["NS", "saline"]


def test_saline_with_a_word_of_its_use_is_the_fluid():
    text = ("ED COURSE\nIrrigated with warm sterile saline. Agitated saline study negative. "
            "7% saline nebs BID; saline nasal drops. Flushed, with saline lock in place.\n")
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [e.text for e in found] == ["saline"] * 4


def test_clipped_names_and_formulas_are_short_forms():
    text = ("ICU NOTE\non cisatra gtt; mica 100 mg daily; FeSO4 325 mg; 1 amp CaCl; Ca gluc 2 g; "
            "co-amox 625 mg TDS; SSKI 5 drops; mirtaz 15 qhs.\n")
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [e.text for e in found] == ["cisatra", "mica", "FeSO4", "CaCl", "Ca gluc", "co-amox",
                                       "SSKI", "mirtaz"]


def test_metro_fk_and_dig_count_only_where_given():
    text = ("PHARM NOTE\nmetro 500 mg TDS; FK level 7.2; dig level 2.6; hold dig.\n"
            "Metro area resident. Dr FK saw her. Dig into the history.\n")
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [e.text for e in found] == ["metro", "FK", "dig", "dig"]


def test_an_antiretroviral_combination_with_slashes_is_one_short_form():
    text = "ID NOTE\nHIV on DTG/3TC, was on BIC/FTC/TAF; prior TDF alone. Plan SOF/VEL.\n"
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [e.text for e in found] == ["DTG/3TC", "BIC/FTC/TAF", "TDF", "SOF/VEL"]


def test_glucose_given_as_tablets_or_gel_is_a_drug_in_notes():
    text = "DISCHARGE\nIf sugar is low, take 4 glucose tablets or glucose gel. Glucose 182.\n"
    found = LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])
    assert [e.start for e in found] == [text.index("glucose t"), text.index("glucose g")]


def test_drugs_joined_by_a_slash_apart_unless_a_fixed_combination():
    lex = DrugLexicon.load(MODEL)
    text = ("ICU NOTE\nepidural fentanyl/bupi; albuterol/ipratropium nebs; carbidopa/levodopa tid;"
            " losartan/HCTZ 50/12.5.\nPlan: vanc/zosyn.\n")
    doc = Doc("d", text)
    ents = [model(doc, "fentanyl/bupi"), model(doc, "albuterol"), model(doc, "ipratropium"),
            model(doc, "carbidopa/levodopa")]
    assert [e.text for e in LexiconStep(lex)(doc, ents)] == [
        "fentanyl", "bupi", "albuterol/ipratropium", "carbidopa/levodopa", "losartan/HCTZ",
        "vanc", "zosyn"]


def test_a_formula_loses_its_release_word_a_brand_keeps_it():
    text = "ICU NOTE\nKCl ER 20 mEq x7d; Toprol XL 25; TOPROL XL 50.\n"
    assert [e.text for e in LexiconStep(DrugLexicon.load(MODEL))(Doc("d", text), [])] == [
        "KCl", "Toprol XL", "TOPROL XL"]


def test_blood_products_are_left_out_of_notes():
    lex = DrugLexicon.load(MODEL)
    text = "ICU NOTE\nKcentra 25 u/kg + vit K 10 IV. 4F-PCC 50 u/kg. IVIG 2 g/kg.\n"
    doc = Doc("d", text)
    assert [e.text for e in LexiconStep(lex)(doc, [model(doc, "Kcentra")])] == ["vit K"]


def test_drugs_on_two_lines_apart_and_oxygen_and_fluids_in_capitals():
    lex = DrugLexicon.load(MODEL)
    text = ("ICU NOTE\na/p: cap - cont ceftriaxone + azithro d3/5; if hypotension, broaden to "
            "vanc/cefepime\nheparin 5000 sq tid. now on 3L nc o2\nINSULIN GTT, LR 250 ML/H.\n")
    doc = Doc("d", text)
    ents = [model(doc, "cefepime\nheparin")]
    assert [e.text for e in LexiconStep(lex)(doc, ents)] == [
        "ceftriaxone", "azithro", "vanc", "cefepime", "heparin", "o2", "INSULIN", "LR"]


def test_drugs_on_two_lines_apart_in_a_note_without_a_slash():
    text = ("ICU NOTE\nplan: if hypotension worsens, broaden coverage and add cefepime\n"
            "heparin 5000 sq tid.\n")
    doc = Doc("d", text)
    found = LexiconStep(DrugLexicon.load(MODEL))(doc, [model(doc, "cefepime\nheparin")])
    assert [e.text for e in found] == ["cefepime", "heparin"]


def test_a_clip_names_the_one_generic_it_begins():
    ids = ("DRUGBANK:DB00001",)
    clipped = ClippedNames([("Apixaban", ids), ("Enoxaparin", ids), ("Enoxacin", ids),
                            ("Testosterone", ids), ("Spirostans", ids)], vocab={"test"})
    assert clipped.name_of("apix") == clipped.name_of("Apix") == "apixaban"
    assert clipped.name_of("apixab") == "apixaban"
    assert clipped.name_of("apixaba") is None  # one letter short: a misspelling, no clip
    assert clipped.name_of("api") is None  # too short to say
    assert clipped.name_of("enox") is None and clipped.name_of("enoxap") == "enoxaparin"
    assert clipped.name_of("test") is None  # a word of the vocabulary
    assert clipped.name_of("spiro") is None  # a class name is no drug
    doc = Doc("d", "apix-like, apix/x, (apix) 5")
    assert [doc.text[s:e] for s, e, _, _ in clipped.find(doc)] == ["apix"]


@shipped
def test_clipped_names_count_in_notes_where_given_as_drugs():
    step = lexicon_step(MODEL)
    note = Doc("d", "CLINIC NOTE\nmeds: apix 5 mg bid, olanz 10 mg qhs; add tofa 5 bid\n"
                    "apix clinic follow-up\nheparin 4000 u IV, ticag 180 load\n"
                    "heparin x24h, neuro checks q1h\n")
    out = step(note, [])
    assert [(e.text, e.name) for e in out if e.source == "lexicon" and "/" not in e.text] == [
        ("apix", "Apixaban"), ("olanz", "Olanzapine"), ("tofa", "Tofacitinib"),
        ("heparin", "Heparin"), ("ticag", "Ticagrelor"), ("heparin", "Heparin")]
    assert all("DRUGBANK:" in " ".join(e.ids) for e in out)
    abstract = Doc("a", "Patients given apix 5 mg bid were compared with controls. " * 3)
    assert step(abstract, []) == []
