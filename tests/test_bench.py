"""``medner bench``: the shape of its output, F1 on a known gold set, targets and clear errors.

Speed figures depend on the machine and are never asserted, only their presence and sanity.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from medner_cli.bench import DEFAULT_CHARS, DEFAULT_DOCS, BenchConfig, bench_docs, notes as footer
from medner_cli.cli import cli
from medner_cli.machine import cpuinfo

NOTES = ["The patient was given aspirin for angina.",
         "History of renal failure on lisinopril.\nStarted heparin for sepsis.",
         "Metformin for diabetes mellitus.",
         "No findings."]
# the tiny model finds aspirin, angina, renal failure, lisinopril, heparin and sepsis; gold
# lacks the last two and has "History" as a Disease: 4 right, 2 spurious, 1 missed
GOLD = {"a": [(22, 29, "Chemical"), (34, 40, "Disease")],
        "b": [(11, 24, "Disease"), (28, 38, "Chemical"), (0, 7, "Disease")]}
F1 = 2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5)
SMALL = ["--repeats", "1", "--workers-max", "2"]


def invoke(*args):
    return CliRunner().invoke(cli, ["bench", *map(str, args)], catch_exceptions=False)


def bench_json(*args) -> dict:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def notes(tmp_path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    for i, text in enumerate(NOTES):
        (folder / f"n{i}.txt").write_text(text)
    return folder


@pytest.fixture
def gold(tmp_path) -> Path:
    path = tmp_path / "gold.jsonl"
    lines = [json.dumps({"id": i, "text": NOTES[k], "entities": [
        {"start": s, "end": e, "label": label} for s, e, label in GOLD[i]]})
        for k, i in enumerate(GOLD)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_json_has_every_figure(tiny_model, notes):
    out = bench_json("--model", tiny_model, "--docs-from", notes, *SMALL)
    assert {"cpu", "cpu_flags", "cores", "onnxruntime", "python"} <= set(out["machine"])
    assert out["settings"]["documents"] == 4 and out["settings"]["sentences"] == 5
    assert out["settings"]["source"] == str(notes) and out["settings"]["workers_max"] == 2
    (row,) = out["results"]
    assert out["baseline"] == row["name"] == f"{tiny_model.name}/model.onnx"
    assert row["runtime"].startswith("onnxruntime")
    assert row["size_mb"] == pytest.approx((tiny_model / "model.onnx").stat().st_size / 1e6)
    for key in ("sentence_latency_ms", "document_latency_ms"):
        lat = row[key]
        assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"]
    assert [t["workers"] for t in row["throughput"]] == [1, 2]
    assert all(t["docs_per_s"] > 0 and t["tokens_per_s"] > 0 for t in row["throughput"])
    assert row["load_s"] > 0 and row["peak_rss_mb"] > 10
    assert row["f1"] is None and row["speedup"] == 1.0


def test_f1_on_gold_matches_eval(tiny_model, gold):
    out = bench_json("--model", tiny_model, "--gold", gold, *SMALL)
    assert out["settings"]["labels"] == ["Chemical", "Disease"]
    assert out["settings"]["dosage"] is True  # annotate's pipeline, though Dosage is not scored
    f1 = out["results"][0]["f1"]
    assert f1["micro"] == pytest.approx(F1)
    assert f1["labels"] == pytest.approx({"Chemical": 0.8, "Disease": 2 / 3})
    scored = CliRunner().invoke(cli, ["eval", str(gold), "--model", str(tiny_model), "--json"])
    assert json.loads(scored.stdout)["strict"]["micro"]["f1"] == pytest.approx(f1["micro"])


def test_default_models_include_the_fp32_export(tmp_path, tiny_model, notes, monkeypatch):
    folder = shutil.copytree(tiny_model, tmp_path / "shipped")
    shutil.copyfile(folder / "model.onnx", folder / "model.fp32.onnx")
    monkeypatch.setenv("MEDNER_MODEL", str(folder))
    out = bench_json("--docs-from", notes, "--docs", "2", "--repeats", "1", "--workers-max", "1")
    assert [r["name"] for r in out["results"]] == ["shipped/model.onnx", "shipped/model.fp32.onnx"]
    assert out["results"][1]["runtime"] == "onnxruntime fp32"
    assert out["results"][1]["path"] == str(folder / "model.fp32.onnx")
    assert out["results"][0]["speedup"] == 1.0 and out["results"][1]["speedup"] > 0


def test_markdown_renders_tables(tiny_model, gold):
    result = invoke("--model", tiny_model, "--gold", gold, *SMALL, "--markdown")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("| model | runtime | F1 | ms/sentence | docs/s | MB | sentence speed-up "
                        "| docs/s speed-up |")
    assert lines[1] == "|---|---|---:|---:|---:|---:|---:|---:|"
    cells = lines[2].strip("|").split(" | ")
    assert cells[0].strip() == f"{tiny_model.name}/model.onnx" and cells[2] == f"{F1:.4f}"
    assert cells[-1].strip() == "1.00x"
    assert "| figure |" in result.stdout and "| peak RSS MB |" in result.stdout
    assert lines[-1].startswith("Machine: ") and "onnxruntime" in lines[-1]


def test_cpuinfo_names_the_int8_extensions(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 avx avx2 "
                    "avx512f avx512_vnni\n\nprocessor\t: 1\nflags\t\t: fpu\n")
    assert cpuinfo(info) == ("Some CPU", ["avx2", "avx512f", "avx512_vnni"])
    info.write_text("model name\t: Old CPU\nflags\t\t: fpu sse2 avx\n")
    assert cpuinfo(info) == ("Old CPU", [])
    info.write_text("processor\t: 0\nFeatures\t: fp asimd\n")  # an ARM machine
    assert cpuinfo(info) == (None, None)
    assert cpuinfo(tmp_path / "missing") == (None, None)


@pytest.mark.parametrize("flags, shown", [
    (["avx2"], "Machine: X (avx2), 2 cores"),
    ([], "Machine: X (none of avx2/avx512f/avx512_vnni/avx_vnni/amx_int8), 2 cores"),
    (None, "Machine: X, 2 cores"),
])
def test_footer_says_which_int8_path_ran(flags, shown):
    settings = {"gold": None, "documents": 1, "sentences": 1, "source": "s", "repeats": 1,
                "workers_max": 1}
    result = {"machine": {"cpu": "X", "cpu_flags": flags, "cores": 2, "onnxruntime": "1",
                          "python": "3"}, "settings": settings, "baseline": "b"}
    assert footer(result).startswith(shown)


def test_rich_table_is_printed(tiny_model, notes):
    result = invoke("--model", tiny_model, "--docs-from", notes, "--docs", "2", "--repeats", "1",
                    "--workers-max", "1")
    assert result.exit_code == 0, result.output
    assert "Key results" in result.stdout and "Machine:" in result.stdout


def test_document_sources_and_caps(notes):
    docs, source = bench_docs(BenchConfig(docs_from=str(notes), docs=3))
    assert len(docs) == 3 and source == str(notes)
    docs, _ = bench_docs(BenchConfig())  # sample_notes/ or the built-in sentences
    assert 0 < len(docs) <= DEFAULT_DOCS
    assert len(docs) <= 2 or sum(len(d.text) for d in docs) <= DEFAULT_CHARS


@pytest.mark.parametrize("args, code, message", [
    (["--json", "--markdown"], 2, "cannot be combined"),
    (["--gold", "{gold}", "--docs-from", "{gold}"], 2, "drop --docs-from"),
    (["--model", "{tmp}"], 2, "config.json: missing"),
    (["--model", "{tmp}/gold.jsonl"], 2, "config.json: missing"),
    (["--docs", "0"], 2, "Invalid value for '--docs'"),
])
def test_usage_errors(tmp_path, gold, args, code, message):
    result = invoke(*[a.format(gold=gold, tmp=tmp_path) for a in args])
    assert result.exit_code == code and message in result.output


def test_unreadable_gold_names_file_and_line(tmp_path, tiny_model):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "aspirin"}\n{"id": 2\n')
    result = invoke("--model", tiny_model, "--gold", bad)
    assert result.exit_code == 1 and f"{bad}:2: malformed JSON" in result.stderr


def test_hf_baseline_without_transformers_is_explained(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)  # makes `import transformers` fail
    result = invoke("--model", tiny_model, "--hf-baseline", tmp_path)
    assert result.exit_code == 2  # an option this installation cannot serve
    assert "--hf-baseline needs torch and transformers" in result.output


def _tiny_hf_checkpoint(folder: Path, tiny_model: Path) -> Path:
    """A random 1-layer BERT over the tiny model's vocabulary, saved as a training run is."""
    from transformers import BertConfig, BertForTokenClassification, PreTrainedTokenizerFast

    from tiny_model import LABELS

    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(tiny_model / "tokenizer.json"),
                                        unk_token="[UNK]", pad_token="[PAD]",
                                        cls_token="[CLS]", sep_token="[SEP]")
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=64,
                        id2label=dict(enumerate(LABELS)),
                        label2id={label: i for i, label in enumerate(LABELS)})
    BertForTokenClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_hf_baseline_row(tmp_path, tiny_model, gold):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    checkpoint = _tiny_hf_checkpoint(tmp_path / "run", tiny_model)
    # in a child process, so PyTorch's threads never live in the test process that forks pools
    proc = subprocess.run(
        [sys.executable, "-m", "medner_cli", "bench", "--model", str(tiny_model),
         "--hf-baseline", str(checkpoint), "--gold", str(gold), "--repeats", "1",
         "--workers-max", "1", "--json"],
        capture_output=True, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    hf, onnx = out["results"]
    assert out["baseline"] == hf["name"] == "run (HF)" and "PyTorch" in hf["runtime"]
    assert {"torch", "transformers"} <= set(out["machine"])
    assert hf["speedup"] == 1.0 and onnx["speedup"] > 0
    assert hf["size_mb"] > 0 and hf["peak_rss_mb"] > 10
    assert 0.0 <= hf["f1"]["micro"] <= 1.0 and onnx["f1"]["micro"] == pytest.approx(F1)
