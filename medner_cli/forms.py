"""Fixed strings found as whole words, fast enough for long lists.

A regular expression that alternates a hundred short forms tries each of them at every
position of a text; here the text's letter-and-digit runs are collected once (in C, lower
case) and intersected with the runs the forms start with, so only the few forms that can
occur are searched for, with ``str.find``. The runs are kept on the document
(``word_runs``), so the steps that look for forms share one scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from medner_cli.doc import Doc

_RUN = re.compile(r"[^\W_]+")
# ASCII letters and digits as themselves, any other byte (the "?" a non-ASCII character
# becomes, too) a space
_ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
_SPACES = bytes(c if c in _ALNUM else 32 for c in range(256))


def _runs(text: str) -> frozenset[bytes]:
    return frozenset(text.lower().encode("ascii", "replace").translate(_SPACES).split())


def lower_same_length(text: str) -> str:
    """``text`` lower-cased one character for one, so offsets into it are offsets into
    ``text``."""
    low = text.lower()
    if len(low) != len(text):  # "İ" -> "i̇": keep such characters as they are, so offsets hold
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low


def lower_text(doc: Doc) -> str:
    """The document's text lower-cased one character for one, once per document."""
    return doc.derived("lower_text", lower_same_length)


def word_runs(doc: Doc) -> frozenset[bytes]:
    """The lower-case ASCII letter-and-digit runs of the document's text, once per document:
    a cheap superset test for whole words (str methods in C, no regular expression)."""
    return doc.derived("word_runs", _runs)


class WholeForms:
    """Whole-word occurrences of ``forms``, case-sensitive unless ``fold_case``: not after a
    letter or digit or a character of ``not_after``, not before one or a character of
    ``not_before``; a "-" before a letter also ends no form when ``hyphen_joins``
    ("vaso-vagal" holds no "vaso")."""

    def __init__(self, forms: Iterable[str], not_after: str = "", not_before: str = "",
                 hyphen_joins: bool = False, fold_case: bool = False) -> None:
        self.fold_case = fold_case
        if fold_case:
            forms = (lower_same_length(f) for f in forms)
        self.by_run: dict[bytes, list[str]] = {}
        for form in sorted(set(forms), key=len, reverse=True):  # the longest first
            first = _RUN.match(form)
            if first is None or first.start() != 0 or not first.group().isascii():
                raise ValueError(f"a form must start with an ASCII letter or digit: {form!r}")
            self.by_run.setdefault(first.group().lower().encode(), []).append(form)
        self.keys = frozenset(self.by_run)
        self.not_after, self.not_before, self.hyphen_joins = not_after, not_before, hyphen_joins

    def occurrences(self, doc: Doc) -> list[tuple[int, int]]:
        """The (start, end) of every occurrence of every form, overlapping ones included, in
        no particular order."""
        present = self.keys.intersection(word_runs(doc))
        if not present:
            return []
        text = lower_text(doc) if self.fold_case else doc.text
        n = len(text)
        found: list[tuple[int, int]] = []
        for key in present:
            for form in self.by_run[key]:
                k = len(form)
                i = text.find(form)
                while i >= 0:
                    j = i + k
                    if self._bounded(text, i, j, n):
                        found.append((i, j))
                    i = text.find(form, i + 1)
        return found

    def find(self, doc: Doc) -> list[tuple[int, int]]:
        """The (start, end) of each occurrence in the document's text, in order, none
        overlapping another (the longer form wins: "n/v/d" over "n/v")."""
        found = self.occurrences(doc)
        if len(found) > 1:
            found.sort(key=lambda s: (s[0], -s[1]))
            kept = [found[0]]
            for s, e in found[1:]:
                if s >= kept[-1][1]:
                    kept.append((s, e))
            found = kept
        return found

    def _bounded(self, text: str, i: int, j: int, n: int) -> bool:
        if i and (text[i - 1].isalnum() or text[i - 1] in self.not_after):
            return False
        if j < n:
            c = text[j]
            if c.isalnum() or c in self.not_before:
                return False
            if self.hyphen_joins and c == "-" and j + 1 < n and text[j + 1].isalpha():
                return False
        return True
