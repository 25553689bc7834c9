"""Name bounds: a Disease whose left edge falls inside a name the annotators marked is taken
out to that name's start, in abstracts only.

The model often tags the head of a longer disease name ("hyperglycinemia" of "nonketotic
hyperglycinemia", "palsy" of "progressive supranuclear palsy", "myeloma" of "multiple
myeloma"): a strict-F1 error and a concept the linker then resolves wrongly or not at all. Where
one or two words before the entity make, with it, a Disease mention of the linking dictionary
(BC5CDR's annotations) or a MeSH name, the entity takes them in, the longer name first; where
the model split such a name into two adjacent Diseases ("hemorrhagic" "cystitis"), the two
become one. Right edges are left alone: what follows a disease in a MeSH name is as often no
part of it ("stroke volume", "pain management"). Like the mention memory this runs on research
prose only (``research_prose``): in notes the names BC5CDR's annotators kept whole
("breakthrough pain", "fine tremor", "left flank pain") are ones the notes guideline cuts.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from medner_cli.doc import Doc, Entity
from medner_cli.link import linker_for
from medner_cli.link.normalize import key
from medner_cli.rules.findings import research_prose, word_before

_MAX_WORDS = 2
_JOINS = (" ", "-")  # what may stand between the two halves of a split name


class NameBounds:
    """The pipeline step: ``step(doc, found) -> found`` with Disease left edges moved out to
    the start of a known name (``known``: a key of the linking dictionary's Disease mentions
    or MeSH names, without "-1" entries)."""

    def __init__(self, diseases: dict[str, str], names: dict[str, str]) -> None:
        self.diseases, self.names = diseases, names

    def known(self, mention: str) -> bool:
        k = key(mention)
        ids = self.diseases.get(k)
        if ids is None:
            ids = self.names.get(k)
        return ids is not None and ids != "-1"

    def __call__(self, doc: Doc, found: list[Entity]) -> list[Entity]:
        text = doc.text
        if not doc.derived("research_prose", research_prose):
            return found
        out: list[Entity] = []
        for ent in found:
            if ent.label == "Disease" and out and out[-1].label == "Disease" and \
                    text[out[-1].end:ent.start] in _JOINS and \
                    self.known(text[out[-1].start:ent.end]):
                # the model split a name in two ("hemorrhagic" "cystitis"): one entity again
                prev = out.pop()
                ent = doc.span(prev.start, ent.end, "Disease", score=min(prev.score, ent.score),
                               source=ent.source)
            if ent.label == "Disease":
                lo = out[-1].end if out else 0
                start, best = ent.start, None
                for _ in range(_MAX_WORDS):
                    word = word_before(text, start, lo)
                    if word is None:
                        break
                    start = word[0]
                    if self.known(text[start:ent.end]):
                        best = start
                if best is not None:
                    ent = doc.span(best, ent.end, "Disease", score=ent.score, source=ent.source)
            out.append(ent)
        return out


@cache
def name_bounds(model_dir: str | Path) -> NameBounds:
    """The step for a model folder's linking dictionary (the linker's tables, loaded once per
    process and shared with the link step)."""
    linker = linker_for(str(model_dir))
    return NameBounds(linker.tables.get(("exact", "Disease"), {}),
                      linker.tables.get(("exact", "*"), {}))
