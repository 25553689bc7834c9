"""Inference: windows of many documents batched through a model, logits scattered back per token.

The batching is independent of the backend, so training (PyTorch) scores dev documents through
the very code that ``annotate`` (onnxruntime) uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from medner_cli.tokenize import Encoding, pad_batch, windows, with_specials

Runner = Callable[[np.ndarray, np.ndarray], np.ndarray]


def doc_logits(encodings: Sequence[Encoding], run: Runner, size: int, overlap: int,
               specials: tuple[int, int, int], max_batch_tokens: int = 0) -> list[np.ndarray]:
    """Per-document ``tokens x labels`` logits; ``size`` counts the [CLS] and [SEP] tokens.

    Windows of similar length are batched up to ``max_batch_tokens`` (0: one window a call).
    """
    cls_id, sep_id, pad_id = specials
    pieces = []  # (doc index, window, ids with specials)
    for d, enc in enumerate(encodings):
        for win in windows(len(enc.ids), size - 2, overlap):
            pieces.append((d, win, with_specials(enc.ids[win.start:win.end], cls_id, sep_id)))
    out: list[np.ndarray | None] = [None] * len(encodings)
    order = sorted(range(len(pieces)), key=lambda i: len(pieces[i][2]))
    batch: list[int] = []

    def flush() -> None:
        ids, mask = pad_batch([pieces[i][2] for i in batch], pad_id)
        logits = run(ids, mask)
        for row, i in enumerate(batch):
            d, win, _ = pieces[i]
            if out[d] is None:
                out[d] = np.zeros((len(encodings[d].ids), logits.shape[-1]), dtype=np.float32)
            lo, hi = win.own_start - win.start + 1, win.own_end - win.start + 1
            out[d][win.own_start:win.own_end] = logits[row, lo:hi]
        batch.clear()

    for i in order:
        width = len(pieces[i][2])
        if batch and width * (len(batch) + 1) > max_batch_tokens:
            flush()
        batch.append(i)
    if batch:
        flush()
    return [o if o is not None else np.zeros((0, 1), dtype=np.float32) for o in out]


class OnnxRunner:
    """One onnxruntime session; ``threads`` intra-op threads so pool workers don't oversubscribe."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # onnxruntime's fused SkipLayerNormalization kernel is slower here than the plain Add and
        # LayerNormalization it replaces: 15-19 % of a call (docs/experiments.md)
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"],
                                            disabled_optimizers=["SkipLayerNormFusion"])
        inputs = self.session.get_inputs()
        self.names = [i.name for i in inputs]
        self.takes_mask = "attention_mask" in self.names
        # an export with rewritten attention runs one window per call (train/attention.py)
        self.one_row = inputs[0].shape[0] == 1

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if not self.takes_mask and not mask.all():
            raise ValueError("this model takes no attention mask, so it cannot run padded "
                             "batches: run one window per call")
        if self.one_row and len(ids) > 1:
            return np.concatenate([self(ids[i:i + 1], mask[i:i + 1]) for i in range(len(ids))])
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.names:
            feed["token_type_ids"] = np.zeros_like(ids)
        return self.session.run(None, {k: v for k, v in feed.items() if k in self.names})[0]
