"""Sentence and word segmentation on character offsets (for CoNLL output and rule context).

Clinical notes put one item a line, so every line break ends a sentence; within a line a
sentence ends at ``.``, ``!`` or ``?`` followed by space and a capital or digit, unless the
period belongs to a known abbreviation ("Dr.", "b.i.d.", "e.g.") or an initial.
"""

from __future__ import annotations

import regex

_ABBREVIATIONS = frozenset(
    "dr mr mrs ms prof st vs etc eg ie al fig no approx dept jr sr inc ltd co "
    "bid tid qid qd qhs qod prn po iv im sc sq hs ac pc mg ml cc tab tabs cap caps "
    "pt pts hx dx tx rx sx yo y.o wk wks hr hrs min mins sec mo mos yr yrs".split())
_END = regex.compile(r"[.!?]+[\"')\]]*(?=\s+[\p{Lu}\d\[(\"'])")
_WORD = regex.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]", regex.UNICODE)


def _is_abbreviation(line: str, end: int) -> bool:
    """Whether the period at ``line[end - 1]`` closes an abbreviation rather than a sentence."""
    start = end - 1
    while start > 0 and not line[start - 1].isspace():
        start -= 1
    word = line[start:end].strip("\"'([").lower().rstrip(".")
    return len(word) == 1 and word.isalpha() or word.replace(".", "") in _ABBREVIATIONS


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, trimmed of surrounding white space, in order."""
    out = []
    for line in regex.finditer(r"[^\r\n]+", text):
        offset, chunk = line.start(), line.group()
        begin = 0
        for m in _END.finditer(chunk):
            if chunk[m.start()] == "." and _is_abbreviation(chunk, m.start() + 1):
                continue
            out.append((offset + begin, offset + m.end()))
            begin = m.end()
        out.append((offset + begin, offset + len(chunk)))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e - (len(text[s:e]) - len(text[s:e].rstrip())))
            for s, e in out if text[s:e].strip()]


def words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each word and punctuation mark in ``text[start:end]``."""
    return [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
