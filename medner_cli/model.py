"""Exported model folders: ``model.onnx``, ``tokenizer.json`` and ``config.json`` (the model card).

The shipped default is named by ``models/DEFAULT``; ``--model DIR`` or ``MEDNER_MODEL`` take any
exported folder instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from medner_cli.errors import UsageError
from medner_cli.tokenize import load_tokenizer


CARD_FORMAT = "medner-onnx-token-classification/2"


class ModelError(UsageError):
    """A model folder that cannot be used; the message says which file and why."""


def models_root() -> Path:
    """``models/`` of the source checkout, or the copy a wheel installs inside the package."""
    packaged = Path(__file__).resolve().parent / "models"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "models"


def shipped_model_dir() -> Path:
    """The model the package ships (``models/DEFAULT``), whatever ``MEDNER_MODEL`` says."""
    root = models_root()
    pointer = root / "DEFAULT"
    if not pointer.is_file():
        raise ModelError(f"no shipped model: {pointer} is missing; pass --model DIR")
    return root / pointer.read_text().strip()


def default_model_dir() -> Path:
    """``MEDNER_MODEL`` if set, else the shipped model."""
    env = os.environ.get("MEDNER_MODEL")
    return Path(env) if env else shipped_model_dir()


@dataclass
class ModelSpec:
    """What inference needs to know about a model, read from its ``config.json``."""

    path: Path
    labels: list[str]
    window: int
    overlap: int
    cls_id: int
    sep_id: int
    pad_id: int
    card: dict[str, Any]

    @property
    def runtime(self) -> dict[str, Any]:
        """The card's settings for running the model (its provenance is kept apart)."""
        return self.card["runtime"]

    def decoding(self, min_score: float | None, propagate: bool | None) -> tuple[float, bool]:
        """The threshold and propagation to use: the ones given, else the card's (chosen on dev
        at export)."""
        rt = self.runtime
        return (float(rt.get("min_score", 0.0)) if min_score is None else min_score,
                bool(rt.get("propagate", False)) if propagate is None else propagate)

    def tokenizer(self):
        return load_tokenizer(self.path / "tokenizer.json")


def weights_file(onnx_file: Path) -> Path:
    """Where an exported .onnx file keeps its weights (``model.onnx`` -> ``model.onnx.data``)."""
    return onnx_file.with_name(onnx_file.name + ".data")


def onnx_bytes(onnx_file: Path) -> int:
    """Size of an .onnx file with its external weights, if it has them."""
    data = weights_file(onnx_file)
    return onnx_file.stat().st_size + (data.stat().st_size if data.is_file() else 0)


def load_spec(path: Path | None) -> ModelSpec:
    path = Path(path) if path else default_model_dir()
    config = path / "config.json"
    for needed in (config, path / "model.onnx", path / "tokenizer.json"):
        if not needed.is_file():
            raise ModelError(f"{needed}: missing (is {path} an exported medner model folder?)")
    try:
        card = orjson.loads(config.read_bytes())
        if card.get("format") != CARD_FORMAT:
            raise ModelError(f"{config}: card format {card.get('format')!r}, expected "
                             f"{CARD_FORMAT!r} (re-export the model with this medner)")
        rt = card["runtime"]
        weights = path / str(rt.get("weights", "model.onnx"))
        if not weights.is_file():
            raise ModelError(f"{weights}: missing (model.onnx keeps its weights there; copy "
                             f"the whole model folder)")
        return ModelSpec(path, list(rt["labels"]), int(rt["window"]), int(rt["overlap"]),
                         int(rt["special_ids"]["cls"]), int(rt["special_ids"]["sep"]),
                         int(rt["special_ids"]["pad"]), card)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{config}: not a medner model card ({exc})") from exc
