"""The one BIO codec: entity spans over a sequence of items to IOB2 tags and back.

Items are tokens (the decoder, training's label alignment) or words (the CoNLL reader and
writer); a span is ``(first, last + 1, type)`` in item positions. Tags are read as seqeval's
default scheme reads them, so IOB2, IOB1 and IOBES input all work and a stray ``I-`` starts a
chunk; they are always written as IOB2.
"""

from __future__ import annotations

from typing import Iterable, Sequence

OUTSIDE = "O"


def labels(types: Iterable[str]) -> list[str]:
    """``O`` then ``B-``/``I-`` of each type, sorted: the label order of every medner model."""
    out = [OUTSIDE]
    for t in sorted(set(types)):
        out += [f"B-{t}", f"I-{t}"]
    return out


def chunks(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """``(start, end, type)`` of each chunk of ``tags``, end exclusive."""
    out: list[tuple[int, int, str]] = []
    cur: list | None = None  # [start, end, type]
    for i, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-")
        if prefix in ("B", "S") or (prefix in ("I", "E") and (cur is None or cur[2] != kind)):
            if cur:
                out.append((cur[0], cur[1], cur[2]))
            cur = [i, i + 1, kind]
        elif prefix in ("I", "E"):
            cur[1] = i + 1
        else:
            if cur:
                out.append((cur[0], cur[1], cur[2]))
            cur = None
        if prefix in ("E", "S") and cur is not None:
            out.append((cur[0], cur[1], cur[2]))
            cur = None
    if cur:
        out.append((cur[0], cur[1], cur[2]))
    return out


def tags(spans: Iterable[tuple[int, int, str]], n: int) -> list[str]:
    """IOB2 tags of ``n`` items; ``spans`` must not overlap (a later one would cut an earlier)."""
    out = [OUTSIDE] * n
    for start, end, kind in spans:
        if start < end:
            out[start] = f"B-{kind}"
            out[start + 1:end] = [f"I-{kind}"] * (end - start - 1)
    return out
