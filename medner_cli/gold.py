"""Loading whole document sets (gold for eval, bench and training; documents to time).

Unlike ``annotate``, which reports a bad document and goes on, these callers need every
document: one unreadable record fails the load with a ``DataError`` naming each problem.
"""

from __future__ import annotations

from typing import Sequence

from medner_cli.doc import Doc, ReadError
from medner_cli.errors import DataError

SHOWN = 5  # problems named in one message before "... and N more"


def listing(items: Sequence[object]) -> str:
    shown = ", ".join(str(i) for i in items[:SHOWN])
    return shown + (f" ... and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def load_documents(paths: Sequence[str], fmt: str | None = None,
                   with_gold: bool = True) -> list[Doc]:
    """Every document of ``paths`` (with its entities, when ``with_gold``)."""
    from medner_cli.read import read_inputs

    docs: list[Doc] = []
    errors: list[ReadError] = []
    for item in read_inputs(list(paths), fmt, with_gold=with_gold):
        (errors if isinstance(item, ReadError) else docs).append(item)
    where = ", ".join(paths)
    if errors:
        lines = "\n  ".join(str(e) for e in errors[:SHOWN])
        more = f"\n  ... and {len(errors) - SHOWN} more" if len(errors) > SHOWN else ""
        raise DataError(f"cannot read {where} ({len(errors)} error(s)):\n  {lines}{more}")
    if not docs:
        raise DataError(f"{where}: no documents found")
    return docs


def sentence_documents(docs: Sequence[Doc]) -> list[Doc]:
    """Each sentence of ``docs`` as a document of its own ("ID#N"), its entities moved with it:
    the sentence-level protocol of benchmarks that score one sentence at a time. Sentences
    that an entity crosses stay joined, so no entity is lost."""
    from medner_cli.segment import sentences

    out: list[Doc] = []
    for doc in docs:
        spans: list[list[int]] = []
        for start, end in sentences(doc.text):
            if spans and any(e.start < spans[-1][1] < e.end or e.start < start < e.end
                             for e in doc.entities):
                spans[-1][1] = end  # an entity crosses the boundary: keep them together
            else:
                spans.append([start, end])
        for n, (start, end) in enumerate(spans, 1):
            ents = [e.moved(-start) for e in doc.entities if start <= e.start and e.end <= end]
            out.append(Doc(f"{doc.id}#{n}", doc.text[start:end], ents, origin=doc.origin))
    return out
