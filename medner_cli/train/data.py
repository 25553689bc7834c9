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
    # teacher logits per token (``ids`` x labels), NaN rows where there is no soft target
    soft: np.ndarray | None = None


def unannotated(docs: Sequence[Doc], types: Sequence[str]) -> list[str]:
    """The run's types that a corpus never labels (NCBI-disease has no Chemical): its "O" is
    "not a Disease", not "not a Chemical", so training must not teach it as "O"."""
    present = {e.label for d in docs for e in d.entities}
    return [t for t in types if t not in present] if present else []


def free_labels(labels: Sequence[str], missing: Sequence[str]) -> tuple[int, ...]:
    return tuple(i for i, l in enumerate(labels) if l != "O" and l[2:] in missing)


def examples(docs: Sequence[Doc], tokenizer: Tokenizer, labels: Sequence[str], size: int,
             overlap: int, cls_id: int, sep_id: int, free: tuple[int, ...] = (),
             soft: Sequence[np.ndarray] | None = None, gold: bool = True) -> list[Example]:
    """Each document's windows; ``soft`` holds per-document teacher logits on the same tokens,
    and ``gold=False`` (unlabelled text) leaves every tag ignored, so only ``soft`` teaches."""
    out = []
    for d, doc in enumerate(docs):
        enc = encode(tokenizer, doc.text)
        tags = align(enc.offsets, doc.entities, labels) if gold else np.full(len(enc.ids), -100)
        for win in windows(len(enc.ids), size - 2, overlap):
            ids = with_specials(enc.ids[win.start:win.end], cls_id, sep_id)
            # -100 on [CLS]/[SEP]: the loss ignores them
            ex = Example(ids, np.concatenate(([-100], tags[win.start:win.end], [-100])), free)
            if soft is not None:
                edge = np.full((1, soft[d].shape[-1]), np.nan, dtype=np.float32)
                ex.soft = np.concatenate((edge, soft[d][win.start:win.end], edge))
            out.append(ex)
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
