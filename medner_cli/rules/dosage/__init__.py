"""Dosage spans by rule: amounts, strengths, frequencies, routes and courses of medication.

A note is scanned once for *pieces* (an amount with a dose unit, a frequency, a route, a
course, ...). Pieces separated only by spaces, a slash or "up to" on one line form a *chain*
(two amounts also across "of" or "in": "10 mL of 1%"); commas, parentheses and other words
split. A chain becomes one Dosage span when its context says it is medication:

* an amount with a dose unit fires unless a negative cue says it is a lab value, a vital sign,
  a fluid balance, a size or a weight (analyte before it, "EBL", "removed", "syringe", ...);
  a bare number fires only right after a drug name ("Lipitor 40 at night");
* a frequency abbreviation (BID, q6h, PRN) fires unless it follows a patient behaviour or a
  nursing task ("nocturia q.1h.", "vitals q4h");
* a plain frequency or course ("daily", "for 10 days") fires only next to a route, a drug-like
  word or a word such as "take", or right after another Dosage ("BID (2 times a day)").

Lab units per volume of body fluid (mg/dL, mmol/L, ng/mL ...) and oxygen flows never fire.
Routes and dose-form words may sit inside a span but never start or end one. Precision comes
first: what the rules cannot tell apart is left out.

Modules, in the order the data flows: ``patterns`` (what pieces look like), ``chains`` (the
scan; which pieces go together), ``context`` (whether a chain is medication), ``normalize``
(attributes), ``spans`` (the spans), ``merging`` (with the model's entities; the pipeline step).
``vocabulary`` reads the word lists and tables of ``resources/`` once, at import. See
docs/dosage.md.

Public API:

* ``find_dosages(text, drugs=frozenset()) -> list[DosageSpan]``: the Dosage spans of a text;
  ``drugs`` are words of Chemicals found earlier (``chemical_words``), taken as drug names.
* ``DosageSpan``: ``start``, ``end`` (end exclusive), ``attrs``; a NamedTuple.
* ``dosage_within(text, start, end) -> DosageSpan | None``: what of a span cut short is still
  a Dosage.
* ``only_dose_words(text, start, end) -> bool``: whether a stretch is dose words alone.
* ``merge(doc, model_entities, dosages) -> list[Entity]``: model entities plus rule Dosages.
* ``add_dosages(doc, found) -> list[Entity]``: the pipeline step, ``merge`` with
  ``find_dosages(doc.text, chemical_words(doc.text, found))``.
* ``pieces(text, start=0, end=None) -> list[Piece]`` and ``reference_pieces(text)``: the dose
  pieces the fast scan finds, and what trying every piece at every position finds (slow; the
  tests hold the first to the second). ``Piece``: ``kind``, ``start``, ``end``, ``m``.
"""

from __future__ import annotations

from medner_cli.rules.dosage.chains import Piece, pieces, reference_pieces
from medner_cli.rules.dosage.merging import add_dosages, merge
from medner_cli.rules.dosage.spans import DosageSpan, dosage_within, find_dosages, only_dose_words

__all__ = ["DosageSpan", "Piece", "add_dosages", "dosage_within", "find_dosages", "merge",
           "only_dose_words", "pieces", "reference_pieces"]
