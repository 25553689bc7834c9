"""Clipped drug names: the first letters of a generic name, as notes write a drug they use
often ("apix 5 bid", "olanz 10 qhs", "ritux 375/m2", "add tofa").

A word is a clipped name when it is the start (four letters or more, two or more short of the
end) of exactly one of the lexicon's generic names that carry a DrugBank id, and is no word of
the model's vocabulary (which holds the English and medical words that begin drug names:
"test", "plan", "meta"). Whether the note gives it as a drug is decided where ambiguous short
forms are (``match.short_form_hits``): a dose with a unit, a route, a frequency or a verb of
giving beside it, or a bare dose of its own with a drug beside it in a list.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path
from typing import Iterable

from medner_cli.doc import Doc
from medner_cli.forms import WholeForms, word_runs
from medner_cli.tokenize import load_tokenizer

_GENERIC = re.compile(r"[a-z]{6,}")
MIN_LETTERS = 4
MIN_LEFT = 2  # letters the clip leaves off at least: "metoprol" is a misspelling, no clip


class ClippedNames:
    """The lexicon's generic names, sorted, and every clip that begins only one of them (as
    the bytes that ``word_runs`` yields, a compact set)."""

    def __init__(self, names: Iterable[tuple[str, tuple[str, ...]]], vocab: Iterable[str]):
        """``names``: (generic name, its ids); ``vocab``: lower-case words that are no clip."""
        ids: dict[str, tuple[str, ...]] = {}
        for n, i in names:
            low = n.lower()
            # a name ending in "s" is a class or a plant ("spirostans", "carbolines")
            if _GENERIC.fullmatch(low) and not low.endswith("s"):
                ids[low] = i
        self._names = sorted(ids)
        self._ids = ids
        skip = frozenset(vocab)
        keys = set()
        names = self._names
        for i, name in enumerate(names):
            # a clip longer than what the name shares with its neighbours begins it alone
            shared = max(_common(name, names[i - 1]) if i else 0,
                         _common(name, names[i + 1]) if i + 1 < len(names) else 0)
            for k in range(max(MIN_LETTERS, shared + 1), len(name) - MIN_LEFT + 1):
                if name[:k] not in skip:
                    keys.add(name[:k].encode())
        self._keys = frozenset(keys)

    @classmethod
    def vocab_of(cls, model_dir: str | Path) -> frozenset[str]:
        """The whole words of the model folder's WordPiece vocabulary (empty without one)."""
        path = Path(model_dir) / "tokenizer.json"
        if not path.is_file():
            return frozenset()
        return frozenset(w for w in load_tokenizer(path).get_vocab() if w.isalpha())

    def name_of(self, word: str) -> str | None:
        """The one generic name that ``word`` clips, or None ("enox": enoxaparin or enoxacin)."""
        low = word.lower()
        if not low.isascii() or low.encode() not in self._keys:
            return None
        return self._names[bisect.bisect_left(self._names, low)]

    def find(self, doc: Doc, known: Iterable[tuple[int, int]] = ()
             ) -> list[tuple[int, int, str, tuple[str, ...]]]:
        """(start, end, generic name, ids) of the words of the document that clip one name,
        outside the ``known`` spans (drug names already found)."""
        present = self._keys.intersection(word_runs(doc))
        if not present:
            return []
        found = WholeForms([k.decode() for k in present], not_after="/-", not_before="/-",
                           fold_case=True).find(doc)
        taken = list(known)
        text = doc.text
        out = []
        for s, e in found:
            if not any(a < e and s < b for a, b in taken):
                name = self.name_of(text[s:e])
                if name is not None:
                    out.append((s, e, name, self._ids[name]))
        return out


def _common(a: str, b: str) -> int:
    """The length of the prefix that ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
