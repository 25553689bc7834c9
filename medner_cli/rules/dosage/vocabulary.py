"""The word lists and tables of the dosage rules, read once at import from ``resources/``.

Each list is a plain-text file, one entry a line; each table a TSV file. ``#`` starts a comment
and blank lines are skipped. Words are matched against lower-cased tokens, so list entries are
lower-cased on load; an entry holding white space (it could never match a token) is an error.
See docs/dosage.md for what each file is for.
"""

from __future__ import annotations

from importlib.resources import files

import regex

_RESOURCES = files(__package__) / "resources"


def _rows(name: str, columns: int) -> list[list[str]]:
    """The rows of resource ``name``, comments and blank lines left out."""
    rows = []
    text = (_RESOURCES / name).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [f.strip() for f in line.split("\t")] if columns > 1 else [line]
        if len(fields) != columns or not all(fields) or columns == 1 and regex.search(r"\s", line):
            raise ValueError(f"dosage resource {name}, line {number}: expected "
                             f"{'one entry' if columns == 1 else f'{columns} TAB-separated fields'}"
                             f", got {line!r}")
        rows.append(fields)
    return rows


def words(name: str) -> frozenset[str]:
    """The entries of the word list ``name`` (a file in resources/), lower-cased."""
    return frozenset(row[0].lower() for row in _rows(name, 1))


def table(name: str) -> dict[str, str]:
    """The two-column table ``name``: first column -> second, in file order."""
    return {key: value for key, value in _rows(name, 2)}


def _per_day(field: str) -> float | None:
    if field == "-":
        return None
    if "/" in field:
        num, den = field.split("/")
        return int(num) / int(den)
    return float(field)


def frequencies(name: str) -> dict[str, tuple[str, float | None]]:
    """The frequency table ``name``: form -> (canonical frequency, doses per day or None)."""
    return {form: (canon, _per_day(per_day)) for form, canon, per_day in _rows(name, 3)}


# Context cues (context.py)
LAB = words("lab_words.txt")
NEG = words("negative_cues.txt")
ORGAN = words("organ_words.txt")
FLUIDS = words("fluid_words.txt")
OTHER_MEASURE = words("other_measures.txt")
NEG_AFTER = words("negative_after.txt")
FLUID_AFTER = words("fluid_after.txt")
GAUGE_AFTER = words("gauge_after.txt")
POSITIVE = words("positive_cues.txt")
MED_NOUNS = words("med_nouns.txt")
FORMULATION = words("formulation_words.txt")
DRUGS = words("drugs.txt")
NUTRIENTS = words("nutrient_words.txt")
DRUG_SUFFIX = regex.compile(
    "(?:" + "|".join(regex.escape(s) for s in sorted(words("drug_suffixes.txt"))) + ")$")
_BEHAVIOURS = words("not_drug.txt")
NOT_DRUG = LAB | NEG | _BEHAVIOURS
# Chemical words that never make an amount a dose; analytes stay (a lab value has a lab unit)
NOT_DOSE_CHEMICAL = NUTRIENTS | NEG | _BEHAVIOURS
NOT_TAKEN = words("not_taken.txt")
PRONOUNS = words("pronouns.txt")
DETERMINERS = words("determiners.txt")
NOT_AFTER_FREQ = LAB | words("not_after_frequency.txt")
NO_STRENGTH_BEFORE = LAB | words("no_strength_before.txt")

# Normalisation (normalize.py)
UNIT_NAMES = table("unit_names.tsv")
PER_NAMES = table("per_names.tsv")
DUR_UNITS = table("duration_units.tsv")
ABBREVIATIONS = frequencies("frequency_abbreviations.tsv")
PHRASES = frequencies("frequency_phrases.tsv")
