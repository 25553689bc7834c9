"""pretrain -> train --base on a tiny random encoder, and the masking and text handling it relies on."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from medner_cli.cli import cli
from tiny_model import build_tiny_bert

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from medner_cli.train import pretrain as pt  # noqa: E402  (needs the [train] extra)

SENTENCES = [
    "Lithium toxicity was seen after lithium .",
    "Treatment with heparin caused bleeding in rats .",
    "Warfarin and renal failure ( acute ) were reported .",
    "Aspirin induced asthma , and hydroxy ##chloroquine was stopped .",
] * 6


@pytest.fixture
def tiny_mlm_base(tmp_path):
    """A randomly initialised 2-layer BERT whose vocabulary has word pieces and [MASK]."""
    words = sorted({w.lower() for s in SENTENCES for w in s.split() if w != "##chloroquine"})
    return build_tiny_bert(tmp_path / "base",
                           ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "##chloroquine", *words])


@pytest.mark.parametrize("tokenized, text", [
    ("( BrdU ; Boehringer Mannheim , Germany ) .", "(BrdU; Boehringer Mannheim, Germany)."),
    ("5 - bromo - 2 ' - deoxyuridine in 2 % formalin", "5-bromo-2'-deoxyuridine in 2% formalin"),
    ("the manufacturer ' s instructions [ 12 ]", "the manufacturer's instructions [12]"),
    ("a / b ratio", "a/b ratio"),
    ("no change here", "no change here"),
])
def test_detokenize_restores_written_spacing(tokenized, text):
    assert pt.detokenize(tokenized) == text


def test_whole_words_are_masked_with_all_their_pieces():
    continues = np.zeros(20, dtype=bool)
    continues[[5, 6]] = True  # ids 5 and 6 continue the word before them
    seq = np.array([1, 4, 5, 6, 7, 8, 9, 2])  # [CLS] w(4 5 6) w(7) w(8) w(9) [SEP]
    for seed in range(50):
        ids, labels = pt.mask_words(seq, continues, 0.5, 3, 20, (1, 2, 0),
                                    np.random.default_rng(seed))
        chosen = labels != -100
        assert chosen.sum() >= 2 and not chosen[[0, -1]].any()  # specials are never targets
        assert len(set(chosen[1:4])) == 1  # the three-piece word: all or none
        assert (labels[chosen] == seq[chosen]).all()
        assert (ids[~chosen] == seq[~chosen]).all()


def test_pack_fills_sequences_with_specials_at_both_ends(tiny_mlm_base):
    from medner_cli.tokenize import load_tokenizer

    tok = load_tokenizer(tiny_mlm_base / "tokenizer.json")
    seqs = pt.pack(iter(SENTENCES), tok, 16, 2, 3)
    assert all(len(s) == 16 for s in seqs[:-1]) and len(seqs[-1]) <= 16
    assert all(s[0] == 2 and s[-1] == 3 for s in seqs)
    total = sum(len(tok.encode(s, add_special_tokens=False).ids) for s in SENTENCES)
    assert sum(len(s) - 2 for s in seqs) == total  # every token lands in exactly one sequence


def test_pretrain_then_fine_tune_from_it(tmp_path, tiny_mlm_base):
    text = tmp_path / "sentences.txt"
    text.write_text("\n".join(SENTENCES) + "\n")
    run = tmp_path / "runs" / "dapt"
    runner = CliRunner()
    result = runner.invoke(cli, ["pretrain", "--sentences", str(text), "-o", str(run), "--base",
                                 str(tiny_mlm_base), "--epochs", "3", "--length", "16",
                                 "--batch-size", "4", "--lr", "1e-3", "--held-out", "4"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    meta = json.loads((run / "medner_pretrain.json").read_text())
    losses = [row["held_out_loss"] for row in meta["history"]]
    assert len(losses) == 4 and losses[-1] < losses[0]  # before training, then each epoch
    assert str(text) in meta["text_files"] and not (run / "checkpoint.pt").exists()

    gold = tmp_path / "gold.pubtator"
    gold.write_text("1|t|Lithium toxicity\n1|a|was seen after heparin.\n"
                    "1\t0\t7\tLithium\tChemical\tD1\n1\t8\t16\ttoxicity\tDisease\tD2\n"
                    "1\t32\t39\theparin\tChemical\tD3\n\n")
    result = runner.invoke(cli, ["train", "--train", str(gold), "-o", str(tmp_path / "ft"),
                                 "--base", str(run), "--epochs", "1", "--window", "12",
                                 "--overlap", "4"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    encoder = transformers.AutoModel.from_pretrained(run)
    tuned = transformers.AutoModelForTokenClassification.from_pretrained(tmp_path / "ft")
    # the fine-tune started from the pretrained encoder, not from the original base
    base = transformers.AutoModel.from_pretrained(tiny_mlm_base)
    a, b = encoder.embeddings.position_embeddings.weight, base.embeddings.position_embeddings.weight
    assert not torch.allclose(a, b)
    assert tuned.config.num_labels == 5


def test_pretrain_needs_text_and_a_mask_token(tmp_path, tiny_mlm_base):
    result = CliRunner().invoke(cli, ["pretrain", "-o", str(tmp_path / "r"), "--base",
                                      str(tiny_mlm_base)])
    assert result.exit_code != 0 and "--sentences FILE or --documents PATH" in result.output


def test_interrupted_pretraining_resumes_to_the_same_weights(tmp_path, tiny_mlm_base, monkeypatch):
    text = tmp_path / "sentences.txt"
    text.write_text("\n".join(SENTENCES) + "\n")

    def config(out):
        return pt.PretrainConfig(sentences=[str(text)], out=str(out), base=str(tiny_mlm_base),
                                 epochs=2, length=16, batch_size=4, lr=1e-3, held_out=4,
                                 checkpoint_minutes=0)

    whole = pt.pretrain(config(tmp_path / "whole"), log=lambda m: None)
    per_epoch = -(-whole["sequences"] // 4)
    assert per_epoch >= 2

    class Stop(Exception):
        pass

    real, calls = pt.mlm_loss, []

    def stop_mid_epoch_2(*args):
        if torch.is_grad_enabled():  # a training step, not the held-out loss
            calls.append(1)
            if len(calls) == per_epoch + 2:  # the second step of epoch 2
                raise Stop
        return real(*args)

    monkeypatch.setattr(pt, "mlm_loss", stop_mid_epoch_2)
    with pytest.raises(Stop):
        pt.pretrain(config(tmp_path / "cut"), log=lambda m: None)
    monkeypatch.setattr(pt, "mlm_loss", real)
    lines = []
    pt.pretrain(config(tmp_path / "cut"), log=lines.append, resume=True)
    assert lines[1].startswith("resumed at epoch 2, batch 1")
    a = transformers.AutoModelForMaskedLM.from_pretrained(tmp_path / "whole")
    b = transformers.AutoModelForMaskedLM.from_pretrained(tmp_path / "cut")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.allclose(x, y, atol=1e-6), name
