"""Export a trained run to ONNX, quantize it to int8, and check int8 against fp32 on dev."""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from pathlib import Path

import numpy as np


def to_onnx(run_dir: Path, path: Path) -> None:
    """fp32 ONNX with dynamic batch and sequence axes (opset 17)."""
    import torch
    from transformers import AutoModelForTokenClassification

    model = AutoModelForTokenClassification.from_pretrained(str(run_dir), attn_implementation="eager").eval()
    model.config.return_dict = False

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask)[0]

    ids = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "sequence"}
    torch.onnx.export(Logits(model), (ids, torch.ones_like(ids)), str(path),
                      input_names=["input_ids", "attention_mask"], output_names=["logits"],
                      dynamic_axes={"input_ids": axes, "attention_mask": axes, "logits": axes},
                      opset_version=17, dynamo=False)


def quantize(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantization of the weights (activations quantized at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)


def dev_report(model_dir: Path, onnx_file: str, dev_paths: list[str], types: list[str]) -> dict:
    """Strict P/R/F1 per type of one ONNX file over the dev data, via the annotate path."""
    from medner_cli.annotator import Annotator, Options
    from medner_cli.train.data import load_docs
    from medner_cli.train.trainer import dev_scores

    docs = load_docs(dev_paths)
    annotator = Annotator(Options(model_dir, dosage=False, threads=os.cpu_count() or 1,
                                  onnx_file=onnx_file))
    preds = []
    for k in range(0, len(docs), 32):
        preds.extend(annotator.entities([d.text for d in docs[k:k + 32]]))
    return dev_scores(docs, preds, types)


def export(run_dir: Path, out: Path, dev_paths: list[str] | None = None,
           keep_fp32: bool = False, log=print) -> dict:
    """Write ``out/{model.onnx, tokenizer.json, config.json}``; returns the model card."""
    started = time.time()
    meta = json.loads((run_dir / "medner_train.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    fp32, int8 = out / "model.fp32.onnx", out / "model.onnx"
    to_onnx(run_dir, fp32)
    quantize(fp32, int8)
    shutil.copyfile(run_dir / "tokenizer.json", out / "tokenizer.json")
    card = {
        "name": out.name, "format": "medner-onnx-token-classification/1",
        "labels": meta["labels"], "types": meta["types"], "window": meta["window"],
        "overlap": meta["overlap"], "special_ids": meta["special_ids"],
        "lowercase": meta["lowercase"], "base_model": Path(meta["base_model"]).name,
        "quantization": "onnxruntime dynamic int8 (QInt8 weights, per-channel)",
        "training": {k: meta[k] for k in ("hyperparameters", "training_files", "dev_files",
                                          "train_documents", "train_windows", "best_epoch",
                                          "wall_seconds", "machine")},
        "history": [{"epoch": h["epoch"], "loss": h["loss"], "seconds": h["seconds"],
                     "dev_f1": h["dev"]["micro"]["f1"]} for h in meta["history"]],
        "dev_fp32_torch": meta["dev_fp32"],
        "size_bytes": {"model.onnx": int8.stat().st_size, "model.fp32.onnx": fp32.stat().st_size},
    }
    (out / "config.json").write_text(json.dumps(card, indent=2))
    if dev_paths:
        card["dev"] = {"fp32": dev_report(out, fp32.name, dev_paths, meta["types"]),
                       "int8": dev_report(out, int8.name, dev_paths, meta["types"])}
        delta = card["dev"]["fp32"]["micro"]["f1"] - card["dev"]["int8"]["micro"]["f1"]
        card["dev"]["int8_minus_fp32_f1_points"] = round(-100 * delta, 2)
        log(f"dev F1 fp32 {card['dev']['fp32']['micro']['f1']:.4f} "
            f"int8 {card['dev']['int8']['micro']['f1']:.4f}")
        if abs(delta) > 0.005:
            log("warning: int8 and fp32 differ by more than 0.5 F1 points on dev")
    card["export"] = {"seconds": round(time.time() - started, 1),
                      "machine": platform.processor() or platform.machine()}
    if not keep_fp32:
        fp32.unlink()
    (out / "config.json").write_text(json.dumps(card, indent=2))
    return card
