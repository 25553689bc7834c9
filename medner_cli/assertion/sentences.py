"""Clinical sentence bounds: the outer limit of every trigger's scope.

Notes are not prose: a list item, a heading, a ``Key: value`` field and a blank line each end
what came before, whether or not a period does, and "Fever: none    Cough: yes" holds two
fields. Wrapped prose does not ("no fever, chills or\\nnight sweats" is one sentence), which is
why ``medner_cli.segment`` (a line break always ends a sentence) is not used here. A line break
between two prose lines is kept inside the sentence when the next line starts in lower case
and its first word would not have fitted on the first (the text's longest prose line is the
width it was wrapped at; a line that ends short before a line in lower case is a list written
without markers: "h/o AKI 2025\nlosartan 100, amlo 10"; and a line that ends a sentence ends
it: "no cp.\ndilt 10 mg" is two, as notes in lower case write them), or the first ends in a
comma or a connective ("and", "of"), or the first is filled up to a width (60 to 100
characters) and the next goes on with a capitalised word; else (a short
line, a closed line, a line starting with a digit such as a time, a line too long to be
wrapped) it ends the sentence: that is a list written without markers, or a table.

Within a line, a sentence ends at ``.``, ``!`` or ``?`` followed by space and a capital or a
digit (after a period also a lower-case letter, as notes in lower case write: "no ntg pta.
home meds ..."), unless the period closes an abbreviation ("Dr.", "vs.", "b.i.d.") or an
initial, and a ``?`` after a space is the "? pneumonia" of a query, not an end; in a dictation
(a block that speaks its commas or says "period" twice), at a spoken "period".
"""

from __future__ import annotations

import re

from medner_cli.assertion.lines import BEGIN, END, FIELD, ITEM, KEY, KIND, NEXT, PROSE, START, Line
from medner_cli.assertion.sections import Heading

_END = re.compile(r"[.!?]+[\"')\]]*(?=\s+[\"'(\[+]?([^\W_]))")
_GAP = re.compile(r"[ \t]{2,}(?=" + KEY + ")")
# a dictation's spoken period ("no shortness of breath period current medications ..."); only
# in a block that speaks its commas too or says "period" twice, since "period" is also a word
# ("the postoperative period")
_SPOKEN_COMMA = re.compile(r"[ \t]comma[ \t]", re.IGNORECASE)
_SPOKEN_PERIOD = re.compile(r"[ \t]period(?=[ \t]+\w)", re.IGNORECASE)
_ABBREVIATIONS = (
    "dr mr mrs ms prof st vs etc eg ie al fig approx dept jr sr inc ltd co pt pts".split())
# the word before a period: an initial ("M."), a dotted abbreviation ("b.i.d", "e.g") or a
# listed one ("Dr", "vs")
_ABBREVIATION = re.compile(r"(?<![^\s\"'(\[])(?:[^\W\d_]|(?:[^\W\d_]\.)+[^\W\d_]|"
                           + "|".join(sorted(_ABBREVIATIONS, key=len, reverse=True)) + r")$",
                           re.IGNORECASE)
_CONTINUES = frozenset("and or of with to for the a an in on at by from but nor as than".split())
_CONTINUATION_MARKS = ",;:(-/&+"
_CLOSERS = ".!?)]"
_SHORT_LINE = 60
_FIRST_WORD = re.compile(r"\S+")
_WRAP_WIDTH = 100


def _is_abbreviation(text: str, period: int) -> bool:
    """Whether the period at ``text[period]`` closes an abbreviation rather than a sentence."""
    return _ABBREVIATION.search(text, max(0, period - 12), period) is not None


def _joins(text: str, prev: Line, line: Line, width: int) -> bool:
    """Whether prose ``line`` continues ``prev`` (wrapped prose) rather than starting anew;
    ``width`` is the longest prose line of the text, the width it was wrapped at if it was."""
    first, last = text[line[BEGIN]], text[prev[END] - 1]
    if last in "!?" or last == "." and not _is_abbreviation(text, prev[END] - 1):
        return False  # a closed line: the next starts anew, even in lower case ("no cp.\ndilt")
    if last in _CONTINUATION_MARKS:
        return True
    tail = text[max(prev[BEGIN], prev[END] - 8):prev[END]].split()
    if tail and tail[-1].lower() in _CONTINUES:
        return True
    if first.islower():  # wrapped, unless the next line's first word would have fitted on it
        word = _FIRST_WORD.match(text, line[BEGIN], line[END])
        return prev[END] - prev[BEGIN] + 1 + (word.end() - word.start() if word else 0) > width
    # a line filled up to a width, going on with a capitalised word; not a new entry that
    # starts with a digit ("23:40 Insulin ...") or follows a closed line, and not after a
    # line longer than any wrap width (a paragraph or a table row of its own)
    return (first.isupper() and _SHORT_LINE <= prev[END] - prev[BEGIN] <= _WRAP_WIDTH
            and last not in _CLOSERS)


def blocks(text: str, lines: list[Line], headings: list[Heading]) -> list[int]:
    """Sorted cut points ``0 = b0 < ... < bn = len(text)`` made by the layout alone.

    A block ``bi..bi+1`` is a field, a list item, a heading, or a paragraph of wrapped prose;
    ``split`` cuts it further into sentences, for the blocks that hold an entity only.
    """
    cuts = {0, len(text)}
    add = cuts.add
    prev: Line | None = None
    width = max((x[END] - x[BEGIN] for x in lines if x[KIND] == PROSE), default=0)
    for line in lines:
        kind = line[KIND]
        if kind == PROSE:
            if prev is None or prev[KIND] not in (PROSE, ITEM) or not _joins(
                    text, prev, line, width):
                add(line[START])
        else:
            add(line[START])
            if kind == FIELD:
                add(line[NEXT])
        prev = line
    for h in headings:
        add(h.name_start)
        add(h.content)
        if not h.inline:
            add(lines[h.line][NEXT])
    return sorted(cuts)


def split(text: str, start: int, end: int) -> list[int]:
    """The sentence ends inside the block ``text[start:end]``, in order."""
    cuts = []
    if text.find("  ", start, end) != -1 or text.find("\t", start, end) != -1:
        cuts = [m.end() for m in _GAP.finditer(text, start, end)]  # "Fever: none    Cough: yes"
    spoken = list(_SPOKEN_PERIOD.finditer(text, start, end))
    if spoken and (len(spoken) > 1 or _SPOKEN_COMMA.search(text, start, end)):
        cuts += [m.end() for m in spoken]  # a dictation that speaks its punctuation
    for m in _END.finditer(text, start, end):
        a, b = m.span()
        if a == 0 or text[a - 1].isspace():
            continue  # "? pneumonia"
        nxt = m.group(1)  # a capital or digit, or a non-ASCII letter whose case is checked here
        if not (nxt.isupper() or nxt.isdigit() or nxt.islower() and text[a] == "."):
            continue
        if text[a] == "." and b - a == 1 and _is_abbreviation(text, a):
            continue
        cuts.append(b)
    if len(cuts) > 1:
        cuts.sort()
    return cuts

