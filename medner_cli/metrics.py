"""Entity-level precision, recall and F1: strict (same span and label) and lenient (overlap).

Kept small and exact, in the manner of seqeval: a document's entities are compared as sets of
``(start, end, label)``; strict micro scores on CoNLL input equal seqeval's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from medner_cli.doc import Entity

ERROR_KINDS = ("wrong type", "wrong boundary", "wrong type and boundary", "missed", "spurious")


@dataclass
class Counts:
    """``tp`` counts matched gold entities; ``tp_pred`` matched predictions.

    They are equal under strict matching; under lenient matching one prediction may overlap two
    gold entities (or the reverse), so precision and recall each use their own side's count.
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tp_pred: int | None = None

    @property
    def precision(self) -> float:
        tp = self.tp if self.tp_pred is None else self.tp_pred
        return tp / (tp + self.fp) if tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self, support: int, predicted: int) -> dict[str, float | int]:
        """Exact (unrounded) scores, so they can be checked against other tools to the last
        digit; ``support`` is the gold count, ``predicted`` the prediction count."""
        out: dict[str, float | int] = {
            "precision": self.precision, "recall": self.recall, "f1": self.f1, "tp": self.tp,
            "fp": self.fp, "fn": self.fn, "support": support, "predicted": predicted}
        if self.tp_pred is not None:
            out["tp_pred"] = self.tp_pred
        return out


@dataclass
class Report:
    """Per-label and micro counts for both matching modes, plus an error breakdown."""

    strict: dict[str, Counts] = field(default_factory=dict)
    lenient: dict[str, Counts] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    documents: int = 0

    def micro(self, mode: str = "strict", labels: Iterable[str] | None = None) -> Counts:
        table = self.strict if mode == "strict" else self.lenient
        total = Counts()
        for label, c in table.items():
            if labels is None or label in labels:
                total.tp += c.tp
                total.fp += c.fp
                total.fn += c.fn
                if c.tp_pred is not None:
                    total.tp_pred = (total.tp_pred or 0) + c.tp_pred
        return total

    def as_dict(self) -> dict:
        """The one serialisation of scores (eval's ``--json``, model cards, bench, training
        logs): per label and micro, strict and lenient, and the strict error classes.

        ``support`` is always the gold entity count; in lenient mode ``tp`` counts matched gold
        entities and ``tp_pred`` matched predictions.
        """
        gold = {k: c.tp + c.fn for k, c in self.strict.items()}
        pred = {k: c.tp + c.fp for k, c in self.strict.items()}
        out: dict = {"documents": self.documents}
        for mode, table in (("strict", self.strict), ("lenient", self.lenient)):
            out[mode] = {k: table[k].as_dict(gold[k], pred[k]) for k in sorted(table)}
            out[mode]["micro"] = self.micro(mode).as_dict(sum(gold.values()), sum(pred.values()))
        out["errors"] = {kind: self.errors.get(kind, 0) for kind in ERROR_KINDS}
        return out


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def compare(report: Report, gold: Sequence[Entity], pred: Sequence[Entity],
            labels: Iterable[str] | None = None) -> None:
    """Add one document's comparison to ``report``; ``labels`` restricts what is scored."""
    keep = set(labels) if labels is not None else None
    g = {(e.start, e.end, e.label) for e in gold if keep is None or e.label in keep}
    p = {(e.start, e.end, e.label) for e in pred if keep is None or e.label in keep}
    report.documents += 1
    for label in {x[2] for x in g | p}:
        report.strict.setdefault(label, Counts())
        report.lenient.setdefault(label, Counts(tp_pred=0))
    for x in g & p:
        report.strict[x[2]].tp += 1
    for x in p - g:
        report.strict[x[2]].fp += 1
    for x in g - p:
        report.strict[x[2]].fn += 1
    # lenient: a prediction is right if it overlaps a gold span of its label, and vice versa
    for x in p:
        hit = any(_overlaps(x, y) and x[2] == y[2] for y in g)
        report.lenient[x[2]].tp_pred += hit
        report.lenient[x[2]].fp += not hit
    for y in g:
        hit = any(_overlaps(x, y) and x[2] == y[2] for x in p)
        report.lenient[y[2]].tp += hit
        report.lenient[y[2]].fn += not hit
    # why strict failed: the error classes a user can act on
    for y in g - p:
        near = [x for x in p if _overlaps(x, y)]
        if any(x[2] != y[2] and (x[0], x[1]) == (y[0], y[1]) for x in near):
            report.errors["wrong type"] += 1
        elif any(x[2] == y[2] for x in near):
            report.errors["wrong boundary"] += 1
        elif near:
            report.errors["wrong type and boundary"] += 1
        else:
            report.errors["missed"] += 1
    for x in p - g:
        if not any(_overlaps(x, y) for y in g):
            report.errors["spurious"] += 1


def evaluate(pairs: Iterable[tuple[Sequence[Entity], Sequence[Entity]]],
             labels: Iterable[str] | None = None) -> Report:
    """Scores of (gold, predicted) entity lists; a requested label is listed even when nothing
    carries it, so a table never silently loses a row."""
    report = Report()
    labels = list(labels) if labels is not None else None
    for gold, pred in pairs:
        compare(report, gold, pred, labels)
    for label in labels or ():
        report.strict.setdefault(label, Counts())
        report.lenient.setdefault(label, Counts(tp_pred=0))
    return report
