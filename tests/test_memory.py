"""The mention memory: which names the build keeps, where the step adds them, and where not."""

from __future__ import annotations

import gzip
import json

import pytest
from click.testing import CliRunner

from medner_cli.cli import cli
from medner_cli.doc import Doc, Entity
from medner_cli.memory import HEADER, MEMORY, MentionMemory, memory_step, read_memory
from medner_cli.memory.bounds import NameBounds
from medner_cli.memory.build import build, main, write
from medner_cli.rules.findings import research_prose

# research prose of more than 500 characters, one paragraph
PROSE = ("We studied the effect of treatment in rats. Animals in the control group were "
         "compared with the treated group in a randomized study; results were significant "
         "and consistent with previous reports. ") * 3


def gold(text: str, *spans: tuple[str, str, int]) -> Doc:
    """A gold document with entities (word, label, occurrence number) of ``text``."""
    ents = []
    for word, label, nth in spans:
        i = -1
        for _ in range(nth + 1):
            i = text.index(word, i + 1)
        ents.append(Entity(i, i + len(word), label, word, source="gold"))
    return Doc("d", text, ents)


def test_build_keeps_names_annotated_at_half_their_occurrences_or_more():
    docs = [
        gold("Cocaine and haloperidol. Cocaine again.", ("Cocaine", "Chemical", 0),
             ("Cocaine", "Chemical", 1), ("haloperidol", "Chemical", 0)),
        gold("cocaine was given; haloperidol was not marked here; nor haloperidol.",
             ("cocaine", "Chemical", 0)),
        gold("seizures and Seizures", ("seizures", "Disease", 0), ("Seizures", "Chemical", 0)),
        gold("ACE and ACE", ("ACE", "Chemical", 0), ("ACE", "Chemical", 1)),
        gold("heart block, once", ("heart block", "Disease", 0)),
    ]
    rows = build(docs)
    # cocaine: 3 of 3 occurrences, any case; heart block: its one occurrence; haloperidol 1 of
    # 3; seizures has two labels; ACE is shorter than four characters
    assert rows == [("Chemical", "cocaine", 3, 3), ("Disease", "heart block", 1, 1)]


def test_build_counts_whole_words_only():
    # "cocaine-induced" holds no occurrence of "cocaine": hyphens join words
    docs = [gold("cocaine; cocaine-induced; cocaine", ("cocaine", "Chemical", 0),
                 ("cocaine", "Chemical", 2))]
    assert build(docs) == [("Chemical", "cocaine", 2, 2)]
    docs.append(gold("unmarked cocaine and cocaine", ))
    assert build(docs) == [("Chemical", "cocaine", 2, 4)]  # half
    docs.append(gold("cocaine unmarked", ))
    assert build(docs) == []  # 2 of 5


def test_written_file_reads_back(tmp_path):
    write(tmp_path, [("Chemical", "cocaine", 3, 3), ("Disease", "renal failure", 5, 5)], [])
    assert read_memory(tmp_path / MEMORY) == {"cocaine": "Chemical", "renal failure": "Disease"}
    first = (tmp_path / MEMORY).read_bytes()
    write(tmp_path, [("Chemical", "cocaine", 3, 3), ("Disease", "renal failure", 5, 5)], [])
    assert (tmp_path / MEMORY).read_bytes() == first  # a rebuild is byte-identical
    assert "BioCreative V CDR" in (tmp_path / "NOTICE.memory_bc5cdr.txt").read_text()


def test_bad_file_names_file_and_line(tmp_path):
    path = tmp_path / MEMORY
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(HEADER + "\nChemical\tcocaine\t3\n")
    with pytest.raises(ValueError, match=r"memory_bc5cdr.tsv.gz: line 2 has 3 fields"):
        read_memory(path)


def test_step_adds_uncovered_names_in_research_prose():
    memory = MentionMemory({"cocaine": "Chemical", "renal failure": "Disease"})
    text = "Cocaine and acute renal failure in rats. " + PROSE + "cocaine-induced cocaine"
    assert research_prose(text)
    model = [Entity(12, 31, "Disease", "acute renal failure")]
    out = memory(Doc("d", text), list(model))
    added = [e for e in out if e.source == "memory"]
    # "renal failure" lies inside the model's entity; "cocaine-induced" holds no name
    assert [(e.text, e.label) for e in added] == [("Cocaine", "Chemical"), ("cocaine", "Chemical")]
    assert added[1].start == len(text) - len("cocaine")
    assert out == sorted(out, key=lambda e: (e.start, e.end))
    for e in out:
        assert text[e.start:e.end] == e.text


def test_longer_name_wins():
    memory = MentionMemory({"renal failure": "Disease", "acute renal failure": "Disease"})
    text = "Acute renal failure. " + PROSE
    (hit,) = memory(Doc("d", text), [])
    assert hit.text == "Acute renal failure"


@pytest.mark.parametrize("text", [
    "Cocaine use.",  # a sentence: too short to tell
    "HPI: cocaine use.\nPMH: HTN.\nMeds: none.\nAllergies: NKDA.\nPlan: follow up.\n" + PROSE,
    # a note exported as one line: long, no layout, but the words of a note
    ("66M with ESRD on HD, admitted with cocaine use. Patient reports chest pain, denies "
     "fever. Seen in ED, started on heparin, will continue aspirin daily and follow-up in "
     "clinic. ") * 4,
])
def test_step_leaves_notes_and_sentences_alone(text):
    memory = MentionMemory({"cocaine": "Chemical"})
    assert memory(Doc("d", text), []) == []


def test_offsets_hold_with_unicode_and_crlf():
    memory = MentionMemory({"cocaine": "Chemical"})
    text = "İstanbul café 😀 study:\r\n" + PROSE + "COCAINE."
    (hit,) = memory(Doc("d", text), [])
    assert text[hit.start:hit.end] == hit.text == "COCAINE"


def test_shipped_memory_loads():
    from medner_cli.model import shipped_model_dir

    step = memory_step(str(shipped_model_dir()))
    assert len(step.labels) > 500 and set(step.labels.values()) == {"Chemical", "Disease"}


def test_build_command(tmp_path):
    pubtator = tmp_path / "gold.pubtator"
    pubtator.write_text("1|t|Cocaine toxicity.\n1|a|Cocaine was given.\n"
                        "1\t0\t7\tCocaine\tChemical\tD003042\n"
                        "1\t18\t25\tCocaine\tChemical\tD003042\n\n", encoding="utf-8")
    assert main(["--train", str(pubtator), "--out", str(tmp_path / "out")]) == 0
    assert read_memory(tmp_path / "out" / MEMORY) == {"cocaine": "Chemical"}
    # the thresholds are options, so other rules can be measured: cocaine has only 2
    assert main(["--train", str(pubtator), "--out", str(tmp_path / "two"),
                 "--min-annotated", "3", "--min-share", "0.9"]) == 0
    assert read_memory(tmp_path / "two" / MEMORY) == {}


@pytest.mark.parametrize("flag, on", [([], True), (["--no-memory"], False)])
def test_no_memory_switches_it_off(tiny_model, flag, on):
    # the tiny model knows no "dopamine"; the shipped memory does
    text = PROSE + "Dopamine levels were measured in the same rats. dopamine"
    result = CliRunner().invoke(cli, ["annotate", "--model", str(tiny_model), "--no-dosage",
                                      "--no-lexicon", *flag], input=text, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    found = [(e["text"], e["source"]) for e in record["entities"] if e["source"] == "memory"]
    assert found == ([("Dopamine", "memory"), ("dopamine", "memory")] if on else [])


def test_selection_leaves_the_memory_out(tiny_model, tmp_path):
    """The export's threshold sweep scores the model without the memory, which in a shipped
    build holds the dev set's own answers; ``medner eval`` runs it."""
    from medner_cli.evaluate import EvalConfig, run_eval
    from medner_cli.train.export import sweep

    text = PROSE + "Rats were exposed to acrolein."  # a name the drug lexicon lacks
    start = text.index("acrolein")
    doc = Doc("d", text, [Entity(start, start + 8, "Chemical", "acrolein", source="gold")])
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"id": "d", "text": text, "entities": [
        {"start": start, "end": start + 8, "label": "Chemical"}]}) + "\n", encoding="utf-8")
    swept = sweep(tiny_model, [doc], ["Chemical"], thresholds=(0.5,))
    assert swept[0.5, True]["strict"]["micro"]["recall"] == 0.0
    for memory, recall in ((True, 1.0), (False, 0.0)):
        result = run_eval(EvalConfig(gold=str(path), model=tiny_model, memory=memory,
                                     min_score=0.5, propagate=True))
        assert result["strict"]["micro"]["recall"] == recall


def test_a_name_whose_lower_case_is_longer_still_matches():
    # "İ".lower() is two characters; the memory folds case one character for one, as it
    # matches, so such a name is found and keeps exact offsets
    memory = MentionMemory({"abc İstanbul fever": "Disease"})
    text = PROSE + " ABC İSTANBUL FEVER."
    (hit,) = memory(Doc("d", text), [])
    assert text[hit.start:hit.end] == hit.text == "ABC İSTANBUL FEVER"


# --- name bounds ----------------------------------------------------------------------------

def _bounds() -> NameBounds:
    # a BC5CDR Disease mention, a MeSH name, and a mention the annotators gave no id ("-1")
    return NameBounds({"nonketotic hyperglycinemia": "D020158", "induced abortion": "-1"},
                      {"progressive supranuclear palsy": "D013494"})


def test_bounds_take_in_the_words_of_a_known_name_in_research_prose():
    text = ("Nonketotic hyperglycinemia and progressive supranuclear palsy after induced "
            "abortion. " + PROSE)
    doc = Doc("d", text)
    found = [doc.span(11, 26, "Disease"), doc.span(text.index("palsy") - 13, text.index("palsy")
                                                   + 5, "Disease"),
             doc.span(text.index("abortion"), text.index("abortion") + 8, "Disease")]
    assert [e.text for e in found] == ["hyperglycinemia", "supranuclear palsy", "abortion"]
    out = _bounds()(doc, found)
    assert [e.text for e in out] == ["Nonketotic hyperglycinemia",
                                     "progressive supranuclear palsy", "abortion"]
    for e in out:
        assert text[e.start:e.end] == e.text


def test_bounds_stop_at_the_entity_before_and_leave_notes_alone():
    text = "Patients given nonketotic hyperglycinemia drugs. " + PROSE
    doc = Doc("d", text)
    drug = doc.span(15, 25, "Chemical")  # an entity over the word the name would take
    dis = doc.span(26, 41, "Disease")
    assert _bounds()(doc, [drug, dis]) == [drug, dis]
    note = "HPI: nonketotic hyperglycinemia.\nPMH: HTN.\nMeds: none.\nPlan: follow up.\n" + PROSE
    ndoc = Doc("n", note)
    ent = ndoc.span(16, 31, "Disease")
    assert _bounds()(ndoc, [ent]) == [ent]


def test_bounds_join_a_known_name_the_model_split_in_two():
    text = "Nonketotic hyperglycinemia, nonketotic hyperglycinemia drugs. " + PROSE
    doc = Doc("d", text)
    halves = [doc.span(0, 10, "Disease", score=0.9), doc.span(11, 26, "Disease", score=0.7)]
    out = _bounds()(doc, halves)
    assert [(e.text, e.score) for e in out] == [("Nonketotic hyperglycinemia", 0.7)]
    # two Diseases whose union is no known name stay two; nor is a Chemical taken in
    second = text.index("nonketotic", 5)
    other = [doc.span(second, second + 10, "Chemical"), doc.span(second + 11, second + 26, "Disease"),
             doc.span(second + 27, second + 32, "Disease")]
    assert _bounds()(doc, other) == other


def test_bounds_are_an_annotation_step_left_out_of_selection():
    from medner_cli.pipeline import ANNOTATION_STEPS, ORDER

    assert "bounds" in ANNOTATION_STEPS and ORDER.index("bounds") < ORDER.index("link")
