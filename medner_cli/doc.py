"""Documents and entities: character offsets into ``Doc.text`` are the single source of truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Entity:
    """A labelled span ``text[start:end]`` (end exclusive) of its document."""

    start: int
    end: int
    label: str
    text: str
    score: float = 1.0
    source: str = "model"
    attrs: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "text": self.text,
            "score": round(self.score, 4),
            "source": self.source,
        }
        if self.attrs is not None:
            out["attrs"] = self.attrs
        return out


@dataclass(slots=True)
class Doc:
    """One document: ``fields`` carries input fields (JSONL) that writers pass through unchanged."""

    id: str
    text: str
    entities: list[Entity] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    origin: str = ""

    def span(self, start: int, end: int, label: str, **kw: Any) -> Entity:
        """Make an entity whose text is taken from the document, so it can never disagree."""
        return Entity(start, end, label, self.text[start:end], **kw)


@dataclass(slots=True)
class ReadError:
    """A document that could not be read; it is reported and the batch goes on."""

    origin: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.origin}:{self.line}" if self.line is not None else self.origin
        return f"{where}: {self.message}"
