"""Context: whether a chain of pieces is medication, from the words around it.

An amount with a dose unit is a dose unless a negative cue says it is a lab value, a vital sign,
a fluid balance, a size or a weight (``dose_ok``); a percentage is a strength only next to a drug
or a formulation (``pct_ok``); a lone frequency is no dose after a patient behaviour, a nursing
task or a lab (``blocked``) and a plain one needs a drug-like word or a cue nearby
(``drug_context``). The cue words are the lists in resources/ (vocabulary.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import regex

from medner_cli.rules.dosage.normalize import canonical_unit, parse_amount
from medner_cli.rules.dosage.vocabulary import (DETERMINERS, DRUG_SUFFIX, DRUGS, FLUID_AFTER,
                                                FLUIDS, FORMULATION, GAUGE_AFTER, LAB, MED_NOUNS,
                                                NEG, NEG_AFTER, NOT_AFTER_FREQ, NOT_DRUG,
                                                NOT_TAKEN, ORGAN, OTHER_MEASURE, POSITIVE,
                                                PRONOUNS)

if TYPE_CHECKING:
    from medner_cli.rules.dosage.chains import Piece

# A word of the context: letters and digits, with inner apostrophes, slashes, "&" and hyphens.
_TOKEN = regex.compile(r"[\p{L}\p{N}][\p{L}\p{N}'’/&\-]*")
# A sentence ends at a period after a word (not "approx.") before a capital or a digit.
_STOP_BEFORE = regex.compile(r"[\r\n;]|(?<=\p{L}{2}|[\d)\]%])(?<!approx)[.!?]\s+(?=[\p{Lu}\d])")
_STOP_AFTER = regex.compile(r"[\r\n;,:]|\.(?:\s|$)")
_MED_LINE = regex.compile(
    r"[^\S\r\n]*(?:(?:\d{1,2}[.)]|[-*•·>]|\#\d*)[^\S\r\n]*)?(\p{Lu}[\p{L}\-]{2,})"
    r"(?:[^\S\r\n]+\p{L}[\p{L}\-]*)?[^\S\r\n]*")

_MASS_VOLUME = frozenset({"g", "mg", "mL", "L"})
# words between an organ and its weight: "the prostate is approximately 50 grams"
_LINKING = frozenset({"is", "was", "approximately", "approx", "about", "around", "roughly",
                      "estimated", "measures", "measured", "measuring", "weighs", "weighing"})
_GAUGES = frozenset({14.0, 16.0, 18.0, 20.0, 22.0, 24.0})
_OF = regex.compile(r"[^\S\r\n]+of[^\S\r\n]+")


def tokens_before(text: str, pos: int, n: int) -> list[str]:
    """Up to ``n`` lower-cased words before ``pos`` in its line and sentence, nearest first."""
    lo = max(0, pos - 90)
    for m in _STOP_BEFORE.finditer(text, lo, pos):
        lo = m.end()
    return [t.lower().rstrip("'’-") for t in _TOKEN.findall(text, lo, pos)[-n:]][::-1]


def tokens_after(text: str, pos: int, n: int) -> list[str]:
    """Up to ``n`` lower-cased words after ``pos`` in its clause, without "of" and "the"."""
    hi = min(len(text), pos + 60)
    if m := _STOP_AFTER.search(text, pos, hi):
        hi = m.start()
    return [t.lower() for t in _TOKEN.findall(text, pos, hi) if t.lower() not in ("of", "the")][:n]


def drug_like(token: str, drugs: frozenset[str] = frozenset()) -> bool:
    """Whether a lower-cased word looks like a drug: listed in drugs.txt, a word of a Chemical
    the note's earlier steps found (``drugs``: "Xalatan", "latanoprost"), or a drug ending."""
    return (token in DRUGS or token in drugs
            or len(token) >= 5 and DRUG_SUFFIX.search(token) is not None
            or len(token) >= 6 and token.startswith(("cef", "ceph")))


def _char_before(text: str, pos: int) -> str:
    while pos > 0 and text[pos - 1] in " \t\u00a0":
        pos -= 1
    return text[pos - 1] if pos > 0 else ""


def dose_ok(text: str, pieces: list[Piece], before: list[str], after: list[str],
            drugs: frozenset[str] = frozenset()) -> bool:
    """Whether an amount with a unit is medication rather than a measurement.

    ``before`` is scanned from the nearest word out to a word saying "given" or naming a drug
    (or a quantity in another unit, which the cue belongs to); a negative cue on the way wins.
    """
    if _char_before(text, pieces[0].start) in ("<", ">", "≤", "≥"):  # "remove when < 30 mL/24 h"
        return False
    units = [canonical_unit(p.m["d_unit"]) for p in pieces if p.kind == "dose"]
    if "dose" in units and any(t in NOT_TAKEN for t in before[:3]):  # "missed 2 doses"
        return False
    if any(u.endswith(("/s", "/sec")) for u in units) and not any(
            t in POSITIVE or drug_like(t, drugs) for t in before[:6]):
        return False  # a flow ("Qmax 8.2 mL/s"), unless injected ("contrast at 3 mL/s")
    mass_volume = any(u in _MASS_VOLUME for u in units)
    if mass_volume and before[:1] in (["cm"], ["mm"]):  # weighed after measured: "4 x 3 cm, 11 g"
        return False
    volume = any(u in ("mL", "L") or u.startswith(("mL/", "L/")) for u in units)
    if volume and any(t in _OXYGEN_BEFORE for t in before[:4]):
        return False  # oxygen's flow: "oxygen by nasal cannula at 2 L"
    given = _volume_of_strength(text, pieces) or _volume_of_drug(text, pieces, after, drugs)
    for i, tok in enumerate(before if not given else ()):
        if tok in POSITIVE or tok in OTHER_MEASURE or drug_like(tok, drugs):
            break
        # a compound participle: "hand-irrigated with 600 mL"; not "20-gauge", "stop-smoking"
        head, _, tail = tok.rpartition("-")
        negative = tok in NEG or head.isalpha() and tail.endswith("ed") and tail in NEG
        if negative or i < 2 and tok in LAB or mass_volume and tok in ORGAN and (
                i < 2 or all(t in _LINKING for t in before[:i])):
            return False
        if i == 0 and tok == "on" and "L" in units:  # "on 2 L": oxygen
            return False
        if tok in FLUIDS and (i == 0 or i == 1 and before[0] == "to"):  # totals, restrictions
            return False
    if any(t in NEG_AFTER or volume and t in FLUID_AFTER for t in after):
        return False
    for p in pieces:
        if p.kind != "dose" or canonical_unit(p.m["d_unit"]) != "g":
            continue
        amount = parse_amount(p.m["amt"])
        if not isinstance(amount, float):
            continue
        if amount > 100 and not (before and drug_like(before[0], drugs)):
            return False  # specimen, organ or birth weight; not a bowel prep ("MiraLAX 238 g")
        attached = p.m["d_unit"] == "G" and text[p.m.start("d_unit") - 1].isdigit()
        if amount.is_integer() and (attached and 14 <= amount <= 34 or amount in _GAUGES
                                    and GAUGE_AFTER.intersection(tokens_after(text, p.end, 3))):
            return False  # needle or cannula gauge: "22g IV placed", "32G pen needles"
    return True


# what wounds and cavities are irrigated or lavaged with
_IRRIGANTS = frozenset(("saline", "normal", "ns", "nacl", "sterile", "water", "lactated", "lr",
                        "ringer's", "ringers", "ringer", "half", "glycine", "sorbitol"))
# before a volume in litres or mL, these make it oxygen's flow, not a dose
_OXYGEN_BEFORE = frozenset(("cannula", "nc", "oxygen", "o2", "mask", "hfnc", "nrb"))


def _volume_of_drug(text: str, pieces: list[Piece], after: list[str],
                    drugs: frozenset[str]) -> bool:
    """"1.5 mL of Omnipaque 240": millilitres of a named drug are a dose given, whatever the
    words before it ("After negative aspiration, 1.5 mL of ..."); fluids ("600 mL of saline")
    may be irrigation and keep the scan."""
    last = pieces[-1]
    return (last.kind == "dose" and canonical_unit(last.m["d_unit"]) == "mL" and bool(after)
            and _OF.match(text, last.end) is not None and after[0] not in _IRRIGANTS
            and after[0] not in FLUIDS and after[0] not in NEG and drug_like(after[0], drugs))


def _volume_of_strength(text: str, pieces: list[Piece]) -> bool:
    """"1.6 mL of 0.75%": millilitres of a solution of stated strength are a dose given, so the
    words before it ("... return of clear fluid, 1.6 mL of 0.75% bupivacaine") do not unmake
    it; no body fluid or balance is written so. Litres ("1 L of 0.9% saline") may be irrigation
    or a fluid total and keep the scan."""
    return any(a.kind == "dose" and canonical_unit(a.m["d_unit"]) == "mL" and b.kind == "pct"
               and _OF.fullmatch(text, a.end, b.start) is not None
               for a, b in zip(pieces, pieces[1:]))


def pct_ok(text: str, piece: Piece, before: list[str], drugs: frozenset[str] = frozenset()) -> bool:
    """A percentage or ratio is a strength only next to a drug or a formulation ("1% lidocaine")."""
    nxt = tokens_after(text, piece.end, 2)
    if nxt and drug_like(nxt[0], drugs) or any(t in FORMULATION for t in nxt):
        return True
    return bool(before) and drug_like(before[0], drugs)


def blocked(before: list[str], after: list[str], abbreviation: bool) -> bool:
    """A lone frequency after a patient behaviour, a nursing task or a lab is not a dose.

    An abbreviation after an article is an English word ("in a bid to").
    """
    if before and (abbreviation and before[0] in DETERMINERS or before[0].endswith("uria")):
        return True
    return (any(t in NOT_DRUG for t in before[:3]) or any(t in NOT_TAKEN for t in before[:4])
            or any(t in NOT_AFTER_FREQ for t in after[:2]))


def drug_context(text: str, start: int, before: list[str], after: list[str],
                  line_ok: bool, drugs: frozenset[str] = frozenset()) -> bool:
    """A drug-like word or a cue nearby; ``line_ok``: also the first word of a medication line."""
    if any(t in POSITIVE or t in MED_NOUNS or drug_like(t, drugs) for t in before[:4]):
        return True
    if after and (after[0] in MED_NOUNS or drug_like(after[0], drugs)):  # "weekly methotrexate"
        return True
    if not line_ok:
        return False
    line = text.rfind("\n", 0, start) + 1
    m = _MED_LINE.fullmatch(text, line, start)  # "Senna at bedtime" on a medication list
    return m is not None and m[1].lower() not in NOT_DRUG and m[1].lower() not in PRONOUNS
