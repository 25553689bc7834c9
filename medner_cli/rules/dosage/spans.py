"""Dosage spans: which chains are medication, where each span starts and ends, its attributes.

A chain becomes one span from its first to its last dose piece (routes and dose-form words may
sit inside a span but never start or end one) when its context says it is medication:

* an amount with a dose unit fires unless a negative cue says it is a lab value, a vital sign,
  a fluid balance, a size or a weight;
* a frequency abbreviation (BID, q6h, PRN) fires unless it follows a patient behaviour or a
  nursing task ("nocturia q.1h.", "vitals q4h");
* a plain frequency or course ("daily", "for 10 days") fires only next to a route, a drug-like
  word or a word such as "take", or right after another Dosage ("BID (2 times a day)").
"""

from __future__ import annotations

from typing import Any, NamedTuple

import regex

from medner_cli.rules.dosage.chains import CAN_FIRE, INNER, STRONG, Piece, chains, pieces, strip
from medner_cli.rules.dosage.context import (blocked, dose_ok, drug_context, drug_like, pct_ok,
                                             tokens_after, tokens_before)
from medner_cli.rules.dosage.normalize import canonical_unit, course_of, span_attrs
from medner_cli.rules.dosage.vocabulary import FORMULATION, NOT_DOSE_CHEMICAL, NO_STRENGTH_BEFORE


class DosageSpan(NamedTuple):
    """A Dosage found by the rules: ``text[start:end]`` (end exclusive) and its attributes.

    A tuple, so ``start, end, attrs = span`` works too. ``attrs`` is a fresh dict per span.
    """

    start: int
    end: int
    attrs: dict[str, Any]


# What may separate a Dosage from a schedule that continues it: "BID (2 times a day)", "2 mg as
# needed, up to 3 times a week".
_CONTINUATION = regex.compile(r"[^\S\r\n]*(?:[,()][^\S\r\n]*){1,3}(?:up[^\S\r\n]+to[^\S\r\n]+)?")
_PIECE_GAP = regex.compile(r"[\s,/()\-]*")


def _evaluate(text: str, chain: list[Piece], follows: bool,
              drugs: frozenset[str]) -> DosageSpan | None:
    """The span and attributes of a chain, or None when its context says it is not a dose.

    ``follows``: the chain comes right after a Dosage, split from it only by a comma or a
    parenthesis, so a schedule in it needs no further context.
    """
    chain = _strength_part(text, chain, drugs)
    core = strip(chain)
    if not core:
        return None
    routes = [p for p in chain if p.kind == "route"]
    if core[0].kind == "bare":
        return DosageSpan(core[0].start, core[-1].end, span_attrs(core, routes))
    kinds = {p.kind for p in core}
    if not kinds & CAN_FIRE:
        return None
    before = tokens_before(text, chain[0].start, 12)
    after = tokens_after(text, chain[-1].end, 3)
    if "pct" in kinds and not kinds & {"dose", "xdur"} and not all(
            pct_ok(text, p, before, drugs) for p in core if p.kind == "pct"):
        return None
    if kinds & {"dose", "xdur", "pct"}:
        if not dose_ok(text, core, before, after, drugs):
            return None
    elif kinds & STRONG:
        if not follows and blocked(before, after, True):
            return None
    elif not follows:
        if blocked(before, after, False):
            return None
        if kinds & {"wfreq", "wprn"}:
            ok = routes or drug_context(text, chain[0].start, before, after, True, drugs)
        elif any(course_of(p.m)["unit"] in ("day", "week", "month")
                 for p in core if p.kind == "dur"):
            # the note's own drug names count before an "x" course ("Pylera x 14 days"), not
            # before "for": "has been on oxybutynin for 8 months" says how long, not a course
            ok = routes or drug_context(text, chain[0].start, before, after, False,
                                        drugs if text[chain[0].start] in "xX" else frozenset())
        else:  # a count of doses right after a drug or its form: "ondansetron x1", "drops x2"
            ok = bool(before) and (drug_like(before[0], drugs) or before[0] in FORMULATION
                                   and len(before) > 1 and drug_like(before[1], drugs))
        if not ok:
            return None
    return DosageSpan(core[0].start, core[-1].end, span_attrs(core, routes))


def _strength_part(text: str, chain: list[Piece], drugs: frozenset[str]) -> list[Piece]:
    """``chain`` as far as its bare numbers allow: a bare number is a strength only right after
    a drug ("Lipitor 40 at night", "Toprol XL 50 daily"); elsewhere ("HR 54") it is none, so
    it leaves the chain's start, and a later one ends the chain."""
    if not any(p.kind == "bare" for p in chain):
        return chain
    start = 0
    while start < len(chain) and (chain[start].kind in INNER or chain[start].kind == "bare" and
                                  not _after_drug(text, chain[start].start,
                                                  tokens_before(text, chain[start].start, 12),
                                                  drugs)):
        start += 1
    if start and all(p.kind in INNER for p in chain[:start]):
        start = 0  # only routes or forms lead: the chain starts as before
    first = next((i for i in range(start, len(chain)) if chain[i].kind not in INNER), len(chain))
    nxt = next((p for p in chain[first + 1:] if p.kind not in INNER), None)
    if first < len(chain) and chain[first].kind == "bare" and nxt is not None and (
            nxt.kind == "pct" or nxt.kind == "dose" and canonical_unit(
                nxt.m["d_unit"]).split("/")[0] in _MEASURES):
        return chain[first + 1:]  # "polyethylene glycol 3350 17 g": the number is the name's
    end = next((i for i in range(first + 1, len(chain)) if chain[i].kind == "bare"), len(chain))
    return chain[start:end]


_BRAND_SUFFIX = frozenset("xl xr er sr cr dr ec odt cd la ds hct".split())
_MEASURES = frozenset(("mg", "mcg", "g", "mL", "L", "unit", "mEq", "mmol", "mCi"))
_NOT_STRENGTH = regex.compile(r"\d{1,2}/\d{1,2}/\d{2,4}|(?:19|20)\d\d(?![\d,])")  # dates, years
_WORD_BEFORE = regex.compile(r"\p{L}[\p{L}\-]*(?:[ \t]+\p{L}{1,4})?[ \t]+$")


def _after_drug(text: str, pos: int, before: list[str], drugs: frozenset[str]) -> bool:
    """Is the number at ``pos`` right after a drug name (a brand suffix between is allowed),
    with nothing else between? Not after an analyte or a drug measured by its level:
    "potassium 3.2", "vancomycin 18" are results."""
    if not before or _NOT_STRENGTH.match(text, pos):
        return False
    word = before[1] if before[0] in _BRAND_SUFFIX and len(before) > 1 else before[0]
    return (word not in NO_STRENGTH_BEFORE and drug_like(word, drugs)
            and _WORD_BEFORE.search(text, max(0, pos - 40), pos) is not None)


def find_dosages(text: str, drugs: frozenset[str] = frozenset()) -> list[DosageSpan]:
    """Each Dosage span of ``text``: sorted, non-overlapping, never across a line.

    ``drugs``: lower-cased words of the Chemicals already found in the text, which count as
    drug names for the context (``chemical_words``).

    attrs holds what is known of ``amount`` (float, [low, high] for a range or the parts of a
    combination strength), ``unit``, ``route`` (also when the route word sits just outside the
    span), ``frequency``, ``per_day``, ``as_needed`` and ``duration``.
    """
    out: list[DosageSpan] = []
    tail = -1  # where the last Dosage ends, or a route set off by commas after it
    for chain in chains(text):
        follows = bool(out) and _CONTINUATION.fullmatch(text, tail, chain[0].start) is not None
        if hit := _evaluate(text, chain, follows, drugs):
            out.append(hit)
            tail = hit.end
        elif follows and all(p.kind in INNER for p in chain):
            # "875 mg, by mouth, every 12 hours": the route belongs to the order, which goes on
            tail = chain[-1].end
            if "route" not in out[-1].attrs and (routes := [p for p in chain
                                                             if p.kind == "route"]):
                out[-1].attrs["route"] = span_attrs([], routes)["route"]
    return out


def only_dose_words(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is dose pieces alone (amounts, units, schedules, routes) with
    only white space or punctuation between them, holding more than a route ("PO q6h", "q8h",
    "1 g"; not "PO", not "Lasix 40 mg")."""
    found = pieces(text, start, end)
    if not strip(found):
        return False
    pos = start
    for piece in found:
        if not _PIECE_GAP.fullmatch(text, pos, piece.start):
            return False
        pos = piece.end
    return _PIECE_GAP.fullmatch(text, pos, end) is not None


def dosage_within(text: str, start: int, end: int) -> DosageSpan | None:
    """The part of ``text[start:end]`` that is still a Dosage, with its attributes, or None.

    For a span cut short (by a Chemical over part of it): what is left keeps its amounts and
    frequencies, without the route or form words that would now start or end it.
    """
    found = pieces(text, start, end)
    core = strip(found)
    if not core:
        return None
    return DosageSpan(core[0].start, core[-1].end,
                      span_attrs(core, [p for p in found if p.kind == "route"]))


_WORD = regex.compile(r"\p{L}[\p{L}\-]{3,}")


def chemical_words(text: str, entities: list[Any]) -> frozenset[str]:
    """The lower-cased words (four letters or more) of the Chemical entities of a text, less
    nutrients and the words that say a quantity is no dose ("sodium", "water", "saline"...)."""
    words = {w.lower() for e in entities if e.label == "Chemical"
             for w in _WORD.findall(text, e.start, e.end)}
    return frozenset(words - NOT_DOSE_CHEMICAL)
