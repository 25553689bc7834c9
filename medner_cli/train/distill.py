"""Distillation: a larger fine-tuned model's token distributions as extra targets for the student.

The teacher, a ``medner train`` run folder (all-mpnet-base-v2 fine-tuned, say), reads every
training document and, optionally, unlabelled biomedical text; the student then learns
``(1 - w) * gold cross-entropy + w * T^2 * KL(teacher_T || student_T)`` (Hinton et al.'s
recipe), where unlabelled windows have only the second term. The teacher's and the student's
tokenizers may differ: a student token takes the logits of the teacher token with the same
character offsets, and has no soft target where none has (all-MiniLM-L6-v2 and
all-mpnet-base-v2 split every BC5CDR development abstract identically).
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Sequence

import numpy as np

from medner_cli.doc import Doc
from medner_cli.infer import doc_logits
from medner_cli.tokenize import Encoding, encode, load_tokenizer, special_ids

TEACHER_CACHE = "teacher_logits.npz"


def teacher_logits(teacher: str | Path, labels: Sequence[str], texts: Sequence[str],
                   student: Sequence[Encoding], threads: int = 0) -> list[np.ndarray]:
    """For each text, ``student tokens x labels`` teacher logits; rows of tokens the teacher
    splits differently are NaN. The teacher runs at the window it was trained with."""
    import torch
    from transformers import AutoModelForTokenClassification

    from medner_cli.train.trainer import torch_runner

    folder = Path(teacher)
    meta_path = folder / "medner_train.json"
    if not meta_path.exists():
        raise SystemExit(f"--teacher {folder}: not a medner train run folder (no medner_train.json)")
    meta = json.loads(meta_path.read_text())
    if list(meta["labels"]) != list(labels):
        raise SystemExit(f"--teacher {folder} predicts {meta['labels']}, the student learns "
                         f"{list(labels)}: give both the same --types")
    tokenizer = load_tokenizer(folder / "tokenizer.json")
    specials = special_ids(tokenizer)
    if specials is None:
        raise SystemExit(f"--teacher {folder}: its tokenizer has no [CLS]/[SEP]/[PAD] or <s>/</s>/<pad>")
    if threads:
        torch.set_num_threads(threads)
    model = AutoModelForTokenClassification.from_pretrained(str(folder)).eval()
    encs = [encode(tokenizer, t) for t in texts]
    logits = doc_logits(encs, torch_runner(model), meta["window"], meta["overlap"], specials,
                        max_batch_tokens=8192)
    return [on_student_tokens(t, lg, s) for t, lg, s in zip(encs, logits, student)]


def on_student_tokens(teacher: Encoding, logits: np.ndarray, student: Encoding) -> np.ndarray:
    """The teacher's logits moved onto the student's tokens by character offsets."""
    if np.array_equal(teacher.offsets, student.offsets):
        return logits.astype(np.float32)
    out = np.full((len(student.ids), logits.shape[-1]), np.nan, dtype=np.float32)
    where = {(int(s), int(e)): j for j, (s, e) in enumerate(teacher.offsets)}
    for i, (s, e) in enumerate(student.offsets):
        j = where.get((int(s), int(e)))
        if j is not None:
            out[i] = logits[j]
    return out


def cache_key(teacher: str | Path, texts: Sequence[str], student: Sequence[Encoding]) -> str:
    """What the cached logits depend on: the teacher run (its ``medner_train.json``, unique to
    the run), every text and the student's tokens. A cache left by another teacher, other data
    or another student tokenizer is not read, even with the same number of documents."""
    digest = hashlib.sha256((Path(teacher) / "medner_train.json").read_bytes())
    for text, enc in zip(texts, student, strict=True):
        digest.update(text.encode("utf-8") + b"\0")
        digest.update(np.ascontiguousarray(enc.offsets, dtype=np.int64).tobytes())
    return digest.hexdigest()


def save_cache(path: Path, arrays: Sequence[np.ndarray], key: str) -> None:
    """Write beside, then rename, so a run killed mid-write recomputes rather than misreads."""
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, *arrays, key=np.array(key))
    tmp.replace(path)


def load_cache(path: Path, key: str) -> list[np.ndarray] | None:
    """The cached logits, or None when there are none or they were made from other inputs."""
    if not path.exists():
        return None
    with np.load(path) as data:
        if "key" not in data.files or str(data["key"]) != key:
            return None
        return [data[f"arr_{i}"] for i in range(len(data.files) - 1)]


def unlabelled_documents(paths: Sequence[str], count: int, sentences: int, seed: int) -> list[Doc]:
    """``count`` pseudo-documents of ``sentences`` consecutive lines each, drawn at random (by
    ``seed``) from one-sentence-a-line, space-tokenized files, detokenized."""
    from medner_cli.train.pretrain import detokenize

    lines: list[str] = []
    for name in paths:
        with open(name, encoding="utf-8") as handle:
            lines += [detokenize(line) for line in handle if line.strip()]
    groups = [lines[k:k + sentences] for k in range(0, len(lines), sentences)]
    picked = random.Random(seed).sample(range(len(groups)), min(count, len(groups)))
    return [Doc(f"unlabelled-{k}", " ".join(groups[k])) for k in sorted(picked)]


def distill_loss(logits, soft, temperature: float):
    """``T^2 * KL(teacher_T || student_T)`` averaged over the tokens that have a soft target
    (``soft`` rows that are not NaN); zero when none has."""
    import torch

    valid = ~torch.isnan(soft[..., 0])
    if not valid.any():
        return logits.sum() * 0.0
    target = torch.softmax(soft[valid] / temperature, dim=-1)
    logp = torch.log_softmax(logits[valid] / temperature, dim=-1)
    kl = (target * (torch.log(target.clamp_min(1e-12)) - logp)).sum(-1)
    return kl.mean() * temperature ** 2
