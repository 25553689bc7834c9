"""Domain-adaptive pretraining: more masked-language-model training of the encoder on
biomedical text, so that fine-tuning starts from weights that have read the domain.

Texts are tokenized with the encoder's own tokenizer and packed into fixed-length sequences
(BERT's recipe); whole words are masked, all their word pieces together, so a word cannot be
guessed from its own pieces. A run checkpoints every few minutes and ``resume=True`` continues
it; a held-out slice of the sequences, masked the same way every time, gives a loss that says
whether the run is still learning. The saved folder is a ``medner train --base``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import regex

from medner_cli.machine import machine
from medner_cli.tokenize import load_tokenizer
from medner_cli.train.data import file_digests
from medner_cli.train.trainer import (DEFAULT_BASE_NAME, _save_checkpoint, adamw,
                                      default_base, start_run)


@dataclass(kw_only=True)
class PretrainConfig:
    out: str
    sentences: list[str] = field(default_factory=list)  # one space-tokenized sentence a line
    documents: list[str] = field(default_factory=list)  # any input format: texts only
    base: str = ""
    epochs: int = 1
    lr: float = 5e-5
    batch_size: int = 32
    length: int = 128
    mask_share: float = 0.15
    warmup: float = 0.06
    weight_decay: float = 0.01
    held_out: int = 256
    seed: int = 13
    threads: int = 0
    max_steps: int = 0
    checkpoint_minutes: float = 5.0


_SPACE_BEFORE = regex.compile(r" ([.,;:!?%)\]}'’])")
_SPACE_AFTER = regex.compile(r"([(\[{]) ")
_HYPHEN = regex.compile(r"(?<=[\w']) ([-/]) (?=\w)")
_POSSESSIVE = regex.compile(r"(?<=\w)' (?=s\b)")


def detokenize(line: str) -> str:
    """Undo the corpus's token spacing ("( BrdU ; Boehringer )" -> "(BrdU; Boehringer)",
    "5 - bromo" -> "5-bromo", "manufacturer ' s" -> "manufacturer's") so the encoder reads text as users write it."""
    text = _SPACE_BEFORE.sub(r"\1", line.strip())
    text = _SPACE_AFTER.sub(r"\1", text)
    text = _POSSESSIVE.sub("'", text)
    return _HYPHEN.sub(r"\1", text)


def read_texts(cfg: PretrainConfig) -> Iterator[str]:
    for name in cfg.sentences:
        with open(name, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield detokenize(line)
    if cfg.documents:
        from medner_cli.gold import load_documents

        for doc in load_documents(cfg.documents, with_gold=False):
            yield doc.text


def pack(texts: Iterator[str], tokenizer, length: int, cls_id: int, sep_id: int) -> list[np.ndarray]:
    """Consecutive texts' tokens cut into sequences of ``length`` tokens, specials included."""
    body = length - 2
    out: list[np.ndarray] = []
    pending: list[int] = []
    chunk: list[str] = []

    def flush() -> None:
        for enc in tokenizer.encode_batch(chunk, add_special_tokens=False):
            pending.extend(enc.ids)
        chunk.clear()
        while len(pending) >= body:
            out.append(np.asarray([cls_id, *pending[:body], sep_id], dtype=np.int64))
            del pending[:body]

    for text in texts:
        chunk.append(text)
        if len(chunk) == 1024:
            flush()
    flush()
    if pending:
        out.append(np.asarray([cls_id, *pending, sep_id], dtype=np.int64))
    return out


def continuation_ids(tokenizer) -> np.ndarray:
    """True for word pieces that continue a word ("##ing"): masked with the piece before."""
    vocab = tokenizer.get_vocab()
    flags = np.zeros(max(vocab.values()) + 1, dtype=bool)
    for piece, i in vocab.items():
        flags[i] = piece.startswith("##")
    return flags


def mask_words(seq: np.ndarray, continues: np.ndarray, share: float, mask_id: int,
               vocab_size: int, specials: Sequence[int],
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Whole-word masking: ``share`` of the words, each wholly replaced by [MASK] (80 %), a
    random piece (10 %) or left as it is (10 %). Returns the input ids and the labels (-100
    where nothing is predicted)."""
    ids = seq.copy()
    labels = np.full_like(seq, -100)
    inner = ~np.isin(seq, specials)
    starts = np.flatnonzero(inner & ~continues[seq])
    if not len(starts):
        return ids, labels
    ends = np.append(starts[1:], np.flatnonzero(inner)[-1] + 1)
    pick = rng.choice(len(starts), size=max(1, round(share * len(starts))), replace=False)
    for w in pick:
        span = slice(starts[w], ends[w])
        labels[span] = seq[span]
        roll = rng.random()
        if roll < 0.8:
            ids[span] = mask_id
        elif roll < 0.9:
            ids[span] = rng.integers(0, vocab_size, ends[w] - starts[w])
    return ids, labels


def mlm_batch(seqs: Sequence[np.ndarray], continues: np.ndarray, cfg: PretrainConfig,
              mask_id: int, pad_id: int, vocab_size: int, specials: Sequence[int],
              rng: np.random.Generator):
    import torch

    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    labels = torch.full((len(seqs), width), -100, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, seq in enumerate(seqs):
        x, y = mask_words(seq, continues, cfg.mask_share, mask_id, vocab_size, specials, rng)
        ids[i, : len(seq)] = torch.from_numpy(x)
        labels[i, : len(seq)] = torch.from_numpy(y)
        mask[i, : len(seq)] = 1
    return ids, mask, labels


def mlm_loss(model, ids, mask, labels):
    """Cross-entropy over the masked positions only: the vocabulary projection, the largest
    matrix, runs on 15 % of the tokens instead of all of them."""
    import torch

    hidden = model.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
    chosen = labels != -100
    logits = model.cls(hidden[chosen])
    return torch.nn.functional.cross_entropy(logits, labels[chosen])


def pretrain(cfg: PretrainConfig, log: Callable[[str], None] = print, resume: bool = False) -> dict:
    """Continue masked-language-model training of ``cfg.base`` and save it to ``cfg.out``."""
    import torch
    from transformers import AutoModelForMaskedLM, get_linear_schedule_with_warmup

    if not cfg.sentences and not cfg.documents:
        raise SystemExit("pretrain needs text: --sentences FILE or --documents PATH")
    out, log, ckpt_path, ckpt, started = start_run(cfg, "pretrain.log", log, resume)
    base = Path(cfg.base) if cfg.base else default_base()
    tokenizer = load_tokenizer(base / "tokenizer.json")
    names = ("[CLS]", "[SEP]", "[PAD]", "[MASK]")
    cls_id, sep_id, pad_id, mask_id = (tokenizer.token_to_id(t) for t in names)
    if None in (cls_id, sep_id, pad_id, mask_id):
        raise SystemExit(f"{base}/tokenizer.json lacks one of {', '.join(names)}")
    seqs = pack(read_texts(cfg), tokenizer, cfg.length, cls_id, sep_id)
    order = np.random.default_rng(cfg.seed).permutation(len(seqs))
    held = [seqs[i] for i in order[: cfg.held_out]]
    train_seqs = [seqs[i] for i in order[cfg.held_out:]]
    if not train_seqs:
        raise SystemExit(f"only {len(seqs)} sequences of {cfg.length} tokens: too little text")
    continues = continuation_ids(tokenizer)
    vocab_size = tokenizer.get_vocab_size()
    specials = (cls_id, sep_id, pad_id)
    log(f"{sum(len(s) for s in seqs):,} tokens -> {len(train_seqs):,} training sequences of "
        f"{cfg.length}, {len(held)} held out")
    model = AutoModelForMaskedLM.from_pretrained(str(base))
    if not hasattr(model, "cls"):
        raise SystemExit(f"{base}: pretraining supports BERT-style encoders (a 'cls' MLM head)")
    steps_per_epoch = math.ceil(len(train_seqs) / cfg.batch_size)
    total = cfg.max_steps or steps_per_epoch * cfg.epochs
    optim = adamw(model, cfg.lr, cfg.weight_decay)
    sched = get_linear_schedule_with_warmup(optim, int(cfg.warmup * total), total)

    def held_loss() -> float:
        """The same held-out masks every time (a fixed seed), so losses compare across steps."""
        if not held:
            return float("nan")
        model.eval()
        rng, losses = np.random.default_rng([cfg.seed, 0]), []
        with torch.inference_mode():
            for k in range(0, len(held), cfg.batch_size):
                batch = mlm_batch(held[k:k + cfg.batch_size], continues, cfg, mask_id, pad_id,
                                  vocab_size, specials, rng)
                losses.append(mlm_loss(model, *batch).item())
        model.train()
        return round(float(np.mean(losses)), 4)

    history, step, first_epoch, skip, losses = [], 0, 1, 0, []
    if ckpt:
        model.load_state_dict(ckpt["model"])
        optim.load_state_dict(ckpt["optim"])
        sched.load_state_dict(ckpt["sched"])
        torch.set_rng_state(ckpt["torch_rng"])
        history, step = ckpt["history"], ckpt["step"]
        first_epoch, skip, losses = ckpt["epoch"], ckpt["batch"], ckpt["losses"]
        log(f"resumed at epoch {first_epoch}, batch {skip}, step {step}")
    else:
        history.append({"step": 0, "held_out_loss": held_loss()})
        log(f"held-out MLM loss before training: {history[0]['held_out_loss']}")

    def save(epoch: int, batch: int) -> None:
        _save_checkpoint(ckpt_path, {
            "config": asdict(cfg), "model": model.state_dict(), "optim": optim.state_dict(),
            "sched": sched.state_dict(), "torch_rng": torch.get_rng_state(), "history": history,
            "step": step, "epoch": epoch, "batch": batch, "losses": losses,
            "elapsed": time.time() - started})

    model.train()
    last_save = time.time()
    for epoch in range(first_epoch, cfg.epochs + 1):
        t0 = time.time()
        # batches and masks follow from (seed, epoch, batch): a resumed run sees the same ones
        plan = np.random.default_rng([cfg.seed, epoch]).permutation(len(train_seqs))
        for b in range(skip, steps_per_epoch):
            rng = np.random.default_rng([cfg.seed, epoch, b])
            picked = [train_seqs[i] for i in plan[b * cfg.batch_size:(b + 1) * cfg.batch_size]]
            loss = mlm_loss(model, *mlm_batch(picked, continues, cfg, mask_id, pad_id,
                                              vocab_size, specials, rng))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            optim.zero_grad()
            losses.append(loss.item())
            step += 1
            if step % 100 == 0:
                log(f"epoch {epoch} step {step}/{total}: loss {np.mean(losses[-100:]):.4f}")
            if step >= total:
                break
            if time.time() - last_save > 60 * cfg.checkpoint_minutes:
                save(epoch, b + 1)
                last_save = time.time()
        skip = 0
        row = {"epoch": epoch, "step": step, "loss": round(float(np.mean(losses)), 4),
               "held_out_loss": held_loss(), "seconds": round(time.time() - t0, 1)}
        history.append(row)
        losses = []
        log(f"epoch {epoch}: loss {row['loss']} held-out {row['held_out_loss']} ({row['seconds']} s)")
        save(epoch + 1, 0)
        last_save = time.time()
        if step >= total:
            break
    model.save_pretrained(out)
    tokenizer.save(str(out / "tokenizer.json"))
    meta = {
        "base_model": str(base), "base_model_name": base.name if cfg.base else DEFAULT_BASE_NAME,
        "hyperparameters": asdict(cfg),
        "text_files": file_digests(cfg.sentences + cfg.documents),
        "sequences": len(train_seqs), "held_out_sequences": len(held), "steps": step,
        "history": history, "wall_seconds": round(time.time() - started, 1),
        "machine": {**machine(), "torch_threads": torch.get_num_threads()},
    }
    (out / "medner_pretrain.json").write_text(json.dumps(meta, indent=2))
    ckpt_path.unlink(missing_ok=True)
    log(f"saved to {out} after {step} steps")
    return meta
