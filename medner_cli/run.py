"""The annotate run as a library call: read -> annotate (pool) -> write, with failure counts.

``commands/annotate.py`` only parses options into ``RunConfig`` and calls ``run``; tests call
``run`` directly too.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Iterator

from medner_cli import stop
from medner_cli.annotator import Options
from medner_cli.doc import ReadError
from medner_cli.errors import UsageError
from medner_cli.pool import annotate_stream
from medner_cli.read import format_of, read_inputs
from medner_cli.timing import Stats
from medner_cli.write import FolderWriter, OutputConflict, StreamWriter


@dataclass(kw_only=True)
class RunConfig:
    inputs: list[str] = field(default_factory=list)
    output: str | None = None
    fmt: str = "jsonl"
    input_format: str | None = None
    text_field: str = "text"
    id_field: str = "id"
    workers: int = 1
    chunk_size: int = 16
    skip_existing: bool = False
    options: Options = field(default_factory=Options)

    @property
    def given(self) -> bool:
        return self.options.given


def _inside(child: Path, parent: Path) -> bool:
    child, parent = child.resolve(), parent.resolve()
    return child == parent or parent in child.parents


def make_writer(cfg: RunConfig, labels: list[str], stdout: IO[bytes], title: str = "medner"):
    """Where output goes: a folder (BRAT, or ``-o DIR/``), one file, or standard output."""
    out = Path(cfg.output) if cfg.output else None
    if out is not None:
        for name in cfg.inputs:
            if name != "-" and Path(name).is_dir() and _inside(out, Path(name)):
                raise UsageError(f"-o {out} is inside the input folder {name}; choose another")
    folder = out is not None and (cfg.fmt == "brat" or out.is_dir() or cfg.output.endswith("/"))
    jsonl = cfg.input_format == "jsonl" or (
        cfg.input_format is None and cfg.inputs and "-" not in cfg.inputs
        and all(not Path(p).is_dir() and format_of(Path(p)) == "jsonl" for p in cfg.inputs))
    if cfg.given and not jsonl:
        raise UsageError("--entities-from-input reads the entities of JSONL lines: add "
                         "--input-format jsonl")
    if cfg.fmt == "brat" and out is None:
        raise UsageError("--format brat writes a folder: give it with -o DIR")
    if cfg.skip_existing and not folder:
        raise UsageError("--skip-existing needs a folder output (-o DIR)")
    if cfg.skip_existing and cfg.fmt == "html":
        raise UsageError("--skip-existing cannot resume --format html (the index lists the "
                         "pages of one run)")
    if folder:
        return FolderWriter(cfg.fmt, out, labels, title)
    if out is not None and out.exists() and not out.is_file():
        raise UsageError(f"-o {out} exists and is not a regular file")
    return StreamWriter(cfg.fmt, out, stdout, title)


def _timed(items: Iterator, stats: Stats) -> Iterator:
    it = iter(items)
    while True:
        t0 = time.perf_counter()
        try:
            item = next(it)
        except StopIteration:
            return
        finally:
            stats.stages["read"] += time.perf_counter() - t0
        yield item


def _mark_given(item):
    """A JSONL document that carries ``entities`` keeps them (source "given" unless it says)."""
    raw = item.fields.get("entities") if hasattr(item, "fields") else None
    if isinstance(raw, list):
        item.given = True
        for ent, rec in zip(item.entities, raw):
            if "source" not in rec:
                ent.source = "given"
    return item


def entity_labels(options: Options) -> list[str]:
    from medner_cli.model import load_spec

    spec = load_spec(options.model)
    types = sorted({l[2:] for l in spec.labels if l != "O"})
    return types + (["Dosage"] if options.dosage and "Dosage" not in types else [])


def run(cfg: RunConfig, stats: Stats | None = None, stdout: IO[bytes] | None = None,
        on_error: Callable[[ReadError], None] | None = None,
        progress: Callable[[int], None] | None = None) -> Stats:
    """Annotate every input; read errors are reported through ``on_error`` and counted."""
    stats = stats if stats is not None else Stats()
    stdout = stdout or sys.stdout.buffer
    report = on_error or (lambda err: print(f"medner: {err}", file=sys.stderr))
    writer = make_writer(cfg, entity_labels(cfg.options), stdout)
    started = time.perf_counter()
    items = _timed(read_inputs(cfg.inputs, cfg.input_format, cfg.text_field, cfg.id_field,
                               with_gold=cfg.given), stats)
    if cfg.given:
        items = (_mark_given(i) for i in items)
    if cfg.skip_existing:
        items = (i for i in items if isinstance(i, ReadError) or not writer.exists(i))
    ok = False
    try:
        for item in annotate_stream(items, cfg.options, cfg.workers, cfg.chunk_size, stats):
            stop.check()  # a signal Python swallowed (in a finaliser) still stops the run now
            if isinstance(item, ReadError):
                stats.failed += 1
                report(item)
                continue
            try:
                with stats.stage("write"):
                    writer.write(item)
            except OutputConflict as exc:
                stats.failed += 1
                report(ReadError(item.origin or item.id, str(exc)))
                continue
            if progress:
                progress(1)
        stop.check()  # ... and before the commit
        ok = True
    finally:
        stats.wall = time.perf_counter() - started
        writer.close(ok)
    return stats


def render_only(inputs: list[str], output: str | None, title: str = "medner",
                text_field: str = "text", id_field: str = "id",
                on_error: Callable[[ReadError], None] | None = None,
                stdout: IO[bytes] | None = None) -> tuple[int, int, int]:
    """Annotated JSONL to HTML without the model (``medner view``): (failed, documents,
    entities)."""
    report = on_error or (lambda err: print(f"medner: {err}", file=sys.stderr))
    cfg = RunConfig(inputs=inputs, output=output, fmt="html")
    writer = make_writer(cfg, [], stdout or sys.stdout.buffer, title)
    failed = docs = entities = 0
    ok = False
    try:
        for item in read_inputs(inputs, "jsonl", text_field, id_field, with_gold=True):
            if isinstance(item, ReadError):
                failed += 1
                report(item)
                continue
            try:
                writer.write(item)
            except OutputConflict as exc:
                failed += 1
                report(ReadError(item.origin, str(exc)))
                continue
            docs += 1
            entities += len(item.entities)
        ok = True
    finally:
        writer.close(ok)
    return failed, docs, entities
