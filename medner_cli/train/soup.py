"""A model soup: the weight average of runs fine-tuned from the same base encoder.

Runs that share an initialisation land in one basin, so averaging their weights tends to beat
each of them, at no cost at inference time (Wortsman et al., "Model soups", ICML 2022). The
greedy recipe adds runs best-first and keeps each only if dev F1 does not drop; the uniform one
averages every run, for final runs trained on the dev set too (no data left to choose on).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Sequence

from medner_cli.errors import UsageError


def _load(run: Path):
    from transformers import AutoModelForTokenClassification

    return AutoModelForTokenClassification.from_pretrained(str(run)).eval()


def average(models: Sequence) -> dict:
    """The element-wise mean of the models' state dicts (integer buffers are taken as they are)."""
    states = [m.state_dict() for m in models]
    out = {}
    for key, first in states[0].items():
        out[key] = (sum(s[key].float() for s in states) / len(states)).to(first.dtype) \
            if first.is_floating_point() else first
    return out


def soup(runs: Sequence[Path], dev_paths: Sequence[str], out: Path,
         log: Callable[[str], None] = print, uniform: bool = False) -> dict:
    """Greedy soup of ``runs`` selected on dev F1, or with ``uniform`` the average of all of
    them (dev, if given, is then only scored); writes a run folder ``medner export`` takes."""
    from medner_cli.gold import load_documents
    from medner_cli.train.trainer import annotator, dev_scores
    from medner_cli.tokenize import load_tokenizer

    if not uniform and not dev_paths:
        raise UsageError("a greedy soup needs --dev data to choose on (or average all: --uniform)")
    started = time.time()
    metas = [json.loads((r / "medner_train.json").read_text()) for r in runs]
    for run, meta in zip(runs[1:], metas[1:]):
        for key in ("labels", "window", "overlap", "base_model"):
            if meta[key] != metas[0][key]:
                raise UsageError(f"{run}: {key} differs from {runs[0]}; only runs of one base "
                                 f"encoder with the same labels and windows can be averaged")
    docs = load_documents(dev_paths) if dev_paths else []
    tokenizer = load_tokenizer(runs[0] / "tokenizer.json")
    specials = tuple(metas[0]["special_ids"][k] for k in ("cls", "sep", "pad"))
    types = metas[0]["types"]

    def score(model) -> dict | None:
        if not docs:
            return None
        return dev_scores(annotator(model, tokenizer, metas[0]["labels"], metas[0]["window"],
                                    metas[0]["overlap"], specials), docs, types)

    def f1(scores: dict | None) -> float:
        return scores["strict"]["micro"]["f1"] if scores else float("nan")

    models = [_load(r) for r in runs]
    single = [score(m) for m in models]
    order = (list(range(len(runs))) if not docs
             else sorted(range(len(runs)), key=lambda i: -f1(single[i])))
    for i in order:
        log(f"{runs[i]}: dev F1 {f1(single[i]):.4f}" if docs else f"{runs[i]}")
    pot = _load(runs[order[0]])
    if uniform:
        chosen = order
        pot.load_state_dict(average(models))
        best = score(pot)
    else:
        chosen, best = [order[0]], single[order[0]]
        for i in order[1:]:
            pot.load_state_dict(average([models[j] for j in chosen + [i]]))
            trial = score(pot)
            log(f"+ {runs[i]}: dev F1 {f1(trial):.4f}")
            if f1(trial) >= f1(best):
                chosen, best = chosen + [i], trial
    pot.load_state_dict(average([models[j] for j in chosen]))
    out.mkdir(parents=True, exist_ok=True)
    pot.save_pretrained(out)
    tokenizer.save(str(out / "tokenizer.json"))
    meta = dict(metas[order[0]])
    meta.update({
        "training_files": {k: v for m in (metas[j] for j in chosen)
                           for k, v in m["training_files"].items()},
        "best_epoch": None, "history": [], "dev_fp32": best,
        "wall_seconds": round(sum(metas[j]["wall_seconds"] for j in chosen)
                              + time.time() - started, 1),
        "soup": {"recipe": ("uniform: the mean of every run" if uniform
                            else "greedy, best-first, keep if dev F1 does not drop"),
                 "ingredients": [{"run": str(runs[j]), "dev_f1": single[j] and f1(single[j]),
                                  "hyperparameters": metas[j]["hyperparameters"],
                                  "best_epoch": metas[j]["best_epoch"]} for j in chosen],
                 "rejected": [str(runs[j]) for j in order if j not in chosen]},
    })
    (out / "medner_train.json").write_text(json.dumps(meta, indent=2))
    scored = f"dev F1 {f1(best):.4f}" if best else "no dev data scored"
    log(f"soup of {len(chosen)} run(s): {scored}; saved to {out}")
    return meta
