"""Section headings and the stretch of text each one governs.

A note says "this is the family's history" once, in a heading, and then lists diseases without
a trigger word; so the heading has to carry the flag. A heading is recognised by name (the
``sections`` of ``triggers.json``: "FAMILY HISTORY", "PMH", "Allergies", case-insensitive) at
the start of a line or after a sentence, followed by a colon or standing alone on its line; an
unknown line in capitals alone on its line ("HOSPITAL COURSE") or an unknown "Something:" with
nothing after the colon is a heading too, of an ordinary section, so that it ends the one
before; an unknown "KEY: value" ("COPD: father", "HEENT: normal") is a field, not a heading.

A standalone heading governs the text up to the next heading. A heading with its content on
the same line ("PMH: HTN, DM") governs that content and the lines that wrap under it (indented,
or prose starting in lower case), because such a heading is one field among several
("Allergies: ...\\nDate: ...") and the next line is usually something else. A section marked
``one_sentence`` (allergies) governs only the sentence its inline heading opens: "Allergy: sulfa
(rash). Return if fever." names no other reaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medner_cli.assertion.lines import (BEGIN, BLANK, END, FIELD, ITEM, KIND, NEXT, PROSE, START,
                                         Line)
from medner_cli.assertion.rules import Lexicon, Section, heading_key

# a known heading after the end of a sentence on the same line: "... HTN. PSH: appendectomy."
_INLINE = re.compile(r"[.;][ \t]+([^\W\d_][^.;:\r\n]{0,40}+):(?![\d/])")
# the end of a sentence within a line
_SENTENCE_END = re.compile(r"[.!?](?=\s)")
_MARKUP = "#*_= \t"
_MAX_NAME = 60


@dataclass(slots=True)
class Heading:
    """A heading: ``name_start..name_end`` is the cue; its content starts at ``content``."""

    name_start: int
    name_end: int
    content: int  # after the colon (inline) or at the next line (standalone)
    inline: bool  # content follows on the same line
    section: Section | None  # None: an unknown heading, an ordinary section
    line: int  # index of its line


@dataclass(slots=True)
class Span:
    """The text ``start..end`` under a heading whose section sets a flag."""

    start: int
    end: int
    category: str
    labels: frozenset[str] | None
    cue_start: int
    cue_end: int
    first_only: bool


def _line_heading(text: str, low: str, line: Line, index: int, lex: Lexicon) -> Heading | None:
    begin, end = line[BEGIN], line[END]
    colon = low.find(":", begin, min(end, begin + _MAX_NAME + 1))
    if colon == -1 and end - begin > _MAX_NAME:
        return None
    name_end = end if colon == -1 else colon
    paren = low.find("(", begin, name_end)  # "MEDICATIONS PRIOR TO ADMISSION (per pharmacy)"
    if paren > begin:
        name_end = paren
    key = low[begin:name_end]
    section = lex.headings.get(key)  # the usual case: "pmh", "family history"
    if section is None:
        clean = heading_key(key.strip(_MARKUP))
        if clean != key:
            section = lex.headings.get(clean)
    inline = colon != -1 and not text[colon + 1:end].isspace() and colon + 1 < end
    raw = text[begin:name_end]
    stripped = raw.strip(_MARKUP)
    if not stripped:
        return None
    if section is None:
        if inline:
            return None  # an unknown "Key: value" is a field, not a heading
        if colon != -1:
            if len(stripped.split()) > 6:  # "Something:" alone on its line labels what follows
                return None
        elif not (stripped.isupper() and len(stripped.split()) <= 8
                  and not any(c in stripped for c in ".;!?,")
                  and sum(c.isalpha() for c in stripped) >= 4):  # "HOSPITAL COURSE"
            return None
    name_start = begin + raw.index(stripped[0])
    content = colon + 1 if inline else line[NEXT]
    return Heading(name_start, name_start + len(stripped), content, inline, section, index)


def find_headings(text: str, low: str, lines: list[Line], lex: Lexicon) -> list[Heading]:
    """Every heading of the note, in order."""
    out = []
    known = lex.headings
    inline = False
    for i, line in enumerate(lines):
        kind = line[KIND]
        if kind == BLANK or kind == ITEM:
            continue
        begin, end = line[BEGIN], line[END]
        colons = low.count(":", begin, end)
        if colons > (kind == FIELD):  # a colon after the first field's: "HTN. PSH: ..."
            for m in _INLINE.finditer(low, begin, end):
                section = known.get(heading_key(m.group(1)))
                if section is not None:
                    out.append(Heading(m.start(1), m.start(1) + len(m.group(1).rstrip()),
                                       m.end(), True, section, i))
                    inline = True
        if kind == FIELD:  # "Key: value" is a heading only when the key is a known one
            key = low[begin:low.find(":", begin, end)]
            if key not in known:
                clean = key.strip(_MARKUP)
                if (clean == key and "  " not in key and "/" not in key and "&" not in key) \
                        or heading_key(clean) not in known:
                    continue  # nothing to normalise (the usual case), or still unknown
        elif end - begin > _MAX_NAME and (colons == 0 or low.find(":", begin, end) -
                                          begin > _MAX_NAME):
            continue  # a line of prose
        h = _line_heading(text, low, line, i, lex)
        if h is not None:
            out.append(h)
    if inline:
        out.sort(key=lambda h: h.name_start)
    return out


def _wraps(text: str, line: Line, above: Line) -> bool:
    """Whether ``line`` continues the line above: indented, or lower-case prose after a line
    that ends no sentence (a note typed in lower case starts every line so: "fhx: father mi.\n
    on tamsulosin" is two fields)."""
    return line[KIND] == PROSE and (line[BEGIN] > line[START] or text[line[BEGIN]].islower()
                                    and text[above[BEGIN]:above[END]].rstrip()[-1:] not in ".;")


def section_spans(text: str, lines: list[Line], headings: list[Heading]) -> list[Span]:
    """The spans of the headings whose section sets a flag, in order, not overlapping."""
    out = []
    for k, h in enumerate(headings):
        if h.section is None or h.section.category is None:
            continue
        end = headings[k + 1].name_start if k + 1 < len(headings) else lines[-1][NEXT]
        if h.inline:  # its own line, and the lines that wrap under it
            for i in range(h.line + 1, len(lines)):
                line = lines[i]
                if line[START] >= end:
                    break
                if not _wraps(text, line, lines[i - 1]):
                    end = line[START]
                    break
        if h.inline and h.section.one_sentence and (
                stop := _SENTENCE_END.search(text, h.content, end)):
            end = stop.end()  # "Allergies: sulfa (rash). Denies fever."
        if end > h.content:
            out.append(Span(h.content, end, h.section.category, h.section.labels,
                            h.name_start, h.name_end, h.section.first_only))
    return out
