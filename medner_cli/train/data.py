"""Training examples: whole documents cut into the same windows ``annotate`` uses."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from tokenizers import Tokenizer

from medner_cli.doc import Doc
from medner_cli.align import align
from medner_cli.tokenize import encode, windows, with_specials


@dataclass
class Example:
    ids: np.ndarray
    tags: np.ndarray
    # labels an "O" tag may also be: those of types the example's corpus does not annotate
    free: tuple[int, ...] = ()


def unannotated(docs: Sequence[Doc], types: Sequence[str]) -> list[str]:
    """The run's types that a corpus never labels (NCBI-disease has no Chemical): its "O" is
    "not a Disease", not "not a Chemical", so training must not teach it as "O"."""
    present = {e.label for d in docs for e in d.entities}
    return [t for t in types if t not in present] if present else []


def free_labels(labels: Sequence[str], missing: Sequence[str]) -> tuple[int, ...]:
    return tuple(i for i, l in enumerate(labels) if l != "O" and l[2:] in missing)


def examples(docs: Sequence[Doc], tokenizer: Tokenizer, labels: Sequence[str], size: int,
             overlap: int, cls_id: int, sep_id: int, free: tuple[int, ...] = ()) -> list[Example]:
    out = []
    for doc in docs:
        enc = encode(tokenizer, doc.text)
        tags = align(enc.offsets, doc.entities, labels)
        for win in windows(len(enc.ids), size - 2, overlap):
            ids = with_specials(enc.ids[win.start:win.end], cls_id, sep_id)
            # -100 on [CLS]/[SEP]: the loss ignores them
            out.append(Example(ids, np.concatenate(([-100], tags[win.start:win.end], [-100])), free))
    return out


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digests(paths: Sequence[str]) -> dict[str, str]:
    out = {}
    for name in paths:
        path = Path(name)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            out[str(f)] = sha256(f)
    return out
