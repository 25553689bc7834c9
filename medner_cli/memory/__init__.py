"""A mention memory (docs/model.md, "mention memory"): names that BC5CDR's annotators marked
the same way nearly every time they occur, marked wherever they recur and no entity covers
them, in abstracts only.

The model misses some of a name's occurrences that the annotators never miss ("cocaine" in
one abstract of ten); a name annotated at half or more of its occurrences in the training
texts is a better guess at the others than the model's silence (right at 70 % of the uncovered
occurrences on unseen abstracts). Notes are left alone: what BC5CDR marks and the notes
guideline does not (lab analytes such as potassium or creatinine, drug classes such as
statins) is exactly what the memory holds best, and on the notes development sets none of
its additions was right. So the step runs only on research prose (``research_prose``: a long
paragraph without note layout, of more words of research than of notes), never on a note, a
note exported as one line, or a sentence cut from either.

``memory_bc5cdr.tsv.gz`` (``label  name  annotated  occurrences``) is built by
``python -m medner_cli.memory.build``; names are matched case-insensitively as whole words,
with hyphens and apostrophes counted as word characters ("cocaine-induced" holds no
"cocaine"), the longer name first where two overlap.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path
from typing import Iterable

from medner_cli.doc import Doc, Entity
from medner_cli.forms import WholeForms, lower_same_length, lower_text
from medner_cli.rules.findings import research_prose

MEMORY = "memory_bc5cdr.tsv.gz"  # the file in a model folder (a plain .tsv is read too)
HEADER = "label\tname\tannotated\toccurrences"
WORD_MARKS = "-'"  # characters that join words: a name never starts or ends beside one


def names_finder(names: Iterable[str]) -> WholeForms:
    """The matcher of the memory's names, shared by the build (counting occurrences in the
    training texts) and the step (finding them in a document), so both count the same."""
    return WholeForms(names, not_after=WORD_MARKS, not_before=WORD_MARKS, fold_case=True)


class MentionMemory:
    """The pipeline step: ``step(doc, found) -> found`` with the remembered names that overlap
    no entity of ``found`` added (``source="memory"``), in research prose only."""

    def __init__(self, labels: dict[str, str]) -> None:
        self.labels = {lower_same_length(name): label for name, label in labels.items()}
        self.finder = names_finder(self.labels)

    def __call__(self, doc: Doc, found: list[Entity]) -> list[Entity]:
        text = doc.text
        if not doc.derived("research_prose", research_prose):
            return found
        hits = self.finder.find(doc)
        if not hits:
            return found
        low = lower_text(doc)
        added = [Entity(s, e, self.labels[low[s:e]], text[s:e], source="memory")
                 for s, e in hits if not any(x.start < e and s < x.end for x in found)]
        if not added:
            return found
        return sorted(found + added, key=lambda x: (x.start, x.end))


def read_memory(path: Path) -> dict[str, str]:
    """name -> label from a memory file (gzip or plain TSV with ``HEADER``)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n")
        if header != HEADER:
            raise ValueError(f"{path}: line 1 is {header!r}, not the memory header {HEADER!r}")
        out = {}
        for n, line in enumerate(handle, 2):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 4:
                raise ValueError(f"{path}: line {n} has {len(fields)} fields, not 4")
            out[fields[1]] = fields[0]
    return out


@cache
def memory_step(model_dir: str | Path) -> MentionMemory:
    """The step for a model folder's memory file, read once per process."""
    folder = Path(model_dir)
    path = next((p for p in (folder / MEMORY, folder / MEMORY.removesuffix(".gz"))
                 if p.is_file()), folder / MEMORY)
    return MentionMemory(read_memory(path))
