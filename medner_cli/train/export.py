"""Export a trained run to ONNX, quantize it to int8, and check int8 against fp32 on dev."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from medner_cli.machine import machine
from medner_cli.model import onnx_bytes, weights_file


def to_onnx(run_dir: Path, path: Path) -> None:
    """fp32 ONNX with dynamic batch and sequence axes (opset 17), taking ``input_ids`` only.

    annotate runs one unpadded window per call (dynamic int8 would otherwise scale windows of
    different documents together), so an attention mask would only add zeros: leaving it out
    of the graph saves 7-10 % of each call at the same outputs.
    """
    import torch
    from transformers import AutoModelForTokenClassification

    model = AutoModelForTokenClassification.from_pretrained(str(run_dir), attn_implementation="eager").eval()
    model.config.return_dict = False

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids):
            return self.inner(input_ids=input_ids)[0]

    ids = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "sequence"}
    torch.onnx.export(Logits(model), (ids,), str(path), input_names=["input_ids"],
                      output_names=["logits"], dynamic_axes={"input_ids": axes, "logits": axes},
                      opset_version=17, dynamo=False)


def quantize(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantization of the weights (activations quantized at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)


def rewrite(config: dict, files: list[Path]) -> int:
    """Attention without head transposes in each file (``train/attention.py``), given the run's
    Hugging Face config; returns the blocks rewritten per file, 0 where the graph is not the
    exported BERT pattern."""
    from medner_cli.train.attention import rewrite_file

    heads, hidden = config.get("num_attention_heads"), config.get("hidden_size")
    if not heads or not hidden:
        return 0
    return min(rewrite_file(f, heads, hidden) for f in files)


def externalize(path: Path) -> Path:
    """Move the weights of ``path`` into ``<name>.data`` beside it, which onnxruntime maps into
    memory instead of reading and copying: a worker's session starts in about 28 instead of
    51 ms, with the same outputs. Returns the data file."""
    import onnx

    data = weights_file(path)
    model = onnx.load(str(path))
    tmp = path.with_name(path.name + ".tmp")
    data.unlink(missing_ok=True)  # onnx appends to an existing data file
    onnx.save(model, str(tmp), save_as_external_data=True, all_tensors_to_one_file=True,
              location=data.name, size_threshold=1024)
    os.replace(tmp, path)
    os.chmod(data, path.stat().st_mode)  # onnx writes it owner-only
    return data


THRESHOLDS = (0.0, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
Setting = tuple[float, bool]  # (min_score, propagate)


def dev_reports(model_dir: Path, onnx_file: str, docs: list, types: list[str],
                thresholds: tuple[float, ...]) -> dict[Setting, dict]:
    """Strict P/R/F1 per type of one ONNX file on dev for each ``min_score``, with and without
    propagation, through annotate's decoding path.

    The model runs once; only decoding is repeated per setting.
    """
    from medner_cli.annotator import Annotator, Options
    from medner_cli.consistency import propagate
    from medner_cli.decode import entities
    from medner_cli.infer import doc_logits
    from medner_cli.tokenize import encode_batch
    from medner_cli.train.trainer import dev_scores

    annotator = Annotator(Options(model_dir, dosage=False, threads=os.cpu_count() or 1,
                                  onnx_file=onnx_file))
    spec = annotator.spec
    encs = encode_batch(annotator.tokenizer, [d.text for d in docs])
    logits = doc_logits(encs, annotator.run, spec.window, spec.overlap, annotator.specials)
    out = {}
    for threshold in thresholds:
        preds = [entities(d, e.offsets, lg, spec.labels, annotator.allowed, True, threshold)
                 for d, e, lg in zip(docs, encs, logits)]
        out[threshold, False] = dev_scores(docs, preds, types)
        out[threshold, True] = dev_scores(docs, [propagate(d, p) for d, p in zip(docs, preds)],
                                          types)
    return out


def export(run_dir: Path, out: Path, dev_paths: list[str] | None = None,
           keep_fp32: bool = False, overlap: int | None = None, window: int | None = None,
           log=print) -> dict:
    """Write ``out/{model.onnx, tokenizer.json, config.json}``; returns the model card.

    ``window`` and ``overlap`` set the inference windows (default: the training ones). Both are
    costs: attention grows with the window, and each shared token is computed twice.
    """
    started = time.time()
    meta = json.loads((run_dir / "medner_train.json").read_text())
    window = meta["window"] if window is None else window
    overlap = meta["overlap"] if overlap is None else overlap
    config = json.loads((run_dir / "config.json").read_text())
    positions = config.get("max_position_embeddings")
    if positions and window > positions:
        raise ValueError(f"--window {window} is longer than the model's {positions} positions")
    if not 0 <= overlap < window - 2:
        raise ValueError(f"--overlap {overlap} must be below the window's {window - 2} "
                         "text tokens")
    out.mkdir(parents=True, exist_ok=True)
    fp32, int8 = out / "model.fp32.onnx", out / "model.onnx"
    to_onnx(run_dir, fp32)
    quantize(fp32, int8)
    rewritten = rewrite(config, [fp32, int8])
    for f in (fp32, int8):
        externalize(f)
    shutil.copyfile(run_dir / "tokenizer.json", out / "tokenizer.json")
    card = {
        "name": out.name, "format": "medner-onnx-token-classification/1",
        "labels": meta["labels"], "types": meta["types"], "window": window,
        "overlap": overlap, "special_ids": meta["special_ids"],
        "lowercase": meta["lowercase"], "base_model": meta.get("base_model_name", Path(meta["base_model"]).name),
        "quantization": "onnxruntime dynamic int8 (QInt8 weights, per-channel)",
        "attention": (f"{rewritten} blocks without head transposes, one window per call"
                      if rewritten else "as exported"),
        "training": {k: meta[k] for k in ("hyperparameters", "training_files", "dev_files",
                                          "train_documents", "train_windows", "best_epoch",
                                          "wall_seconds", "machine", "soup") if k in meta},
        "history": [{"epoch": h["epoch"], "loss": h["loss"], "seconds": h["seconds"],
                     "dev_f1": h["dev"]["micro"]["f1"]} for h in meta["history"]],
        "dev_fp32_torch": meta.get("dev_fp32"),
        "weights": weights_file(int8).name,  # mapped into memory at load
        "size_bytes": {"model.onnx": onnx_bytes(int8), "model.fp32.onnx": onnx_bytes(fp32)},
    }
    (out / "config.json").write_text(json.dumps(card, indent=2))
    if dev_paths:
        from medner_cli.train.data import load_docs

        docs = load_docs(dev_paths)
        fp32_dev = dev_reports(out, fp32.name, docs, meta["types"], THRESHOLDS)
        int8_dev = dev_reports(out, int8.name, docs, meta["types"], THRESHOLDS)
        # threshold and propagation are chosen on dev, like the epoch: the held-back test set
        # is never seen
        best = max(int8_dev, key=lambda s: int8_dev[s]["micro"]["f1"])
        card["min_score"], card["propagate"] = best
        plain = (0.0, False)
        card["dev"] = {"fp32": fp32_dev[plain], "int8": int8_dev[plain],
                       "fp32_at_min_score": fp32_dev[best], "int8_at_min_score": int8_dev[best],
                       "min_score_sweep_int8_f1": {
                           f"{t} propagate={p}": r["micro"]["f1"]
                           for (t, p), r in int8_dev.items()}}
        delta = fp32_dev[best]["micro"]["f1"] - int8_dev[best]["micro"]["f1"]
        card["dev"]["int8_minus_fp32_f1_points"] = round(-100 * delta, 2)
        log(f"dev F1 at min_score {best[0]}, propagate {best[1]}: fp32 "
            f"{fp32_dev[best]['micro']['f1']:.4f} int8 {int8_dev[best]['micro']['f1']:.4f} "
            f"(plain decoding: fp32 {fp32_dev[plain]['micro']['f1']:.4f}, "
            f"int8 {int8_dev[plain]['micro']['f1']:.4f})")
        if abs(delta) > 0.005:
            log("warning: int8 and fp32 differ by more than 0.5 F1 points on dev")
    card["export"] = {"seconds": round(time.time() - started, 1), "machine": machine()}
    if not keep_fp32:
        fp32.unlink()
        weights_file(fp32).unlink()
    (out / "config.json").write_text(json.dumps(card, indent=2))
    return card
