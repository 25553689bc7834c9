"""Readers: files, folders, JSONL, BRAT, PubTator, CoNLL and stdin into ``Doc`` objects.

Every reader yields ``Doc`` or ``ReadError`` so one bad document never stops a batch. Text is
decoded as UTF-8 (a BOM is dropped) and line endings are kept exactly, so offsets count CRLF.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

import orjson

from medner_cli import bio
from medner_cli.doc import Doc, Entity, ReadError

FORMATS = ("text", "jsonl", "brat", "pubtator", "conll")
_EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".pubtator": "pubtator",
    ".conll": "conll",
    ".iob": "conll",
    ".tsv": "conll",
}

Item = Doc | ReadError


def text_of(data: bytes, origin: str) -> str | ReadError:
    """UTF-8 with the BOM stripped; an undecodable byte is reported with its position."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ReadError(origin, f"not valid UTF-8 at byte {exc.start} ({exc.reason})")


def format_of(path: Path) -> str:
    """The input format a file's name implies (PubTator corpora end in ``.PubTator.txt``)."""
    name = path.name.lower()
    if name.endswith(".pubtator.txt"):
        return "pubtator"
    return _EXTENSIONS.get(path.suffix.lower(), "text")


def read_text(data: bytes, origin: str, doc_id: str) -> Iterator[Item]:
    text = text_of(data, origin)
    if isinstance(text, ReadError):
        yield text
    elif not text.strip():
        yield ReadError(origin, "empty file: no text to annotate")
    else:
        yield Doc(doc_id, text, origin=origin)


def _typed(raw: dict, key: str, kind: type) -> object:
    value = raw.get(key)
    if value is not None and not isinstance(value, kind):
        raise ValueError(f'entity "{key}" is not a {kind.__name__}')
    return value


def _jsonl_entities(raw: object, text: str) -> list[Entity]:
    """Entities of a JSONL record, with the fields medner writes (attrs, ids, name,
    assertion) kept, so a file medner wrote reads back whole."""
    if not isinstance(raw, list):
        raise ValueError('"entities" is not a list')
    out = []
    for ent in raw:
        if not isinstance(ent, dict):
            raise ValueError("an entity is not a JSON object")
        start, end, label = int(ent["start"]), int(ent["end"]), str(ent["label"])
        if not 0 <= start < end <= len(text):
            raise ValueError(f"entity offsets {start}-{end} outside the text")
        ids = _typed(ent, "ids", list)
        out.append(Entity(start, end, label, text[start:end], float(ent.get("score", 1.0)),
                          str(ent.get("source", "gold")), _typed(ent, "attrs", dict),
                          [str(i) for i in ids] if ids else None, _typed(ent, "name", str),
                          _typed(ent, "assertion", dict)))
    return out


def read_jsonl(lines: Iterable[bytes], origin: str, text_field: str = "text",
               id_field: str = "id", with_gold: bool = False) -> Iterator[Item]:
    """One document a line; every field is kept so writers can pass it through."""
    empty = True
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        empty = False
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield ReadError(origin, f"malformed JSON ({exc})", number)
            continue
        if not isinstance(record, dict):
            yield ReadError(origin, "line is not a JSON object", number)
            continue
        text = record.get(text_field)
        if not isinstance(text, str):
            problem = "missing" if text is None else "not a string"
            yield ReadError(origin, f'text field "{text_field}" is {problem}', number)
            continue
        doc_id = record.get(id_field)
        doc = Doc(str(doc_id) if doc_id is not None else str(number), text,
                  fields=record, origin=f"{origin}:{number}")
        if with_gold and "entities" in record:
            try:
                doc.entities = _jsonl_entities(record["entities"], text)
            except (KeyError, TypeError, ValueError) as exc:
                yield ReadError(origin, f"bad entities: {exc}", number)
                continue
        yield doc
    if empty:
        yield ReadError(origin, "empty file: no JSON lines")


def read_pubtator(data: bytes, origin: str) -> Iterator[Item]:
    """PubTator: ``PMID|t|``, ``PMID|a|`` and mention lines; text is title + " " + abstract."""
    text = text_of(data, origin)
    if isinstance(text, ReadError):
        yield text
        return
    block: list[tuple[int, str]] = []
    lines = text.splitlines()
    for number, line in enumerate(lines + [""], 1):
        if line.strip():
            block.append((number, line))
        elif block:
            yield _pubtator_doc(block, origin)
            block = []
    if not text.strip():
        yield ReadError(origin, "empty file: no PubTator documents")


def _pubtator_doc(block: list[tuple[int, str]], origin: str) -> Item:
    title = abstract = None
    pmid = ""
    mentions = []
    for number, line in block:
        if "|t|" in line[:40] and title is None:
            pmid, _, title = line.partition("|t|")
        elif "|a|" in line[:40] and abstract is None:
            pmid, _, abstract = line.partition("|a|")
        else:
            cols = line.split("\t")
            if len(cols) >= 4 and cols[1] == "CID":
                continue
            if len(cols) < 5 or not cols[1].isdigit() or not cols[2].isdigit():
                return ReadError(origin, f"malformed PubTator line: {line[:60]!r}", number)
            ids = [f"MESH:{i}" for i in cols[5].split("|") if i not in ("", "-1")] \
                if len(cols) > 5 else []
            mentions.append((number, int(cols[1]), int(cols[2]), cols[3], cols[4], ids or None))
    if title is None:
        return ReadError(origin, "PubTator document without a |t| title line", block[0][0])
    text = title + " " + (abstract or "")
    doc = Doc(pmid, text, origin=f"{origin}:{block[0][0]}")
    for number, start, end, mention, label, ids in mentions:
        if text[start:end] != mention:
            return ReadError(origin, f"offsets {start}-{end} do not match mention {mention!r}",
                             number)
        doc.entities.append(Entity(start, end, label, mention, 1.0, "gold", ids=ids))
    return doc


def read_brat_ann(data: bytes, origin: str, text: str) -> list[Entity] | ReadError:
    """T lines of a ``.ann`` file; a discontinuous span is kept as its outer extent."""
    ann = text_of(data, origin)
    if isinstance(ann, ReadError):
        return ann
    out = []
    for number, line in enumerate(ann.splitlines(), 1):
        if not line.startswith("T"):
            continue
        try:
            _, type_span, mention = line.split("\t", 2)
            label, spans = type_span.split(" ", 1)
            pieces = [tuple(map(int, part.split())) for part in spans.split(";")]
            start, end = min(p[0] for p in pieces), max(p[1] for p in pieces)
        except ValueError:
            return ReadError(origin, f"malformed BRAT line: {line[:60]!r}", number)
        if not 0 <= start < end <= len(text):
            return ReadError(origin, f"span {start}-{end} outside the text", number)
        out.append(Entity(start, end, label, text[start:end], 1.0, "gold"))
    return out


def read_conll(data: bytes, origin: str) -> Iterator[Item]:
    """``token<TAB>tag`` (or space separated, tag last); ``-DOCSTART-`` starts a document.

    Tokens are joined by spaces and sentences by newlines, so the rebuilt text has exact offsets.
    """
    text = text_of(data, origin)
    if isinstance(text, ReadError):
        yield text
        return
    docs: list[list[list[tuple[str, str]]]] = [[[]]]
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if docs[-1][-1]:
                docs[-1].append([])
            continue
        cols = line.split("\t") if "\t" in line else line.split()
        if cols[0] == "-DOCSTART-":
            docs.append([[]])
            continue
        if len(cols) < 2:
            yield ReadError(origin, f"CoNLL line without a tag: {line[:60]!r}", number)
            return
        docs[-1][-1].append((cols[0], cols[-1]))
    count = 0
    for sentences in docs:
        sentences = [s for s in sentences if s]
        if sentences:
            count += 1
            yield _conll_doc(sentences, f"{origin}#{count}", str(count))
    if not count:
        yield ReadError(origin, "empty file: no CoNLL tokens")


def _conll_doc(sentences: list[list[tuple[str, str]]], origin: str, doc_id: str) -> Doc:
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = 0
    for sentence in sentences:
        for i, (token, tag) in enumerate(sentence):
            if i:
                parts.append(" ")
                pos += 1
            spans.append((pos, pos + len(token), tag))
            parts.append(token)
            pos += len(token)
        spans.append((pos, pos, "O"))  # a sentence end closes any open chunk
        parts.append("\n")
        pos += 1
    text = "".join(parts)
    doc = Doc(doc_id, text, origin=origin)
    found = bio.chunks([tag for _, _, tag in spans])
    doc.entities = [doc.span(spans[i][0], spans[j - 1][1], kind, source="gold")
                    for i, j, kind in found]
    return doc


def _read_bytes(path: Path) -> bytes | ReadError:
    try:
        return path.read_bytes()
    except OSError as exc:
        return ReadError(str(path), f"cannot read: {exc.strerror or exc}")


def read_path(path: Path, fmt: str, root: Path | None = None, text_field: str = "text",
              id_field: str = "id", with_gold: bool = False) -> Iterator[Item]:
    """One file in the given format; ``root`` makes ids relative to the folder given."""
    origin = str(path)
    if fmt == "jsonl":
        try:
            with path.open("rb") as handle:
                yield from read_jsonl(handle, origin, text_field, id_field, with_gold)
        except OSError as exc:
            yield ReadError(origin, f"cannot read: {exc.strerror or exc}")
        return
    data = _read_bytes(path)
    if isinstance(data, ReadError):
        yield data
        return
    if fmt == "pubtator":
        yield from read_pubtator(data, origin)
    elif fmt == "conll":
        yield from read_conll(data, origin)
    else:
        rel = path.relative_to(root) if root else Path(path.name)
        doc_id = rel.with_suffix("").as_posix()
        for item in read_text(data, origin, doc_id):
            ann_path = path.with_suffix(".ann")
            if with_gold and isinstance(item, Doc) and (fmt == "brat" or ann_path.exists()):
                ann = _read_bytes(ann_path) if ann_path.exists() else b""
                ents = ann if isinstance(ann, ReadError) else read_brat_ann(ann, str(ann_path),
                                                                           item.text)
                if isinstance(ents, ReadError):
                    yield ents
                    continue
                item.entities = ents
            yield item


def expand(paths: Iterable[str], fmt: str | None) -> Iterator[tuple[Path, str, Path | None]]:
    """Files to read with their format; folders are walked recursively in sorted order."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                child_fmt = fmt or format_of(child)
                if child.suffix.lower() in (".ann", ".conf") or child.name.startswith("."):
                    continue
                if child_fmt in ("text", "brat") and child.suffix.lower() not in (".txt", ".text"):
                    continue
                yield child, child_fmt, path
        else:
            yield path, fmt or format_of(path), None


def read_inputs(paths: Iterable[str], fmt: str | None = None, text_field: str = "text",
                id_field: str = "id", with_gold: bool = False,
                stdin: BinaryIO | None = None) -> Iterator[Item]:
    """All documents of all inputs in order; ``-`` (or no path) reads standard input."""
    paths = list(paths) or ["-"]
    for name in paths:
        if name == "-":
            stream = stdin or sys.stdin.buffer
            if (fmt or "text") == "jsonl":
                yield from read_jsonl(stream, "<stdin>", text_field, id_field, with_gold)
            else:
                yield from read_stdin_bytes(stream.read(), fmt or "text", "<stdin>")
            continue
        if not Path(name).exists():
            yield ReadError(name, "no such file or folder")
            continue
        for path, file_fmt, root in expand([name], fmt):
            yield from read_path(path, file_fmt, root, text_field, id_field, with_gold)


def read_stdin_bytes(data: bytes, fmt: str, origin: str) -> Iterator[Item]:
    """Standard input (already read) in a non-JSONL format."""
    if fmt == "pubtator":
        yield from read_pubtator(data, origin)
    elif fmt == "conll":
        yield from read_conll(data, origin)
    else:
        yield from read_text(data, origin, "stdin")
