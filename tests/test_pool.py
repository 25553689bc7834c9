"""The pool's chunking: bounded by documents and by characters, input order kept."""

from __future__ import annotations

from medner_cli.annotator import Options
from medner_cli.doc import Doc, ReadError
from medner_cli.pool import CHUNK_CHARS, _chunks, annotate_stream


def test_chunks_close_at_the_size_or_the_character_budget():
    short = [Doc(str(i), "x" * 10) for i in range(5)]
    assert [len(c) for c in _chunks(short, 2)] == [2, 2, 1]
    long = [Doc(str(i), "x" * (CHUNK_CHARS // 2)) for i in range(5)]
    assert [len(c) for c in _chunks(long, 16)] == [2, 2, 1]
    huge = [Doc("a", "x" * (3 * CHUNK_CHARS)), Doc("b", "x")]
    assert [len(c) for c in _chunks(huge, 16)] == [1, 1]


def test_read_errors_count_as_items_without_text():
    items = [ReadError("f", "bad", 1), Doc("1", "x" * CHUNK_CHARS), ReadError("f", "bad", 3)]
    assert [[type(i).__name__ for i in c] for c in _chunks(items, 16)] == [
        ["ReadError", "Doc"], ["ReadError"]]


def test_a_few_long_documents_spread_over_workers_in_order(tiny_model):
    text = "The patient was given aspirin for angina. " * (CHUNK_CHARS // 40)
    docs = [Doc(f"d{i}", text[: len(text) - i]) for i in range(4)]
    options = Options(model=tiny_model, dosage=False)
    one = [(d.id, d.entities) for d in annotate_stream([Doc(d.id, d.text) for d in docs],
                                                       options, workers=1)]
    two = [(d.id, d.entities) for d in annotate_stream([Doc(d.id, d.text) for d in docs],
                                                       options, workers=2)]
    assert [i for i, _ in two] == ["d0", "d1", "d2", "d3"] and two == one
    assert len(list(_chunks(docs, 16))) == 4  # each is its own chunk, so both workers get some


def test_chunks_of_a_list_shrink_toward_the_end_for_several_workers():
    docs = [Doc(str(i), "x" * 1_000) for i in range(40)]
    guided = [len(c) for c in _chunks(docs, 16, workers=2)]
    fixed = [len(c) for c in _chunks(iter(docs), 16, workers=2)]  # a stream: length unknown
    assert fixed == [8, 8, 8, 8, 8]
    assert sum(guided) == 40 and guided[0] == 8 and guided[-1] < guided[0]
    assert guided == sorted(guided, reverse=True)
    assert [d for c in _chunks(docs, 16, workers=2) for d in c] == docs
    assert [len(c) for c in _chunks(docs, 16, workers=1)] == fixed  # one worker: no tail to trim
