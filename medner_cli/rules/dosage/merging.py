"""Merge model entities with rule Dosage spans into one list per document; the pipeline step.

The model is trusted for Chemical and Disease, except where what it tagged is itself nothing but
a dose inside a rule Dosage ("q8h" in "1,000 mg PO q8h": a frequency is never a drug or a
disease). Dosage comes from the rules only. A Dosage never overlaps a model entity (the drug name
is never part of a dose), and it names the drug it belongs to: the Chemical right after it when
none comes right before ("0.25% bupivacaine", "2 mL of lidocaine"), else the nearest Chemical
before it in the same sentence.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate

import regex

from medner_cli.doc import Doc, Entity
from medner_cli.rules.dosage.spans import (DosageSpan, chemical_words, dosage_within, find_dosages,
                                           only_dose_words)
from medner_cli.segment import sentences


def _outside(text: str, start: int, end: int, blocking: list[Entity]) -> DosageSpan | None:
    """The longest part of ``[start, end)`` outside the ``blocking`` entities still a Dosage."""
    parts = [(start, end)]
    for chem in blocking:
        parts = [(ps, pe) for s, e in parts
                 for ps, pe in ((s, min(e, chem.start)), (max(s, chem.end), e)) if ps < pe]
    for s, e in sorted(parts, key=lambda p: p[0] - p[1]):
        if found := dosage_within(text, s, e):
            return found
    return None


def merge(doc: Doc, model_entities: list[Entity], dosages: list[DosageSpan]) -> list[Entity]:
    """Model entities plus rule Dosage entities (``dosages``, sorted by start, as
    ``find_dosages`` gives them), sorted by start.

    A model Dosage is dropped in favour of the rules. A rule span that overlaps a model entity
    (a Chemical, or a Disease such as "2 g/day cocaine abuse") is cut to its longest part outside
    it that still holds an amount or a frequency (attributes read again from that part), or
    dropped when none does: outputs never overlap, so CoNLL and BRAT stay well formed.
    """
    model = [e for e in model_entities
             if e.label != "Dosage" and not _only_a_dose(doc.text, e, dosages)]
    out = sorted(_release_amounts(doc, model, dosages), key=lambda e: (e.start, e.end))
    starts = [e.start for e in out]
    reach = list(accumulate((e.end for e in out), max))  # furthest end among the first i+1
    chemicals = [e for e in out if e.label == "Chemical"]
    chem_starts = [c.start for c in chemicals]
    bounds = sentences(doc.text) if chemicals and dosages else []
    found = []
    for start, end, attrs in dosages:
        n = bisect_left(starts, end)  # out[:n] start before the span ends
        if n and reach[n - 1] > start:
            cut = _outside(doc.text, start, end, [e for e in out[:n] if e.end > start])
            if cut is None:
                continue
            start, end, attrs = cut
        attrs = dict(attrs)
        k = bisect_left(chem_starts, end)
        if drug := _drug_after(doc.text, chemicals, k, start, end) or \
                _drug(chemicals, k, bounds, start):
            attrs["drug"] = drug
        found.append(doc.span(start, end, "Dosage", score=1.0, source="rule", attrs=attrs))
    return sorted(out + found, key=lambda e: (e.start, e.end))


def _only_a_dose(text: str, ent: Entity, dosages: list[DosageSpan]) -> bool:
    """True when ``ent`` lies inside a rule Dosage and is made of dose words alone."""
    i = bisect_right(dosages, (ent.start, float("inf"))) - 1
    if i < 0 or dosages[i].end < ent.end:
        return False
    return only_dose_words(text, ent.start, ent.end)


_NUMERIC_TAIL = regex.compile(r"[\d.,/\s-]+")


def _release_amounts(doc: Doc, model: list[Entity], dosages: list[DosageSpan]) -> list[Entity]:
    """Give back to the dose a number the model swept into a Chemical ("Metformin 500|mg").

    A Chemical that runs into the start of a dose by digits alone ends before the dose instead,
    so the dose keeps its amount and names the drug; anything else about it is unchanged.
    """
    starts = sorted(d.start for d in dosages)
    out = []
    for ent in model:
        if ent.label == "Chemical" and starts:
            i = bisect_right(starts, ent.start)
            if i < len(starts) and starts[i] < ent.end and \
                    _NUMERIC_TAIL.fullmatch(doc.text, starts[i], ent.end):
                end = len(doc.text[:starts[i]].rstrip())
                if end > ent.start:
                    ent = doc.span(ent.start, end, ent.label, score=ent.score, source=ent.source)
        out.append(ent)
    return out


# between a drug and its dose: "Lasix 40 mg", "lidocaine: 1%", "aspirin (81 mg)"
_BEFORE_GAP = regex.compile(r"[ \t]*[:(]?[ \t]*")
# between a dose and the drug it measures: "0.25% bupivacaine", "4 cc of triamcinolone"
_AFTER_GAP = regex.compile(r"[ \t]+(?:of[ \t]+)?")


def _drug_after(text: str, chemicals: list[Entity], k: int, start: int, end: int) -> str | None:
    """The Chemical right after a dose that no Chemical comes right before: the drug that a
    concentration or a volume written first measures ("0.25% bupivacaine", "2 mL of
    lidocaine"); in "aspirin 81 mg metoprolol 25 mg" the 81 mg stays aspirin's, and a share
    ("56% of terbutaline clearance") measures no drug."""
    if k < len(chemicals):
        nxt = chemicals[k]
        gap = _AFTER_GAP.fullmatch(text, end, nxt.start)
        if gap and not (text[end - 1] == "%" and "of" in gap.group()) and not (
                k and _BEFORE_GAP.fullmatch(text, chemicals[k - 1].end, start)):
            return nxt.text
    return None


def _drug(chemicals: list[Entity], n: int, bounds: list[tuple[int, int]], start: int) -> str | None:
    """Text of the Chemical ending last before ``start`` in the sentence that holds ``start``.

    ``chemicals`` are sorted by start and only ``chemicals[:n]`` can end before ``start``; the
    scan goes back from the nearest one to the start of the sentence.
    """
    i = bisect_right(bounds, (start, float("inf"))) - 1
    if i < 0 or start >= bounds[i][1]:
        return None
    best = None
    for j in range(n - 1, -1, -1):
        chem = chemicals[j]
        if chem.start < bounds[i][0]:
            break
        if chem.end <= start and (best is None or chem.end > best.end):
            best = chem
    return best.text if best else None


def add_dosages(doc: Doc, found: list[Entity]) -> list[Entity]:
    """The pipeline step: the rule dosages of ``doc`` merged into ``found``."""
    return merge(doc, found, find_dosages(doc.text, chemical_words(doc.text, found)))
