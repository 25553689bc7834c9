"""BIO labels, and aligning character spans to tokens for training."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from medner_cli.doc import Entity

OUTSIDE = "O"


def bio_labels(types: Iterable[str]) -> list[str]:
    labels = [OUTSIDE]
    for t in sorted(set(types)):
        labels += [f"B-{t}", f"I-{t}"]
    return labels


def drop_overlaps(entities: Sequence[Entity]) -> list[Entity]:
    """Keep the longest of overlapping spans (BC5CDR nests a few), earliest first."""
    kept: list[Entity] = []
    for ent in sorted(entities, key=lambda e: (-(e.end - e.start), e.start)):
        if all(ent.end <= k.start or ent.start >= k.end for k in kept):
            kept.append(ent)
    return sorted(kept, key=lambda e: e.start)


def align(offsets: np.ndarray, entities: Sequence[Entity], labels: Sequence[str]) -> np.ndarray:
    """One label id per token: B- for the first token overlapping a span, I- for the rest."""
    index = {label: i for i, label in enumerate(labels)}
    tags = np.zeros(len(offsets), dtype=np.int64)
    starts = offsets[:, 0]
    ends = offsets[:, 1]
    for ent in drop_overlaps(entities):
        inside = np.nonzero((starts < ent.end) & (ends > ent.start))[0]
        if len(inside) == 0 or f"B-{ent.label}" not in index:
            continue
        tags[inside] = index[f"I-{ent.label}"]
        tags[inside[0]] = index[f"B-{ent.label}"]
    return tags
