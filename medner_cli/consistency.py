"""Document-level label consistency: a name the model tagged once is tagged wherever it recurs.

Abstracts and notes repeat their drugs and diseases; the model, seeing each mention in a slightly
different context (or in another window), sometimes misses one occurrence. Copying each model
entity to the document's other whole-word, same-case occurrences that no entity covers gained
0.8-1.1 strict F1 points on the BC5CDR dev set (README, "What moved dev F1").
"""

from __future__ import annotations

import re
from bisect import bisect_left
from itertools import accumulate

from medner_cli.doc import Doc, Entity

MIN_CHARS = 2  # one-letter names ("A", "C") recur as ordinary letters


def propagate(doc: Doc, found: list[Entity]) -> list[Entity]:
    """``found`` plus the recurrences of its model entities.

    A recurrence gets the label and score of the surest entity with that text; it is added only
    where it overlaps no entity, and never extends into a longer word.
    """
    names: dict[str, Entity] = {}
    for ent in sorted(found, key=lambda e: -e.score):
        if ent.source == "model" and len(ent.text) >= MIN_CHARS:
            names.setdefault(ent.text, ent)
    if not names:
        return found
    # longest names first, so "breast cancer" wins over "cancer" at the same position
    alternatives = "|".join(re.escape(t) for t in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    found = sorted(found, key=lambda x: x.start)
    starts = [e.start for e in found]
    reach = list(accumulate((e.end for e in found), max))  # furthest end among the first i+1
    added = []
    for match in pattern.finditer(doc.text):
        s, e = match.span()
        i = bisect_left(starts, e)  # found[:i] start before the match ends
        if i and reach[i - 1] > s:
            continue
        src = names[match.group()]
        added.append(doc.span(s, e, src.label, score=src.score, source=src.source))
    if not added:
        return found
    return sorted(found + added, key=lambda x: x.start)
