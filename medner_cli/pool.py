"""Streaming documents through a pool of annotator processes, in input order, in bounded memory.

Documents travel in chunks (``chunk_size`` documents, or fewer once they reach ``CHUNK_CHARS``
characters); at most ``2 x workers`` chunks are in flight, so an endless stream keeps memory
flat. Workers get only the texts and send back entities and stage figures. A
worker that dies breaks the pool: the run stops with an error instead of hanging.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain, islice
from typing import Iterable, Iterator, Sequence

from medner_cli.annotator import Annotator, Options
from medner_cli.doc import Doc, Entity
from medner_cli.read import Item
from medner_cli.timing import Stats, peak_rss_mb

_worker: Annotator | None = None


def _die_with_parent() -> None:
    """Ask Linux to end this worker when its parent dies, however it dies (even SIGKILL)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent's clean-up still ends workers
        pass


def _init(options: Options) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork
    _die_with_parent()
    _worker = Annotator.from_options(options)


def _work(texts: list[str], given: list[list[Entity] | None] | None
          ) -> tuple[list[list[Entity]], Stats]:
    stats = Stats()
    found = _worker.entities(texts, stats, given)
    stats.peak_rss_mb = peak_rss_mb()
    stats.processes = {os.getpid()}
    return found, stats


LONG_CHARS = 100_000  # a document longer than this is annotated in segments ...
SEGMENT_CHARS = 20_000  # ... of about this size, cut at line breaks


@dataclass(slots=True)
class Segment(Doc):
    """A piece of a long document, annotated as a document of its own so that the pieces
    spread over the workers and no process holds a whole long document's tensors."""

    parent: Doc | None = None
    offset: int = 0
    last: bool = False


def cut_points(text: str, size: int = SEGMENT_CHARS) -> list[int]:
    """Where to cut ``text`` into pieces of at most about ``size`` characters: after the last
    line break before each limit, else after a sentence end or a space, else at the limit."""
    cuts = [0]
    while len(text) - cuts[-1] > size:
        start, limit = cuts[-1], cuts[-1] + size
        cut = text.rfind("\n", start + size // 2, limit) + 1
        if not cut:
            cut = max(text.rfind(". ", start + size // 2, limit) + 2,
                      text.rfind(" ", start + size // 2, limit) + 1)
        cuts.append(cut if cut > start + 1 else limit)
    return cuts + [len(text)]


def _segmented(items: Iterable[Item]) -> Iterator[Item]:
    for item in items:
        if isinstance(item, Doc) and not item.given and len(item.text) > LONG_CHARS:
            item.entities = []
            cuts = cut_points(item.text)
            for k, (start, end) in enumerate(zip(cuts, cuts[1:])):
                yield Segment(item.id, item.text[start:end], origin=item.origin, parent=item,
                              offset=start, last=k == len(cuts) - 2)
        else:
            yield item


def _joined(items: Iterator[Item], stats: Stats) -> Iterator[Item]:
    """Segments back into their documents, entities moved to the document's offsets."""
    for item in items:
        if isinstance(item, Segment):
            item.parent.entities.extend(e.moved(item.offset) for e in item.entities)
            if item.last:
                yield item.parent
            else:
                stats.documents -= 1  # one document, counted once
        else:
            yield item


CHUNK_CHARS = 8_000  # about 2,000 tokens, a tenth of a second of one worker's time


def _chunks(items: Iterable[Item], size: int, chars: int = CHUNK_CHARS,
            workers: int = 1) -> Iterator[list[Item]]:
    """Chunks of ``size`` items, closed early once their texts reach ``chars`` characters, so a
    folder of a few long notes still spreads over the workers.

    When the input is a list, its length is known: chunks then shrink toward the end (never
    past a worker's share of what is left), so the workers finish together instead of one
    waiting for the other's last chunk.
    """
    left = (sum(len(i.text) for i in items if isinstance(i, Doc))
            if workers > 1 and isinstance(items, Sequence) else None)
    budget = chars if left is None else min(chars, left // (2 * workers))
    chunk: list[Item] = []
    total = 0
    for item in items:
        chunk.append(item)
        total += len(item.text) if isinstance(item, Doc) else 0
        if len(chunk) >= size or total >= budget:
            yield chunk
            if left is not None:
                left -= total
                budget = min(chars, left // (2 * workers))
            chunk, total = [], 0
    if chunk:
        yield chunk


def _attach(chunk: list[Item], found: list[list[Entity]]) -> list[Item]:
    docs = [d for d in chunk if isinstance(d, Doc)]
    for doc, ents in zip(docs, found):
        doc.entities = ents
    return chunk


def annotate_stream(items: Iterable[Item], options: Options, workers: int = 1,
                    chunk_size: int = 16, stats: Stats | None = None) -> Iterator[Item]:
    """Yield every input item, documents with their entities set, in input order."""
    stats = stats if stats is not None else Stats()
    yield from _joined(_annotated(items, options, workers, chunk_size, stats), stats)


def _annotated(items: Iterable[Item], options: Options, workers: int, chunk_size: int,
               stats: Stats) -> Iterator[Item]:
    if isinstance(items, Sequence) and any(isinstance(i, Doc) and not i.given
                                           and len(i.text) > LONG_CHARS
                                           for i in items):
        items = list(_segmented(items))  # still a list: _chunks balances the workers
    elif not isinstance(items, Sequence):
        items = _segmented(items)
    chunks = _chunks(items, chunk_size, workers=workers)
    if workers > 1:
        head = list(islice(chunks, 2))
        if len(head) < 2:  # too little input to be worth starting processes
            workers = 1
        chunks = chain(head, chunks)
    if workers <= 1:
        annotator = Annotator.from_options(options)
        for chunk in chunks:
            docs = [d for d in chunk if isinstance(d, Doc)]
            if docs:
                annotator.annotate(docs, stats)
                stats.peak_rss_mb = peak_rss_mb()
                stats.processes = {os.getpid()}
            yield from chunk
        return
    yield from _pooled(chunks, options, workers, stats)


def _pooled(chunks: Iterator[list[Item]], options: Options, workers: int,
            stats: Stats) -> Iterator[Item]:
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pending: deque[tuple[list[Item], Future | None]] = deque()
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init,
                             initargs=(options,)) as pool:
        try:
            for chunk in chunks:
                docs = [d for d in chunk if isinstance(d, Doc)]
                given = ([d.entities if d.given else None for d in docs]
                         if any(d.given for d in docs) else None)
                pending.append((chunk, pool.submit(_work, [d.text for d in docs], given)
                                if docs else None))
                while len(pending) >= 2 * workers:
                    yield from _finish(pending.popleft(), stats)
            while pending:
                yield from _finish(pending.popleft(), stats)
        except BaseException:
            for _, fut in pending:
                if fut is not None:
                    fut.cancel()
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
            raise


def _finish(entry: tuple[list[Item], Future | None], stats: Stats) -> list[Item]:
    chunk, fut = entry
    if fut is None:
        return chunk
    found, worker_stats = fut.result()
    stats.add(worker_stats)
    return _attach(chunk, found)
