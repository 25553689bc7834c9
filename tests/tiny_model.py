"""A tiny exported model the test suite builds itself: a lookup table from token to label logits.

It has the same inputs, outputs, tokenizer and model card as a real export, so every part of
``annotate`` runs for real, and its predictions are known in advance: listed chemical words are
Chemical, listed disease words begin (or continue) a Disease, everything else is O.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from medner_cli.model import CARD_FORMAT

LABELS = ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
CHEMICALS = ["aspirin", "metformin", "lisinopril", "warfarin", "heparin", "paracetamol", "café"]
DISEASE_B = ["angina", "diabetes", "renal", "hypertension", "pneumonia", "sepsis"]
DISEASE_I = ["failure", "mellitus"]
OTHER = ["the", "patient", "was", "given", "for", "and", "with", "mg", "daily", "bid",
         "took", "a", "of", "in", "history", "on", "-", ".", ",", "(", ")", "81", "500", "10", "2"]


def build_tiny_model(folder: Path, window: int = 16, overlap: int = 4) -> Path:
    """Write ``model.onnx``, ``tokenizer.json`` and ``config.json`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    words = CHEMICALS + DISEASE_B + DISEASE_I + OTHER
    vocab = {t: i for i, t in enumerate(SPECIALS + words)}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.save(str(folder / "tokenizer.json"))

    table = np.zeros((len(vocab), len(LABELS)), dtype=np.float32)
    table[:, 0] = 4.0
    for word, label in ([(w, 1) for w in CHEMICALS] + [(w, 3) for w in DISEASE_B]
                        + [(w, 4) for w in DISEASE_I]):
        table[vocab[word]] = 0.0
        table[vocab[word], label] = 6.0
    # the mask is multiplied in so the graph uses both inputs, as a real encoder does
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["gathered"]),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axis"], ["mask3"]),
        helper.make_node("Mul", ["gathered", "mask3"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["batch", "sequence", len(LABELS)])],
        [numpy_helper.from_array(table, "table"),
         numpy_helper.from_array(np.array([2], dtype=np.int64), "axis")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))
    card = {"name": "tiny", "format": CARD_FORMAT,
            "runtime": {"labels": LABELS, "types": ["Chemical", "Disease"], "window": window,
                        "overlap": overlap, "special_ids": {"cls": 2, "sep": 3, "pad": 0},
                        "lowercase": True},
            "provenance": {"note": "built by tests/tiny_model.py"}}
    (folder / "config.json").write_text(json.dumps(card))
    return folder


def build_tiny_bert(folder: Path, pieces: list[str]) -> Path:
    """A randomly initialised 2-layer BERT (hidden size 32) with the WordPiece vocabulary
    ``pieces``, as a Hugging Face folder: a base encoder for training and pretraining tests."""
    import transformers

    tok = Tokenizer(models.WordPiece({w: i for i, w in enumerate(pieces)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(str(folder / "tokenizer.json"))
    config = transformers.BertConfig(vocab_size=len(pieces), hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=64,
                                     max_position_embeddings=64)
    transformers.BertModel(config).save_pretrained(folder)
    return folder
