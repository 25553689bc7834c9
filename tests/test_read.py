"""Readers: every input format, ids, encodings and the bad-input cases a user hits."""

from __future__ import annotations

import io

import pytest

from medner_cli.doc import Doc, ReadError
from medner_cli import bio
from medner_cli.read import read_inputs

PUBTATOR = (
    "111|t|Naloxone reverses clonidine.\n"
    "111|a|Hypotension was seen.\n"
    "111\t0\t8\tNaloxone\tChemical\tD009270\n"
    "111\t18\t27\tclonidine\tChemical\tD003000\n"
    "111\t29\t40\tHypotension\tDisease\tD007022\n"
    "111\tCID\tD003000\tD007022\n"
    "\n"
    "222|t|Second.\n"
    "222|a|\n"
)


def docs(items):
    return [i for i in items if isinstance(i, Doc)]


def errors(items):
    return [i for i in items if isinstance(i, ReadError)]


def test_text_folder_ids_are_relative_paths(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("one")
    (tmp_path / "sub" / "b.txt").write_text("two")
    (tmp_path / "sub" / "b.ann").write_text("T1\tX 0 1\tt\n")
    got = docs(read_inputs([str(tmp_path)]))
    assert [(d.id, d.text) for d in got] == [("a", "one"), ("sub/b", "two")]


def test_bom_stripped_and_crlf_kept(tmp_path):
    path = tmp_path / "n.txt"
    path.write_bytes("\ufeffLine one\r\nLíne two\r\n".encode("utf-8"))
    (doc,) = docs(read_inputs([str(path)]))
    assert doc.text == "Line one\r\nLíne two\r\n"


def test_undecodable_and_empty_files_are_errors_and_batch_goes_on(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"ok \xff\xfe bad")
    (tmp_path / "b.txt").write_text("   \n")
    (tmp_path / "c.txt").write_text("fine")
    items = list(read_inputs([str(tmp_path)]))
    assert [d.id for d in docs(items)] == ["c"]
    errs = errors(items)
    assert "not valid UTF-8 at byte 3" in str(errs[0]) and "a.txt" in str(errs[0])
    assert "empty file" in str(errs[1])


def test_missing_path_is_an_error():
    (err,) = list(read_inputs(["/no/such/file.txt"]))
    assert isinstance(err, ReadError) and "no such file" in err.message


def test_jsonl_fields_ids_and_bad_lines():
    data = (b'{"id": "x", "text": "hello", "extra": [1]}\n'
            b'{"text": "no id"}\n'
            b'not json\n'
            b'\n'
            b'{"id": 5, "body": "wrong field"}\n'
            b'[1, 2]\n')
    items = list(read_inputs(["-"], "jsonl", stdin=io.BytesIO(data)))
    good = docs(items)
    assert [(d.id, d.text) for d in good] == [("x", "hello"), ("2", "no id")]
    assert good[0].fields == {"id": "x", "text": "hello", "extra": [1]}
    assert [(e.line, e.message.split(" (")[0]) for e in errors(items)] == [
        (3, "malformed JSON"), (5, 'text field "text" is missing'), (6, "line is not a JSON object")]


def test_jsonl_custom_fields(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"note_id": "n1", "note": "abc"}\n')
    (doc,) = docs(read_inputs([str(path)], text_field="note", id_field="note_id"))
    assert (doc.id, doc.text) == ("n1", "abc")


def test_pubtator_gold_offsets(tmp_path):
    path = tmp_path / "c.PubTator.txt"
    path.write_text(PUBTATOR)
    first, second = docs(read_inputs([str(path)], with_gold=True))
    assert first.id == "111" and first.text == "Naloxone reverses clonidine. Hypotension was seen."
    assert [(e.text, e.label) for e in first.entities] == [
        ("Naloxone", "Chemical"), ("clonidine", "Chemical"), ("Hypotension", "Disease")]
    assert all(first.text[e.start:e.end] == e.text for e in first.entities)
    assert second.id == "222" and second.entities == []


def test_pubtator_bad_offsets_reported_with_line(tmp_path):
    path = tmp_path / "c.pubtator"
    path.write_text("1|t|abc\n1|a|def\n1\t0\t2\tabc\tChemical\tD1\n")
    (err,) = list(read_inputs([str(path)], with_gold=True))
    assert err.line == 3 and "do not match" in err.message


def test_brat_gold(tmp_path):
    (tmp_path / "d.txt").write_text("Aspirin for\nangina pectoris")
    (tmp_path / "d.ann").write_text("T1\tChemical 0 7\tAspirin\nT2\tDisease 12 18;19 27\tangina pectoris\n"
                                    "#1\tAnnotatorNotes T1\tnote\n")
    (doc,) = docs(read_inputs([str(tmp_path)], "brat", with_gold=True))
    assert [(e.text, e.label) for e in doc.entities] == [
        ("Aspirin", "Chemical"), ("angina pectoris", "Disease")]


def test_conll_documents_and_chunks(tmp_path):
    path = tmp_path / "g.conll"
    path.write_text("-DOCSTART-\tO\n\nAspirin\tB-Chemical\ncauses\tO\nrenal\tB-Disease\n"
                    "failure\tI-Disease\n\n-DOCSTART-\tO\n\nfoo\tI-Disease\nbar\tI-Chemical\n")
    first, second = docs(read_inputs([str(path)], with_gold=True))
    assert first.text == "Aspirin causes renal failure\n"
    assert [(e.text, e.label) for e in first.entities] == [
        ("Aspirin", "Chemical"), ("renal failure", "Disease")]
    # IOB1-style stray I- tags start chunks, as seqeval reads them
    assert [(e.text, e.label) for e in second.entities] == [("foo", "Disease"), ("bar", "Chemical")]


@pytest.mark.parametrize("tags, expected", [
    (["B-A", "I-A", "O"], [(0, 2, "A")]),
    (["I-A", "I-A", "B-A"], [(0, 2, "A"), (2, 3, "A")]),
    (["B-A", "I-B"], [(0, 1, "A"), (1, 2, "B")]),
    (["O", "O"], []),
])
def test_bio_chunks(tags, expected):
    assert bio.chunks(tags) == expected
    if all(not t.startswith("I-") or i and tags[i - 1][2:] == t[2:] for i, t in enumerate(tags)):
        assert bio.tags(expected, len(tags)) == tags  # valid IOB2 comes back as it was
