"""Assertion: is a Chemical or Disease mention negated, uncertain, historical, hypothetical,
or about someone other than the patient (family)? And which words say so?

``Assertion()`` is a pipeline step (``step(doc, found) -> found``): it sets ``assertion`` on
every entity whose label is a target label (Chemical, Disease) and leaves the others alone::

    {"negated": bool, "uncertain": bool, "historical": bool, "hypothetical": bool,
     "family": bool, "cues": [{"start": int, "end": int, "text": str, "category": str}]}

with one cue (a trigger or a section heading, offsets into ``doc.text``) for each true flag.
The rules are data (``triggers.json``, read once per process); the algorithm is ConText
(``context``); sentence and section bounds are computed once per document (``Doc.derived``)
and only the sentences that hold a target entity are scanned. docs/assertion.md has the
choices (allergies, stopped drugs, family members who report) and the measured speed.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medner_cli.assertion import context
from medner_cli.assertion.lines import classify
from medner_cli.assertion.rules import CATEGORIES, DEFAULT_PATH, Lexicon, LexiconError, load_lexicon
from medner_cli.assertion.score import score_assertion
from medner_cli.assertion.sections import Span, find_headings, section_spans
from medner_cli.assertion.sentences import blocks, split
from medner_cli.doc import Doc, Entity

__all__ = ["Assertion", "CATEGORIES", "LexiconError", "score_assertion"]


# the assertion of an entity no cue touches, shared by all of them: a long note has
# hundreds of thousands, and a dict each was the largest part of its entities' memory
NO_FLAGS: dict[str, Any] = {**dict.fromkeys(CATEGORIES, False), "cues": []}


@dataclass(slots=True)
class Layout:
    """What the step derives from a document's text once: lower case, blocks, sections.

    Blocks (fields, list items, paragraphs) are cut into sentences on first use, so the
    punctuation of blocks without an entity is never looked at.
    """

    text: str
    low: str
    cuts: list[int]  # block bounds
    spans: list[Span]
    span_starts: list[int]
    inner: dict[int, list[int]]  # block index -> its sentence ends

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        """The bounds of the sentence(s) that hold ``start..end``."""
        cuts = self.cuts
        i = bisect_right(cuts, start) - 1
        j = bisect_left(cuts, end, i + 1)  # the block cut at or after the end
        s, t = cuts[i], cuts[min(j, len(cuts) - 1)]
        inner = self._inner(i)
        if inner:
            k = bisect_right(inner, start)
            if k:
                s = inner[k - 1]
        last = self._inner(j - 1) if j - 1 != i else inner
        if last:
            k = bisect_left(last, end)
            if k < len(last):
                t = last[k]
        return s, t

    def _inner(self, i: int) -> list[int]:
        got = self.inner.get(i)
        if got is None:
            got = self.inner[i] = split(self.text, self.cuts[i], self.cuts[i + 1])
        return got


def _lower(text: str) -> str:
    """``text.lower()`` of the same length, so offsets carry over ("İ" lowers to two chars)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


class Assertion:
    """The assertion step; build it once per process (it reads and compiles the triggers)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.lexicon: Lexicon = load_lexicon(Path(path) if path is not None else DEFAULT_PATH)
        self.labels = self.lexicon.labels
        self._key = f"assertion.layout:{self.lexicon.path}"

    def layout(self, text: str) -> Layout:
        """Sentence cuts and flag-setting sections of ``text``."""
        low = _lower(text)
        lines = classify(text)
        headings = find_headings(text, low, lines, self.lexicon) if lines else []
        spans = section_spans(text, lines, headings) if lines else []
        return Layout(text, low, blocks(text, lines, headings), spans, [s.start for s in spans],
                      {})

    def __call__(self, doc: Doc, found: list[Entity]) -> list[Entity]:
        targets = [e for e in found if e.label in self.labels]
        if not targets:
            return found
        if not doc.text:
            for ent in targets:
                ent.assertion = self._result(doc.text, {})
            return found
        lay: Layout = doc.derived(self._key, self.layout)
        low, lex = lay.low, self.lexicon
        # the sentence range of each target, merged where entities share (or bridge) sentences
        n = len(doc.text)
        ranged = sorted(((*lay.sentence(min(e.start, n - 1), min(n, max(e.end, e.start + 1))), e)
                         for e in targets),
                        key=lambda x: (x[0], x[1]))
        groups: list[list[Any]] = []
        for s, t, ent in ranged:
            if groups and s < groups[-1][1]:
                groups[-1][1] = max(groups[-1][1], t)
                groups[-1][2].append(ent)
            else:
                groups.append([s, t, [ent]])
        for s, t, ents in groups:
            spans = [(e.start, e.end) for e in ents]
            cues, terms = context.find(lex, low, s, t, spans)
            if cues:
                context.scope(lex, low, s, t, cues, terms)
            for ent in ents:
                hits = {c: (q.start, q.end) for c, q in
                        context.covering(cues, low, ent.start, ent.end, ent.label).items()} \
                    if cues else {}
                span = self._section(lay, ent)
                # a relative's disease listed in a past history is the relative's, not past
                if span is not None and span.category == "historical" and "family" in hits:
                    span = None
                if span is not None and span.category not in hits and not context.ended(
                        cues, terms, span.category, max(s, span.start, _clause(low, s, ent.start)),
                        ent.start) and not (
                        span.first_only and self._follows(ents, ent, span, s)):
                    hits[span.category] = (span.cue_start, span.cue_end)
                ent.assertion = self._result(doc.text, hits)
        return found

    @staticmethod
    def _section(lay: Layout, ent: Entity) -> Span | None:
        i = bisect_right(lay.span_starts, ent.start) - 1
        if i < 0:
            return None
        span = lay.spans[i]
        if ent.start >= span.end or (span.labels is not None and ent.label not in span.labels):
            return None
        return span

    @staticmethod
    def _follows(ents: list[Entity], ent: Entity, span: Span, s: int) -> bool:
        """Whether an entity of the section's labels comes before ``ent`` in its sentence."""
        first = max(s, span.start)
        return any(first <= o.start < ent.start and (span.labels is None or o.label in span.labels)
                   for o in ents)

    @staticmethod
    def _result(text: str, hits: dict[str, tuple[int, int]]) -> dict[str, Any]:
        if not hits:  # most entities: one shared value (never mutated), not a dict each
            return NO_FLAGS
        out: dict[str, Any] = {c: c in hits for c in CATEGORIES}
        items = sorted(hits.items(), key=lambda x: (x[1], x[0])) if len(hits) > 1 else hits.items()
        out["cues"] = [{"start": a, "end": b, "text": text[a:b], "category": c}
                       for c, (a, b) in items]
        return out


def _clause(low: str, s: int, pos: int) -> int:
    """Where the list item or clause holding ``pos`` starts: a term ends a section's flag only
    there ("PMH: ESRD on HD, diabetic nephropathy": "on" brings nothing after the comma back)."""
    return max(low.rfind(",", s, pos), low.rfind(";", s, pos), low.rfind("(", s, pos)) + 1
