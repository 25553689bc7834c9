"""Windows, label alignment and constrained decoding: the shared core of train and annotate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from medner_cli.decode import decode, spans, transitions, viterbi
from medner_cli.doc import Entity
from medner_cli.bio import labels as bio_labels
from medner_cli.align import align, drop_overlaps
from medner_cli.tokenize import windows

LABELS = bio_labels(["Chemical", "Disease"])


@given(st.integers(1, 3000), st.integers(4, 600), st.integers(0, 200))
def test_windows_own_every_token_exactly_once(n, size, overlap):
    overlap = min(overlap, size - 1)
    wins = windows(n, size, overlap)
    owned = [i for w in wins for i in range(w.own_start, w.own_end)]
    assert owned == list(range(n))
    for w in wins:
        assert w.end - w.start <= size and w.start <= w.own_start and w.own_end <= w.end


def test_align_marks_first_token_b_and_rest_i():
    offsets = np.array([[0, 5], [6, 11], [12, 19], [20, 23]])
    ents = [Entity(6, 19, "Disease", "renal failure")]
    assert [LABELS[t] for t in align(offsets, ents, LABELS)] == ["O", "B-Disease", "I-Disease", "O"]


def test_drop_overlaps_keeps_longest():
    a, b = Entity(0, 18, "Disease", "x" * 18), Entity(10, 18, "Disease", "x" * 8)
    assert drop_overlaps([b, a]) == [a]


def _logits(rows):
    return np.log(np.array(rows, dtype=np.float32) + 1e-6)


def test_constrained_decoding_never_starts_with_i():
    # argmax would be O, I-Disease: invalid; the best valid path is found instead
    logits = _logits([[0.9, 0, 0, 0.05, 0.05], [0.1, 0, 0, 0.2, 0.7]])
    tags, _ = decode(logits, LABELS, transitions(LABELS))
    names = [LABELS[t] for t in tags]
    assert names != ["O", "I-Disease"]
    assert names in (["O", "B-Disease"], ["B-Disease", "I-Disease"], ["O", "O"])


def test_a_stray_i_starts_a_chunk():
    tags, probs = np.array([0, 4]), np.array([0.9, 0.7])  # O, I-Disease
    offsets = np.array([[0, 3], [4, 8]])
    assert spans(tags, probs, offsets, LABELS)[0][:3] == (4, 8, "Disease")


@given(st.lists(st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5), min_size=1, max_size=40))
def test_constrained_paths_are_valid_bio(rows):
    tags, _ = decode(_logits(rows), LABELS, transitions(LABELS))
    prev = "O"
    for t in tags:
        name = LABELS[t]
        if name.startswith("I-"):
            assert prev != "O" and prev[2:] == name[2:]
        prev = name


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5), min_size=1, max_size=40))
def test_decoding_finds_the_best_valid_path_of_the_whole_document(rows):
    """Stretch-wise Viterbi (or none, when the best labels are already valid) loses nothing."""
    logits = _logits(rows)
    allowed = transitions(LABELS)
    tags, _ = decode(logits, LABELS, allowed)
    logp = np.log(np.exp(logits) / np.exp(logits).sum(-1, keepdims=True) + 1e-12)
    best = viterbi(logp, allowed, len(LABELS))
    score = lambda path: float(logp[np.arange(len(path)), path].sum())  # noqa: E731
    assert score(tags) == pytest.approx(score(best), abs=1e-4)


def test_span_scores_are_mean_probabilities():
    logits = _logits([[0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [1, 0, 0, 0, 0]])
    tags, probs = decode(logits, LABELS, transitions(LABELS))
    (s, e, kind, score), = spans(tags, probs, np.array([[0, 2], [3, 5], [6, 7]]), LABELS)
    assert (s, e, kind) == (0, 5, "Chemical") and score == pytest.approx(1.0, abs=1e-4)


def test_lenient_recall_counts_gold_and_precision_counts_predictions():
    from medner_cli.metrics import evaluate

    gold = [Entity(0, 5, "D", "aaaaa"), Entity(10, 15, "D", "bbbbb")]
    pred = [Entity(0, 2, "D", "aa"), Entity(3, 5, "D", "aa")]  # both overlap only the first
    lenient = evaluate([(gold, pred)]).lenient["D"]
    assert (lenient.precision, lenient.recall) == (1.0, 0.5)


def test_entities_snap_to_whole_words_and_never_overlap():
    from medner_cli.decode import entities
    from medner_cli.doc import Doc

    doc = Doc("d", "dyskinetic LV")
    offsets = np.array([[0, 6], [6, 10], [11, 12], [12, 13]])  # dyskin ##etic l ##v
    rows = [[0, 0, 0, 1, 0], [1, 0, 0, 0, 0], [0, 0, 0, 1, 0], [0.4, 0.6, 0, 0, 0]]
    found = entities(doc, offsets, _logits(rows), LABELS, transitions(LABELS))
    assert [(e.text, e.label) for e in found] == [("dyskinetic", "Disease"), ("LV", "Disease")]


@given(st.integers(1, 3000), st.integers(4, 600), st.integers(0, 200))
def test_windows_are_few_and_overlap_enough(n, size, overlap):
    import math

    overlap = min(overlap, size - 1)
    wins = windows(n, size, overlap)
    assert len(wins) == (1 if n <= size else math.ceil((n - overlap) / (size - overlap)))
    for a, b in zip(wins, wins[1:]):
        assert a.end - b.start >= overlap - 1


def test_a_stretch_may_start_its_entity_in_the_token_before_it():
    # O ties everything at token 0 and I-Chemical at token 1; token 2 wants I-Chemical. The best
    # valid path starts the entity at token 0, outside the padded stretch around token 2.
    logits = _logits([[0, 0, 0, 0, 0], [1, 0, 1, 0, 0], [0, 0, 1, 0, 0]])
    tags, _ = decode(logits, LABELS, transitions(LABELS))
    assert [LABELS[t] for t in tags] == ["B-Chemical", "I-Chemical", "I-Chemical"]


def test_a_conjunction_at_a_chunk_edge_is_left_out_of_span_and_score():
    text = "nausea and vomiting"
    offsets = np.array([[0, 6], [7, 10], [11, 19]])
    b, i = LABELS.index("B-Disease"), LABELS.index("I-Disease")
    tags, probs = np.array([b, i, b]), np.array([1.0, 0.6, 0.5])
    assert spans(tags, probs, offsets, LABELS, text) == [(0, 6, "Disease", 1.0),
                                                        (11, 19, "Disease", 0.5)]
    # a conjunction inside a chunk stays ("renal and hepatic failure")
    text = "renal and hepatic failure"
    offsets = np.array([[0, 5], [6, 9], [10, 17], [18, 25]])
    tags, probs = np.array([b, i, i, i]), np.array([1.0, 1.0, 1.0, 1.0])
    assert spans(tags, probs, offsets, LABELS, text) == [(0, 25, "Disease", 1.0)]


def test_a_count_at_an_entity_end_is_left_out():
    from medner_cli.decode import entities
    from medner_cli.doc import Doc

    doc = Doc("d", "hypoglycemia x2 and emesis x 3; x2")
    # hypoglycemia x ##2 and emesis x 3 ; x ##2: the model stops inside "x2" or takes the count
    offsets = np.array([[0, 12], [13, 14], [14, 15], [16, 19], [20, 26], [27, 28], [29, 30],
                        [30, 31], [32, 33], [33, 34]])
    b, i, o = [0, 0, 0, 5, 0], [0, 0, 0, 0, 5], [5, 0, 0, 0, 0]
    rows = [b, i, o, o, b, i, i, o, b, i]
    found = entities(doc, offsets, _logits(rows), LABELS, transitions(LABELS))
    assert [e.text for e in found] == ["hypoglycemia", "emesis", "x2"]  # a count alone stays
