"""Aligning gold character spans to tokens for training."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from medner_cli import bio
from medner_cli.doc import Entity

def drop_overlaps(entities: Sequence[Entity]) -> list[Entity]:
    """Keep the longest of overlapping spans (BC5CDR nests a few), earliest first."""
    kept: list[Entity] = []
    for ent in sorted(entities, key=lambda e: (-(e.end - e.start), e.start)):
        if all(ent.end <= k.start or ent.start >= k.end for k in kept):
            kept.append(ent)
    return sorted(kept, key=lambda e: e.start)


def align(offsets: np.ndarray, entities: Sequence[Entity], labels: Sequence[str]) -> np.ndarray:
    """One label id per token (IOB2 by ``bio.tags``): the tokens overlapping each span."""
    index = {label: i for i, label in enumerate(labels)}
    starts, ends = offsets[:, 0], offsets[:, 1]
    spans = []
    for ent in drop_overlaps(entities):
        inside = np.nonzero((starts < ent.end) & (ends > ent.start))[0]
        if len(inside) and f"B-{ent.label}" in index:
            spans.append((int(inside[0]), int(inside[-1]) + 1, ent.label))
    return np.array([index[t] for t in bio.tags(spans, len(offsets))], dtype=np.int64)
