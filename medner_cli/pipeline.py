"""The steps after the model: an ordered list of named components with one signature.

A step takes a document and its entities so far and returns the new list (it may also set
fields on the entities it keeps, as linking and assertion do). Which steps run, and in which
order, is data (``ORDER``); ``annotate``, ``eval``, ``bench``, the export's threshold sweep and the
trainer's dev scoring all build their pipeline with ``build``, so a figure measured by any of them
is a figure of what ``annotate`` writes.

Why the order is what it is (docs/pipeline.md has the table): identity fields and headings go before
propagation, which would copy them, and after it, which may copy into them; list items are cut
after propagation, so a stray piece is not copied; the dosage merge comes last among the span
steps because it reads the final Chemicals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

from medner_cli.doc import Doc, Entity
from medner_cli.timing import Stats


class Step(Protocol):
    def __call__(self, doc: Doc, found: list[Entity]) -> list[Entity]: ...


def _propagate(resources: Resources) -> Step:
    from medner_cli.propagate import propagate

    return propagate


def _identities(resources: Resources) -> Step:
    from medner_cli.rules.identity import drop_identities

    return drop_identities


def _headings(resources: Resources) -> Step:
    from medner_cli.rules.layout import drop_headings

    return drop_headings


def _list_items(resources: Resources) -> Step:
    from medner_cli.rules.layout import split_list_items

    return split_list_items


def _findings(resources: Resources) -> Step:
    from medner_cli.rules.findings import note_findings

    return note_findings


def _lexicon(resources: Resources) -> Step:
    from medner_cli.lexicon import LEXICON, lexicon_step

    return lexicon_step(resources.folder_with(LEXICON))


def _memory(resources: Resources) -> Step:
    from medner_cli.memory import MEMORY, memory_step

    return memory_step(resources.folder_with(MEMORY))


def _bounds(resources: Resources) -> Step:
    from medner_cli.link import DICTIONARY
    from medner_cli.memory.bounds import name_bounds

    return name_bounds(resources.folder_with(DICTIONARY))


def _abbreviations(resources: Resources) -> Step:
    from medner_cli.link.abbreviations import abbreviation_labels

    return abbreviation_labels


def _dosage(resources: Resources) -> Step:
    from medner_cli.rules.dosage import add_dosages

    return add_dosages


def _assertion(resources: Resources) -> Step:
    from medner_cli.assertion import Assertion

    return Assertion()


def _link(resources: Resources) -> Step:
    from medner_cli.link import DICTIONARY, linker_for

    return linker_for(str(resources.folder_with(DICTIONARY)))


# name -> factory, which builds its step once per process (a step may load data files)
FACTORIES: dict[str, Callable[[Resources], Step]] = {
    "lexicon": _lexicon,
    "identities": _identities,
    "headings": _headings,
    "propagate": _propagate,
    "list_items": _list_items,
    "findings": _findings,
    "abbreviations": _abbreviations,
    "memory": _memory,
    "bounds": _bounds,
    "dosage": _dosage,
    "link": _link,
    "assertion": _assertion,
}
ORDER = ("lexicon", "identities", "headings", "propagate", "identities", "headings", "list_items",
         "findings", "memory", "bounds", "abbreviations", "dosage", "link", "assertion")
# steps that add fields to entities and never change spans: the only ones run on entities given
# in the input (``--entities-from-input``)
FIELD_STEPS = frozenset({"link", "assertion"})
# steps whose data are annotations that a shipped build takes from the development set too:
# choosing an epoch or a threshold on dev leaves them out, so the choice sees the model's own
# output rather than dev's answers
ANNOTATION_STEPS = frozenset({"memory", "bounds"})


@dataclass(frozen=True)
class Resources:
    """Where steps find their data files (lexicons, dictionaries): the model folder, else the
    shipped model's folder, so a model exported without them still gets the shipped data."""

    model_dir: Path | None = None

    def folder_with(self, name: str) -> Path:
        from medner_cli.model import ModelError, shipped_model_dir

        folders = [self.model_dir] if self.model_dir else []
        try:
            folders.append(shipped_model_dir())
        except ModelError:
            pass
        for folder in folders:
            if any((folder / n).is_file() for n in (name, name.removesuffix(".gz"))):
                return folder
        raise ModelError(f"no {name} in {' or '.join(map(str, folders)) or 'any model folder'}: "
                         "switch the step off (see medner annotate --help) or export the model "
                         "with --resources")


@dataclass(frozen=True)
class Pipeline:
    """Named steps run in order; each step's time is added to ``stats`` under its name."""

    steps: tuple[tuple[str, Step], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.steps)

    def __call__(self, doc: Doc, found: list[Entity], stats: Stats | None = None) -> list[Entity]:
        return self.run_all([doc], [found], stats)[0]

    def run_all(self, docs: Sequence[Doc], founds: Sequence[list[Entity]],
                stats: Stats | None = None, own: list[float] | None = None) -> list[list[Entity]]:
        """``self(doc, found)`` for each pair, one step over all documents before the next (as
        spaCy's ``pipe`` does): a step's code and data stay in the CPU caches from one document
        to the next, where running all steps on a document in turn made each step evict the
        others' (a third of the lexicon's time on short notes). Each document's own seconds are
        added to ``own[i]``."""
        out = list(founds)
        clock = time.perf_counter
        for name, step in self.steps:
            total = 0.0
            for i, doc in enumerate(docs):
                t0 = clock()
                out[i] = step(doc, out[i])
                spent = clock() - t0
                total += spent
                if own is not None:
                    own[i] += spent
            if stats is not None:
                stats.stages[name] = stats.stages.get(name, 0.0) + total
        return out


def build(skip: Iterable[str] = (), order: Iterable[str] = ORDER, fields_only: bool = False,
          model_dir: Path | None = None) -> Pipeline:
    """The pipeline of ``order`` less the steps named in ``skip`` (and, with ``fields_only``,
    less every step that changes spans); an unknown name is an error. Data steps load their
    files from ``model_dir`` (``Resources``)."""
    order, skip = tuple(order), set(skip)
    if fields_only:
        skip |= set(order) - FIELD_STEPS
    unknown = sorted((set(order) | skip) - FACTORIES.keys())
    if unknown:
        raise ValueError(f"unknown pipeline step(s): {', '.join(unknown)}; "
                         f"known: {', '.join(FACTORIES)}")
    made: dict[str, Step] = {}
    steps = []
    for name in order:
        if name in skip:
            continue
        if name not in made:
            made[name] = FACTORIES[name](Resources(model_dir))
        steps.append((name, made[name]))
    return Pipeline(tuple(steps))
