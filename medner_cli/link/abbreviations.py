"""Abbreviations defined in a document (Schwartz and Hearst, PSB 2003), and a step using them.

``find_abbreviations`` finds "benign prostatic hyperplasia (BPH)" and the reverse order
"BPH (benign prostatic hyperplasia)": a short form of 2-10 characters, at most two words, with
an upper-case letter and starting with a letter or digit, and the shortest long form before it
in the same sentence (at most ``min(n + 5, 2n)`` words, n the short form's length) whose words'
characters match the short form's in order, the first at the start of a word. Offsets index
the text.

``abbreviation_labels`` is a pipeline step: where a long form is an entity (one that ends where
it ends), every untagged
occurrence of its short form in the document is tagged with the same label (and one tagged with
another label is relabelled), so an abbreviation reads as what it stands for.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from medner_cli.doc import Doc, Entity


class Abbreviation(NamedTuple):
    """A ``(short, long)`` pair of ``(start, end)`` spans (end exclusive) of the text."""

    short: tuple[int, int]
    long: tuple[int, int]


_PAREN = re.compile(r"\(\s*([^()]{0,200}?)\s*\)")
_LAST_STOP = re.compile(r".*(?:[.!?;:]\s|[()\[\]\n])", re.S)  # greedy: the last stop
_WORD = re.compile(r"\S+")
_LAST_WORD = re.compile(r"([^\s(]+)\s*$")


def _valid_short(sf: str) -> bool:
    # an upper-case letter is required too (not in the original algorithm): it keeps out
    # "(cardiac, cerebrovascular ...)" and "(mean)"
    return (2 <= len(sf) <= 10 and len(sf.split()) <= 2 and sf[0].isalnum()
            and any(c.isupper() for c in sf))


def best_long_form(sf: str, lf: str) -> int | None:
    """Start in ``lf`` of the shortest tail of it that the short form ``sf`` abbreviates.

    Every letter or digit of ``sf`` must occur in the tail in order, matched from the end, and
    the first must begin a word. None when there is no such tail.
    """
    s, i = len(sf) - 1, len(lf) - 1
    while s >= 0:
        ch = sf[s].lower()
        if not ch.isalnum():
            s -= 1
            continue
        while i >= 0 and (lf[i].lower() != ch or (s == 0 and i > 0 and lf[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i -= 1
        s -= 1
    return lf.rfind(" ", 0, i + 1) + 1


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _long_before(text: str, sf: str, paren: int) -> tuple[int, int] | None:
    """The long form of ``sf`` in the words before the parenthesis at ``paren``."""
    lo = max(0, paren - 300)
    stop = _LAST_STOP.match(text, lo, paren)
    window_start = stop.end() if stop else lo
    end = paren
    while end > window_start and text[end - 1].isspace():
        end -= 1
    words = list(_WORD.finditer(text, window_start, end))
    limit = min(len(sf) + 5, 2 * len(sf))
    if not words:
        return None
    cand_start = words[max(0, len(words) - limit)].start()
    lf = text[cand_start:end]
    at = best_long_form(sf, lf)
    if at is None:
        return None
    long_text = lf[at:]
    if len(long_text) <= len(sf) or len(long_text.split()) > limit:
        return None
    if sf.lower() in long_text.lower().split():
        return None
    return cand_start + at, end


def find_abbreviations(text: str) -> list[Abbreviation]:
    """Every (short form, long form) definition in ``text``, in order of position."""
    out: list[Abbreviation] = []
    if "(" not in text:
        return out
    for m in _PAREN.finditer(text):
        inner = m.group(1)
        if not inner:
            continue
        inner_start, inner_end = m.span(1)
        # "(BPH; ...)" or "(BPH, ...)": the short form is what comes before the separator
        cut = min((inner.find(c) for c in ";," if c in inner), default=-1)
        sf_end = inner_start + cut if cut > 0 else inner_end
        sf_start, sf_end = _strip(text, inner_start, sf_end)
        sf = text[sf_start:sf_end]
        if _valid_short(sf):
            found = _long_before(text, sf, m.start())
            if found:
                out.append(Abbreviation((sf_start, sf_end), found))
            continue
        # "BPH (benign prostatic hyperplasia)": the short form is the word before
        if len(inner.split()) < 2:
            continue
        word = _LAST_WORD.search(text, max(0, m.start() - 40), m.start())
        if not word:
            continue
        w_start, w_end = word.span(1)
        while w_end > w_start and not text[w_end - 1].isalnum():
            w_end -= 1
        sf = text[w_start:w_end]
        looks_short = sf.isupper() or any(c.isupper() for c in sf[1:])  # not "Lasix (...)"
        if not _valid_short(sf) or len(sf) >= len(inner) or not looks_short:
            continue
        at = best_long_form(sf, inner)
        if at is None or len(inner[at:].split()) > min(len(sf) + 5, 2 * len(sf)):
            continue
        out.append(Abbreviation((w_start, w_end), (inner_start + at, inner_end)))
    return out


def abbreviations(doc: Doc) -> list[Abbreviation]:
    """``find_abbreviations`` of the document's text, computed once per document."""
    return doc.derived("abbreviations", find_abbreviations)


def long_forms(doc: Doc) -> dict[str, tuple[int, int]]:
    """Short form text -> the span of its (first) long form, once per document."""
    def make(text: str) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for pair in abbreviations(doc):
            out.setdefault(text[pair.short[0]:pair.short[1]], pair.long)
        return out

    return doc.derived("abbreviation_long_forms", make)


def long_form_of(doc: Doc, short: str) -> tuple[int, int] | None:
    """The span of the first long form that ``short`` is defined as in the document, if any.

    The same answer as ``long_forms(doc).get(short)``, but only the text around the places
    where ``short`` stands in or before parentheses is read, so its cost does not grow with the
    document's other parentheses; memoised per document and short form.
    """
    if "abbreviation_long_forms" in doc.memo or "abbreviations" in doc.memo:
        return long_forms(doc).get(short)
    return doc.derived("abbreviation:" + short, lambda text: _find_one(text, short))


def _find_one(text: str, short: str) -> tuple[int, int] | None:
    esc = re.escape(short)
    best = None
    for m in re.finditer(r"\(\s*" + esc + r"\s*[);,]", text):  # "long form (BPH)"
        lo = max(0, m.start() - 300)
        close = text.find(")", m.start())
        window = text[lo:close + 1] if close >= 0 else text[lo:m.end()]
        for pair in find_abbreviations(window):
            if window[pair.short[0]:pair.short[1]] == short:
                best = min(best or (1 << 62, 0), (pair.long[0] + lo, pair.long[1] + lo))
                break
        if best:
            break
    for m in re.finditer(r"(?<![\w-])" + esc + r"\s*\(", text):  # "BPH (long form)"
        if best and m.start() > best[0]:
            break
        window = text[m.start():m.end() + 210]
        for pair in find_abbreviations(window):
            if window[pair.short[0]:pair.short[1]] == short:
                found = (pair.long[0] + m.start(), pair.long[1] + m.start())
                best = min(best, found) if best else found
                break
        else:
            continue
        break
    return best


def _long_entity(found: list[Entity], long: tuple[int, int]) -> Entity | None:
    """The entity that is the long form: the Chemical or Disease ending where it ends (the one
    starting nearest its start: "hemolytic anemia" in "ribavirin-induced hemolytic anemia").

    Requiring the entity to cover the whole long form keeps out "duration of catatonia (DOC)"
    but loses more right tags than wrong ones on BC5CDR dev (docs/linking.md).
    """
    start, end = long
    best = None
    for ent in found:
        if ent.end == end and ent.start < end and ent.label in ("Chemical", "Disease"):
            if best is None or abs(ent.start - start) < abs(best.start - start):
                best = ent
    return best


_UNITS = frozenset(("ml", "mg", "mcg", "g", "kg", "l", "dl", "mmol", "meq", "mmhg", "cc", "iu",
                    "units", "mm", "cm", "hr", "h", "min"))


def abbreviation_labels(doc: Doc, found: list[Entity]) -> list[Entity]:
    """The pipeline step: short forms labelled like their long forms throughout the document.

    A short form whose long forms disagree on the label is left alone; an occurrence of it that
    partly overlaps an entity is left alone too (outputs never overlap).
    """
    pairs = abbreviations(doc)
    if not pairs or not found:
        return found
    labels: dict[str, tuple[str, float] | None] = {}
    for pair in pairs:
        ent = _long_entity(found, pair.long)
        if ent is None:
            continue
        sf = doc.text[pair.short[0]:pair.short[1]]
        if sf.lower() in _UNITS:  # a table row's unit: "Emesis (mL)", "Weight (kg)"
            continue
        if sf in labels and labels[sf] is not None and labels[sf][0] != ent.label:
            labels[sf] = None
        else:
            labels.setdefault(sf, (ent.label, ent.score))
    labels = {sf: v for sf, v in labels.items() if v is not None}
    if not labels:
        return found
    out = list(found)
    changed = False
    for sf, (label, score) in labels.items():
        for m in re.finditer(r"(?<![\w-])" + re.escape(sf) + r"(?![\w-])", doc.text):
            s, e = m.span()
            hits = [i for i, ent in enumerate(out) if ent.start < e and s < ent.end]
            if not hits:
                out.append(doc.span(s, e, label, score=score, source="rule"))
                changed = True
            elif len(hits) == 1 and (out[hits[0]].start, out[hits[0]].end) == (s, e) \
                    and out[hits[0]].label != label and out[hits[0]].label != "Dosage":
                old = out[hits[0]]
                out[hits[0]] = doc.span(s, e, label, score=old.score, source=old.source,
                                        attrs=old.attrs)
                changed = True
    return sorted(out, key=lambda ent: (ent.start, ent.end)) if changed else found
