"""``medner annotate`` as a user runs it: every input and output format, workers, bad input."""

from __future__ import annotations

import json

import orjson
import pytest
from click.testing import CliRunner

from medner_cli.cli import cli
from medner_cli.doc import Doc
from medner_cli.read import read_inputs

NOTE = "The patient was given aspirin 81 mg daily for angina.\nHistory of renal failure on lisinopril."


def invoke(args, input=None):
    return CliRunner().invoke(cli, ["annotate", *args], input=input, catch_exceptions=False)


@pytest.fixture
def notes(tmp_path):
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(NOTE)
    (folder / "sub" / "b.txt").write_bytes("Café with warfarin 2 mg\r\nand sepsis.\r\n".encode())
    return folder


def entities(record):
    return [(e["text"], e["label"]) for e in record["entities"]]


def check_offsets(record):
    for e in record["entities"]:
        assert record["text"][e["start"]:e["end"]] == e["text"]


def test_text_file_to_jsonl_on_stdout(tiny_model, notes):
    result = invoke([str(notes / "a.txt"), "--model", str(tiny_model)])
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["id"] == "a" and record["text"] == NOTE
    found = entities(record)
    assert ("aspirin", "Chemical") in found and ("angina", "Disease") in found
    assert ("renal failure", "Disease") in found and ("lisinopril", "Chemical") in found
    assert any(label == "Dosage" and "81 mg" in text for text, label in found)
    assert {e["source"] for e in record["entities"]} == {"model", "rule"}
    check_offsets(record)


def test_stdin_text_gives_jsonl(tiny_model):
    result = invoke(["--model", str(tiny_model)], input="Aspirin 81 mg daily for angina")
    record = json.loads(result.stdout)
    assert record["id"] == "stdin" and ("Aspirin", "Chemical") in entities(record)


def test_jsonl_passthrough_order_and_workers(tiny_model):
    lines = [{"id": f"n{i}", "text": f"Doc {i}: aspirin for angina." * (i % 5 + 1), "meta": {"i": i}}
             for i in range(60)]
    stdin = "".join(json.dumps(l) + "\n" for l in lines)
    one = invoke(["--input-format", "jsonl", "--model", str(tiny_model), "--workers", "1"], stdin)
    two = invoke(["--input-format", "jsonl", "--model", str(tiny_model), "--workers", "2",
                  "--chunk-size", "3"], stdin)
    assert one.exit_code == two.exit_code == 0
    out1 = [json.loads(l) for l in one.stdout.splitlines()]
    out2 = [json.loads(l) for l in two.stdout.splitlines()]
    assert [r["id"] for r in out2] == [l["id"] for l in lines]
    assert all(r["meta"] == l["meta"] for r, l in zip(out2, lines))
    assert out1 == out2


def test_brat_folder_output_and_skip_existing(tiny_model, notes, tmp_path):
    out = tmp_path / "out"
    result = invoke([str(notes), "-o", str(out), "--format", "brat", "--model", str(tiny_model)])
    assert result.exit_code == 0, result.output
    assert (out / "sub" / "b.txt").read_bytes() == (notes / "sub" / "b.txt").read_bytes()
    conf = (out / "annotation.conf").read_text()
    assert "[entities]\nChemical\nDisease\nDosage\n" in conf
    (doc,) = [d for d in read_inputs([str(out)], "brat", with_gold=True) if d.id == "a"]
    assert ("aspirin", "Chemical") in [(e.text, e.label) for e in doc.entities]
    ann = (out / "a.ann").read_text().splitlines()
    assert ann[0].split("\t")[0] == "T1" and ann[0].split("\t")[1].split()[0] in ("Chemical", "Disease", "Dosage")
    assert not list(out.rglob("*.part"))
    # resume: an existing .ann is kept, a missing one is written again
    (out / "a.ann").write_text("kept\n")
    (out / "sub" / "b.ann").unlink()
    invoke([str(notes), "-o", str(out), "--format", "brat", "--model", str(tiny_model),
            "--skip-existing"])
    assert (out / "a.ann").read_text() == "kept\n" and (out / "sub" / "b.ann").exists()


def test_brat_fragments_cross_line_breaks(tmp_path):
    from medner_cli.write import brat_ann

    doc = Doc("d", "renal\r\nfailure")
    doc.entities = [doc.span(0, 14, "Disease")]
    assert brat_ann(doc).decode() == "T1\tDisease 0 5;7 14\trenal failure\n"


def test_conll_output_reads_back_and_in_seqeval(tiny_model, notes):
    from seqeval.metrics.sequence_labeling import get_entities

    result = invoke([str(notes), "--format", "conll", "--model", str(tiny_model), "--no-dosage"])
    assert result.exit_code == 0
    blocks = result.stdout.split("-DOCSTART-\tO\n\n")
    assert blocks[0] == "" and len(blocks) == 3
    sentences = [s for b in blocks for s in b.strip("\n").split("\n\n") if s]
    tags = [[line.split("\t")[1] for line in s.splitlines()] for s in sentences]
    words = [[line.split("\t")[0] for line in s.splitlines()] for s in sentences]
    found = {(" ".join(w[a:b + 1]), t) for w, ts in zip(words, tags) for t, a, b in get_entities(ts)}
    assert {("aspirin", "Chemical"), ("renal failure", "Disease"), ("sepsis", "Disease")} <= found


def test_conll_file_output_is_atomic(tiny_model, notes, tmp_path):
    target = tmp_path / "res" / "notes.conll"
    target.parent.mkdir()
    assert invoke([str(notes), "-f", "conll", "-o", str(target), "--model", str(tiny_model)]).exit_code == 0
    assert target.read_text().startswith("-DOCSTART-\tO\n\n")
    assert [p.name for p in target.parent.iterdir()] == ["notes.conll"]


def test_pubtator_input(tiny_model, tmp_path):
    path = tmp_path / "x.pubtator"
    path.write_text("42|t|Warfarin and sepsis\n42|a|More heparin.\n42\t0\t8\tWarfarin\tChemical\tD1\n")
    record = json.loads(invoke([str(path), "--model", str(tiny_model)]).stdout)
    assert record["id"] == "42" and record["text"] == "Warfarin and sepsis More heparin."
    assert ("heparin", "Chemical") in entities(record)


def test_long_document_is_windowed_with_exact_offsets(tiny_model):
    sentence = "The patient took warfarin and heparin for angina with renal failure. "
    text = sentence * 40  # ~560 tokens against a 16-token window
    record = json.loads(invoke(["--model", str(tiny_model), "--no-dosage"], text).stdout)
    check_offsets(record)
    per_sentence = [("warfarin", "Chemical"), ("heparin", "Chemical"), ("angina", "Disease"),
                    ("renal failure", "Disease")]
    assert entities(record) == per_sentence * 40


def test_min_score_and_no_dosage(tiny_model):
    args = ["--model", str(tiny_model)]
    high = json.loads(invoke([*args, "--min-score", "0.999"], NOTE).stdout)
    assert all(e["score"] >= 0.999 or e["source"] == "rule" for e in high["entities"])
    assert len([e for e in high["entities"] if e["source"] == "model"]) < 4
    nodose = json.loads(invoke([*args, "--no-dosage"], NOTE).stdout)
    assert "Dosage" not in {e["label"] for e in nodose["entities"]}


def test_timing_table_and_json(tiny_model, tmp_path):
    target = tmp_path / "t.json"
    result = invoke(["--model", str(tiny_model), "--timing", "--timing-json", str(target)], NOTE)
    assert "docs per second" in result.stderr
    summary = json.loads(target.read_text())
    assert summary["documents"] == 1 and summary["tokens"] > 10
    # the model's stages, then each pipeline step by name (the tiny card does not propagate)
    assert list(summary["stage_seconds"]) == [
        "read", "tokenize", "infer", "decode", "lexicon", "identities", "headings", "list_items",
        "findings", "memory", "bounds", "abbreviations", "dosage", "link", "assertion", "write"]
    assert set(summary["latency_ms"]) == {"p50", "p95", "p99"}
    assert summary["entities"]["Chemical"] == 2
    assert summary["peak_rss_mb_per_worker"] > 10


def test_bad_jsonl_lines_are_reported_and_batch_goes_on(tiny_model):
    stdin = '{"id": "a", "text": "aspirin"}\n{oops\n{"id": "c"}\n{"id": "d", "text": "heparin"}\n'
    result = invoke(["--input-format", "jsonl", "--model", str(tiny_model)], stdin)
    assert result.exit_code == 1
    assert [json.loads(l)["id"] for l in result.stdout.splitlines()] == ["a", "d"]
    assert "<stdin>:2: malformed JSON" in result.stderr
    assert '<stdin>:3: text field "text" is missing' in result.stderr


def test_missing_input_exits_1_and_names_it(tiny_model, notes):
    result = invoke([str(notes / "nope.txt"), str(notes / "a.txt"), "--model", str(tiny_model)])
    assert result.exit_code == 1 and "nope.txt: no such file" in result.stderr
    assert json.loads(result.stdout)["id"] == "a"


@pytest.mark.parametrize("args, message", [
    (["--format", "brat"], "-o DIR"),
    (["--skip-existing"], "folder output"),
    (["--model", "/no/such/model"], "missing"),
])
def test_usage_errors_exit_2(tiny_model, args, message):
    full = args if "--model" in args else [*args, "--model", str(tiny_model)]
    result = invoke(["-", *full], "text")
    assert result.exit_code == 2 and message in result.output


def test_output_inside_input_folder_is_refused(tiny_model, notes):
    result = invoke([str(notes), "-o", str(notes / "out"), "-f", "brat", "--model", str(tiny_model)])
    assert result.exit_code == 2 and "inside the input folder" in result.output
    assert not (notes / "out").exists()


def test_jsonl_output_record_is_valid_orjson(tiny_model):
    result = invoke(["--model", str(tiny_model)], "µg café 😀 aspirin")
    record = orjson.loads(result.stdout_bytes)
    check_offsets(record)
    assert ("aspirin", "Chemical") in entities(record)


def test_min_score_defaults_to_the_model_card(tiny_model, tmp_path):
    import shutil

    strict = tmp_path / "strict-model"
    shutil.copytree(tiny_model, strict)
    card = json.loads((strict / "config.json").read_text())
    card["runtime"]["min_score"] = 0.999
    (strict / "config.json").write_text(json.dumps(card))
    args = ["--no-dosage"]
    n_default = len(json.loads(invoke([*args, "--model", str(tiny_model)], NOTE).stdout)["entities"])
    n_card = len(json.loads(invoke([*args, "--model", str(strict)], NOTE).stdout)["entities"])
    n_flag = len(json.loads(invoke([*args, "--model", str(strict), "--min-score", "0"], NOTE).stdout)["entities"])
    assert n_card < n_default == n_flag


def _inputs(tmp_path):
    """The same two documents in every input format annotate reads."""
    texts = {"d1": "Aspirin 81 mg daily for angina.", "d2": "Heparin and sepsis.\r\nWarfarin 2 mg."}
    folder = tmp_path / "txt"
    folder.mkdir()
    for name, text in texts.items():
        (folder / f"{name}.txt").write_bytes(text.encode())
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"id": k, "text": v}) + "\n"
                                               for k, v in texts.items()))
    brat = tmp_path / "brat"
    brat.mkdir()
    for name, text in texts.items():
        (brat / f"{name}.txt").write_bytes(text.encode())
        (brat / f"{name}.ann").write_text("T1\tChemical 0 3\tAsp\n")  # ignored on input
    (tmp_path / "in.pubtator").write_text("d1|t|Aspirin 81 mg daily\nd1|a|for angina.\n\n"
                                          "d2|t|Heparin and sepsis.\nd2|a|Warfarin 2 mg.\n")
    return {"text": [str(folder)], "jsonl": [str(tmp_path / "in.jsonl")],
            "brat": ["--input-format", "brat", str(brat)],
            "pubtator": [str(tmp_path / "in.pubtator")]}


@pytest.mark.parametrize("in_fmt", ["text", "jsonl", "brat", "pubtator"])
@pytest.mark.parametrize("out_fmt", ["jsonl", "conll", "brat"])
def test_every_input_format_to_every_output_format(tiny_model, tmp_path, in_fmt, out_fmt):
    args = _inputs(tmp_path)[in_fmt]
    out = tmp_path / "out"
    target = ["-o", str(out)] if out_fmt == "brat" else []
    result = invoke([*args, "--format", out_fmt, "--model", str(tiny_model), *target])
    assert result.exit_code == 0, result.output
    if out_fmt == "jsonl":
        records = [json.loads(l) for l in result.stdout.splitlines()]
        assert [r["id"] for r in records] == ["d1", "d2"]
        for r in records:
            check_offsets(r)
        assert ("Warfarin", "Chemical") in entities(records[1])
    elif out_fmt == "conll":
        assert result.stdout.count("-DOCSTART-\tO\n\n") == 2
        assert "Warfarin\tB-Chemical\n" in result.stdout and "sepsis\tB-Disease\n" in result.stdout
    else:
        docs = {d.id: d for d in read_inputs([str(out)], "brat", with_gold=True)}
        assert set(docs) == {"d1", "d2"}
        assert ("Warfarin", "Chemical") in [(e.text, e.label) for e in docs["d2"].entities]


def test_threads_option_gives_the_same_entities(tiny_model):
    one = invoke(["--model", str(tiny_model), "--threads", "1"], NOTE)
    two = invoke(["--model", str(tiny_model), "--threads", "2"], NOTE)
    assert one.exit_code == two.exit_code == 0 and one.stdout == two.stdout
    assert invoke(["--model", str(tiny_model), "--threads", "0"], NOTE).exit_code == 2


def test_a_model_folder_without_its_weights_file_is_a_usage_error(tiny_model, tmp_path):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    card = json.loads((folder / "config.json").read_text())
    card["runtime"]["weights"] = "model.onnx.data"
    (folder / "config.json").write_text(json.dumps(card))
    result = invoke(["-", "--model", str(folder)], "aspirin")
    assert result.exit_code == 2 and "model.onnx.data: missing" in result.output
    assert "copy the whole model folder" in result.output


def test_html_output_one_page_or_a_folder(tiny_model, notes, tmp_path):
    page = tmp_path / "view.html"
    result = invoke([str(notes), "--model", str(tiny_model), "--format", "html", "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert html.count('class="ent') >= 4 and "warfarin" in html and "<script src" not in html
    folder = tmp_path / "pages"
    result = invoke([str(notes), "--model", str(tiny_model), "--format", "html",
                     "-o", str(folder) + "/"])
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html")) == [
        "a.html", "index.html", "sub/b.html"]
    assert 'href="sub/b.html"' in (folder / "index.html").read_text()
    result = invoke([str(notes), "--model", str(tiny_model), "--format", "html",
                     "-o", str(folder) + "/", "--skip-existing"])
    assert result.exit_code == 2 and "--skip-existing cannot resume --format html" in result.output


def test_entities_from_input_are_kept_and_the_model_skipped(tiny_model):
    lines = [{"id": "g", "text": "aspirin and warfarin for angina.",
              "entities": [{"start": 12, "end": 20, "label": "Drug"},
                           {"start": 0, "end": 11, "label": "Chemical", "source": "ner-x"}]},
             {"id": "m", "text": "heparin for sepsis."}]
    src = "".join(json.dumps(l) + "\n" for l in lines)
    result = invoke(["--model", str(tiny_model), "--input-format", "jsonl",
                     "--entities-from-input"], src)
    assert result.exit_code == 0, result.output
    given, modelled = [json.loads(l) for l in result.stdout.splitlines()]
    # kept as they are (nested and foreign labels too), sorted; no model entity, no dosage merge
    assert [(e["start"], e["end"], e["label"], e["source"]) for e in given["entities"]] == [
        (0, 11, "Chemical", "ner-x"), (12, 20, "Drug", "given")]
    assert [(e["text"], e["source"]) for e in modelled["entities"]] == [
        ("heparin", "model"), ("sepsis", "model")]
    result = invoke(["--model", str(tiny_model), "--entities-from-input"], "aspirin")
    assert result.exit_code == 2 and "--input-format jsonl" in result.output
