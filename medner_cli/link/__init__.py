"""Concept linking: MeSH and DrugBank ids and a canonical name for Chemical and Disease entities.

``Linker.load(model_dir)`` reads, once per process, the folder's ``mesh_bc5cdr.tsv[.gz]`` and
``mesh_names.tsv[.gz]`` (``python -m medner_cli.link.build``) and the drug lexicon
``drugs.tsv[.gz]`` when there is one. Calling the linker is a pipeline step: each Chemical and
Disease entity it can resolve gets ``ids`` (``MESH:`` ids first, then ``DRUGBANK:``) and
``name``; the others keep ``None``. A mention is resolved by, in order:

1. the dictionary entry of its label and key (``normalize.key``), else a MeSH preferred name
   with that key; an entry whose annotators most often gave no id ("-1") resolves to nothing,
   and the search stops there;
2. for a Chemical, the drug lexicon: the drug's MeSH id is the dictionary's id of its canonical
   name, or of another mention of the same DrugBank drug; a drug the dictionary does not know
   keeps only its DrugBank id unless step 3 finds a MeSH id;
3. the dictionary's morphological variants (``normalize.variants``: morph, order, squash, and
   stem for diseases), closest first; a variant that concepts disagree on was left out of the
   index, so it resolves nothing;
4. for a Disease, the wording MeSH would use (``paraphrase``): an organ noun for its adjective
   ("renal disease" -> "kidney disease"), "diseases" for a vague head ("hematological
   toxicity"), or each of coordinated modifiers ("renal or hepatic toxicity"), looked up as in
   1-3;
5. a short form defined in the document ("benign prostatic hyperplasia (BPH)"): the link of the
   entity that is its long form, or else its long form's text resolved as above;
6. a clinical short form the document does not define (``short_forms.tsv``: "HTN", "CKD"), or
   a note's word for a finding (``note_terms.tsv``: "febrile", "murmur", "abd pain"): its long
   form's text resolved as above.

Steps 5 and 6 also run for a short form that steps 1-4 linked by a MeSH name or synonym alone,
not by a mention of its label: "DIC" is a name of dacarbazine, and "ITP" of inosine
triphosphate, but a Disease "DIC" is disseminated intravascular coagulation.

``name`` is MeSH's preferred name of ``ids[0]`` when the build had MeSH names, else the drug
lexicon's name, else the concept's most frequent mention in the corpus.
An entity given with ids in the input keeps them; the lexicon layer's MeSH id gives way to the
dictionary's (the drug package's is often a class), its DrugBank id stays. A Dosage whose ``attrs["drug"]`` resolves gets ``attrs["drug_ids"]`` and
``attrs["drug_name"]``.
"""

from __future__ import annotations

import gzip
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Mapping, NamedTuple

from medner_cli.doc import Doc, Entity
from medner_cli.link.abbreviations import long_form_of
from medner_cli.link.normalize import key, variants
from medner_cli.link.paraphrase import (conjuncts, organ_form, slash_parts, spelled_form,
                                        vague_form)
from medner_cli.rules.findings import note_layout

DICTIONARY = "mesh_bc5cdr.tsv.gz"
NAMES = "mesh_names.tsv.gz"
SHORT_FORMS = Path(__file__).with_name("short_forms.tsv")
NOTE_TERMS = Path(__file__).with_name("note_terms.tsv")
LINKED = ("Chemical", "Disease")
_CACHE_SIZE = 200_000
AGREEMENT = 0.9  # share of a variant's dictionary annotations that must agree on its ids


def open_text(path: Path, mode: str = "rt") -> IO[str]:
    """A text file, gzip-compressed when its name ends in ``.gz``."""
    if path.suffix == ".gz":
        return gzip.open(path, mode, encoding="utf-8", newline="\n")
    return path.open(mode, encoding="utf-8", newline="\n")


def find_file(folder: Path, name: str) -> Path | None:
    """``folder/name`` or its compressed / uncompressed twin, whichever exists."""
    plain = name[:-3] if name.endswith(".gz") else name
    for candidate in (folder / plain, folder / f"{plain}.gz"):
        if candidate.exists():
            return candidate
    return None


class Link(NamedTuple):
    ids: tuple[str, ...]  # with prefixes, most likely first
    name: str | None
    how: str  # "exact", "name", "lexicon", "morph", "order", "squash", "abbreviation", ...


def _fields(path: Path, wanted: tuple[str, ...], strict: bool = True) -> list[list[str]]:
    """The named columns of a TSV with a header, each as a list.

    Fast (no loop per line) when every line has the header's width; otherwise a line of another
    width is an error, or skipped when ``strict`` is false.
    """
    with open_text(path) as handle:
        text = handle.read()
    header, _, body = text.partition("\n")
    names = header.split("\t")
    missing = [w for w in wanted if w not in names]
    if missing:
        raise ValueError(f"{path}: no column {', '.join(missing)} in the header")
    width = len(names)
    flat = body.rstrip("\n").replace("\n", "\t").split("\t") if body.strip() else []
    # one field too many on a line and one too few on another would pass this check; a file
    # written by a program does not do that, and the slow path below catches the rest
    if len(flat) != width * (body.rstrip("\n").count("\n") + 1 if flat else 0):
        rows = [line.split("\t") for line in body.split("\n") if line]
        bad = [i for i, r in enumerate(rows, 2) if len(r) != width]
        if bad and strict:
            raise ValueError(f"{path}:{bad[0]}: not {width} tab-separated columns")
        flat = [f for r in rows if len(r) == width for f in r]
    return [flat[names.index(w)::width] for w in wanted]


def read_lexicon(path: Path) -> dict[str, tuple[str, str]]:
    """Drug lexicon ``variant  name  mesh  drugbank``: variant -> (name, DrugBank id or "").

    The ``mesh`` column is not read: it mostly holds a drug class, not the drug (build.py).
    """
    variant, name, drugbank = _fields(path, ("variant", "name", "drugbank"), strict=False)
    return dict(zip(variant, zip(name, drugbank)))


def _group(kind: list[str], label: list[str], mention: list[str], ids: list[str]
           ) -> dict[tuple[str, str], dict[str, str]]:
    """``(kind, label) -> {mention: ids}`` from columns sorted by kind, then label.

    Each group is found by bisection and made a dict of string keys, several times faster than
    one dict of tuple keys; columns found not to be sorted take the slow path.
    """
    out: dict[tuple[str, str], dict[str, str]] = {}
    n, lo = len(kind), 0
    while lo < n:
        k = kind[lo]
        end = bisect_right(kind, k, lo)
        lab = label[lo]
        hi = bisect_right(label, lab, lo, end)
        if kind[hi - 1] != k or label[hi - 1] != lab or (k, lab) in out:
            break  # not sorted
        out[(k, lab)] = dict(zip(mention[lo:hi], ids[lo:hi]))
        lo = hi
    else:
        return out
    out = {}
    for row in zip(kind, label, mention, ids):
        out.setdefault(row[:2], {})[row[2]] = row[3]
    return out


@dataclass
class Linker:
    """Mention -> concept tables; ``linker(doc, found)`` is the pipeline step.

    ``tables`` maps ``(kind, label)`` ("exact", "Chemical"; "exact", "*" for MeSH names;
    "morph", "Disease" ...) to ``{mention key: ids}``, ids "|"-joined MeSH ids without prefix,
    or "-1"; ``names`` and ``drugbank`` are keyed by MeSH id without prefix; ``drugs`` is the
    drug lexicon, or a path to it read on first use.
    """

    tables: dict[tuple[str, str], dict[str, str]]
    names: dict[str, str] = field(default_factory=dict)  # "D005665" -> "Furosemide"
    drugbank: dict[str, str] = field(default_factory=dict)  # "D005665" -> "DB00695"
    drugs: Mapping[str, tuple[str, str]] | Path | None = None
    abbreviations: bool = True
    short_forms: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (label, "HTN")
    # a note's words for findings, in note text only: (label, "febrile") -> "fever"
    note_terms: Mapping[tuple[str, str], str] = field(default_factory=dict)
    _db_mesh: dict[str, str] = field(default_factory=dict, repr=False)
    _in_notes: Mapping[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _cache: dict[tuple[str, str], Link | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._db_mesh = {db: mesh for mesh, db in self.drugbank.items()}
        self._in_notes = {**self.note_terms, **self.short_forms}

    # ----------------------------------------------------------------------------- loading
    @classmethod
    def load(cls, model_dir: str | Path,
             drugs: str | Path | Mapping[str, tuple[str, str]] | None = None,
             abbreviations: bool = True, lazy_drugs: bool = True) -> "Linker":
        """The linker of a model folder (``mesh_bc5cdr.tsv[.gz]``, ``mesh_names.tsv[.gz]``).

        ``drugs`` is the drug lexicon (a path, or a mapping already loaded by another
        component); by default the folder's ``drugs.tsv[.gz]`` when there is one. A path is read
        on the first mention that needs it unless ``lazy_drugs`` is false.
        """
        folder = Path(model_dir)
        path = find_file(folder, DICTIONARY)
        if path is None:
            raise FileNotFoundError(f"no {DICTIONARY} (or .tsv) in {folder}: build it with "
                                    "python -m medner_cli.link.build")
        tables = _group(*_fields(path, ("kind", "type", "mention", "ids")))
        names: dict[str, str] = {}
        drugbank: dict[str, str] = {}
        if names_path := find_file(folder, NAMES):
            mesh, name, db = _fields(names_path, ("mesh", "name", "drugbank"))
            names = dict(zip(mesh, name))
            drugbank = {m: d for m, d in zip(mesh, db) if d}
        if drugs is None:
            drugs = find_file(folder, "drugs.tsv")
        elif isinstance(drugs, str):
            drugs = Path(drugs)
        if isinstance(drugs, Path) and not lazy_drugs:
            drugs = read_lexicon(drugs)
        return cls(tables, names, drugbank, drugs, abbreviations, read_short_forms(SHORT_FORMS),
                   read_short_forms(NOTE_TERMS))

    def _lexicon(self) -> Mapping[str, tuple[str, str]] | None:
        if isinstance(self.drugs, Path):
            self.drugs = read_lexicon(self.drugs)
        return self.drugs

    def _get(self, kind: str, label: str, k: str) -> str | None:
        table = self.tables.get((kind, label))
        return table.get(k) if table else None

    # ----------------------------------------------------------------------------- resolving
    def resolve(self, label: str, text: str) -> Link | None:
        """The concept of a mention of ``label`` (no document context); cached per process."""
        slot = (label, text)
        try:
            return self._cache[slot]
        except KeyError:
            pass
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        found = self._cache[slot] = self._resolve(label, text)
        return found

    def _resolve(self, label: str, text: str) -> Link | None:
        link = self._lookup(label, text)
        if link is None and label == "Disease":
            return self._paraphrased(text)
        return link

    def _paraphrased(self, text: str) -> Link | None:
        """A disease by the wording MeSH would use (``paraphrase``); a coordination links only
        when every one of its mentions does, to all their ids."""
        spelled = spelled_form(text)
        if spelled and (link := self.resolve("Disease", spelled)):
            return link._replace(how="shorthand")
        for how, form in (("organ", organ_form(text)), ("vague", vague_form(text))):
            if form and (link := self._lookup("Disease", form)):
                return link._replace(how=how)
        parts = conjuncts(text)
        if not parts:
            return None
        ids: list[str] = []
        for part in parts:
            link = self.resolve("Disease", part)
            if link is None:
                return None
            ids += [i[5:] for i in link.ids if i.startswith("MESH:") and i[5:] not in ids]
        return self._link("|".join(ids), "coordination") if ids else None

    def _lookup(self, label: str, text: str) -> Link | None:
        k = key(text)
        ids = self._get("exact", label, k)
        how = "exact"
        if ids is None:
            ids, how = self._get("exact", "*", k), "name"  # a MeSH name or synonym
        if ids is not None:  # "-1": the annotators gave that mention no id
            return self._link(ids, how) if ids != "-1" else None
        drug = self._drug(k) if label == "Chemical" else None
        if drug is not None and drug.ids[0].startswith("MESH:"):
            return drug
        for kind, variant in variants(k, label):
            ids = self._get(kind, label, variant)
            if ids is None and kind == "morph" and label == "Disease":
                ids = self._get("exact", "*", variant)  # a MeSH name (build.mesh_rows)
            if ids is not None:
                if ids == "-1":
                    break
                if drug is not None:  # the lexicon's drug, with the dictionary's MeSH id
                    return self._link(ids, f"lexicon+{kind}", drug.name, drug.ids[0][9:])
                return self._link(ids, kind)
        return drug

    def _link(self, ids: str, how: str, name: str | None = None, db: str | None = None
              ) -> Link:
        """A link to the "|"-joined MeSH ids ``ids``, its name, and its DrugBank id if any."""
        mesh = ids.split("|")
        db = db or (self.drugbank.get(mesh[0]) if len(mesh) == 1 else None)
        out = tuple(f"MESH:{m}" for m in mesh) + ((f"DRUGBANK:{db}",) if db else ())
        return Link(out, self.names.get(mesh[0]) or name, how)

    def _drug(self, k: str) -> Link | None:
        """The lexicon's drug: MeSH id from the dictionary when it knows the drug, else only the
        DrugBank id; None when the lexicon does not know it or gives it no id at all."""
        drugs = self._lexicon()
        if not drugs:
            return None
        hit = drugs.get(k)
        if hit is None and ("-" in k or " " in k):
            hit = drugs.get(k.replace("-", " ")) or drugs.get(k.replace(" ", "-"))
        if hit is None:
            return None
        name, db = hit
        canon = key(name)
        ids = self._get("exact", "Chemical", canon) or self._get("exact", "*", canon)
        if not ids or ids == "-1":
            ids = self._db_mesh.get(db) if db else None
        if ids:
            return self._link(ids, "lexicon", name, db or None)
        return Link((f"DRUGBANK:{db}",), name, "lexicon") if db else None

    # ----------------------------------------------------------------------------- the step
    def __call__(self, doc: Doc, found: list[Entity]) -> list[Entity]:
        """Set ``ids`` and ``name`` on the entities of ``found`` that resolve; returns ``found``."""
        links: dict[int, Link] = {}  # index in found -> its link
        pending = []
        table = self._in_notes if self.note_terms and doc.derived(
            "note_layout", note_layout) else self.short_forms
        for i, ent in enumerate(found):
            if ent.label in LINKED:
                link = self.resolve(ent.label, ent.text)
                if link is not None:
                    links[i] = link
                if link is None or link.how == "name" and _short(ent.text) or (
                        link.how != "exact" and (ent.label, ent.text) in table):
                    pending.append(i)  # a table entry outranks a variant's guess ("O2")
        if pending and self.abbreviations:
            for i in pending:
                if link := self._short_form(doc, found, links, found[i].label, found[i].text,
                                            table):
                    links[i] = link
        for i in pending:
            if i not in links and found[i].label == "Disease" and "/" in found[i].text:
                if link := self._slash_pair(doc, found, links, found[i].text, table):
                    links[i] = link
        for i, link in links.items():
            _apply(found[i], link)
        for ent in found:
            if ent.label == "Dosage" and ent.attrs and ent.attrs.get("drug"):
                drug = ent.attrs["drug"]
                link = next((links[i] for i, e in enumerate(found)
                             if i in links and e.label == "Chemical" and e.text == drug), None)
                link = link or self.resolve("Chemical", drug)
                if link is not None:
                    ent.attrs = {**ent.attrs, "drug_ids": list(link.ids), "drug_name": link.name}
        return found

    def _slash_pair(self, doc: Doc, found: list[Entity], links: dict[int, Link], text: str,
                    table: Mapping[tuple[str, str], str]) -> Link | None:
        """A note's slash pair ("fever/chills", "cp/sob") links when each of its mentions does,
        as a coordination does, to all their MeSH ids."""
        parts = slash_parts(text)
        if not parts:
            return None
        ids: list[str] = []
        for part in parts:
            link = self.resolve("Disease", part.strip()) or (
                self._short_form(doc, found, links, "Disease", part, table) if self.abbreviations
                else None)
            if link is None:
                return None
            ids += [i[5:] for i in link.ids if i.startswith("MESH:") and i[5:] not in ids]
        return self._link("|".join(ids), "coordination") if ids else None

    def _short_form(self, doc: Doc, found: list[Entity], links: dict[int, Link], label: str,
                    text: str, table: Mapping[tuple[str, str], str]) -> Link | None:
        """The concept of the long form that ``text`` abbreviates: in this document, the link
        of the entity of the same label ending where the long form ends, or else of the long
        form's text; where the document does not define it, of the long form that ``table``
        (the short forms, and in a note its words for findings too) gives it."""
        text = text.strip()
        # cheap test first: a short form is defined as "(BPH" or "BPH ("; no document defines
        # a long one, though the table may hold it ("Ca gluconate")
        span = (long_form_of(doc, text) if len(text) <= 10 and (
            f"({text}" in doc.text or f"{text} (" in doc.text) else None)
        if span is None:
            long = table.get((label, text))
            link = self.resolve(label, long) if long else None
            return link._replace(how="short form") if link else None
        start, end = span
        for i, ent in enumerate(found):
            if i in links and ent.end == end and ent.start < end and ent.label == label:
                return links[i]._replace(how="abbreviation")
        link = self.resolve(label, doc.text[start:end])
        return link._replace(how="abbreviation") if link else None


def _short(text: str) -> bool:
    """Whether ``text`` may be a short form: one word, mostly capitals ("DIC", "AFib")."""
    text = text.strip()
    return 1 < len(text) <= 10 and " " not in text and sum(c.isupper() for c in text) >= 2


def read_short_forms(path: Path) -> dict[tuple[str, str], str]:
    """(label, short form) -> long form, from ``short form<TAB>type<TAB>long form`` lines; a
    lower-case short form also with a capital first letter, and each also in lower and in upper
    case unless two forms fold into one ("HTN" as "htn", "vanc" as "VANC")."""
    out = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[1] not in LINKED:
            raise ValueError(f"{path}:{number}: expected short form, Chemical or Disease, "
                             f"long form (tab-separated): {line!r}")
        out[parts[1], parts[0]] = parts[2]
        if parts[0].islower():  # at the start of a line or sentence: "Vanc"
            out[parts[1], parts[0][0].upper() + parts[0][1:]] = parts[2]
    folds: dict[tuple[str, str], dict[str, str]] = {}  # notes in one case: "htn", "VANC"
    for (label, form), long in out.items():
        for folded in (form.lower(), form.upper()):
            folds.setdefault((label, folded), {})[long.lower()] = long
    for folded, longs in folds.items():
        if folded not in out and len(longs) == 1:  # not where two forms fold together
            out[folded] = next(iter(longs.values()))
    return out


@lru_cache(maxsize=65536)
def _shared_list(ids: tuple[str, ...]) -> list[str]:
    """One list per concept, shared by its mentions (never mutated: steps assign new lists)."""
    return list(ids)


def _apply(ent: Entity, link: Link) -> None:
    """Put ``link`` on ``ent``. Ids given with the input win. The lexicon layer's ids keep their
    DrugBank id, but the link's MeSH ids take the place of theirs: the drug package's MeSH id
    is as often a class ("Lithium Compounds" for lithium) as the substance."""
    if not ent.ids:
        ent.ids, ent.name = _shared_list(link.ids), link.name
        return
    mesh = [i for i in link.ids if i.startswith("MESH:")]
    had_mesh = any(i.startswith("MESH:") for i in ent.ids)
    if mesh and (not had_mesh or ent.source != "given"):
        others = [i for i in ent.ids if not i.startswith("MESH:")]
        ent.ids = mesh + others + [i for i in link.ids if i not in mesh and i not in others]
        if ent.source != "given":
            ent.name = link.name or ent.name
    if not ent.name:
        ent.name = link.name


class LexiconDrugs:
    """The lexicon step's ``DrugLexicon`` seen as variant -> (name, DrugBank id), the shape the
    linker reads, so a worker holds the drug lexicon once instead of twice."""

    def __init__(self, lexicon) -> None:
        self.lexicon = lexicon

    def __len__(self) -> int:
        return len(self.lexicon)

    def get(self, variant: str) -> tuple[str, str] | None:
        hit = self.lexicon.get(variant)
        if hit is None:
            return None
        name, ids = hit
        return name, next((i[9:] for i in ids if i.startswith("DRUGBANK:")), "")


@lru_cache(maxsize=4)
def linker_for(model_dir: str) -> Linker:
    """``Linker.load(model_dir)``, once per process and folder (the pipeline's factory), with
    the drug lexicon the lexicon step loads (``DrugLexicon.load`` keeps one per process)."""
    from medner_cli.lexicon import DrugLexicon
    from medner_cli.lexicon.match import find_file as lexicon_file

    folder = Path(model_dir)
    drugs = LexiconDrugs(DrugLexicon.load(folder)) if lexicon_file(folder) else None
    return Linker.load(folder, drugs=drugs)
