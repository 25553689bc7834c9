"""Concept scores: the BioCreative V CDR normalization protocol, and per-mention id accuracy.

Concept level (the CDR task's DNER measure): for each document the set of ``(type, MeSH id)``
pairs of its entities, gold against predicted; true positives, false positives and false
negatives are added over documents (micro) per type. A gold composite mention ("renal and
hepatic failure", ``D051437|D006505``) yields each of its ids; a gold "-1" (no MeSH concept) yields
none; every ``MESH:`` id of a predicted entity counts (other prefixes, such as ``DRUGBANK:``, do
not). Where a concept is found, or how often, does not matter at this level.

Mention level: over gold mentions that carry at least one id and that a prediction matches
exactly (same start, end and label), ``top1`` counts those whose first predicted ``MESH:`` id is
among the gold ids and ``exact`` those whose predicted ``MESH:`` id set equals the gold set;
``linked`` counts matched mentions given any ``MESH:`` id. The accuracies divide by ``matched``.

Gold ids come from the PubTator reader (``medner_cli.read``) or JSONL ``ids``. The build reads
mention lines with ``read_pubtator_mentions``, which also keeps a composite's parts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

from medner_cli.doc import Doc

TYPES = ("Chemical", "Disease")
MESH = "MESH:"


class GoldMention(NamedTuple):
    """One PubTator mention line; ``ids`` carry the ``MESH:`` prefix and never "-1"."""

    pmid: str
    start: int
    end: int
    text: str
    label: str
    ids: tuple[str, ...]
    parts: tuple[str, ...]  # the individual mentions of a composite one, when given
    no_id: bool  # the corpus says "-1": no MeSH concept


def read_pubtator_mentions(source: str | Path | bytes) -> Iterator[GoldMention]:
    """The mention lines of a PubTator file (a path, or its bytes); other lines are skipped."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    for line in data.decode("utf-8-sig").splitlines():
        cols = line.split("\t")
        if len(cols) < 5 or not cols[1].isdigit() or not cols[2].isdigit():
            continue
        raw = cols[5].strip() if len(cols) > 5 else ""
        ids = tuple(dict.fromkeys(f"{MESH}{x.strip()}" for x in raw.split("|")
                                  if x.strip() not in ("", "-1")))
        parts = tuple(cols[6].split("|")) if len(cols) > 6 and cols[6] else ()
        yield GoldMention(cols[0], int(cols[1]), int(cols[2]), cols[3], cols[4], ids, parts,
                          raw == "-1")


def _mesh(ids: list[str] | None) -> list[str]:
    return [i for i in ids or () if i.startswith(MESH)]


def concept_set(doc: Doc, types: Iterable[str] = TYPES) -> set[tuple[str, str]]:
    """The document's ``(type, MeSH id)`` pairs."""
    types = set(types)
    return {(e.label, i) for e in doc.entities if e.label in types for i in _mesh(e.ids)}


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "tp": tp, "fp": fp, "fn": fn}


def concept_scores(pairs: Iterable[tuple[Doc, Doc]], types: Iterable[str] = TYPES) -> dict:
    """Concept P/R/F1 per type and micro over types, and per-mention id accuracy.

    ``pairs`` are (gold, predicted) documents of the same text; gold entities carry their ids
    (``attach_ids``). Returns ``{"documents": n, "concepts": {type|"micro": {precision, recall,
    f1, tp, fp, fn}}, "mentions": {type: {gold, matched, linked, top1, exact, top1_accuracy,
    exact_accuracy}}}``.
    """
    types = tuple(types)
    tp = dict.fromkeys(types, 0)
    fp = dict.fromkeys(types, 0)
    fn = dict.fromkeys(types, 0)
    ment = {t: dict.fromkeys(("gold", "matched", "linked", "top1", "exact"), 0) for t in types}
    n_docs = 0
    for gold, pred in pairs:
        n_docs += 1
        g, p = concept_set(gold, types), concept_set(pred, types)
        for label, _ in g & p:
            tp[label] += 1
        for label, _ in p - g:
            fp[label] += 1
        for label, _ in g - p:
            fn[label] += 1
        by_span = {(e.start, e.end, e.label): e for e in pred.entities}
        for ent in gold.entities:
            gold_ids = _mesh(ent.ids)
            if ent.label not in ment or not gold_ids:
                continue
            row = ment[ent.label]
            row["gold"] += 1
            hit = by_span.get((ent.start, ent.end, ent.label))
            if hit is None:
                continue
            row["matched"] += 1
            got = _mesh(hit.ids)
            if got:
                row["linked"] += 1
                row["top1"] += got[0] in gold_ids
                row["exact"] += set(got) == set(gold_ids)
    concepts = {t: _prf(tp[t], fp[t], fn[t]) for t in types}
    concepts["micro"] = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    for row in ment.values():
        m = row["matched"]
        row["top1_accuracy"] = round(row["top1"] / m, 4) if m else 0.0
        row["exact_accuracy"] = round(row["exact"] / m, 4) if m else 0.0
    return {"documents": n_docs, "concepts": concepts, "mentions": ment}
