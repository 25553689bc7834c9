"""Build the mention memory from BC5CDR PubTator annotations.

    python -m medner_cli.memory.build --train CDR_TrainingSet.PubTator.txt \
        --train CDR_DevelopmentSet.PubTator.txt --out models/minilm-l4-bc5cdr

A name is kept when, over all the texts given: it has at least ``MIN_CHARS`` characters and
starts with an ASCII letter or digit; the annotators gave it one label only; and at least
``MIN_ANNOTATED`` of its whole-word occurrences (case-insensitive; ``names_finder``), and at
least ``MIN_SHARE`` of them, are annotated with exactly that span. Writes ``memory_bc5cdr.tsv.gz``
(``label  name  annotated  occurrences``, sorted) and ``NOTICE.memory_bc5cdr.txt`` into ``--out``.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Sequence

from medner_cli.doc import Doc
from medner_cli.forms import lower_same_length, lower_text
from medner_cli.gold import load_documents
from medner_cli.link.build import corpus_parser, write_tsv
from medner_cli.memory import HEADER, MEMORY, names_finder

MIN_CHARS = 4
MIN_ANNOTATED = 1
# at least half: the model leaves untagged mostly the occurrences the annotators left too, yet
# on the train-only twin a name annotated at half its train occurrences was right at 70 % of
# the dev occurrences nothing covered (docs/model.md, 2026-12-08, later)
MIN_SHARE = 0.5
NOTICE = "NOTICE.memory_bc5cdr.txt"
NOTICE_TEXT = """\
memory_bc5cdr.tsv.gz is derived from the annotations of the BioCreative V CDR corpus (BC5CDR):
Li J, Sun Y, Johnson RJ, Sciaky D, Wei CH, Leaman R, Davis AP, Mattingly CJ, Wiegers TC, Lu Z.
BioCreative V CDR task corpus: a resource for chemical disease relation extraction. Database
(Oxford) 2016:baw068, doi:10.1093/database/baw068. The corpus is freely available for research
use; so is this file. Built from: {sources}.
"""

Row = tuple[str, str, int, int]  # label, name, annotated, occurrences


def build(docs: Sequence[Doc], min_chars: int = MIN_CHARS, min_annotated: int = MIN_ANNOTATED,
          min_share: float = MIN_SHARE) -> list[Row]:
    """The memory's rows from gold documents (see the module docstring)."""
    labels: dict[str, set[str]] = defaultdict(set)
    for doc in docs:
        for e in doc.entities:
            labels[lower_same_length(e.text)].add(e.label)
    candidates = {name: next(iter(ls)) for name, ls in labels.items()
                  if len(ls) == 1 and len(name) >= min_chars and name[:1].isascii()
                  and name[:1].isalnum() and name == " ".join(name.split())}
    finder = names_finder(candidates)
    occurrences: Counter = Counter()
    annotated: Counter = Counter()
    for doc in docs:
        low = lower_text(doc)
        gold = {(e.start, e.end) for e in doc.entities}
        for s, e in finder.occurrences(doc):
            name = low[s:e]
            occurrences[name] += 1
            annotated[name] += (s, e) in gold
    return sorted((candidates[name], name, annotated[name], n) for name, n in occurrences.items()
                  if annotated[name] >= min_annotated and annotated[name] >= min_share * n)


def write(out: Path, rows: list[Row], sources: list[Path]) -> None:
    """The memory file (gzip without a time stamp: a rebuild is byte-identical) and its notice."""
    out.mkdir(parents=True, exist_ok=True)
    write_tsv(out / MEMORY, HEADER, rows)
    (out / NOTICE).write_text(NOTICE_TEXT.format(sources=", ".join(p.name for p in sources)),
                              encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = corpus_parser("medner_cli.memory.build", __doc__)
    parser.add_argument("--min-annotated", type=int, default=MIN_ANNOTATED,
                        help=f"annotations a name needs (default {MIN_ANNOTATED})")
    parser.add_argument("--min-share", type=float, default=MIN_SHARE,
                        help=f"share of its occurrences annotated (default {MIN_SHARE})")
    args = parser.parse_args(argv)
    docs = load_documents([str(p) for p in args.train], "pubtator")
    rows = build(docs, min_annotated=args.min_annotated, min_share=args.min_share)
    write(args.out, rows, args.train)
    by_label = Counter(r[0] for r in rows)
    print(f"{args.out / MEMORY}: {len(rows)} names ("
          + ", ".join(f"{n} {label}" for label, n in sorted(by_label.items())) + ")",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
