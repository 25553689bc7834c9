"""One worker's annotator: tokenize -> infer -> decode -> the pipeline's steps.

``Model`` is the neural part (tokenizer, a runner for ONNX or PyTorch, windows, decoding);
``Annotator`` runs it and then the steps of ``pipeline.build``. Each worker process builds one
``Annotator`` (one onnxruntime session, one tokenizer) and feeds it chunks of documents; the
export's sweep and the trainer's dev scoring build theirs from the same parts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from tokenizers import Tokenizer

from medner_cli.decode import entities as decode_entities, transitions
from medner_cli.doc import Doc, Entity
from medner_cli.infer import OnnxRunner, Runner, doc_logits
from medner_cli.model import load_spec
from medner_cli.pipeline import Pipeline, build
from medner_cli.timing import Stats
from medner_cli.tokenize import Encoding, encode, encode_batch


@dataclass(frozen=True, kw_only=True)
class Options:
    """What a worker needs to build its annotator; small and picklable."""

    model: Path | None = None
    dosage: bool = True
    lexicon: bool = True
    memory: bool = True
    link: bool = True
    assertion: bool = True
    min_score: float | None = None  # None: the model card's threshold, selected on dev
    propagate: bool | None = None  # None: the model card's choice, also made on dev
    threads: int = 1
    onnx_file: str = "model.onnx"
    given: bool = False  # documents may carry their entities: only field steps run on those

    def skipped(self, propagate: bool) -> set[str]:
        """Names of the pipeline steps these options switch off."""
        return {name for name, on in (("propagate", propagate), ("dosage", self.dosage),
                                      ("lexicon", self.lexicon), ("memory", self.memory),
                                      ("bounds", self.memory), ("link", self.link),
                                      ("assertion", self.assertion))
                if not on}


class Model:
    """Tokenizer, runner and decoding of one token-classification model."""

    def __init__(self, tokenizer: Tokenizer, runner: Runner, labels: Sequence[str], window: int,
                 overlap: int, specials: tuple[int, int, int], threads: int = 1,
                 max_batch_tokens: int = 0) -> None:
        self.tokenizer, self.runner, self.labels = tokenizer, runner, list(labels)
        self.window, self.overlap, self.specials, self.threads = window, overlap, specials, threads
        self.max_batch_tokens = max_batch_tokens
        self.allowed = transitions(self.labels)

    def encode(self, texts: Sequence[str]) -> list[Encoding]:
        # encode_batch runs on every core; a one-thread worker must leave the others' alone
        if self.threads > 1:
            return encode_batch(self.tokenizer, list(texts))
        return [encode(self.tokenizer, t) for t in texts]

    def logits(self, encs: Sequence[Encoding]) -> list[np.ndarray]:
        """Per-document logits. ONNX runs one window per call (``max_batch_tokens`` 0): dynamic
        int8 scales a call's activations together, so batching would make a document's
        entities depend on its neighbours. PyTorch fp32 may batch."""
        return doc_logits(encs, self.runner, self.window, self.overlap, self.specials,
                          self.max_batch_tokens)

    def decode(self, doc: Doc, enc: Encoding, logits: np.ndarray, min_score: float) -> list[Entity]:
        return decode_entities(doc, enc.offsets, logits, self.labels, self.allowed, min_score)


class Annotator:
    """A model, its decoding threshold and the pipeline of steps after it."""

    def __init__(self, model: Model, pipeline: Pipeline, min_score: float,
                 given_pipeline: Pipeline | None = None) -> None:
        self.model, self.pipeline, self.min_score = model, pipeline, min_score
        self.given_pipeline = given_pipeline or Pipeline(())

    @classmethod
    def from_options(cls, options: Options = Options()) -> "Annotator":
        """The annotator ``medner annotate`` runs: an exported model folder and its card."""
        spec = load_spec(options.model)
        model = Model(spec.tokenizer(), OnnxRunner(spec.path / options.onnx_file, options.threads),
                      spec.labels, spec.window, spec.overlap,
                      (spec.cls_id, spec.sep_id, spec.pad_id), options.threads)
        min_score, propagate = spec.decoding(options.min_score, options.propagate)
        skip = options.skipped(propagate)
        return cls(model, build(skip=skip, model_dir=spec.path), min_score,
                   build(skip=skip, fields_only=True, model_dir=spec.path)
                   if options.given else None)

    def entities(self, texts: Sequence[str], stats: Stats | None = None,
                 given: Sequence[list[Entity] | None] | None = None) -> list[list[Entity]]:
        """Entities for each text, sorted by start; ``stats`` collects stage times.

        Where ``given[i]`` is a list, those entities are kept as they are: the model does not
        run on that text, and only the steps that add fields (linking, assertion) do.
        """
        stats = stats if stats is not None else Stats()
        if given is not None and any(g is not None for g in given):
            return self._with_given(texts, given, stats)
        docs = [Doc("", t) for t in texts]
        own: list[float] = [0.0] * len(docs)  # each document's own (unbatched) seconds
        t0 = time.perf_counter()
        with stats.stage("tokenize"):
            encs = self.model.encode(texts)
        tok_time = (time.perf_counter() - t0) / max(len(docs), 1)
        t0 = time.perf_counter()
        with stats.stage("infer"):
            logits = self.model.logits(encs)
        infer_time = time.perf_counter() - t0
        total_tokens = sum(len(e.ids) for e in encs) or 1
        decoded = []
        for i, (doc, enc, lg) in enumerate(zip(docs, encs, logits)):
            t1 = time.perf_counter()
            decoded.append(self.model.decode(doc, enc, lg, self.min_score))
            own[i] = time.perf_counter() - t1
        stats.stages["decode"] = stats.stages.get("decode", 0.0) + sum(own)
        out = self.pipeline.run_all(docs, decoded, stats, own)
        for doc, enc, found in zip(docs, encs, out):
            stats.tokens += len(enc.ids)
            stats.characters += len(doc.text)
            stats.documents += 1
            stats.entities.update(e.label for e in found)
        # latency per document: its own decode/steps time plus its token share of the batch
        for i, enc in enumerate(encs):
            stats.latencies.append(own[i] + tok_time + infer_time * len(enc.ids) / total_tokens)
        return out

    def _with_given(self, texts: Sequence[str], given: Sequence[list[Entity] | None],
                    stats: Stats) -> list[list[Entity]]:
        todo = [i for i, g in enumerate(given) if g is None]
        found = dict(zip(todo, self.entities([texts[i] for i in todo], stats))) if todo else {}
        out = []
        for i, text in enumerate(texts):
            if i in found:
                out.append(found[i])
                continue
            doc = Doc("", text)
            ents = self.given_pipeline(doc, sorted(given[i], key=lambda e: (e.start, e.end)), stats)
            stats.characters += len(text)
            stats.documents += 1
            stats.entities.update(e.label for e in ents)
            out.append(ents)
        return out

    def annotate(self, docs: Sequence[Doc], stats: Stats | None = None) -> list[Doc]:
        """Set ``entities`` on each document (in place) and return them."""
        given = [d.entities if d.given else None for d in docs]
        for doc, found in zip(docs, self.entities([d.text for d in docs], stats, given)):
            doc.entities = found
        return list(docs)
