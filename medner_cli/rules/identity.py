"""Identity fields of note headers: a person's name or a record number is no drug or disease.

The model learnt from abstracts, which have no headers; on notes it tags "MRN: ED-55102" and
"Attending: Tomasz Brzezinski, MD" as Chemical. A model entity is dropped when it lies in the
value of an identity field *and* looks like a name or an identifier (a digit, or every word
capitalised), so that a clinical word after "Patient:" ("Patient: 67M with sepsis") survives.
"""

from __future__ import annotations

from bisect import bisect_right
from math import inf

import regex

from medner_cli.doc import Doc, Entity

# Fields that hold a person or a number only ("Encounter:", "CC:" and a bare "Name:" can hold
# a complaint or a drug, so they are not here)
KEYS = (
    "patient", "patient name", "mrn", "medical record number", "record number", "dob",
    "date of birth", "attending", "attending physician", "resident", "fellow", "intern",
    "surgeon", "assistant", "assistant surgeon", "provider", "author", "consultant",
    "requesting physician", "ordering physician", "referring physician", "reading radiologist",
    "radiologist", "primary care physician", "pcp", "nurse", "pharmacist", "accession",
    "account", "signed", "signed by", "electronically signed", "electronically signed by",
    "dictated by",
)
# "Key: value", the value ending at a tab, two spaces (the next field) or the end of the line
_FIELD = regex.compile(
    r"(?<![^\s])(?:" + "|".join(regex.escape(k).replace(r"\ ", r"[ \t]+") for k in KEYS)
    + r")[ \t]*[:#][ \t]*(?P<value>[^\r\n\t]*?)(?=\t|[ ]{2}|\r|\n|$)",
    regex.IGNORECASE | regex.MULTILINE)


_SEP = regex.compile(r"[:#]")
_KEY_WORDS = max(len(k.split()) for k in KEYS)
_LAST_WORDS = frozenset(k.split()[-1] for k in KEYS)  # what the word before a separator must be


def field_values(text: str) -> list[tuple[int, int]]:
    """Character spans of the values of identity fields, in order.

    What ``_FIELD.finditer`` finds, but the pattern is only tried at the starts of the few words
    before each ":" or "#", where a key can start: scanning every character with it was most of
    this step's time on notes.
    """
    out: list[tuple[int, int]] = []
    last = 0
    for start in _key_starts(text):
        if start < last:
            continue
        m = _FIELD.match(text, start)
        if m:
            last = m.end()
            if m.end("value") > m.start("value"):
                out.append(m.span("value"))
    return out


def _key_starts(text: str) -> list[int]:
    """In order, the start of each of the last ``_KEY_WORDS`` letter runs, separated by spaces or
    tabs, before each separator whose word before it can end a key (a superset of where a match
    of ``_FIELD`` can start; a word not in ASCII is kept, as case folding may match it)."""
    starts: set[int] = set()
    for sep in _SEP.finditer(text):
        i = sep.start()
        for k in range(_KEY_WORDS):
            while i > 0 and text[i - 1] in " \t":
                i -= 1
            end = i
            while i > 0 and text[i - 1].isalpha():
                i -= 1
            if i == end:
                break
            if k == 0:
                word = text[i:end]
                if word.isascii() and word.lower() not in _LAST_WORDS:
                    break
            starts.add(i)
    return sorted(starts)


_NAME_SPLIT = regex.compile(r"[\s,.\-]+")


def _name_or_id(text: str) -> bool:
    words = [w for w in _NAME_SPLIT.split(text) if w[:1].isalpha()]
    return any(c.isdigit() for c in text) or bool(words) and all(w[0].isupper() for w in words)


def drop_identities(doc: Doc, found: list[Entity]) -> list[Entity]:
    """``found`` without the model entities that are names or identifiers in the value of an
    identity field (``field_values``)."""
    if not any(e.source == "model" for e in found):
        return found
    values = doc.derived("identity_fields", field_values)
    if not values:
        return found
    return [e for e in found if not (e.source == "model" and _inside(e, values)
                                     and _name_or_id(e.text))]


def _inside(ent: Entity, values: list[tuple[int, int]]) -> bool:
    """Does a value (``values`` in order, none overlapping) hold ``ent``?"""
    i = bisect_right(values, (ent.start, inf)) - 1
    return i >= 0 and values[i][1] >= ent.end
