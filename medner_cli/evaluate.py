"""``medner eval`` as a library: load gold and predictions, pair them by id, score, render.

Scores come from ``metrics.evaluate``; this module decides *what* is compared (which documents,
which labels, model output or a prediction file) and refuses anything that would make the
numbers silently wrong: a gold document without a prediction, or texts whose offsets disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from medner_cli.doc import Doc
from medner_cli.errors import DataError
from medner_cli.gold import listing, load_documents, sentence_documents
from medner_cli.metrics import evaluate

if TYPE_CHECKING:
    from medner_cli.annotator import Options

FORMATS = ("pubtator", "brat", "conll", "jsonl")


@dataclass(frozen=True, kw_only=True)
class EvalConfig:
    gold: str
    pred: str | None = None  # None: the model annotates the gold's text
    gold_format: str | None = None
    pred_format: str | None = None
    labels: tuple[str, ...] | None = None  # None: the labels found in gold
    model: Path | None = None
    dosage: bool = True  # the dosage merge also trims Chemicals, so it runs as in annotate
    lexicon: bool = True
    memory: bool = True
    link: bool = True
    assertion: bool = True
    workers: int = 1
    sentences: bool = False  # the model annotates each gold sentence as a document of its own
    min_score: float | None = None  # None: the model card's threshold
    propagate: bool | None = None  # None: the model card's choice


def _by_id(docs: Sequence[Doc], what: str) -> dict[str, Doc]:
    out: dict[str, Doc] = {}
    dupes = []
    for doc in docs:
        if doc.id in out:
            dupes.append(doc.id)
        out[doc.id] = doc
    if dupes:
        raise DataError(f"{what} has repeated document ids, so pairing is ambiguous: "
                        f"{listing(sorted(set(dupes)))}")
    return out


def _first_difference(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def pair(gold: Sequence[Doc], pred: Sequence[Doc]) -> tuple[list[tuple[Doc, Doc]], list[str]]:
    """Gold and predicted documents matched by id, and the ids of predictions with no gold."""
    gold_ids, pred_ids = _by_id(gold, "gold"), _by_id(pred, "prediction")
    missing = [i for i in gold_ids if i not in pred_ids]
    if len(missing) == len(gold_ids):
        raise DataError(f"no gold document id is among the prediction ids (gold: "
                        f"{listing(missing)}; predictions: {listing(list(pred_ids))})")
    if missing:
        raise DataError(f"no prediction for {len(missing)} gold document(s): {listing(missing)}")
    differ = [f"{i} (at character {_first_difference(g.text, pred_ids[i].text)})"
              for i, g in gold_ids.items() if g.text != pred_ids[i].text]
    if differ:
        raise DataError(f"text differs between gold and prediction, so offsets cannot be "
                        f"compared, for {len(differ)} document(s): {listing(differ)}")
    extra = [i for i in pred_ids if i not in gold_ids]
    return [(g, pred_ids[i]) for i, g in gold_ids.items()], extra


def scored_labels(gold: Iterable[Doc], labels: Sequence[str] | None) -> list[str] | None:
    """``labels`` if given, else those present in gold (None, everything, if gold has none)."""
    if labels is not None:
        return list(labels)
    present = sorted({e.label for d in gold for e in d.entities})
    return present or None


def predict(gold: Sequence[Doc], options: "Options", workers: int = 1) -> list[Doc]:
    """Copies of the gold documents annotated by the model (gold entities are left untouched)."""
    from medner_cli.pool import annotate_stream

    copies = [Doc(d.id, d.text, origin=d.origin) for d in gold]
    return [d for d in annotate_stream(copies, options, workers) if isinstance(d, Doc)]


def run_eval(cfg: EvalConfig) -> dict:
    """Load, predict when PRED is omitted, pair, score: the result that ``--json`` prints."""
    gold = load_documents([cfg.gold], cfg.gold_format)
    if cfg.sentences:
        gold = sentence_documents(gold)
    labels = scored_labels(gold, cfg.labels)
    model = None
    if cfg.pred is None:
        from medner_cli.annotator import Options
        from medner_cli.machine import cpu_count
        from medner_cli.model import load_spec

        spec = load_spec(cfg.model)  # a bad model folder fails here, not inside a worker
        min_score, propagate = spec.decoding(cfg.min_score, cfg.propagate)
        model = {"path": str(spec.path), "name": spec.card.get("name", spec.path.name),
                 "dosage": cfg.dosage, "lexicon": cfg.lexicon, "memory": cfg.memory,
                 "link": cfg.link, "assertion": cfg.assertion,
                 "min_score": min_score,
                 "propagate": propagate}
        options = Options(model=spec.path, dosage=cfg.dosage, lexicon=cfg.lexicon,
                          memory=cfg.memory, link=cfg.link, assertion=cfg.assertion,
                          min_score=cfg.min_score, propagate=cfg.propagate,
                          threads=max(1, cpu_count() // cfg.workers))
        pred = predict(gold, options, cfg.workers)
    else:
        pred = load_documents([cfg.pred], cfg.pred_format)
    pairs, extra = pair(gold, pred)
    report = evaluate(((g.entities, p.entities) for g, p in pairs), labels)
    result = {"gold": cfg.gold, "pred": cfg.pred, "model": model, "sentences": cfg.sentences,
              "labels": labels if labels is not None else sorted(report.strict),
              **report.as_dict(), "ignored_predictions": extra}
    # a step switched off for this run is not scored (its fields are simply absent)
    if cfg.link and any(e.ids for g in gold for e in g.entities):
        from medner_cli.link.score import concept_scores

        result["linking"] = concept_scores(pairs)
    if cfg.assertion and any(e.assertion for g in gold for e in g.entities):
        from medner_cli.assertion import score_assertion

        result["assertion"] = score_assertion((g.entities, p.entities) for g, p in pairs)
    return result


def print_report(result: dict, console) -> None:
    """The rich tables ``medner eval`` prints: scores per label, then why strict matches failed."""
    from rich.table import Table

    source = result["pred"] or f"model {result['model']['name']}"
    table = Table(title=f"{result['gold']} vs {source}: {result['documents']} documents",
                  header_style="bold")
    for name in ("label", "match", "P", "R", "F1", "gold", "predicted"):
        table.add_column(name, justify="left" if name in ("label", "match") else "right")
    labels = [k for k in result["strict"] if k != "micro"] + ["micro"]
    for label in labels:
        for mode in ("strict", "lenient"):
            c = result[mode][label]
            table.add_row(label if mode == "strict" else "", mode,
                          *(f"{c[k]:.4f}" for k in ("precision", "recall", "f1")),
                          str(c["support"]), str(c["predicted"]),
                          style="bold" if label == "micro" else None,
                          end_section=mode == "lenient" and label != "micro")
    console.print(table)
    errors = Table(title="strict errors", header_style="bold")
    errors.add_column("kind")
    errors.add_column("count", justify="right")
    for kind, n in result["errors"].items():
        errors.add_row(kind, str(n))
    console.print(errors)
    if "linking" in result:
        links = Table(title="concepts (document-level, BioCreative V CDR) and mention ids",
                      header_style="bold")
        for name in ("type", "P", "R", "F1", "mentions", "first id right"):
            links.add_column(name, justify="left" if name == "type" else "right")
        for kind, c in result["linking"]["concepts"].items():
            m = result["linking"]["mentions"].get(kind)
            links.add_row(kind, *(f"{c[k]:.4f}" for k in ("precision", "recall", "f1")),
                          str(m["gold"]) if m else "", f"{m['top1_accuracy']:.4f}" if m else "")
        console.print(links)
    if "assertion" in result:
        flags = result["assertion"]
        table = Table(title=f"assertion on {flags['matched']} span-matched entities "
                            f"({flags['unmatched_gold']} gold spans not found)", header_style="bold")
        for name in ("category", "P", "R", "F1", "gold"):
            table.add_column(name, justify="left" if name == "category" else "right")
        for kind in ("negated", "uncertain", "historical", "hypothetical", "family"):
            c = flags[kind]
            table.add_row(kind, *(f"{c[k]:.4f}" for k in ("precision", "recall", "f1")),
                          str(c["support"]))
        console.print(table)
    if result["ignored_predictions"]:
        console.print(f"ignored {len(result['ignored_predictions'])} predicted document(s) not "
                      f"in gold: {listing(result['ignored_predictions'])}")
