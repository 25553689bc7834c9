"""Writers: JSONL, CoNLL (IOB2) and BRAT standoff, each safe against half-written files.

A file is written under a temporary name beside its target and renamed into place only when
complete, so an interrupted run never leaves a truncated output behind.
"""

from __future__ import annotations

import os
import tempfile
from bisect import bisect_left, bisect_right
from collections import Counter
from pathlib import Path
from typing import IO, Iterable, Iterator

import orjson

from medner_cli import bio
from medner_cli.doc import Doc
from medner_cli.errors import OutputError
from medner_cli.segment import sentences, words

OUTPUT_FORMATS = ("jsonl", "conll", "brat", "html")
EXTENSION = {"jsonl": ".jsonl", "conll": ".conll", "brat": ".ann", "html": ".html"}


class OutputConflict(Exception):
    """A document whose output file another document of this run already wrote."""


def _file_mode() -> int:
    """The mode ``open()`` gives a new file under the current umask (0644 under 022);
    ``mkstemp`` makes its files private, and that mode would survive the rename."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class AtomicFile:
    """A binary file that appears at ``path`` only if ``commit`` is called.

    Any ``OSError`` (a folder that cannot be made, a full disk) becomes an ``OutputError``
    naming the path, and the temporary file is removed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
        self.tmp = Path(tmp)
        os.fchmod(fd, _file_mode())
        self.handle: IO[bytes] = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        try:
            self.handle.write(data)
        except OSError as exc:
            self.discard()
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    def commit(self) -> None:
        try:
            self.handle.close()
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.discard()
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    def discard(self) -> None:
        try:
            self.handle.close()
        except OSError:
            pass  # the data is being thrown away: a failed flush does not matter
        self.tmp.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    out = AtomicFile(path)
    try:
        out.write(data)
        out.commit()
    except BaseException:
        out.discard()
        raise


def jsonl_chunks(doc: Doc, per_chunk: int = 1000) -> Iterator[bytes]:
    """One JSONL record in pieces: input fields pass through unchanged and ``entities`` is
    added (plain text input: id, text).

    Entities are serialised a thousand at a time and each piece is written as it is made, so a
    long document's output never exists whole in memory beside its entities.
    """
    record = dict(doc.fields) if doc.fields else {"id": doc.id, "text": doc.text}
    if "entities" in record:  # replaced where the input had it, as the input ordered its keys
        record["entities"] = [e.to_json() for e in doc.entities]
        yield orjson.dumps(record) + b"\n"
        return
    yield orjson.dumps(record)[:-1] + (b',"entities":[' if record else b'"entities":[')
    ents = doc.entities
    for k in range(0, len(ents), per_chunk):
        yield (b"," if k else b"") + b",".join(orjson.dumps(e.to_json())
                                               for e in ents[k:k + per_chunk])
    yield b"]}\n"


def jsonl_record(doc: Doc) -> bytes:
    return b"".join(jsonl_chunks(doc))


def _conll_spans(doc: Doc) -> list[tuple[int, int, str]]:
    """Entities CoNLL can hold: no overlaps (of nested or overlapping given entities, the one
    starting first, then the longest, is kept)."""
    kept: list[tuple[int, int, str]] = []
    for ent in sorted(doc.entities, key=lambda e: (e.start, -e.end)):
        if not kept or ent.start >= kept[-1][1]:
            kept.append((ent.start, ent.end, ent.label))
    return kept


def _sentences_around(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Sentences, joined where an entity runs across a sentence end, so no entity is split."""
    starts = [s for s, _, _ in spans]
    out: list[tuple[int, int]] = []
    for start, end in sentences(text):
        i = bisect_left(starts, out[-1][1]) - 1 if out else -1  # last span starting before
        if i >= 0 and spans[i][1] > start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def word_tags(doc: Doc) -> Iterable[list[tuple[str, str]]]:
    """Sentences of (token, IOB2 tag). Words are cut at every entity boundary inside them
    ("Bort-dex" with two Chemicals is "Bort", "-", "dex"), so a CoNLL reader decodes exactly
    the entities of the document."""
    spans = _conll_spans(doc)
    cuts = sorted({p for s, e, _ in spans for p in (s, e)})
    starts = [s for s, _, _ in spans]
    for s_start, s_end in _sentences_around(doc.text, spans):
        pieces: list[tuple[int, int]] = []
        for w_start, w_end in words(doc.text, s_start, s_end):
            lo = bisect_right(cuts, w_start)
            hi = bisect_left(cuts, w_end)
            bounds = [w_start, *cuts[lo:hi], w_end]
            pieces += [(a, b) for a, b in zip(bounds, bounds[1:]) if doc.text[a:b].strip()]
        if not pieces:
            continue
        owner = []  # the span (index) each piece lies in, or -1
        for a, _ in pieces:
            i = bisect_right(starts, a) - 1
            owner.append(i if i >= 0 and a < spans[i][1] else -1)
        token_spans = []
        k = 0
        while k < len(pieces):
            if owner[k] < 0:
                k += 1
                continue
            j = k
            while j + 1 < len(pieces) and owner[j + 1] == owner[k]:
                j += 1
            token_spans.append((k, j + 1, spans[owner[k]][2]))
            k = j + 1
        yield [(doc.text[a:b], tag) for (a, b), tag in zip(pieces, bio.tags(token_spans, len(pieces)))]


def conll_document(doc: Doc) -> bytes:
    lines = ["-DOCSTART-\tO", ""]
    for rows in word_tags(doc):
        lines.extend(f"{w}\t{t}" for w, t in rows)
        lines.append("")
    return ("\n".join(lines) + "\n").encode("utf-8")


# assertion flag -> BRAT attribute; entity id prefix -> BRAT normalization database
ATTRIBUTES = {"negated": "Negated", "uncertain": "Uncertain", "historical": "Historical",
              "hypothetical": "Hypothetical", "family": "Family"}
NORMALIZATION_DBS = {
    "MESH": "<URL>:https://meshb.nlm.nih.gov/, <URLBASE>:https://meshb.nlm.nih.gov/record/ui?ui=%s",
    "DRUGBANK": "<URL>:https://go.drugbank.com/, <URLBASE>:https://go.drugbank.com/drugs/%s",
}


def brat_ann(doc: Doc) -> bytes:
    """T lines (a span that crosses a line break becomes fragments, as BRAT requires), then
    an ``N`` line per concept id and an ``A`` line per true assertion flag of each entity."""
    lines: list[str] = []
    extra: list[str] = []
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
        for ref in ent.ids or ():
            if ref.split(":", 1)[0] in NORMALIZATION_DBS:
                extra.append(f"N{{}}\tReference T{n} {ref}\t{ent.name or ent.text}")
        for flag, name in ATTRIBUTES.items():
            if ent.assertion and ent.assertion.get(flag):
                extra.append(f"A{{}}\t{name} T{n}")
    numbered = {"N": 0, "A": 0}
    for line in extra:
        numbered[line[0]] += 1
        lines.append(line.format(numbered[line[0]]))
    return "".join(line + "\n" for line in lines).encode("utf-8")


def annotation_conf(labels: Iterable[str]) -> bytes:
    """The entity types, and the assertion attributes that entities may carry."""
    body = "[entities]\n" + "".join(f"{l}\n" for l in labels)
    attributes = "".join(f"{name}\tArg:<ENTITY>\n" for name in ATTRIBUTES.values())
    return (body + "\n[relations]\n\n[events]\n\n[attributes]\n" + attributes).encode("utf-8")


def tools_conf() -> bytes:
    """The normalization databases brat needs to show ``N`` lines as links."""
    return ("[normalization]\n" + "".join(f"{db}\t{spec}\n" for db, spec in
                                           NORMALIZATION_DBS.items())).encode("utf-8")


def serialise(doc: Doc, fmt: str) -> bytes:
    if fmt == "jsonl":
        return jsonl_record(doc)
    if fmt == "conll":
        return conll_document(doc)
    return brat_ann(doc)


class StreamWriter:
    """JSONL, CoNLL or HTML to one stream or one file (renamed into place on close).

    HTML is one page for the whole run, so its documents are kept until ``close``.
    """

    def __init__(self, fmt: str, target: Path | None, stream: IO[bytes] | None = None,
                 title: str = "medner") -> None:
        self.fmt, self.title = fmt, title
        self.file = AtomicFile(target) if target else None
        self.stream = stream
        self.page: list[Doc] = []

    def exists(self, doc: Doc) -> bool:
        return False

    def write(self, doc: Doc) -> None:
        if self.fmt == "html":
            self.page.append(doc)
        elif self.fmt == "jsonl":
            for chunk in jsonl_chunks(doc):
                self._put(chunk)
        else:
            self._put(serialise(doc, self.fmt))

    def _put(self, data: bytes) -> None:
        if self.file:
            self.file.write(data)
        else:
            self.stream.write(data)

    def close(self, ok: bool = True) -> None:
        if ok and self.fmt == "html":
            from medner_cli.html import render_page

            self._put(render_page(self.page, self.title).encode("utf-8", "replace"))
        if self.file:
            self.file.commit() if ok else self.file.discard()
        else:
            self.stream.flush()


class FolderWriter:
    """One file per document under a folder, named by document id (BRAT: ``.ann`` + ``.txt``;
    HTML: a page per document and ``index.html`` listing them)."""

    def __init__(self, fmt: str, folder: Path, labels: Iterable[str], title: str = "medner") -> None:
        self.fmt, self.folder, self.labels, self.title = fmt, folder, list(labels), title
        self.pages: list[tuple[str, str, Counter]] = []  # html: (page, document id, counts)
        self.written: dict[Path, str] = {}  # output file -> the input it was written for
        if fmt == "html":
            self.written[folder / "index.html"] = "the index page"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot write {folder}: {exc.strerror or exc}") from exc

    def target(self, doc: Doc) -> Path:
        safe = doc.id.replace("\\", "/").lstrip("/")
        parts = [p for p in safe.split("/") if p not in ("", ".", "..")] or ["doc"]
        return self.folder.joinpath(*parts[:-1], parts[-1] + EXTENSION[self.fmt])

    def exists(self, doc: Doc) -> bool:
        return self.target(doc).exists()

    def write(self, doc: Doc) -> None:
        """Write one document's file(s); a second document mapping to the same file is an
        ``OutputConflict`` (the first one's output is kept)."""
        path = self.target(doc)
        if path in self.written:
            raise OutputConflict(f"{path} was already written for {self.written[path]} "
                                 f"(document ids map to one file name); not written again")
        self.written[path] = doc.origin or doc.id
        if self.fmt == "brat":
            write_atomic(path.parent / (path.name[:-4] + ".txt"), doc.text.encode("utf-8"))
        if self.fmt == "html":
            from medner_cli.html import entity_counts, render_document

            index = Path(os.path.relpath(self.folder / "index.html", path.parent)).as_posix()
            write_atomic(path, render_document(doc, index_href=index).encode("utf-8", "replace"))
            self.pages.append((path.relative_to(self.folder).as_posix(), doc.id,
                               entity_counts(doc)))
            return
        write_atomic(path, serialise(doc, self.fmt))

    def close(self, ok: bool = True) -> None:
        if self.fmt == "brat":
            write_atomic(self.folder / "annotation.conf", annotation_conf(self.labels))
            write_atomic(self.folder / "tools.conf", tools_conf())
        if self.fmt == "html" and (ok or self.pages):
            from medner_cli.html import render_index

            write_atomic(self.folder / "index.html",
                         render_index(self.pages, self.title).encode("utf-8", "replace"))
