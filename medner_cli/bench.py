"""``medner bench`` as a library: speed, size, memory and F1 of models on this machine.

Each model is timed the way users run it: sentence and document latency at batch 1 on one
thread, and end-to-end throughput of ``pool.annotate_stream`` at 1..N workers (start-up and
model loading included, as in a real ``medner annotate`` run). A Hugging Face ``pipeline`` on
PyTorch fp32 can be added as the baseline the speed-up is measured against.

Peak RSS is the ``VmHWM`` of a freshly started Python process that loads one model and
annotates the benchmark documents one chunk at a time, as one pool worker does; it includes the
interpreter itself. (``ru_maxrss`` of this process or its children would mix in every model
benchmarked before, and forked workers count pages shared with their parent.)
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from medner_cli.doc import Doc, Entity
from medner_cli.errors import DataError, UsageError
from medner_cli.gold import load_documents
from medner_cli.machine import INT8_FLAGS, machine

DEFAULT_DOCS, DEFAULT_CHARS = 40, 70_000  # without --docs: a default run stays well under 2 min
_WARMUP = 8  # sentences and documents run untimed before each model is timed
_CHUNK = 16
_SYNTHETIC = [
    "Patient is a 67 year old man with type 2 diabetes mellitus and hypertension.",
    "He was started on metformin 500 mg twice daily with meals.",
    "Lisinopril 10 mg daily was continued for blood pressure control.",
    "She presented with chest pain consistent with unstable angina.",
    "Aspirin 81 mg daily and atorvastatin 40 mg at bedtime were prescribed.",
    "Warfarin was held because of an INR of 4.2 and melena.",
    "History of chronic kidney disease stage 3 and congestive heart failure.",
    "Community acquired pneumonia was treated with ceftriaxone 1 g IV every 24 hours.",
    "The patient developed acute renal failure after contrast exposure.",
    "Heparin infusion was stopped for suspected heparin induced thrombocytopenia.",
    "Paracetamol 1 g every 6 hours as needed for pain, maximum 4 g per day.",
    "Sepsis from a urinary tract infection resolved on piperacillin tazobactam.",
    "Insulin glargine 20 units at night was added for poor glycaemic control.",
    "No known drug allergies; she reports nausea with codeine.",
    "Furosemide 40 mg orally twice daily for peripheral oedema.",
    "Discharged home on amoxicillin 500 mg three times daily for 7 days.",
]


@dataclass(frozen=True, kw_only=True)
class BenchConfig:
    models: tuple[str, ...] = ()  # folders or .onnx files; empty: the shipped int8 (+ fp32)
    hf_baseline: str | None = None
    gold: str | None = None
    docs_from: str | None = None
    docs: int | None = None  # None: DEFAULT_DOCS documents, DEFAULT_CHARS characters at most
    repeats: int = 3
    workers_max: int | None = None  # None: CPU count
    dosage: bool = True  # as annotate runs it


# ---------------------------------------------------------------- what to benchmark


class Backend(Protocol):
    def entities(self, texts: Sequence[str]) -> list[list[Entity]]: ...


class Target(Protocol):
    name: str
    runtime: str
    kind: str
    parallelism: str  # what "workers" means for its throughput
    path: Path  # what the size is of: the .onnx file, or the checkpoint folder
    folder: Path  # what a backend loads

    def size_bytes(self) -> int: ...

    def load(self, threads: int, dosage: bool) -> Backend: ...

    def throughput(self, docs: Sequence[Doc], workers: int,
                   dosage: bool) -> tuple[float, int, list[list[Entity]]]: ...


def _chunk_size(n_docs: int, workers: int) -> int:
    """Small enough that every worker gets chunks (the pool runs in-process below two)."""
    return max(1, min(_CHUNK, -(-n_docs // (2 * workers))))


class OnnxBackend:
    def __init__(self, path: Path, threads: int, dosage: bool) -> None:
        from medner_cli.annotator import Annotator, Options

        self.annotator = Annotator.from_options(Options(model=path.parent, dosage=dosage,
                                                        threads=threads, onnx_file=path.name))

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        return self.annotator.entities(texts)


@dataclass
class OnnxTarget:
    """One ONNX file of an exported model folder."""

    name: str
    runtime: str
    path: Path  # the .onnx file
    kind: str = "onnx"
    parallelism: str = "worker processes"

    def size_bytes(self) -> int:
        from medner_cli.model import onnx_bytes

        return onnx_bytes(self.path)

    def load(self, threads: int, dosage: bool) -> Backend:
        return OnnxBackend(self.path, threads, dosage)

    def throughput(self, docs: Sequence[Doc], workers: int,
                   dosage: bool) -> tuple[float, int, list[list[Entity]]]:
        from medner_cli.annotator import Options
        from medner_cli.pool import annotate_stream
        from medner_cli.timing import Stats

        stats = Stats()
        # one thread per worker, so N workers use N cores, as N PyTorch threads do for HF
        options = Options(model=self.path.parent, dosage=dosage, threads=1,
                          onnx_file=self.path.name)
        copies = [Doc(d.id, d.text) for d in docs]
        t0 = time.perf_counter()
        out = list(annotate_stream(copies, options, workers, _chunk_size(len(docs), workers),
                                   stats))
        return time.perf_counter() - t0, stats.tokens, [d.entities for d in out]


class HfBackend:
    """``pipeline("token-classification", aggregation_strategy="simple")`` on PyTorch fp32."""

    def __init__(self, folder: Path, threads: int) -> None:
        import torch
        from transformers import AutoTokenizer, pipeline
        from transformers.utils import logging

        logging.disable_progress_bar()
        torch.set_num_threads(threads)
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.pipe = pipeline("token-classification", model=str(folder), tokenizer=tokenizer,
                             aggregation_strategy="simple", device=-1)
        limit = self.pipe.model.config.max_position_embeddings
        tokenizer.model_max_length = min(tokenizer.model_max_length, limit)
        self.stride = tokenizer.model_max_length // 4  # long documents go in overlapping chunks

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        found = self.pipe(list(texts), stride=self.stride)
        return [[Entity(int(e["start"]), int(e["end"]), str(e["entity_group"]),
                        text[int(e["start"]):int(e["end"])], float(e["score"]), "hf")
                 for e in ents] for text, ents in zip(texts, found)]

    def tokens(self, texts: Sequence[str]) -> int:
        enc = self.pipe.tokenizer(list(texts), add_special_tokens=False)
        return sum(len(ids) for ids in enc["input_ids"])


@dataclass
class HfTarget:
    name: str
    folder: Path  # the checkpoint folder
    runtime: str = "transformers pipeline, PyTorch fp32"
    kind: str = "hf"
    parallelism: str = "PyTorch threads"

    @property
    def path(self) -> Path:
        return self.folder

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir()
                   if p.suffix in (".safetensors", ".bin") and p.is_file())

    def load(self, threads: int, dosage: bool) -> Backend:
        return HfBackend(self.folder, threads)

    def throughput(self, docs: Sequence[Doc], workers: int,
                   dosage: bool) -> tuple[float, int, list[list[Entity]]]:
        """One process with ``workers`` PyTorch threads (loading included, as for ONNX)."""
        texts = [d.text for d in docs]
        t0 = time.perf_counter()
        backend = HfBackend(self.folder, workers)
        found = backend.entities(texts)
        wall = time.perf_counter() - t0
        return wall, backend.tokens(texts), found


def _runtime(path: Path, card: dict) -> str:
    if "fp32" in path.name:
        return "onnxruntime fp32"
    if path.name == "model.onnx" and "quantization" in card:
        return "onnxruntime int8"
    return "onnxruntime"


def onnx_targets(models: Sequence[str]) -> list[OnnxTarget]:
    """Targets for ``--model`` values (folders or .onnx files in exported folders).

    With none given: the shipped model, plus its fp32 export when it sits in the same folder.
    """
    from medner_cli.model import ModelError, default_model_dir, load_spec

    if models:
        files = [Path(m) / "model.onnx" if Path(m).is_dir() else Path(m) for m in models]
    else:
        folder = default_model_dir()
        files = [folder / "model.onnx"] + [f for f in [folder / "model.fp32.onnx"] if f.is_file()]
    out = []
    for file in files:
        spec = load_spec(file.parent)  # says what an exported folder lacks
        if file.suffix != ".onnx" or not file.is_file():
            raise ModelError(f"{file}: not an .onnx file of an exported model folder")
        out.append(OnnxTarget(f"{file.parent.name}/{file.name}", _runtime(file, spec.card), file))
    return out


def hf_target(folder: str) -> HfTarget:
    """The baseline, checked up front; torch itself is imported only when its turn comes, so the
    ONNX workers are not forked from a process carrying it."""
    missing = [lib for lib in ("torch", "transformers") if importlib.util.find_spec(lib) is None]
    if missing:
        raise UsageError(f"--hf-baseline needs torch and transformers (missing: "
                         f"{', '.join(missing)}); install them with: pip install 'medner[train]'")
    path = Path(folder)
    if not (path / "config.json").is_file():
        raise UsageError(f"{path / 'config.json'}: missing (is {path} a Hugging Face "
                         f"checkpoint folder, e.g. runs/NAME?)")
    return HfTarget(f"{path.name} (HF)", path)


# ---------------------------------------------------------------- documents


def synthetic_docs() -> list[Doc]:
    """Short notes of four sentences each, one a line, cycling through the built-in sentences."""
    n = len(_SYNTHETIC)
    return [Doc(f"synthetic-{i + 1}", "\n".join(_SYNTHETIC[(i + k) % n] for k in range(4)))
            for i in range(2 * n)]


def sample_notes_dir() -> Path:
    """The clinical notes a default bench times: inside an installed package (the wheel
    carries them), else the source checkout's ``sample_notes/``."""
    packaged = Path(__file__).resolve().parent / "sample_notes"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "sample_notes"


def bench_docs(cfg: BenchConfig) -> tuple[list[Doc], str]:
    """Documents to time and their source: gold, --docs-from, sample_notes/ or built-in."""
    if cfg.gold:
        docs, source = load_documents([cfg.gold]), cfg.gold
    elif cfg.docs_from:
        docs, source = load_documents([cfg.docs_from], with_gold=False), cfg.docs_from
    else:
        notes = sample_notes_dir()
        docs = load_documents([str(notes)], with_gold=False) if notes.is_dir() and any(notes.iterdir()) else []
        source = str(notes)
        if not docs:
            docs, source = synthetic_docs(), "built-in synthetic sentences"
    docs = docs[:cfg.docs] if cfg.docs else _within(docs[:DEFAULT_DOCS], DEFAULT_CHARS)
    if not docs:
        raise DataError(f"{source}: no documents to time")
    return docs, source


def _within(docs: Sequence[Doc], chars: int) -> list[Doc]:
    """The leading documents that fit in ``chars`` characters (two at least, for two workers)."""
    total, out = 0, []
    for doc in docs:
        total += len(doc.text)
        if total > chars and len(out) >= 2:
            break
        out.append(doc)
    return out


def split_sentences(docs: Sequence[Doc]) -> list[str]:
    from medner_cli.segment import sentences

    return [d.text[s:e] for d in docs for s, e in sentences(d.text)]


# ---------------------------------------------------------------- measuring


def _percentiles(seconds: Sequence[float]) -> dict[str, float]:
    ms = 1000 * np.asarray(seconds)
    return {f"p{q}": float(np.percentile(ms, q)) for q in (50, 95, 99)}


def _median_of(runs: Sequence[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def latency(backend: Backend, texts: Sequence[str], repeats: int) -> dict[str, float]:
    """p50/p95/p99 ms of one text at a time; each percentile is the median over repeats."""
    for text in texts[:_WARMUP]:
        backend.entities([text])
    runs = []
    for _ in range(repeats):
        times = []
        for text in texts:
            t0 = time.perf_counter()
            backend.entities([text])
            times.append(time.perf_counter() - t0)
        runs.append(_percentiles(times))
    return _median_of(runs)


def probe_peak_rss_mb(target: Target, texts: Sequence[str], dosage: bool) -> float:
    """VmHWM of a fresh process that loads ``target`` and annotates ``texts`` (see module doc)."""
    payload = json.dumps({"kind": target.kind, "path": str(target.path), "dosage": dosage,
                          "texts": list(texts)})
    proc = subprocess.run([sys.executable, "-c", "from medner_cli.bench import _probe; _probe()"],
                          input=payload, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"memory probe for {target.name} failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout)["peak_rss_mb"]


def _probe() -> None:
    """The memory probe's process: load, annotate chunk by chunk, print the high-water mark."""
    job = json.loads(sys.stdin.read())
    path = Path(job["path"])
    backend = OnnxBackend(path, 1, job["dosage"]) if job["kind"] == "onnx" else HfBackend(path, 1)
    texts = job["texts"]
    for k in range(0, len(texts), _CHUNK):
        backend.entities(texts[k:k + _CHUNK])
    from medner_cli.timing import peak_rss_mb

    print(json.dumps({"peak_rss_mb": peak_rss_mb()}))


def f1_scores(gold: Sequence[Doc], found: Sequence[list[Entity]]) -> dict:
    """Strict micro and per-label F1, scoring the labels present in gold (as ``medner eval``)."""
    from medner_cli.evaluate import scored_labels
    from medner_cli.metrics import evaluate

    strict = evaluate(((g.entities, ents) for g, ents in zip(gold, found)),
                      scored_labels(gold, None)).as_dict()["strict"]
    return {"micro": strict["micro"]["f1"],
            "labels": {k: c["f1"] for k, c in strict.items() if k != "micro"}}


def measure(target: Target, docs: Sequence[Doc], sentences: Sequence[str], cfg: BenchConfig,
            workers_max: int, dosage: bool, gold: bool) -> dict:
    """Every figure of one benchmark row; timings are medians over ``cfg.repeats``."""
    target.load(1, dosage)  # untimed: imports its libraries (torch takes seconds), warms caches
    loads = []
    for _ in range(cfg.repeats):
        t0 = time.perf_counter()
        backend = target.load(1, dosage)
        loads.append(time.perf_counter() - t0)
    texts = [d.text for d in docs]
    row: dict = {"name": target.name, "runtime": target.runtime, "path": str(target.path),
                 "size_mb": target.size_bytes() / 1e6, "load_s": statistics.median(loads),
                 "sentence_latency_ms": latency(backend, sentences, cfg.repeats),
                 "document_latency_ms": latency(backend, texts, cfg.repeats)}
    del backend  # not kept alive (and copied) into the worker processes forked next
    row["throughput_workers_are"] = target.parallelism
    row["throughput"], found = [], None
    for workers in range(1, workers_max + 1):
        runs = [target.throughput(docs, workers, dosage) for _ in range(cfg.repeats)]
        if found is None:
            found = runs[0][2]
        wall = statistics.median(r[0] for r in runs)
        row["throughput"].append({"workers": workers, "docs_per_s": len(docs) / wall,
                                  "tokens_per_s": runs[0][1] / wall})
    row["peak_rss_mb"] = probe_peak_rss_mb(target, texts, dosage)
    row["f1"] = f1_scores(docs, found) if gold else None
    return row


def run_bench(cfg: BenchConfig, log=lambda message: None) -> dict:
    """All rows, the machine and the settings: what ``--json`` prints and the tables show."""
    from medner_cli.evaluate import scored_labels
    from medner_cli.machine import cpu_count

    if cfg.repeats < 1:
        raise UsageError("--repeats must be at least 1")
    docs, source = bench_docs(cfg)
    sentences = split_sentences(docs)
    labels = scored_labels(docs, None) if cfg.gold else None
    dosage = cfg.dosage
    workers_max = cfg.workers_max or cpu_count()
    targets: list[Target] = list(onnx_targets(cfg.models))
    hf = hf_target(cfg.hf_baseline) if cfg.hf_baseline else None
    rows = []
    # PyTorch goes last: forking ONNX workers after it has started threads is unsafe
    for target in targets + ([hf] if hf else []):
        log(f"timing {target.name} ({target.runtime})")
        rows.append(measure(target, docs, sentences, cfg, workers_max, dosage,
                            cfg.gold is not None))
    if hf:
        rows.insert(0, rows.pop())
    base = rows[0]
    for row in rows:
        row["speedup"] = (base["sentence_latency_ms"]["p50"]
                          / row["sentence_latency_ms"]["p50"])
        row["throughput_speedup"] = (row["throughput"][-1]["docs_per_s"]
                                     / base["throughput"][-1]["docs_per_s"])
    return {"machine": machine(),
            "settings": {"source": source, "documents": len(docs), "sentences": len(sentences),
                         "characters": sum(len(d.text) for d in docs), "repeats": cfg.repeats,
                         "workers_max": workers_max, "dosage": dosage, "gold": cfg.gold,
                         "labels": labels},
            "baseline": base["name"], "results": rows}


# ---------------------------------------------------------------- output


def key_results(result: dict, short: bool = False) -> tuple[list[str], list[list[str]], int]:
    """Header, rows and the number of text (left-aligned) columns of the Key Results table;
    ``short`` names each model by its row number (``#1``) so the table fits 80 columns."""
    header = (["#", "F1", "ms/sent", "docs/s", "MB", "x sent", "x docs/s"] if short else
              ["model", "runtime", "F1", "ms/sentence", "docs/s", "MB", "sentence speed-up",
               "docs/s speed-up"])
    rows = []
    for n, r in enumerate(result["results"], 1):
        f1 = f"{r['f1']['micro']:.4f}" if r["f1"] is not None else "-"
        names = [f"#{n}"] if short else [r["name"], r["runtime"]]
        rows.append([*names, f1, f"{r['sentence_latency_ms']['p50']:.2f}",
                     f"{r['throughput'][-1]['docs_per_s']:.1f}", f"{r['size_mb']:.1f}",
                     f"{r['speedup']:.2f}x", f"{r['throughput_speedup']:.2f}x"])
    return header, rows, 1 if short else 2


def details(result: dict, short: bool = False) -> tuple[list[str], list[list[str]], int]:
    """Every timing figure, one a row with a column per model (narrow enough for a terminal)."""
    rows_of = result["results"]
    figures: list[tuple[str, Callable[[dict], str]]] = [("load s", lambda r: f"{r['load_s']:.2f}")]
    for what, key in (("sentence", "sentence_latency_ms"), ("document", "document_latency_ms")):
        for q in ("p50", "p95", "p99"):
            figures.append((f"ms/{what} {q}", lambda r, k=key, q=q: f"{r[k][q]:.2f}"))
    for i in range(result["settings"]["workers_max"]):
        workers = f"{i + 1} worker" + "s" * (i > 0)
        figures.append((f"docs/s, {workers}",
                        lambda r, i=i: f"{r['throughput'][i]['docs_per_s']:.1f}"))
        figures.append((f"tokens/s, {workers}",
                        lambda r, i=i: f"{r['throughput'][i]['tokens_per_s']:.0f}"))
    figures.append(("peak RSS MB", lambda r: f"{r['peak_rss_mb']:.0f}"))
    names = [f"#{n}" for n in range(1, len(rows_of) + 1)] if short else [r["name"] for r in rows_of]
    return (["figure"] + names,
            [[name] + [cell(r) for r in rows_of] for name, cell in figures], 1)


def notes(result: dict) -> str:
    """What the columns mean and what machine they come from, printed under the tables."""
    m, s = result["machine"], result["settings"]
    f1 = f"strict micro F1 on {s['gold']}" if s["gold"] else "F1: no --gold given"
    flags = m.get("cpu_flags")
    ext = "" if flags is None else f" ({', '.join(flags) or 'none of ' + '/'.join(INT8_FLAGS)})"
    return (f"Machine: {m['cpu']}{ext}, {m['cores']} cores, onnxruntime {m['onnxruntime']}, Python "
            f"{m['python']}. {s['documents']} documents ({s['sentences']} sentences) from "
            f"{s['source']}; medians of {s['repeats']} repeats. {f1}. ms/sentence: p50 latency "
            f"at batch 1 on 1 thread. docs/s: {s['workers_max']} single-threaded worker "
            f"processes (ONNX) or PyTorch threads (HF), start-up included. Sentence speed-up: p50 "
            f"latency of {result['baseline']} / this row's; docs/s speed-up: this row's docs/s / "
            f"{result['baseline']}'s, both at the most workers. RSS: peak of one worker process.")


def markdown(result: dict) -> str:
    out = []
    for header, rows, text_cols in (key_results(result), details(result)):
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join(["---"] * text_cols + ["---:"] * (len(header) - text_cols))
                   + "|")
        out.extend("| " + " | ".join(row) + " |" for row in rows)
        out.append("")
    out.append(notes(result))
    return "\n".join(out) + "\n"


def print_tables(result: dict, console) -> None:
    from rich.table import Table

    for n, r in enumerate(result["results"], 1):
        console.print(f"#{n} {r['name']} ({r['runtime']})", highlight=False)
    for title, (header, rows, text_cols) in (("Key results", key_results(result, True)),
                                             ("Details", details(result, True))):
        table = Table(title=title, header_style="bold")
        for i, name in enumerate(header):
            table.add_column(name, justify="left" if i < text_cols else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    console.print(notes(result))
