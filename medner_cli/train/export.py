"""Export a trained run to ONNX, quantize it to int8, and check int8 against fp32 on dev."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from medner_cli.machine import machine
from medner_cli.doc import Doc
from medner_cli.errors import UsageError
from medner_cli.model import CARD_FORMAT, onnx_bytes, weights_file


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


def sweep(model_dir: Path, docs: list[Doc], types: list[str], onnx_file: str = "model.onnx",
          thresholds: tuple[float, ...] = THRESHOLDS, dosage: bool = True) -> dict[Setting, dict]:
    """``Report.as_dict`` of one ONNX file on gold documents for each ``min_score``, with and
    without propagation, through the pipeline ``annotate`` runs (``pipeline.build``).

    The model runs once; decoding and the pipeline's steps are repeated per setting, which gives
    what ``medner eval --min-score T [--no-propagate] --no-memory`` gives (a test checks it).
    """
    from medner_cli.annotator import Annotator, Options
    from medner_cli.machine import cpu_count
    from medner_cli.metrics import evaluate
    from medner_cli.pipeline import ANNOTATION_STEPS, FIELD_STEPS, build

    options = Options(model=model_dir, dosage=dosage, threads=cpu_count(), onnx_file=onnx_file)
    model = Annotator.from_options(options).model
    encs = model.encode([d.text for d in docs])
    logits = model.logits(encs)
    # the field steps (linking, assertion) never change a span, so the F1 they would cost 18
    # times over is the same without them; the annotation steps would answer from dev itself
    pipelines = {p: build(skip=options.skipped(p) | FIELD_STEPS | ANNOTATION_STEPS,
                          model_dir=model_dir)
                 for p in (False, True)}
    out = {}
    for threshold in thresholds:
        decoded = [model.decode(d, e, lg, threshold) for d, e, lg in zip(docs, encs, logits)]
        for propagate, pipeline in pipelines.items():
            found = [pipeline(Doc(d.id, d.text), list(ents)) for d, ents in zip(docs, decoded)]
            out[threshold, propagate] = evaluate(
                ((d.entities, f) for d, f in zip(docs, found)), types).as_dict()
    return out


def _f1(report: dict) -> float:
    return report["strict"]["micro"]["f1"]


def _files(digests: dict[str, str]) -> dict[str, str]:
    """File name -> sha256, without the folders of whoever trained the model."""
    return {Path(name).name: digest for name, digest in digests.items()}


_PATHS = ("train", "dev", "out", "base", "teacher", "unlabelled")  # named elsewhere, without folders


def provenance(meta: dict) -> dict:
    """How the weights were made: data by name and sha256, hyperparameters, training scores."""
    hyper = {k: v for k, v in meta["hyperparameters"].items() if k not in _PATHS}
    out = {
        "base_model": meta.get("base_model_name", Path(meta["base_model"]).name),
        "training_files": _files(meta["training_files"]), "dev_files": _files(meta["dev_files"]),
        "hyperparameters": hyper, "selection": meta.get("selection", "best dev epoch"),
        **{k: meta[k] for k in ("train_documents", "train_windows", "best_epoch",
                                "wall_seconds", "machine") if k in meta},
        "history": [{"epoch": h["epoch"], "loss": h["loss"], "seconds": h["seconds"],
                     **({"dev_f1": _f1(h["dev"])} if "dev" in h else {})}
                    for h in meta["history"]],
    }
    if meta.get("teacher"):
        teacher = meta["teacher"]
        out["distillation"] = {
            "teacher": teacher["base_model_name"], "teacher_best_epoch": teacher["best_epoch"],
            "teacher_dev_fp32_f1": teacher["dev_fp32_f1"],
            "unlabelled_files": [Path(n).name for n in meta["hyperparameters"]["unlabelled"]],
            "unlabelled_documents": meta.get("unlabelled_documents", 0)}
    if "soup" in meta:
        soup = meta["soup"]
        out["soup"] = {"recipe": soup["recipe"], "rejected": len(soup["rejected"]),
                       "ingredients": [{"dev_f1": i["dev_f1"], "best_epoch": i["best_epoch"],
                                        "hyperparameters": {k: v for k, v in i["hyperparameters"].items()
                                                            if k not in _PATHS}}
                                       for i in soup["ingredients"]]}
    return out


def export(run_dir: Path, out: Path, dev_paths: list[str] | None = None,
           keep_fp32: bool = False, overlap: int | None = None, window: int | None = None,
           min_score: float | None = None, propagate: bool | None = None,
           resources: Path | None = None, log=print) -> dict:
    """Write ``out/{model.onnx, model.onnx.data, tokenizer.json, config.json}``; returns the card.

    ``window`` and ``overlap`` set the inference windows (default: the training ones). Both are
    costs: attention grows with the window, and each shared token is computed twice. With
    ``dev_paths`` and no ``min_score``/``propagate`` the best setting on dev is chosen; given
    settings are kept and dev is only scored. ``resources`` is a model folder whose data files
    (lexicons, their licences) are copied in.
    """
    from medner_cli.gold import load_documents

    started = time.time()
    meta = json.loads((run_dir / "medner_train.json").read_text())
    window = meta["window"] if window is None else window
    overlap = meta["overlap"] if overlap is None else overlap
    config = json.loads((run_dir / "config.json").read_text())
    positions = config.get("max_position_embeddings")
    if positions and window > positions:
        raise UsageError(f"--window {window} is longer than the model's {positions} positions")
    if not 0 <= overlap < window - 2:
        raise UsageError(f"--overlap {overlap} must be below the window's {window - 2} "
                         "text tokens")
    docs = load_documents(dev_paths) if dev_paths else []  # bad dev data fails before the export
    out.mkdir(parents=True, exist_ok=True)
    fp32, int8 = out / "model.fp32.onnx", out / "model.onnx"
    to_onnx(run_dir, fp32)
    quantize(fp32, int8)
    rewritten = rewrite(config, [fp32, int8])
    for f in (fp32, int8):
        externalize(f)
    shutil.copyfile(run_dir / "tokenizer.json", out / "tokenizer.json")
    copied = copy_resources(resources, out) if resources else []
    runtime = {
        "labels": meta["labels"], "types": meta["types"], "window": window, "overlap": overlap,
        "special_ids": meta["special_ids"], "lowercase": meta["lowercase"],
        "min_score": 0.0 if min_score is None else min_score,
        "propagate": bool(propagate), "weights": weights_file(int8).name,
    }
    card = {
        "name": out.name, "format": CARD_FORMAT, "runtime": runtime,
        "provenance": {
            **provenance(meta),
            "quantization": "onnxruntime dynamic int8 (QInt8 weights, per-channel)",
            "attention": (f"{rewritten} blocks without head transposes, one window per call"
                          if rewritten else "as exported"),
            "size_bytes": {"model.onnx": onnx_bytes(int8), "model.fp32.onnx": onnx_bytes(fp32)},
            "resources": copied,
        },
    }
    (out / "config.json").write_text(json.dumps(card, indent=2))
    if docs:
        fp32_dev = sweep(out, docs, meta["types"], fp32.name)
        int8_dev = sweep(out, docs, meta["types"], int8.name)
        chosen = min_score is None and propagate is None
        if chosen:  # chosen on dev, like the epoch: the held-back test set is never seen
            best = max(int8_dev, key=lambda s: _f1(int8_dev[s]))
        else:
            best = (runtime["min_score"], runtime["propagate"])
            if best not in int8_dev:
                more = sweep(out, docs, meta["types"], int8.name, (best[0],))
                int8_dev.update(more)
                fp32_dev.update(sweep(out, docs, meta["types"], fp32.name, (best[0],)))
        runtime["min_score"], runtime["propagate"] = best
        plain = (0.0, False)
        from medner_cli.train.data import file_digests

        card["provenance"]["dev"] = {
            "files": _files(file_digests(dev_paths)),
            "settings": "chosen on these files" if chosen else "given to the export",
            "fp32": fp32_dev[plain], "int8": int8_dev[plain],
            "fp32_at_settings": fp32_dev[best], "int8_at_settings": int8_dev[best],
            "sweep_int8_f1": {f"{t} propagate={p}": _f1(r) for (t, p), r in int8_dev.items()},
            "int8_minus_fp32_f1_points": round(100 * (_f1(int8_dev[best]) - _f1(fp32_dev[best])), 2),
        }
        log(f"dev F1 at min_score {best[0]}, propagate {best[1]}: fp32 "
            f"{_f1(fp32_dev[best]):.4f} int8 {_f1(int8_dev[best]):.4f} "
            f"(plain decoding: fp32 {_f1(fp32_dev[plain]):.4f}, int8 {_f1(int8_dev[plain]):.4f})")
        if abs(_f1(fp32_dev[best]) - _f1(int8_dev[best])) > 0.005:
            log("warning: int8 and fp32 differ by more than 0.5 F1 points on dev")
    card["provenance"]["export"] = {"seconds": round(time.time() - started, 1),
                                    "machine": machine()}
    if not keep_fp32:
        fp32.unlink()
        weights_file(fp32).unlink()
    (out / "config.json").write_text(json.dumps(card, indent=2))
    (out / "README.md").write_text(model_readme(card))
    return card


def model_readme(card: dict) -> str:
    """The model folder's README, generated from its card so the two cannot disagree."""
    rt, prov = card["runtime"], card["provenance"]
    lines = [f"# {card['name']}", "", "Generated from `config.json` by `medner export`.", "",
             "## Running it", "",
             f"- labels: {', '.join(rt['types'])} (BIO: {len(rt['labels'])} tags)",
             f"- window {rt['window']} tokens, overlap {rt['overlap']}",
             f"- min_score {rt['min_score']}, propagate {rt['propagate']}", "",
             "## How it was made", "",
             f"- base encoder: {prov['base_model']}" + (
                 f", its first {prov['hyperparameters']['layers']} layers (--layers)"
                 if prov["hyperparameters"].get("layers") else ""),
             "- training data: " + ", ".join(f"`{n}` (sha256 {d[:12]}...)"
                                              for n, d in prov["training_files"].items()),
             f"- selection: {prov['selection']}",
             "- hyperparameters: " + ", ".join(f"{k} {v}" for k, v in
                                               prov["hyperparameters"].items() if v not in ([], "")),
             f"- {prov['quantization']}; attention: {prov['attention']}",
             f"- size: {prov['size_bytes']['model.onnx'] / 1e6:.1f} MB (model.onnx and its weights)"]
    if prov.get("distillation"):
        kd = prov["distillation"]
        f1 = kd["teacher_dev_fp32_f1"]
        lines.append(f"- distilled from a fine-tuned {kd['teacher']} ("
                     + (f"dev fp32 F1 {f1:.4f}" if f1 is not None else "no dev score")
                     + f"), with {kd['unlabelled_documents']} unlabelled "
                     "pieces of " + (", ".join(f"`{n}`" for n in kd["unlabelled_files"]) or "no file"))
    if prov.get("resources"):
        lines.append("- data files: " + ", ".join(f"`{n}`" for n in prov["resources"])
                     + " (their notices are beside them)")
    dev = prov.get("dev")
    if dev:
        at = dev["int8_at_settings"]["strict"]
        lines += ["", "## Scores on the dev files", "",
                  f"Settings {dev['settings']}. Strict F1 at them: int8 {at['micro']['f1']:.4f}"
                  + "".join(f", {t} {at[t]['f1']:.4f}" for t in rt["types"] if t in at)
                  + f"; int8 minus fp32: {dev['int8_minus_fp32_f1_points']} points."]
        if set(dev["files"].values()) & set(prov["training_files"].values()):
            lines.append("The dev files were also training data: these scores are not "
                         "estimates of accuracy on unseen text (docs/model.md has those).")
    return "\n".join(lines) + "\n"


RESOURCE_SUFFIXES = (".tsv", ".tsv.gz", ".json", ".txt")


def copy_resources(source: Path, out: Path) -> list[str]:
    """Copy the data files of another model folder (lexicons and their licence notices)."""
    names = []
    for f in sorted(source.iterdir()):
        if f.is_file() and f.name.endswith(RESOURCE_SUFFIXES) and f.name not in (
                "config.json", "tokenizer.json"):
            shutil.copyfile(f, out / f.name)
            names.append(f.name)
    return names
