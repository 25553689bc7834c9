"""One worker's annotator: tokenize -> infer -> decode spans -> drop identities and headings ->
propagate -> cut at list items -> dosage rules -> merge.

Each worker process builds one ``Annotator`` (one onnxruntime session, one tokenizer) and feeds
it chunks of documents; each window of a document is its own model call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from medner_cli.consistency import propagate
from medner_cli.decode import entities as decode_entities, transitions
from medner_cli.doc import Doc, Entity
from medner_cli.infer import OnnxRunner, doc_logits
from medner_cli.merge import merge
from medner_cli.model import load_spec
from medner_cli.rules.dosage import find_dosages
from medner_cli.rules.identity import drop_identities, field_values
from medner_cli.rules.layout import drop_headings, split_list_items
from medner_cli.timing import Stats
from medner_cli.tokenize import encode, encode_batch


@dataclass(frozen=True)
class Options:
    """What a worker needs to build its annotator; small and picklable."""

    model: Path | None = None
    dosage: bool = True
    min_score: float | None = None  # None: the model card's threshold, selected on dev
    propagate: bool | None = None  # None: the model card's choice, also made on dev
    threads: int = 1
    constrained: bool = True
    onnx_file: str = "model.onnx"


class Annotator:
    def __init__(self, options: Options = Options()) -> None:
        self.options = options
        self.spec = load_spec(options.model)
        self.tokenizer = self.spec.tokenizer()
        self.run = OnnxRunner(self.spec.path / options.onnx_file, options.threads)
        self.allowed = transitions(self.spec.labels)
        self.specials = (self.spec.cls_id, self.spec.sep_id, self.spec.pad_id)
        self.min_score, self.propagate = self.spec.decoding(options.min_score, options.propagate)

    def entities(self, texts: Sequence[str], stats: Stats | None = None) -> list[list[Entity]]:
        """Entities for each text, sorted by start; ``stats`` collects stage times."""
        stats = stats if stats is not None else Stats()
        docs = [Doc("", t) for t in texts]
        own: list[float] = [0.0] * len(docs)  # each document's own (unbatched) seconds
        t0 = time.perf_counter()
        with stats.stage("tokenize"):
            # encode_batch runs on every core; a one-thread worker must leave the others' alone
            encs = (encode_batch(self.tokenizer, list(texts)) if self.options.threads > 1
                    else [encode(self.tokenizer, t) for t in texts])
        tok_time = (time.perf_counter() - t0) / max(len(docs), 1)
        t0 = time.perf_counter()
        with stats.stage("infer"):
            # one window per model call: dynamic int8 scales a call's activations together, so
            # batching would make a document's entities depend on its neighbours
            logits = doc_logits(encs, self.run, self.spec.window, self.spec.overlap,
                                self.specials)
        infer_time = time.perf_counter() - t0
        total_tokens = sum(len(e.ids) for e in encs) or 1
        out = []
        for i, (doc, enc, lg) in enumerate(zip(docs, encs, logits)):
            t1 = time.perf_counter()
            with stats.stage("decode"):
                found = decode_entities(doc, enc.offsets, lg, self.spec.labels, self.allowed,
                                        self.options.constrained, self.min_score)
                # before propagation, which would copy them, and after, which may copy into them
                values = field_values(doc.text)
                found = drop_headings(doc, drop_identities(found, values))
                if self.propagate:
                    found = drop_headings(doc, drop_identities(propagate(doc, found), values))
                # after propagation, so a stray piece ("Type 2" of "Hypertension\n- Type 2")
                # is not copied to every "Type 2 diabetes"
                found = split_list_items(doc, found)
            with stats.stage("rules"):
                if self.options.dosage:
                    found = merge(doc, found, find_dosages(doc.text))
                else:
                    found = [e for e in found if e.label != "Dosage"]
            own[i] = time.perf_counter() - t1
            out.append(found)
            stats.tokens += len(enc.ids)
            stats.characters += len(doc.text)
            stats.documents += 1
            stats.entities.update(e.label for e in found)
        # latency per document: its own decode/rules time plus its token share of the batch
        for i, enc in enumerate(encs):
            stats.latencies.append(own[i] + tok_time + infer_time * len(enc.ids) / total_tokens)
        return out

    def annotate(self, docs: Sequence[Doc], stats: Stats | None = None) -> list[Doc]:
        """Set ``entities`` on each document (in place) and return them."""
        for doc, found in zip(docs, self.entities([d.text for d in docs], stats)):
            doc.entities = found
        return list(docs)
