"""What each line of a note is: blank, a list item, a ``Key: value`` field, or prose.

Sentences and sections both depend on it, and both are cut from the same classification so
that they cannot disagree about where a field or a list item starts. Offsets are into the
document text; ``\\r\\n``, ``\\r``, ``\\n`` (and the other breaks of ``str.splitlines``) end a
line.
"""

from __future__ import annotations

import re

BLANK, ITEM, FIELD, PROSE = 0, 1, 2, 3

# "- x", "* x", "• x", "1. x", "2) x", "(3) x"; not "1.5 mg" (no space after the period)
ITEM_RE = re.compile(r"(?:[-*•·‣◦▪–—]|\d{1,3}[.)]|\(\d{1,3}\))[ \t]+")
# a key of one to five words, a colon (not a time "10:30" or a ratio "1:/"), then a value
KEY = r"[^\W\d_][\w'’()/&+-]*(?:[ \t]+[\w'’()/&+-]+){0,4}[ \t]*:(?![\d/])"
FIELD_RE = re.compile(KEY + r"[ \t]*\S")
_ITEM_FIRST = frozenset("-*•·‣◦▪–—(0123456789")
_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


# A line is a plain tuple (one is made per line of every document, and a tuple is several
# times cheaper to build than an object): (start, begin, end, next, kind), where start..next
# is the line with its line break and begin..end its visible text.
Line = tuple[int, int, int, int, int]
START, BEGIN, END, NEXT, KIND = range(5)


def classify(text: str) -> list[Line]:
    """Every line of ``text`` in order, each with its kind."""
    out = []
    append = out.append
    item, field = ITEM_RE.match, FIELD_RE.match
    start = 0
    for raw in text.splitlines(True):
        nxt = start + len(raw)
        body = raw.rstrip(_BREAKS)
        lead = body.lstrip()
        if not lead:
            end = start + len(body)
            append((start, end, end, nxt, BLANK))
        else:
            stripped = lead.rstrip()
            begin = start + len(body) - len(lead)
            if stripped[0] in _ITEM_FIRST and item(stripped):
                kind = ITEM
            elif ":" in stripped and field(stripped):
                kind = FIELD
            else:
                kind = PROSE
            append((start, begin, begin + len(stripped), nxt, kind))
        start = nxt
    return out
