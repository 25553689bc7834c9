"""Tokenization and windowing shared by training and inference, so the two cannot drift apart.

A document is tokenized once, whole, with the fast tokenizer's character offsets; it is then cut
into overlapping windows that fit the model. Each token is *owned* by exactly one window (the one
where it sits furthest from an edge), and only the owner's prediction is kept.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer


@dataclass(slots=True)
class Encoding:
    """Token ids and ``(start, end)`` character offsets into the original text, no specials."""

    ids: np.ndarray
    offsets: np.ndarray


@dataclass(slots=True, frozen=True)
class Window:
    """Tokens ``[start, end)`` go to the model; predictions for ``[own_start, own_end)`` are kept."""

    start: int
    end: int
    own_start: int
    own_end: int


def load_tokenizer(path: Path) -> Tokenizer:
    tok = Tokenizer.from_file(str(path))
    tok.no_truncation()
    tok.no_padding()
    return tok


# the padding token of each family of sequence-start tokens (BERT's; RoBERTa's and MPNet's)
_PAD_OF = {"[CLS]": "[PAD]", "<s>": "<pad>"}


def special_ids(tokenizer: Tokenizer) -> tuple[int, int, int] | None:
    """The (cls, sep, pad) ids the tokenizer's own post-processor adds, so an MPNet vocabulary,
    which also holds BERT's [CLS], gets its <s>; None when they cannot be told."""
    post = json.loads(tokenizer.to_str()).get("post_processor") or {}
    if "cls" in post and "sep" in post:
        cls, sep = post["cls"][0], post["sep"][0]
    else:
        cls, sep = "[CLS]", "[SEP]"
    ids = tuple(tokenizer.token_to_id(t) for t in (cls, sep, _PAD_OF.get(cls, "[PAD]")))
    return None if None in ids else ids


def encode(tokenizer: Tokenizer, text: str) -> Encoding:
    enc = tokenizer.encode(text, add_special_tokens=False)
    offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
    return Encoding(np.asarray(enc.ids, dtype=np.int64), offsets)


def encode_batch(tokenizer: Tokenizer, texts: list[str]) -> list[Encoding]:
    encs = tokenizer.encode_batch(texts, add_special_tokens=False)
    return [Encoding(np.asarray(e.ids, dtype=np.int64),
                     np.asarray(e.offsets, dtype=np.int64).reshape(-1, 2)) for e in encs]


def windows(n_tokens: int, size: int, overlap: int) -> list[Window]:
    """Cover ``n_tokens`` with the fewest windows of at most ``size`` tokens, of equal length,
    overlapping by at least ``overlap`` (less one for rounding).

    Equal lengths keep the overlap small: a 300-token abstract with ``size`` 254 becomes two
    windows of 182 tokens (364 tokens of compute) rather than 254 + 254.
    """
    if n_tokens <= size:
        return [Window(0, n_tokens, 0, n_tokens)]
    if not 0 <= overlap < size:
        raise ValueError("overlap must be smaller than the window")
    k = math.ceil((n_tokens - overlap) / (size - overlap))
    length = math.ceil((n_tokens + (k - 1) * overlap) / k)
    starts = [round(i * (n_tokens - length) / (k - 1)) for i in range(k)]
    out = []
    for i, start in enumerate(starts):
        end = start + length
        own_start = 0 if i == 0 else out[-1].own_end
        own_end = n_tokens if i == k - 1 else _mid(end, starts[i + 1])
        out.append(Window(start, end, own_start, own_end))
    return out


def _mid(prev_end: int, next_start: int) -> int:
    """The boundary between two overlapping windows: the middle of their shared tokens."""
    return (prev_end + next_start) // 2


def with_specials(ids: np.ndarray, cls_id: int, sep_id: int) -> np.ndarray:
    return np.concatenate(([cls_id], ids, [sep_id])).astype(np.int64)


def pad_batch(rows: list[np.ndarray], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad rows to the longest; returns ids and the attention mask."""
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask
