"""Writers: JSONL, CoNLL (IOB2) and BRAT standoff, each safe against half-written files.

A file is written under a temporary name beside its target and renamed into place only when
complete, so an interrupted run never leaves a truncated output behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Iterable

import orjson

from medner_cli.doc import Doc
from medner_cli.segment import sentences, words

OUTPUT_FORMATS = ("jsonl", "conll", "brat")
EXTENSION = {"jsonl": ".jsonl", "conll": ".conll", "brat": ".ann"}


class AtomicFile:
    """A binary file that appears at ``path`` only if ``commit`` is called."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        self.tmp = Path(tmp)
        self.handle: IO[bytes] = os.fdopen(fd, "wb")

    def commit(self) -> None:
        self.handle.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.handle.close()
        self.tmp.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    out = AtomicFile(path)
    try:
        out.handle.write(data)
        out.commit()
    except BaseException:
        out.discard()
        raise


def jsonl_record(doc: Doc) -> bytes:
    """Input fields pass through unchanged; ``entities`` is added (plain text input: id, text)."""
    record = dict(doc.fields) if doc.fields else {"id": doc.id, "text": doc.text}
    record["entities"] = [e.to_json() for e in doc.entities]
    return orjson.dumps(record) + b"\n"


def word_tags(doc: Doc) -> Iterable[list[tuple[str, str]]]:
    """Sentences of (word, IOB2 tag); a word takes the tag of the first entity it overlaps."""
    ents = sorted(doc.entities, key=lambda e: (e.start, -e.end))
    for s_start, s_end in sentences(doc.text):
        rows = []
        for w_start, w_end in words(doc.text, s_start, s_end):
            tag = "O"
            for ent in ents:
                if ent.start >= w_end:
                    break
                if ent.end > w_start:
                    tag = ("I-" if ent.start < w_start and rows and rows[-1][1][2:] == ent.label
                           and rows[-1][1] != "O" else "B-") + ent.label
                    break
            rows.append((doc.text[w_start:w_end], tag))
        if rows:
            yield rows


def conll_document(doc: Doc) -> bytes:
    lines = ["-DOCSTART-\tO", ""]
    for rows in word_tags(doc):
        lines.extend(f"{w}\t{t}" for w, t in rows)
        lines.append("")
    return ("\n".join(lines) + "\n").encode("utf-8")


def brat_ann(doc: Doc) -> bytes:
    """T lines; a span that crosses a line break becomes fragments, as BRAT requires."""
    lines = []
    for n, ent in enumerate(sorted(doc.entities, key=lambda e: (e.start, e.end)), 1):
        frags, pos = [], ent.start
        for piece in ent.text.splitlines(keepends=True):
            body = piece.rstrip("\r\n")
            if body.strip():
                frags.append((pos, pos + len(body)))
            pos += len(piece)
        spans = ";".join(f"{s} {e}" for s, e in frags)
        text = " ".join(doc.text[s:e] for s, e in frags)
        lines.append(f"T{n}\t{ent.label} {spans}\t{text}")
    return "".join(line + "\n" for line in lines).encode("utf-8")


def annotation_conf(labels: Iterable[str]) -> bytes:
    body = "[entities]\n" + "".join(f"{l}\n" for l in labels)
    return (body + "\n[relations]\n\n[events]\n\n[attributes]\n").encode("utf-8")


def render(doc: Doc, fmt: str) -> bytes:
    if fmt == "jsonl":
        return jsonl_record(doc)
    if fmt == "conll":
        return conll_document(doc)
    return brat_ann(doc)


class StreamWriter:
    """JSONL or CoNLL to one stream or one file (renamed into place on close)."""

    def __init__(self, fmt: str, target: Path | None, stream: IO[bytes] | None = None) -> None:
        self.fmt = fmt
        self.file = AtomicFile(target) if target else None
        self.out = self.file.handle if self.file else stream

    def exists(self, doc: Doc) -> bool:
        return False

    def write(self, doc: Doc) -> None:
        self.out.write(render(doc, self.fmt))

    def close(self, ok: bool = True) -> None:
        if self.file:
            self.file.commit() if ok else self.file.discard()
        else:
            self.out.flush()


class FolderWriter:
    """One file per document under a folder, named by document id (BRAT: ``.ann`` + ``.txt``)."""

    def __init__(self, fmt: str, folder: Path, labels: Iterable[str]) -> None:
        self.fmt, self.folder, self.labels = fmt, folder, list(labels)
        folder.mkdir(parents=True, exist_ok=True)

    def target(self, doc: Doc) -> Path:
        safe = doc.id.replace("\\", "/").lstrip("/")
        parts = [p for p in safe.split("/") if p not in ("", ".", "..")] or ["doc"]
        return self.folder.joinpath(*parts[:-1], parts[-1] + EXTENSION[self.fmt])

    def exists(self, doc: Doc) -> bool:
        return self.target(doc).exists()

    def write(self, doc: Doc) -> None:
        path = self.target(doc)
        if self.fmt == "brat":
            write_atomic(path.parent / (path.name[:-4] + ".txt"), doc.text.encode("utf-8"))
        write_atomic(path, render(doc, self.fmt))

    def close(self, ok: bool = True) -> None:
        if self.fmt == "brat":
            write_atomic(self.folder / "annotation.conf", annotation_conf(self.labels))
