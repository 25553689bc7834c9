"""train -> export -> quantize -> annotate on a tiny random encoder: proves the pipeline, not accuracy."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from medner_cli.cli import cli
from medner_cli.infer import OnnxRunner
from tiny_model import build_tiny_bert

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

DOCS = [
    ("1", "Aspirin induced asthma in rats.", "Treatment with heparin caused bleeding.",
     [(0, 7, "Chemical"), (16, 22, "Disease"), (47, 54, "Chemical"), (62, 70, "Disease")]),
    ("2", "Warfarin and renal failure.", "Lithium toxicity was seen after lithium.",
     [(0, 8, "Chemical"), (13, 26, "Disease"), (28, 35, "Chemical"), (28, 44, "Disease")]),
]


def pubtator(path):
    lines = []
    for pmid, title, abstract, ents in DOCS:
        text = title + " " + abstract
        lines += [f"{pmid}|t|{title}", f"{pmid}|a|{abstract}"]
        lines += [f"{pmid}\t{s}\t{e}\t{text[s:e]}\t{label}\tD0" for s, e, label in ents]
        lines.append("")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def tiny_base(tmp_path):
    """A randomly initialised 2-layer BERT with a word-level vocabulary of the fixture."""
    words = sorted({w.lower() for _, t, a, _ in DOCS for w in (t + " " + a).replace(".", " . ").split()})
    return build_tiny_bert(tmp_path / "base", ["[PAD]", "[UNK]", "[CLS]", "[SEP]", *words])


def test_train_export_annotate(tmp_path, tiny_base):
    data = tmp_path / "gold.pubtator"
    pubtator(data)
    run_dir, model_dir = tmp_path / "runs" / "tiny", tmp_path / "models" / "tiny"
    runner = CliRunner()
    for seed, folder in (("13", run_dir), ("7", tmp_path / "runs" / "tiny7")):
        result = runner.invoke(cli, ["train", "--train", str(data), "--dev", str(data), "-o",
                                     str(folder), "--base", str(tiny_base), "--epochs", "2",
                                     "--window", "12", "--overlap", "4", "--lr", "1e-3",
                                     "--batch-size", "2", "--seed", seed], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    assert "epoch 2: loss" in result.stderr
    log = json.loads((run_dir / "medner_train.json").read_text())
    assert log["labels"] == ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]
    assert len(log["history"]) == 2 and str(data) in log["training_files"]

    soup_dir = tmp_path / "runs" / "soup"
    result = runner.invoke(cli, ["soup", str(run_dir), str(tmp_path / "runs" / "tiny7"), "--dev",
                                 str(data), "-o", str(soup_dir)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    soup_log = json.loads((soup_dir / "medner_train.json").read_text())
    ingredients = [i["run"] for i in soup_log["soup"]["ingredients"]]
    assert 1 <= len(ingredients) <= 2 and len(ingredients) + len(soup_log["soup"]["rejected"]) == 2
    assert soup_log["dev_fp32"]["strict"]["micro"]["f1"] >= max(
        json.loads((tmp_path / "runs" / n / "medner_train.json").read_text())["dev_fp32"]["strict"]["micro"]["f1"]
        for n in ("tiny", "tiny7"))
    result = runner.invoke(cli, ["soup", str(run_dir), str(tmp_path / "runs" / "tiny7"), "-o",
                                 str(tmp_path / "runs" / "nodev")])
    assert result.exit_code == 2 and "needs --dev data" in result.output
    uniform_dir = tmp_path / "runs" / "uniform"  # final runs: nothing left to choose on
    result = runner.invoke(cli, ["soup", str(run_dir), str(tmp_path / "runs" / "tiny7"),
                                 "--uniform", "-o", str(uniform_dir)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "no dev data scored" in result.stderr and "nan" not in result.stderr
    uniform_log = json.loads((uniform_dir / "medner_train.json").read_text())["soup"]
    assert [i["run"] for i in uniform_log["ingredients"]] == [str(run_dir), str(tmp_path / "runs" / "tiny7")]
    assert uniform_log["rejected"] == [] and uniform_log["recipe"].startswith("uniform")
    from safetensors.numpy import load_file

    a, b, mean = (load_file(str(d / "model.safetensors"))
                  for d in (run_dir, tmp_path / "runs" / "tiny7", uniform_dir))
    floats = [k for k in mean if mean[k].dtype.kind == "f"]
    assert floats and not np.allclose(a[floats[0]], b[floats[0]])
    for key in floats:
        assert np.allclose(mean[key], (a[key] + b[key]) / 2, atol=1e-6), key
    run_dir = soup_dir

    result = runner.invoke(cli, ["export", str(run_dir), "-o", str(model_dir), "--overlap", "10"])
    assert result.exit_code == 2 and "--overlap 10 must be below" in result.output
    result = runner.invoke(cli, ["export", str(run_dir), "-o", str(model_dir), "--window", "65"])
    assert result.exit_code == 2 and "longer than the model's 64 positions" in result.output
    result = runner.invoke(cli, ["export", str(run_dir), "-o", str(model_dir), "--dev", str(data),
                                 "--set-default", "--window", "10", "--overlap", "2"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    card = json.loads((model_dir / "config.json").read_text())
    runtime, prov = card["runtime"], card["provenance"]
    assert set(prov["dev"]) >= {"fp32", "int8", "int8_at_settings"} and runtime["window"] == 10
    assert prov["hyperparameters"]["window"] == 12
    assert runtime["overlap"] == 2 and prov["hyperparameters"]["overlap"] != 2
    assert prov["attention"].startswith("2 blocks without head transposes")
    assert list(prov["training_files"]) == ["gold.pubtator"]  # names, not the trainer's paths
    assert str(tmp_path) not in json.dumps(card)
    sweep = prov["dev"]["sweep_int8_f1"]
    assert sweep[f"{runtime['min_score']} propagate={runtime['propagate']}"] == max(sweep.values())
    weights = model_dir / runtime["weights"]
    assert prov["size_bytes"]["model.onnx"] == ((model_dir / "model.onnx").stat().st_size
                                                + weights.stat().st_size)
    assert weights.stat().st_size > 0
    assert weights.stat().st_mode == (model_dir / "model.onnx").stat().st_mode  # readable alike
    assert not (model_dir / "model.fp32.onnx").exists()
    readme = (model_dir / "README.md").read_text()  # generated from the card
    assert f"window {runtime['window']} tokens" in readme and "gold.pubtator" in readme
    assert "were also training data" in readme  # the fixture trains and exports on one file
    assert not (model_dir / "model.fp32.onnx.data").exists()
    onnx_run = OnnxRunner(model_dir / "model.onnx")
    assert onnx_run.names == ["input_ids"]  # annotate never pads, so the graph has no mask
    ids = np.array([[101, 7, 8, 102], [101, 7, 102, 0]])
    with pytest.raises(ValueError, match="cannot run padded batches"):
        onnx_run(ids, (ids > 0).astype(np.int64))
    assert prov["soup"]["ingredients"]
    assert (model_dir.parent / "DEFAULT").read_text().strip() == "tiny"

    # the export's sweep runs annotate's pipeline less the memory: medner eval gives the same
    for threshold, propagate in ((0.5, True), (0.0, False)):
        result = runner.invoke(cli, ["eval", str(data), "--model", str(model_dir), "--json",
                                     "--no-memory", "--min-score", str(threshold),
                                     "--propagate" if propagate else "--no-propagate"],
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["strict"]["micro"]["f1"] == sweep[
            f"{threshold} propagate={propagate}"]

    text = "Aspirin induced asthma. " * 10
    result = runner.invoke(cli, ["annotate", "--model", str(model_dir), "--no-dosage"], input=text)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["text"] == text
    for e in record["entities"]:
        assert text[e["start"]:e["end"]] == e["text"] and e["label"] in ("Chemical", "Disease")


def test_train_rejects_bad_data(tmp_path, tiny_base):
    bad = tmp_path / "bad.pubtator"
    bad.write_text("1|t|abc\n1|a|def\n1\t0\t2\tabc\tChemical\tD1\n")
    result = CliRunner().invoke(cli, ["train", "--train", str(bad), "--dev", str(bad), "-o",
                                      str(tmp_path / "r"), "--base", str(tiny_base)])
    assert result.exit_code == 1 and "bad.pubtator:3" in result.output


def test_interrupted_run_resumes_to_the_same_model(tmp_path, tiny_base):
    """A run stopped mid-epoch and resumed ends with the weights of an uninterrupted run."""
    from medner_cli.train.trainer import CHECKPOINT, TrainConfig, train

    data = tmp_path / "gold.pubtator"
    pubtator(data)

    def config(out):
        return TrainConfig(train=[str(data)], out=str(out), base=str(tiny_base), epochs=3,
                           window=12, overlap=4, lr=1e-3, batch_size=2, checkpoint_minutes=0)

    whole = train(config(tmp_path / "whole"), log=lambda m: None)
    assert whole["selection"] == "last epoch (no dev data)" and whole["best_epoch"] == 3

    class Stop(Exception):
        pass

    def stop_in_epoch_2(message):
        if message.startswith("epoch 2:"):  # epoch 2's batches ran and were checkpointed
            raise Stop

    with pytest.raises(Stop):
        train(config(tmp_path / "cut"), log=stop_in_epoch_2)
    assert (tmp_path / "cut" / CHECKPOINT).exists()
    with pytest.raises(SystemExit, match=r"other settings \(epochs\)"):
        train(TrainConfig(**{**config(tmp_path / "cut").__dict__, "epochs": 4}), resume=True)
    lines = []
    train(config(tmp_path / "cut"), log=lines.append, resume=True)
    assert lines[1].startswith("resumed at epoch 2")
    assert not (tmp_path / "cut" / CHECKPOINT).exists()
    assert "epoch 1: loss" in (tmp_path / "cut" / "train.log").read_text()  # appended, not replaced
    a = transformers.AutoModelForTokenClassification.from_pretrained(tmp_path / "whole")
    b = transformers.AutoModelForTokenClassification.from_pretrained(tmp_path / "cut")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.allclose(x, y, atol=1e-6), name


def test_stop_epoch_keeps_that_epoch_of_the_longer_schedule(tmp_path, tiny_base):
    """--stop-epoch 1 of 3 ends where epoch 1 of the 3-epoch run stands (same learning rate
    schedule), not where a 1-epoch run ends."""
    from medner_cli.train.trainer import TrainConfig, train

    data = tmp_path / "gold.pubtator"
    pubtator(data)

    def run(name, **kw):
        cfg = TrainConfig(train=[str(data)], out=str(tmp_path / name), base=str(tiny_base),
                          window=12, overlap=4, lr=1e-3, batch_size=2, **kw)
        meta = train(cfg, log=lambda m: None)
        model = transformers.AutoModelForTokenClassification.from_pretrained(tmp_path / name)
        return meta, model.state_dict()

    stopped, a = run("stop", epochs=3, stop_epoch=1)
    assert len(stopped["history"]) == 1 and stopped["selection"] == "epoch 1 of 3 (--stop-epoch)"
    _, short = run("short", epochs=1)
    assert any(not torch.allclose(a[k], short[k]) for k in a)  # a different schedule


def test_a_resume_may_stop_earlier_but_not_after_the_weights_moved_on(tmp_path, tiny_base):
    """A run checkpointed at the end of epoch 2, resumed with --stop-epoch 2, ends with the
    weights of a run that stopped there; --stop-epoch 1 is refused, those weights are gone."""
    from medner_cli.train.trainer import CHECKPOINT, TrainConfig, train

    data = tmp_path / "gold.pubtator"
    pubtator(data)

    def config(name, **kw):
        return TrainConfig(train=[str(data)], out=str(tmp_path / name), base=str(tiny_base),
                           epochs=3, window=12, overlap=4, lr=1e-3, batch_size=2,
                           checkpoint_minutes=1e6, **kw)  # checkpoints at epoch ends only

    train(config("whole", stop_epoch=2), log=lambda m: None)

    class Stop(Exception):
        pass

    def stop_in_epoch_3(message):
        if message.startswith("epoch 3:"):
            raise Stop

    with pytest.raises(Stop):
        train(config("cut"), log=stop_in_epoch_3)
    assert (tmp_path / "cut" / CHECKPOINT).exists()
    with pytest.raises(SystemExit, match="--stop-epoch 1: .* has trained past epoch 1"):
        train(config("cut", stop_epoch=1), resume=True)
    lines = []
    meta = train(config("cut", stop_epoch=2, threads=1), log=lines.append, resume=True)
    assert lines[1].startswith("resumed at epoch 3, batch 0")
    assert meta["best_epoch"] == 2 and len(meta["history"]) == 2
    a = transformers.AutoModelForTokenClassification.from_pretrained(tmp_path / "whole")
    b = transformers.AutoModelForTokenClassification.from_pretrained(tmp_path / "cut")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.allclose(x, y, atol=1e-6), name


def test_layers_keeps_the_bases_first_layers_and_exports(tmp_path, tiny_base):
    """--layers 1 of the 2-layer base: the run keeps layer 0's weights and exports to 1 block."""
    data = tmp_path / "gold.pubtator"
    pubtator(data)
    run_dir, model_dir = tmp_path / "runs" / "shallow", tmp_path / "models" / "shallow"
    runner = CliRunner()
    args = ["train", "--train", str(data), "-o", str(run_dir), "--base", str(tiny_base),
            "--epochs", "1", "--window", "12", "--overlap", "4", "--batch-size", "2"]
    result = runner.invoke(cli, [*args, "--layers", "3"])
    assert result.exit_code != 0 and "has only 2 layers" in result.output
    result = runner.invoke(cli, [*args, "--layers", "1", "--lr", "0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    shallow = transformers.AutoModelForTokenClassification.from_pretrained(run_dir)
    base = transformers.AutoModel.from_pretrained(tiny_base)
    assert shallow.config.num_hidden_layers == 1 and len(shallow.bert.encoder.layer) == 1
    assert torch.equal(shallow.bert.encoder.layer[0].attention.self.query.weight,
                       base.encoder.layer[0].attention.self.query.weight)  # lr 0: as loaded
    result = runner.invoke(cli, ["export", str(run_dir), "-o", str(model_dir), "--window", "10",
                                 "--overlap", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    card = json.loads((model_dir / "config.json").read_text())
    assert card["provenance"]["attention"].startswith("1 blocks without head transposes")
    assert ", its first 1 layers (--layers)" in (model_dir / "README.md").read_text()


def test_partial_loss_is_cross_entropy_until_a_label_is_free():
    """Free labels only change the loss of "O" tokens of a corpus that lacks their type."""
    from medner_cli.train.data import Example
    from medner_cli.train.trainer import collate, partial_loss

    torch.manual_seed(0)
    logits = torch.randn(1, 4, 5)
    tags = torch.tensor([[-100, 0, 3, -100]])
    full = torch.nn.functional.cross_entropy(logits.view(-1, 5), tags.view(-1), ignore_index=-100)
    none = torch.zeros(1, 4, 3, dtype=torch.bool)
    assert torch.allclose(partial_loss(logits, tags, none), full)
    _, _, got_tags, allowed, soft = collate([Example(np.array([2, 5, 6, 3]), tags[0].numpy(), (1, 2))], 0)
    assert soft is None
    assert torch.equal(got_tags, tags)
    assert allowed[0, 1].tolist() == [False, True, True] and not allowed[0, 2].any()
    p = torch.softmax(logits[0, 1], -1)
    expected = (-torch.log(p[:3].sum()) - torch.log_softmax(logits[0, 2], -1)[3]) / 2
    assert torch.allclose(partial_loss(logits, tags, allowed), expected)
    assert partial_loss(logits, tags, allowed) < full


def test_a_disease_only_corpus_does_not_teach_chemicals_as_o(tmp_path, tiny_base):
    from medner_cli.train.trainer import TrainConfig, train

    data = tmp_path / "gold.pubtator"
    pubtator(data)
    ncbi = tmp_path / "ncbi.tsv"
    ncbi.write_text("Aspirin\tO\ninduced\tO\nasthma\tB-Disease\n.\tO\n\n"
                    "renal\tB-Disease\nfailure\tI-Disease\n")
    lines = []
    cfg = TrainConfig(train=[str(data), str(ncbi)], out=str(tmp_path / "r"), base=str(tiny_base),
                      epochs=1, window=12, overlap=4, batch_size=2)
    meta = train(cfg, log=lines.append)
    assert any("ncbi.tsv annotates no Chemical" in line for line in lines)
    assert meta["types"] == ["Chemical", "Disease"]
    with pytest.raises(SystemExit, match="label-smoothing"):
        train(TrainConfig(**{**cfg.__dict__, "label_smoothing": 0.1}), log=lines.append)


def test_a_student_learns_its_teachers_distributions(tmp_path, tiny_base):
    """With the teacher's term alone (weight 1), training moves the student toward the
    teacher's token distributions on gold and unlabelled windows; the run records its teacher
    and leaves no cache behind."""
    from medner_cli.tokenize import encode, load_tokenizer
    from medner_cli.train.distill import TEACHER_CACHE, distill_loss, teacher_logits
    from medner_cli.train.trainer import TrainConfig, train

    data = tmp_path / "gold.pubtator"
    pubtator(data)
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("Heparin caused asthma .\nLithium and warfarin .\nRenal failure was seen .\n" * 9)
    common = dict(window=12, overlap=4, lr=1e-3, batch_size=2)
    train(TrainConfig(train=[str(data)], out=str(tmp_path / "teacher"), base=str(tiny_base),
                      epochs=3, **common), log=lambda m: None)
    texts = [d[1] + " " + d[2] for d in DOCS] + ["Heparin caused asthma. Lithium and warfarin."]
    tok = load_tokenizer(tiny_base / "tokenizer.json")
    labels = ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]
    targets = teacher_logits(tmp_path / "teacher", labels, texts, [encode(tok, t) for t in texts])

    def gap(folder):
        student = teacher_logits(folder, labels, texts, [encode(tok, t) for t in texts])
        return float(sum(distill_loss(torch.from_numpy(s), torch.from_numpy(t), 2.0)
                         for s, t in zip(student, targets)))

    result = CliRunner().invoke(cli, [
        "train", "--train", str(data), "-o", str(tmp_path / "student"), "--base", str(tiny_base),
        "--epochs", "1", "--max-steps", "1", "--window", "12", "--overlap", "4",
        "--teacher", str(tmp_path / "teacher"), "--distill-weight", "1.0",
        "--unlabelled", str(sentences), "--unlabelled-docs", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    before = gap(tmp_path / "student")
    train(TrainConfig(train=[str(data)], out=str(tmp_path / "student"), base=str(tiny_base),
                      epochs=8, teacher=str(tmp_path / "teacher"), distill_weight=1.0,
                      unlabelled=[str(sentences)], unlabelled_docs=2, **common),
          log=lambda m: None)
    assert gap(tmp_path / "student") < 0.5 * before
    meta = json.loads((tmp_path / "student" / "medner_train.json").read_text())
    assert meta["unlabelled_documents"] == 2 and meta["teacher"]["folder"] == str(tmp_path / "teacher")
    assert not (tmp_path / "student" / TEACHER_CACHE).exists()
    model_dir = tmp_path / "student-model"
    result = CliRunner().invoke(cli, ["export", str(tmp_path / "student"), "-o", str(model_dir)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    card = (model_dir / "config.json").read_text()
    assert str(tmp_path) not in card  # the teacher and text are named without their folders
    kd = json.loads(card)["provenance"]["distillation"]
    assert kd["unlabelled_files"] == ["sentences.txt"] and kd["unlabelled_documents"] == 2
    readme = (model_dir / "README.md").read_text()
    assert "unlabelled pieces of `sentences.txt`" in readme
    assert "(no dev score)" in readme  # the teacher was trained without dev data


def test_a_teacher_must_predict_the_students_labels(tmp_path, tiny_base):
    from medner_cli.train.trainer import TrainConfig, train

    data = tmp_path / "gold.pubtator"
    pubtator(data)
    common = dict(train=[str(data)], base=str(tiny_base), epochs=1, window=12, overlap=4)
    train(TrainConfig(out=str(tmp_path / "teacher"), types=["Chemical"], **common), log=lambda m: None)
    with pytest.raises(SystemExit, match="give both the same --types"):
        train(TrainConfig(out=str(tmp_path / "s"), teacher=str(tmp_path / "teacher"), **common),
              log=lambda m: None)
    with pytest.raises(SystemExit, match="only through a --teacher"):
        train(TrainConfig(out=str(tmp_path / "s"), unlabelled=[str(data)], unlabelled_docs=1,
                          **common), log=lambda m: None)


def test_a_resumed_distillation_reads_the_teachers_cache(tmp_path, tiny_base):
    """A distillation run stopped mid-way resumes without running the teacher again and ends
    with the weights of an uninterrupted run."""
    from medner_cli.train.distill import TEACHER_CACHE
    from medner_cli.train.trainer import TrainConfig, train

    data = tmp_path / "gold.pubtator"
    pubtator(data)
    common = dict(train=[str(data)], base=str(tiny_base), window=12, overlap=4, lr=1e-3,
                  batch_size=2)
    train(TrainConfig(out=str(tmp_path / "teacher"), epochs=2, **common), log=lambda m: None)

    def config(out):
        return TrainConfig(out=str(out), epochs=3, teacher=str(tmp_path / "teacher"),
                           checkpoint_minutes=0, **common)

    train(config(tmp_path / "whole"), log=lambda m: None)

    class Stop(Exception):
        pass

    first = []

    def stop_in_epoch_2(message):
        first.append(message)
        if message.startswith("epoch 2:"):
            raise Stop

    with pytest.raises(Stop):
        train(config(tmp_path / "cut"), log=stop_in_epoch_2)
    assert (tmp_path / "cut" / TEACHER_CACHE).exists()
    assert any(m.startswith("teacher ") for m in first)
    second = []
    train(config(tmp_path / "cut"), log=second.append, resume=True)
    assert not any(m.startswith("teacher ") for m in second)
    a = transformers.AutoModelForTokenClassification.from_pretrained(tmp_path / "whole")
    b = transformers.AutoModelForTokenClassification.from_pretrained(tmp_path / "cut")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.allclose(x, y, atol=1e-6), name


def test_a_stale_teacher_cache_is_not_read(tmp_path, tiny_base):
    """A run started afresh in a folder that holds another teacher's cache (a run stopped
    mid-way) runs its own teacher, though the number of documents is the same."""
    from medner_cli.train.distill import TEACHER_CACHE
    from medner_cli.train.trainer import TrainConfig, train

    data = tmp_path / "gold.pubtator"
    pubtator(data)
    common = dict(train=[str(data)], base=str(tiny_base), window=12, overlap=4, lr=1e-3,
                  batch_size=2)
    for name, epochs in (("a", 1), ("b", 2)):
        train(TrainConfig(out=str(tmp_path / name), epochs=epochs, **common), log=lambda m: None)

    class Stop(Exception):
        pass

    def stop_in_epoch_1(message):
        if message.startswith("epoch 1:"):
            raise Stop

    run = tmp_path / "student"
    with pytest.raises(Stop):
        train(TrainConfig(out=str(run), epochs=2, teacher=str(tmp_path / "a"), **common),
              log=stop_in_epoch_1)
    assert (run / TEACHER_CACHE).exists()
    logged = []
    train(TrainConfig(out=str(run), epochs=1, teacher=str(tmp_path / "b"), **common),
          log=logged.append)
    assert any(m.startswith(f"teacher {tmp_path / 'b'}") for m in logged)
