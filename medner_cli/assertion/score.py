"""Score predicted assertion flags against gold flags, one category at a time.

Assertion is scored apart from span detection: only gold spans that the prediction found with
exactly the same offsets are compared, so a boundary error costs the NER score, not this one.
The gold spans without a prediction are counted, so the reader sees how much was compared.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from medner_cli.assertion.rules import CATEGORIES
from medner_cli.doc import Entity


def _flags(entity: Entity) -> dict[str, Any]:
    return entity.assertion or {}


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def score_assertion(pairs: Iterable[tuple[Sequence[Entity], Sequence[Entity]]]) -> dict[str, Any]:
    """Per category ``tp``/``fp``/``fn``/precision/recall/F1 over span-matched entities.

    ``pairs`` holds (gold entities, predicted entities) per document. Gold entities without an
    ``assertion`` carry no assertion gold and are skipped; a missing flag reads as false, on
    either side. When several predictions share a gold span, the one with the gold label wins.
    """
    counts = {c: [0, 0, 0] for c in CATEGORIES}
    matched = unmatched = 0
    for gold, pred in pairs:
        by_span: dict[tuple[int, int], list[Entity]] = {}
        for p in pred:
            by_span.setdefault((p.start, p.end), []).append(p)
        for g in gold:
            if g.assertion is None:
                continue
            found = by_span.get((g.start, g.end))
            if not found:
                unmatched += 1
                continue
            p = next((x for x in found if x.label == g.label), found[0])
            matched += 1
            gf, pf = _flags(g), _flags(p)
            for c in CATEGORIES:
                want, got = bool(gf.get(c, False)), bool(pf.get(c, False))
                if want and got:
                    counts[c][0] += 1
                elif got:
                    counts[c][1] += 1
                elif want:
                    counts[c][2] += 1
    out: dict[str, Any] = {}
    for c in CATEGORIES:
        tp, fp, fn = counts[c]
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        f1 = _ratio(2 * precision * recall, precision + recall) if precision + recall else 0.0
        out[c] = {"tp": tp, "fp": fp, "fn": fn, "precision": round(precision, 4),
                  "recall": round(recall, 4), "f1": round(f1, 4), "support": tp + fn}
    out["matched"] = matched
    out["unmatched_gold"] = unmatched
    return out
