"""Joining pieces into chains: the scan of a note for pieces, and which pieces go together.

Pieces separated only by spaces, a slash or "up to" on one line form a *chain* (two amounts
also across "of" or "in": "10 mL of 1%"); commas, parentheses and other words split, and so
does a new amount after a schedule. A lab unit or an oxygen flow ends a chain and is no piece.
Whether a chain is a Dosage is for its context to say (context.py, spans.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import regex

from medner_cli.rules.dosage.patterns import BY_WORD, CANDIDATE, ORDER, compile_pieces


@dataclass(slots=True)
class Piece:
    """One piece of a dose: its kind (a group name of patterns.py: "dose", "bare", "pct", "sfreq",
    "wfreq", "tfreq", "sprn", "wprn", "dur", "xdur", "count", "route", "filler"), where it lies
    in the text (end exclusive) and its match, whose named groups hold its parts."""

    kind: str
    start: int
    end: int
    m: regex.Match[str]


# Pieces join across spaces, a slash or "up to"; two amounts also across "of" or "in"
# ("10 mL of 1%", "0.5 mCi in 0.5 mL"). Commas, parentheses and other words split.
_GAP = regex.compile(r"[^\S\r\n]*(?:/[^\S\r\n]*|up[^\S\r\n]+to[^\S\r\n]+)?")
_AMOUNT_GAP = regex.compile(r"[^\S\r\n]+(?:of|in)[^\S\r\n]+")
_BREAK = frozenset({"lab", "o2"})
_AMOUNTS = frozenset({"dose", "pct"})
INNER = frozenset({"route", "filler"})  # inside a span only
_SCHEDULE = frozenset({"wfreq", "sfreq", "tfreq", "sprn", "wprn", "dur", "xdur", "count"})
STRONG = frozenset({"sfreq", "sprn"})
WEAK = frozenset({"wfreq", "wprn", "dur"})
CAN_FIRE = frozenset({"dose", "xdur", "pct", "count", "bare"}) | STRONG | WEAK


def chains(text: str, pos: int = 0, endpos: int | None = None) -> list[list[Piece]]:
    """The chains of ``text[pos:endpos]``: pieces grouped by adjacency; a new amount after a
    schedule starts a new chain."""
    found: list[list[Piece]] = []
    cur: list[Piece] = []
    endpos = len(text) if endpos is None else endpos
    for c in CANDIDATE.finditer(text, pos, endpos):
        word = c[0]
        rx = BY_WORD.get(word.lower() if word[0].isalpha() or word == "×" else "0")
        if rx is None or c.start() < pos or not (m := rx.match(text, c.start(), endpos)):
            continue
        pos = m.end()
        kind = m.lastgroup
        if kind in _BREAK:
            if cur:
                found.append(cur)
            cur = []
            continue
        piece = Piece(kind, m.start(), m.end(), m)
        if cur:
            gap = text[cur[-1].end:piece.start]
            amounts = kind in _AMOUNTS and cur[-1].kind in _AMOUNTS
            joins = (_GAP.fullmatch(gap) is not None
                     or amounts and _AMOUNT_GAP.fullmatch(gap) is not None)
            if kind in _AMOUNTS | {"bare"} and any(p.kind in _SCHEDULE for p in cur):
                joins = False
            if not joins:
                found.append(cur)
                cur = []
        cur.append(piece)
    if cur:
        found.append(cur)
    return found


def strip(pieces: list[Piece]) -> list[Piece]:
    """``pieces`` without the routes and form words at either end."""
    start, end = 0, len(pieces)
    while start < end and pieces[start].kind in INNER:
        start += 1
    while end > start and pieces[end - 1].kind in INNER:
        end -= 1
    return pieces[start:end]


def pieces(text: str, start: int = 0, end: int | None = None) -> list[Piece]:
    """The pieces of ``text[start:end]`` in order, as the scan finds them (what the chains
    hold; lab units and oxygen flows are left out)."""
    return [p for chain in chains(text, start, end) for p in chain]


@cache
def _every_piece() -> regex.Pattern[str]:
    return compile_pieces(ORDER)


def reference_pieces(text: str) -> list[Piece]:
    """What trying every kind of piece at every position of ``text`` finds: slow; the
    reference that ``pieces`` must equal (it tries only the kinds that can start at a word)."""
    return [Piece(m.lastgroup, m.start(), m.end(), m) for m in _every_piece().finditer(text)
            if m.lastgroup not in _BREAK]
