"""Documents and entities: character offsets into ``Doc.text`` are the single source of truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(slots=True)
class Entity:
    """A labelled span ``text[start:end]`` (end exclusive) of its document."""

    start: int
    end: int
    label: str
    text: str
    score: float = 1.0
    source: str = "model"  # who found it: "model", "rule", "lexicon", "memory", "given", "gold"
    attrs: dict[str, Any] | None = None
    ids: list[str] | None = None  # concept ids, most likely first ("MESH:D005665")
    name: str | None = None  # the canonical name of ``ids[0]``
    assertion: dict[str, Any] | None = None  # negated, uncertain, ... and the cues that set them

    def moved(self, offset: int) -> "Entity":
        """This entity ``offset`` characters later (a segment's entity in its whole document)."""
        assertion = self.assertion
        if assertion and assertion.get("cues"):
            assertion = {**assertion, "cues": [{**c, "start": c["start"] + offset,
                                                "end": c["end"] + offset}
                                               for c in assertion["cues"]]}
        return Entity(self.start + offset, self.end + offset, self.label, self.text, self.score,
                      self.source, self.attrs, self.ids, self.name, assertion)

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
        if self.ids:
            out["ids"] = self.ids
            if self.name:
                out["name"] = self.name
        if self.assertion is not None:
            out["assertion"] = self.assertion
        return out


@dataclass(slots=True)
class Doc:
    """One document: ``fields`` carries input fields (JSONL) that writers pass through unchanged."""

    id: str
    text: str
    entities: list[Entity] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    origin: str = ""
    given: bool = False  # its entities came with the input and are kept as they are
    # values that several pipeline steps derive from the text (field spans, sentences), computed
    # once per document; never written out
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def derived(self, key: str, make: Callable[[str], Any]) -> Any:
        """``make(text)``, computed on first use and kept for the document's other steps."""
        if key not in self.memo:
            self.memo[key] = make(self.text)
        return self.memo[key]

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
