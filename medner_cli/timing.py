"""Run statistics for ``--timing``: counts, time per stage and per-document latency."""

from __future__ import annotations

import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

STAGES = ("read", "tokenize", "infer", "decode")  # then each pipeline step by name, then write


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss where there is no procfs)."""
    try:
        with open("/proc/self/status") as status:
            kb = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kb = kb / 1024 if sys.platform == "darwin" else kb
    return round(kb / 1024, 1)


@dataclass
class Stats:
    """Figures a run accumulates; workers send theirs back with each chunk to be added up."""

    documents: int = 0
    failed: int = 0
    characters: int = 0
    tokens: int = 0
    entities: Counter = field(default_factory=Counter)
    stages: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    peak_rss_mb: float = 0.0  # the largest of the annotating processes' own peaks
    processes: set[int] = field(default_factory=set)  # ids of the processes that annotated

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - t0

    def add(self, other: "Stats") -> None:
        self.documents += other.documents
        self.failed += other.failed
        self.characters += other.characters
        self.tokens += other.tokens
        self.entities.update(other.entities)
        for k, v in other.stages.items():
            self.stages[k] = self.stages.get(k, 0.0) + v
        self.latencies.extend(other.latencies)
        self.peak_rss_mb = max(self.peak_rss_mb, other.peak_rss_mb)
        self.processes |= other.processes

    def summary(self) -> dict:
        lat = sorted(self.latencies)

        def pct(q: float) -> float:
            return round(1000 * lat[min(len(lat) - 1, int(q * len(lat)))], 3) if lat else 0.0

        wall = self.wall or 1e-9
        return {
            "documents": self.documents, "failed": self.failed, "characters": self.characters,
            "tokens": self.tokens, "entities": dict(sorted(self.entities.items())),
            "wall_seconds": round(self.wall, 3), "docs_per_second": round(self.documents / wall, 2),
            "tokens_per_second": round(self.tokens / wall, 1),
            "stage_seconds": {k: round(v, 4) for k, v in self.stages.items()},
            "latency_ms": {"p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99)},
            "peak_rss_mb_per_worker": self.peak_rss_mb,
            "annotating_processes": len(self.processes),
        }


def print_summary(summary: dict, console) -> None:
    """The rich table ``--timing`` prints to stderr."""
    from rich.table import Table

    table = Table(title="medner annotate", show_header=True, header_style="bold")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in ("documents", "failed", "characters", "tokens", "wall_seconds",
                "docs_per_second", "tokens_per_second", "peak_rss_mb_per_worker"):
        table.add_row(key.replace("_", " "), f"{summary[key]:,}")
    for label, n in summary["entities"].items():
        table.add_row(f"entities: {label}", f"{n:,}")
    for stage, secs in summary["stage_seconds"].items():
        table.add_row(f"stage: {stage} (s, summed over workers)", f"{secs:.3f}")
    for q, ms in summary["latency_ms"].items():
        table.add_row(f"latency per document {q} (ms)", f"{ms:.2f}")
    console.print(table)
