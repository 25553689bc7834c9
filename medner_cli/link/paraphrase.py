"""Other wordings of a disease mention, for the linker to look up when the mention itself is
not in the dictionary.

MeSH names diseases by organ noun and by "Diseases" ("Kidney Diseases", "Hematologic
Diseases"), where text says "renal disease", "hematological toxicity" or "renal or hepatic
toxicity". Each function gives the wording(s) MeSH would use; the linker accepts one only when
it resolves exactly, so a paraphrase never invents an id. On BC5CDR dev (gold spans, a
train-only dictionary, entry terms in) they add 52 concepts right and 7 wrong
(docs/linking.md).
"""

from __future__ import annotations

import regex

# adjective -> the noun MeSH's disease names use
ORGAN_NOUNS = {
    "renal": "kidney", "hepatic": "liver", "cardiac": "heart", "pulmonary": "lung",
    "cerebral": "brain", "gastric": "stomach", "ocular": "eye", "cutaneous": "skin",
    "hematological": "hematologic", "haematological": "hematologic",
    "neurological": "nervous system", "neurologic": "nervous system",
    "tumor": "neoplasms", "tumors": "neoplasms", "tumour": "neoplasms", "tumours": "neoplasms",
    "cancer": "neoplasms", "cancers": "neoplasms", "neoplasm": "neoplasms",
}
# heads that say "some disease of" the words before them
VAGUE_HEADS = frozenset({
    "toxicity", "toxicities", "dysfunction", "dysfunctions", "disorder", "disorders",
    "abnormality", "abnormalities", "damage", "involvement", "impairment", "complications",
    "disease", "lesions", "injury", "problems",
})
_SEPARATOR = r"(?:,? and/or |,? and |,? or |, )"
# "A, B and C HEAD": modifiers A, B (one or more words each, the last up to three) of one head
_WORD = r"(?!(?:and|or)\b)[^\s,]+"
_COORDINATED = regex.compile(rf"(.+?){_SEPARATOR}({_WORD}(?: {_WORD}){{0,2}}) ({_WORD})")
_SPLIT = regex.compile(_SEPARATOR)

# the shorthand heads of notes, spelled out ("bipolar d/o", "prostate ca", "hip fx")
SHORTHAND_HEADS = {"d/o": "disorder", "ca": "cancer", "mets": "metastases", "fx": "fracture"}


def spelled_form(text: str) -> str | None:
    """"bipolar d/o" -> "bipolar disorder"; None unless the last of two or more words is a
    shorthand head."""
    words = text.split()
    if len(words) < 2 or words[-1].casefold() not in SHORTHAND_HEADS:
        return None
    return " ".join(words[:-1] + [SHORTHAND_HEADS[words[-1].casefold()]])


def organ_form(text: str) -> str | None:
    """"renal disease" -> "kidney disease"; None when no word is an organ adjective."""
    words = text.split()
    nouns = [ORGAN_NOUNS.get(w.casefold(), w) for w in words]
    return " ".join(nouns) if nouns != words else None


def vague_form(text: str) -> str | None:
    """"hematological toxicity" -> "hematologic diseases"; None unless the last of two or more
    words is a vague head."""
    words = text.split()
    if len(words) < 2 or words[-1].casefold() not in VAGUE_HEADS:
        return None
    return " ".join([ORGAN_NOUNS.get(w.casefold(), w) for w in words[:-1]] + ["diseases"])


def conjuncts(text: str) -> list[str] | None:
    """"renal or hepatic toxicity" -> ["renal toxicity", "hepatic toxicity"]: one mention per
    coordinated modifier; None when the mention coordinates none."""
    m = _COORDINATED.fullmatch(text.strip())
    if m is None:
        return None
    head = m.group(3)
    return [f"{part} {head}" for part in _SPLIT.split(m.group(1)) + [m.group(2)] if part]


# the symptom shorthands notes write with one letter a symptom, by the symptoms they name
# (c/c/e and m/r/g are left out: clubbing and rubs have no MeSH descriptor)
_LETTER_SHORTHANDS = {"n/v": ["nausea", "vomiting"], "n/v/d": ["nausea", "vomiting", "diarrhea"],
                      "f/c": ["fever", "chills"]}


def slash_parts(text: str) -> list[str] | None:
    """"fever/chills" -> ["fever", "chills"]: the mentions of a note's slash pair; None unless a
    slash joins words of two characters or more, or the text is a one-letter shorthand whose
    symptoms are known ("n/v/d" -> nausea, vomiting, diarrhea)."""
    parts = text.split("/")
    if len(parts) > 1 and all(len(p.strip()) > 1 for p in parts):
        return parts
    return _LETTER_SHORTHANDS.get(text.lower())
