"""Decoding token predictions into character spans.

Decoding is constrained: an ``I-X`` may only follow ``B-X`` or ``I-X``, so no entity ever starts
with an I- tag. The best valid path is found by Viterbi over the token log-probabilities.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from medner_cli.doc import Doc, Entity
from medner_cli import bio
from medner_cli.bio import OUTSIDE


def transitions(labels: Sequence[str]) -> np.ndarray:
    """``allowed[i, j]``: may label j follow label i. Row ``len(labels)`` is the start state."""
    n = len(labels)
    allowed = np.ones((n + 1, n), dtype=bool)
    for j, to in enumerate(labels):
        if to.startswith("I-"):
            for i, frm in enumerate(list(labels) + [OUTSIDE]):
                allowed[i, j] = frm[2:] == to[2:] and frm != OUTSIDE
    return allowed


def viterbi(logp: np.ndarray, allowed: np.ndarray, prev: int) -> np.ndarray:
    """Best valid label path for ``logp`` (tokens x labels) following label ``prev``."""
    penalty = np.where(allowed[:-1], 0.0, -1e9)
    score = logp[0] + np.where(allowed[prev], 0.0, -1e9)
    back = np.zeros(logp.shape, dtype=np.int64)
    for t in range(1, len(logp)):
        cand = score[:, None] + penalty
        back[t] = cand.argmax(0)
        score = cand.max(0) + logp[t]
    path = np.empty(len(logp), dtype=np.int64)
    path[-1] = score.argmax()
    for t in range(len(logp) - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def decode(logits: np.ndarray, labels: Sequence[str],
           allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label ids and their probabilities for one document's tokens.

    When the per-token best labels already form a valid path, that path is the best valid one,
    so Viterbi is skipped. Otherwise Viterbi runs only over stretches where some token is not O
    (``_stretches``); everywhere else the path is O, which keeps decoding cheap on long notes.
    """
    shifted = logits - logits.max(-1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(-1, keepdims=True)
    tags = probs.argmax(-1)
    outside = len(labels)  # the start state behaves like O
    if not allowed[np.r_[outside, tags[:-1]], tags].all():
        tags = _stretches(tags, np.log(probs + 1e-12), labels, allowed)
    return tags, probs[np.arange(len(tags)), tags]


def _stretches(tags: np.ndarray, logp: np.ndarray, labels: Sequence[str],
               allowed: np.ndarray) -> np.ndarray:
    """The best valid path, decoding only stretches around the tokens whose best label is not O.

    A stretch (padded by one token each side) is decoded with any label allowed first. If that
    best path starts with an I- tag, it would have to continue an entity from before the
    stretch, so the stretch grows one token to the left and is decoded again (joining the
    previous stretch when they meet). Otherwise it is also the best path entered from O, the
    label of every token between stretches, which makes the whole path the best valid one:
    the same as Viterbi over the whole document (a test checks it).
    """
    outside = len(labels)
    free = allowed.copy()
    free[outside] = True  # a start state that lets any label come first
    inside = np.array([name.startswith("I-") for name in labels])
    out = tags.copy()
    active = np.nonzero(tags)[0]
    breaks = np.nonzero(np.diff(active) > 2)[0]
    done: list[tuple[int, int]] = []  # decoded stretches, in order
    for lo, hi in zip(np.r_[active[0], active[breaks + 1]], np.r_[active[breaks], active[-1]]):
        lo, hi = max(int(lo) - 1, 0), min(int(hi) + 2, len(tags))
        while True:
            if done and lo <= done[-1][1]:  # meets the previous stretch: decode both as one
                lo = done.pop()[0]
            if lo == 0:
                out[:hi] = viterbi(logp[:hi], allowed, outside)
                break
            if allowed[np.r_[outside, tags[lo:hi - 1]], tags[lo:hi]].all():
                out[lo:hi] = tags[lo:hi]  # the best labels, valid after O: nothing to decode
                break
            path = viterbi(logp[lo:hi], free, outside)
            if not inside[path[0]]:
                out[lo:hi] = path
                break
            lo -= 1
        done.append((lo, hi))
    return out


_EDGE_WORDS = frozenset(("and", "or", "nor", ",", ";", "/", "&"))
# a count after a finding ("hypoglycemia x2", "emesis x 3") is how often, not part of its name
_COUNT_TAIL = re.compile(r"[ \t]+[x×][ \t]?\d+$")


def spans(tags: np.ndarray, probs: np.ndarray, offsets: np.ndarray, labels: Sequence[str],
          text: str = "") -> list[tuple[int, int, str, float]]:
    """(start, end, type, score) of each chunk (``bio.chunks``); score is the mean probability
    of its tags. With ``text``, a chunk's edge tokens that are a conjunction or a comma are
    left out, and out of its score: "nausea and" [vomiting] is "nausea", whose own score may
    pass the threshold that the chunk's would not."""
    out = []
    for i, j, kind in bio.chunks([labels[t] for t in tags]):
        if text:
            while j - i > 1 and text[offsets[j - 1, 0]:offsets[j - 1, 1]].lower() in _EDGE_WORDS:
                j -= 1
            while j - i > 1 and text[offsets[i, 0]:offsets[i, 1]].lower() in _EDGE_WORDS:
                i += 1
        out.append((int(offsets[i, 0]), int(offsets[j - 1, 1]), kind,
                    sum(float(p) for p in probs[i:j]) / (j - i)))
    return out


def snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span that starts or ends inside a word to the whole word.

    Sub-word tokens let a model stop mid-word ("dyskin|etic", "L|V"); gold mentions almost
    never do (10 of 9,591 in the BC5CDR dev set), and snapping gained 0.4 F1 points there.
    """
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return start, end


def entities(doc: Doc, offsets: np.ndarray, logits: np.ndarray, labels: Sequence[str],
             allowed: np.ndarray, min_score: float = 0.0) -> list[Entity]:
    """Model entities of one document, word-snapped, without a count at their end ("x2"), with
    text taken from the document itself."""
    if len(offsets) == 0:
        return []
    tags, probs = decode(logits, labels, allowed)
    out: list[Entity] = []
    for s, e, kind, score in spans(tags, probs, offsets, labels, doc.text):
        if score < min_score:
            continue
        s, e = snap(doc.text, s, e)
        if count := _COUNT_TAIL.search(doc.text, s, e):
            e = count.start()  # "hypoglycemia x2": the count is how often, not the finding
        if out and s < out[-1].end:  # two chunks inside one word: keep the surer one
            if score <= out[-1].score:
                continue
            out.pop()
        out.append(doc.span(s, e, kind, score=score, source="model"))
    return out
