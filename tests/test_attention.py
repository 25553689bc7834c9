"""The export's attention rewrite: same logits as torch's graph, without the head transposes."""

from __future__ import annotations

import json
import shutil

import numpy as np
import onnx
import pytest

from medner_cli.infer import OnnxRunner
from medner_cli.train.attention import rewrite_attention, rewrite_file
from tests.tiny_model import build_tiny_model

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """torch's ONNX export of a random 2-layer BERT token classifier (4 heads of 8)."""
    from medner_cli.train.export import quantize, to_onnx

    run = tmp_path_factory.mktemp("run")
    config = transformers.BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=4, intermediate_size=64,
                                     max_position_embeddings=64, num_labels=5)
    torch.manual_seed(0)
    transformers.BertForTokenClassification(config).save_pretrained(run)
    to_onnx(run, run / "model.fp32.onnx")
    quantize(run / "model.fp32.onnx", run / "model.onnx")
    return run


def _ops(path) -> list[onnx.NodeProto]:
    return list(onnx.load(str(path)).graph.node)


@pytest.mark.parametrize("name", ["model.fp32.onnx", "model.onnx"])
def test_rewrite_keeps_the_logits(exported, tmp_path, name):
    plain, new = exported / name, tmp_path / name
    shutil.copyfile(plain, new)
    assert rewrite_file(new, heads=4, hidden_size=32) == 2
    before, after = OnnxRunner(plain), OnnxRunner(new)
    rng = np.random.default_rng(1)
    for n in (1, 2, 7, 31, 64):
        ids = rng.integers(0, 50, size=(1, n))
        mask = np.ones_like(ids)
        np.testing.assert_allclose(after(ids, mask), before(ids, mask), rtol=1e-5, atol=1e-5)


def test_rewrite_drops_the_head_transposes_and_shape_arithmetic(exported, tmp_path):
    new = tmp_path / "model.onnx"
    shutil.copyfile(exported / "model.onnx", new)
    old_ops = [n.op_type for n in _ops(new)]
    rewrite_file(new, heads=4, hidden_size=32)
    ops = [n.op_type for n in _ops(new)]
    assert old_ops.count("Transpose") == 8 and ops.count("Transpose") == 2  # one per layer left
    assert ops.count("FusedMatMul") == 4 and ops.count("Concat") < old_ops.count("Concat")
    model = onnx.load(str(new))
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 1
    onnx.checker.check_model(model)


def test_rewritten_model_runs_an_unpadded_batch_row_by_row(exported, tmp_path):
    new = tmp_path / "model.onnx"
    shutil.copyfile(exported / "model.onnx", new)
    rewrite_file(new, heads=4, hidden_size=32)
    run = OnnxRunner(new)
    ids = np.random.default_rng(2).integers(0, 50, size=(3, 9))
    mask = np.ones_like(ids)
    rows = np.concatenate([run(ids[i:i + 1], mask[i:i + 1]) for i in range(3)])
    np.testing.assert_array_equal(run(ids, mask), rows)
    assert not np.allclose(rows[0], rows[1])  # the rows really are different windows


def test_a_graph_without_the_pattern_is_left_alone(tmp_path):
    folder = build_tiny_model(tmp_path / "tiny")
    model = onnx.load(str(folder / "model.onnx"))
    before = model.SerializeToString()
    assert rewrite_attention(model, heads=4, hidden_size=32) == 0
    assert model.SerializeToString() == before


def test_heads_that_do_not_divide_the_hidden_size_leave_the_graph_alone(exported):
    model = onnx.load(str(exported / "model.onnx"))
    before = model.SerializeToString()
    assert rewrite_attention(model, heads=5, hidden_size=32) == 0
    assert model.SerializeToString() == before


def test_export_card_says_whether_attention_was_rewritten(exported, tmp_path):
    from medner_cli.train.export import rewrite

    files = [tmp_path / "a.onnx", tmp_path / "b.onnx"]
    for f in files:
        shutil.copyfile(exported / "model.onnx", f)
    assert rewrite(json.loads((exported / "config.json").read_text()), files) == 2
    assert rewrite({"hidden_size": 32}, files) == 0  # no head count: nothing to go on
