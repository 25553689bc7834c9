"""Layout of notes that the model cannot see: list items and section headings.

The tokenizer reads a line break as a space, so the model cannot see that "- Clotrimazole"
starts a new item, and it tags "q12h\n- Clotrimazole" or "x1\n- Diphenhydramine" as one
Chemical. A model entity is cut at each line break that starts a list item ("-", "*", "•" or
"2." after the break); a piece keeps the entity's label and score when it still holds a word of
two letters or more and is not dose words alone. A line break without a list marker (wrapped
prose: "congestive heart\nfailure") leaves the entity whole.

It also tags section headings ("ALLERGIES: penicillin", "PSYCHIATRIC: No depression") as
Disease. A model entity that is a section name (``SECTIONS``, or a review-of-systems or exam
key of ``findings.SYSTEMS``) at the start of a line, followed by a colon, is dropped: there it
names the section, not a finding. Other words in that place stay ("Alcohol: 3-4 beers",
"Hypertension: continue lisinopril" in a plan).
"""

from __future__ import annotations

import regex

from medner_cli.doc import Doc, Entity
from medner_cli.rules.dosage import only_dose_words
from medner_cli.rules.findings import SYSTEMS

_ITEM_BREAK = regex.compile(r"\r?\n[^\S\r\n]*(?:[-*•·]|\d{1,2}[.)])[^\S\r\n]+")
_WORD = regex.compile(r"\p{L}{2,}")
_EDGE = " \t\r\n,;:()[]"
_COLON = regex.compile(r"[ \t]*:")
SECTIONS = frozenset((
    "allergies", "allergy", "drug allergies", "medications", "medication", "diagnoses",
    "diagnosis", "symptoms", "complications", "impression", "findings", "assessment", "plan",
    "history", "past medical history", "problems", "problem list"))


def split_list_items(doc: Doc, found: list[Entity]) -> list[Entity]:
    """``found`` with each model entity that crosses into a new list item cut at the item."""
    out = []
    for ent in found:
        breaks = (list(_ITEM_BREAK.finditer(doc.text, ent.start, ent.end))
                  if ent.source == "model" and "\n" in ent.text else [])
        if not breaks:
            out.append(ent)
            continue
        bounds = [ent.start] + [p for m in breaks for p in m.span()] + [ent.end]
        for start, end in zip(bounds[::2], bounds[1::2]):
            while start < end and doc.text[start] in _EDGE:
                start += 1
            while end > start and doc.text[end - 1] in _EDGE:
                end -= 1
            if _WORD.search(doc.text, start, end) and not only_dose_words(doc.text, start, end):
                out.append(doc.span(start, end, ent.label, score=ent.score, source=ent.source))
    return out


def drop_headings(doc: Doc, found: list[Entity]) -> list[Entity]:
    """``found`` without the model entities that are a section name heading a line."""
    return [e for e in found if not (e.source == "model" and _heading(doc.text, e))]


def _heading(text: str, ent: Entity) -> bool:
    key = ent.text.lower()
    if key not in SECTIONS and key not in SYSTEMS:
        return False
    line_start = text.rfind("\n", 0, ent.start) + 1
    return (not text[line_start:ent.start].strip(" \t#*-")
            and _COLON.match(text, ent.end) is not None)
