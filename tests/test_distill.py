"""The distillation pieces a student run relies on: token alignment and the loss."""

from __future__ import annotations

import numpy as np
import pytest
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

from medner_cli.tokenize import Encoding, special_ids
from medner_cli.train.distill import on_student_tokens, unlabelled_documents

torch = pytest.importorskip("torch")


def test_teacher_logits_move_to_the_student_token_with_the_same_offsets():
    teacher = Encoding(np.array([5, 6, 7]), np.array([[0, 7], [8, 11], [11, 14]]))
    student = Encoding(np.array([1, 2]), np.array([[0, 7], [8, 14]]))  # "aspirin", "asthma"
    logits = np.arange(9, dtype=np.float32).reshape(3, 3)
    out = on_student_tokens(teacher, logits, student)
    assert out[0].tolist() == [0, 1, 2] and np.isnan(out[1]).all()
    same = on_student_tokens(teacher, logits, teacher)
    assert np.array_equal(same, logits)


def test_distill_loss_is_the_tempered_kl_over_tokens_with_a_target():
    from medner_cli.train.distill import distill_loss

    torch.manual_seed(0)
    student, teacher = torch.randn(1, 3, 5), torch.randn(1, 3, 5)
    assert float(distill_loss(teacher.clone(), teacher, 2.0)) == pytest.approx(0.0, abs=1e-6)
    masked = teacher.clone()
    masked[0, 1] = float("nan")
    p = torch.softmax(teacher[0, [0, 2]] / 2, -1)
    kl = (p * (p.log() - torch.log_softmax(student[0, [0, 2]] / 2, -1))).sum(-1).mean() * 4
    assert torch.allclose(distill_loss(student, masked, 2.0), kl)
    assert float(distill_loss(student, torch.full((1, 3, 5), float("nan")), 2.0)) == 0.0


def test_special_ids_follow_the_tokenizers_post_processor():
    """An MPNet vocabulary holds BERT's [CLS] too; its sequences start with <s>."""
    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "[UNK]", "[CLS]", "[SEP]", "[PAD]", "a"])}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    assert special_ids(tok) == (4, 5, 6)  # no post-processor: BERT's names
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    assert special_ids(tok) == (0, 2, 1)
    tok.post_processor = processors.BertProcessing(("[SEP]", 5), ("[CLS]", 4))
    assert special_ids(tok) == (4, 5, 6)


def test_unlabelled_pieces_are_detokenized_consecutive_sentences(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("".join(f"Sentence {i} ( x ) .\n" for i in range(7)))
    docs = unlabelled_documents([str(path)], 2, 3, seed=1)
    assert len(docs) == 2 and all(not d.entities for d in docs)
    assert docs[0].text.startswith("Sentence ") and "(x)." in docs[0].text
    starts = [int(d.text.split()[1]) for d in docs]
    assert all(s % 3 == 0 for s in starts)  # pieces start at a multiple of 3 sentences
    assert unlabelled_documents([str(path)], 2, 3, seed=1) == docs  # the seed fixes the draw
    assert len(unlabelled_documents([str(path)], 10, 3, seed=1)) == 3  # all there are


def test_the_teacher_cache_is_read_only_for_the_inputs_it_was_made_from(tmp_path):
    from medner_cli.train.distill import cache_key, load_cache, save_cache

    teacher = tmp_path / "teacher"
    teacher.mkdir()
    (teacher / "medner_train.json").write_text('{"wall_seconds": 1}')
    texts = ["aspirin asthma", "no drug"]
    student = [Encoding(np.array([1, 2]), np.array([[0, 7], [8, 14]])),
               Encoding(np.array([3, 4]), np.array([[0, 2], [3, 7]]))]
    key = cache_key(teacher, texts, student)
    arrays = [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)]
    cache = tmp_path / "teacher_logits.npz"
    save_cache(cache, arrays, key)
    assert [a.tolist() for a in load_cache(cache, key)] == [a.tolist() for a in arrays]
    other_texts = cache_key(teacher, ["aspirin asthmas", "no drug"], student)
    other_tokens = cache_key(teacher, texts, [student[0], Encoding(np.array([3]),
                                                                   np.array([[0, 7]]))])
    (teacher / "medner_train.json").write_text('{"wall_seconds": 2}')  # another teacher run
    other_teacher = cache_key(teacher, texts, student)
    for stale in (other_texts, other_tokens, other_teacher):
        assert stale != key and load_cache(cache, stale) is None
    np.savez(cache, *arrays)  # a cache without a key (an older medner) is recomputed
    assert load_cache(cache, key) is None
