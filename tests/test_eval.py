"""``medner eval``: scores against seqeval, error classes, model runs, pairing and bad input."""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from medner_cli.cli import cli
from medner_cli.evaluate import EvalConfig, run_eval

TAGS = ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]


def invoke(*args):
    return CliRunner().invoke(cli, ["eval", *map(str, args)], catch_exceptions=False)


def scores(*args) -> dict:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def conll(docs: list[list[list[tuple[str, str]]]]) -> str:
    """Documents of sentences of (token, tag), with -DOCSTART- between documents."""
    out = []
    for sentences in docs:
        out.append("-DOCSTART-\tO\n\n")
        for sentence in sentences:
            out.extend(f"{tok}\t{tag}\n" for tok, tag in sentence)
            out.append("\n")
    return "".join(out)


def seqeval_scores(gold: list[list[str]], pred: list[list[str]]) -> dict:
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns when a type has no predictions
        return {"precision": precision_score(gold, pred), "recall": recall_score(gold, pred),
                "f1": f1_score(gold, pred),
                "types": classification_report(gold, pred, output_dict=True, zero_division=0)}


def check_against_seqeval(tmp: Path, gold_docs, pred_tags, labels: str | None = None) -> None:
    pred_docs = [[[(tok, tag) for (tok, _), tag in zip(s, ts)] for s, ts in zip(doc, doc_tags)]
                 for doc, doc_tags in zip(gold_docs, pred_tags)]
    (tmp / "gold.conll").write_text(conll(gold_docs))
    (tmp / "pred.conll").write_text(conll(pred_docs))
    extra = ["--labels", labels] if labels else []
    got = scores(tmp / "gold.conll", tmp / "pred.conll", *extra)
    gold_seqs = [[tag for _, tag in s] for doc in gold_docs for s in doc]
    pred_seqs = [ts for doc in pred_tags for ts in doc]
    want = seqeval_scores(gold_seqs, pred_seqs)
    for key in ("precision", "recall", "f1"):
        assert got["strict"]["micro"][key] == pytest.approx(want[key], abs=1e-9)
    types = {k for k in want["types"] if not k.endswith("avg")}
    assert types <= set(got["strict"]) - {"micro"}
    for label in types:
        row = want["types"][label]
        assert got["strict"][label]["precision"] == pytest.approx(row["precision"], abs=1e-9)
        assert got["strict"][label]["recall"] == pytest.approx(row["recall"], abs=1e-9)
        assert got["strict"][label]["f1"] == pytest.approx(row["f1-score"], abs=1e-9)
        assert got["strict"][label]["support"] == row["support"]


def test_conll_scores_equal_seqeval_with_iob1_and_type_changes(tmp_path):
    words = "aspirin caused acute renal failure and angina in a diabetic patient".split()
    gold = [[list(zip(words, ["B-Chemical", "O", "B-Disease", "I-Disease", "I-Disease", "O",
                              "B-Disease", "O", "O", "B-Disease", "O"]))],
            [list(zip(words[:4], ["B-Chemical", "I-Chemical", "O", "B-Disease"])),
             list(zip(words[4:7], ["I-Disease", "O", "B-Chemical"]))]]
    pred = [[["I-Chemical", "O", "I-Disease", "I-Disease", "I-Chemical", "O",   # IOB1 starts,
              "B-Disease", "I-Disease", "O", "I-Disease", "B-Disease"]],       # a type change
            [["B-Chemical", "I-Chemical", "O", "I-Disease"],
             ["I-Disease", "O", "I-Chemical"]]]  # I- after a sentence break starts a new chunk
    check_against_seqeval(tmp_path, gold, pred)


sentence_tags = st.lists(st.sampled_from(TAGS), min_size=1, max_size=9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(sentence_tags, st.randoms(use_true_random=False)),
                         min_size=1, max_size=3), min_size=1, max_size=3))
def test_random_conll_scores_equal_seqeval(docs):
    gold_docs, pred_tags = [], []
    for doc in docs:
        gold_docs.append([[(f"w{i}", tag) for i, tag in enumerate(tags)] for tags, _ in doc])
        pred_tags.append([[rng.choice(TAGS) if rng.random() < 0.4 else tag for tag in tags]
                          for tags, rng in doc])
    with tempfile.TemporaryDirectory() as tmp:
        # seqeval scores every type either side uses; by default eval scores gold's types only
        check_against_seqeval(Path(tmp), gold_docs, pred_tags, labels="Chemical,Disease")


GOLD_PUBTATOR = """\
1|t|Aspirin and renal failure.
1|a|Heparin given for angina.
1\t0\t7\tAspirin\tChemical\tD1
1\t12\t25\trenal failure\tDisease\tD2
1\t27\t34\tHeparin\tChemical\tD3
1\t45\t51\tangina\tDisease\tD4
1\tCID\tD1\tD2

2|t|Sepsis after warfarin.
2|a|No other findings.
2\t0\t6\tSepsis\tDisease\tD5
2\t13\t21\twarfarin\tChemical\tD6

"""


def pred_jsonl(path: Path, docs: dict[str, tuple[str, list[tuple[int, int, str]]]]) -> Path:
    lines = [json.dumps({"id": i, "text": text,
                         "entities": [{"start": s, "end": e, "label": l} for s, e, l in ents]})
             for i, (text, ents) in docs.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


TEXT1 = "Aspirin and renal failure. Heparin given for angina."
TEXT2 = "Sepsis after warfarin. No other findings."


@pytest.fixture
def gold(tmp_path) -> Path:
    path = tmp_path / "gold.PubTator.txt"
    path.write_text(GOLD_PUBTATOR)
    return path


def test_jsonl_predictions_against_pubtator_gold(tmp_path, gold):
    pred = pred_jsonl(tmp_path / "pred.jsonl", {
        "2": (TEXT2, [(0, 6, "Disease"), (13, 21, "Disease")]),        # exact; wrong type
        "1": (TEXT1, [(0, 7, "Chemical"), (18, 25, "Disease"),         # exact; wrong boundary
                      (27, 40, "Disease"), (8, 11, "Chemical")])})  # type+boundary; spurious
    got = scores(gold, pred)
    assert got["documents"] == 2 and got["labels"] == ["Chemical", "Disease"]
    s, l = got["strict"], got["lenient"]
    assert (s["Chemical"]["tp"], s["Chemical"]["fp"], s["Chemical"]["fn"]) == (1, 1, 2)
    assert (s["Disease"]["tp"], s["Disease"]["fp"], s["Disease"]["fn"]) == (1, 3, 2)
    assert s["micro"]["precision"] == pytest.approx(2 / 6)
    assert s["micro"]["recall"] == pytest.approx(2 / 6)
    assert (l["Disease"]["tp"], l["Disease"]["fp"], l["Disease"]["fn"]) == (2, 2, 1)
    assert l["Disease"]["support"] == s["Disease"]["support"] == 3
    assert got["errors"] == {"wrong type": 1, "wrong boundary": 1, "wrong type and boundary": 1,
                             "missed": 1, "spurious": 1}
    assert got["ignored_predictions"] == []


def test_labels_restrict_and_list_requested_labels(tmp_path, gold):
    pred = pred_jsonl(tmp_path / "pred.jsonl", {"1": (TEXT1, [(0, 7, "Chemical"),
                                                              (45, 51, "Dosage")]),
                                                "2": (TEXT2, [])})
    got = scores(gold, pred, "--labels", "Chemical,Dosage")
    assert got["labels"] == ["Chemical", "Dosage"]
    assert set(got["strict"]) == {"Chemical", "Dosage", "micro"}
    assert got["strict"]["Dosage"]["fp"] == 1 and got["strict"]["Chemical"]["fn"] == 2
    default = scores(gold, pred)  # Dosage is not in gold, so its prediction is not scored
    assert "Dosage" not in default["strict"] and default["strict"]["micro"]["fp"] == 0


def test_brat_folders_and_table_output(tmp_path):
    for name, ann in (("gold", "T1\tChemical 0 7\tAspirin\nT2\tDisease 12 25\trenal failure\n"),
                      ("pred", "T1\tChemical 0 7\tAspirin\n")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "n1.txt").write_text(TEXT1)
        (folder / "n1.ann").write_text(ann)
    got = scores(tmp_path / "gold", tmp_path / "pred")
    assert got["strict"]["micro"]["tp"] == 1 and got["errors"]["missed"] == 1
    result = invoke(tmp_path / "gold", tmp_path / "pred")
    assert result.exit_code == 0
    assert "Chemical" in result.stdout and "micro" in result.stdout and "missed" in result.stdout


def test_model_predictions_when_pred_is_omitted(tmp_path, tiny_model):
    text = "The patient was given aspirin for angina and renal failure."
    gold = pred_jsonl(tmp_path / "gold.jsonl", {"a": (text, [
        (22, 29, "Chemical"), (34, 40, "Disease"), (45, 58, "Disease"), (4, 11, "Chemical")])})
    got = scores(gold, "--model", tiny_model)
    assert got["model"]["name"] == "tiny" and got["model"]["dosage"] is True  # as annotate
    assert got["strict"]["micro"]["tp"] == 3 and got["strict"]["micro"]["fn"] == 1
    assert got["strict"]["micro"]["fp"] == 0 and got["errors"]["missed"] == 1
    # the library call gives the same scores, and the gold entities are not touched
    again = run_eval(EvalConfig(gold=str(gold), model=tiny_model))
    assert again["strict"] == got["strict"]


def test_sentences_score_each_sentence_as_a_document(tmp_path, tiny_model):
    from medner_cli.gold import load_documents, sentence_documents

    text = "He was given aspirin. Renal\nfailure was seen. No angina."
    gold = pred_jsonl(tmp_path / "gold.jsonl", {"a": (text, [
        (13, 20, "Chemical"), (22, 35, "Disease"), (49, 55, "Disease")])})
    docs = sentence_documents(load_documents([str(gold)]))
    # the line break inside "Renal failure" keeps its two lines one document
    assert [(d.id, d.text) for d in docs] == [("a#1", "He was given aspirin."),
                                             ("a#2", "Renal\nfailure was seen."),
                                             ("a#3", "No angina.")]
    assert [(e.text, e.start) for d in docs for e in d.entities] == [
        ("aspirin", 13), ("Renal\nfailure", 0), ("angina", 3)]
    got = scores(gold, "--model", tiny_model, "--sentences")
    assert got["sentences"] is True and got["documents"] == 3
    assert got["strict"]["micro"]["support"] == 3


def test_dosage_rules_run_when_gold_has_dosage(tmp_path, tiny_model):
    text = "The patient was given aspirin 81 mg daily."
    gold = pred_jsonl(tmp_path / "gold.jsonl", {"a": (text, [(22, 29, "Chemical"),
                                                             (30, 35, "Dosage")])})
    got = scores(gold, "--model", tiny_model)
    assert got["model"]["dosage"] is True and got["labels"] == ["Chemical", "Dosage"]
    assert got["strict"]["Dosage"]["predicted"] >= 1
    off = scores(gold, "--model", tiny_model, "--no-dosage")
    assert off["model"]["dosage"] is False and off["strict"]["Dosage"]["predicted"] == 0


def test_switched_off_steps_are_not_scored(tmp_path, tiny_model):
    import json

    text = "No aspirin was given for angina."
    ents = [{"start": 3, "end": 10, "label": "Chemical", "ids": ["MESH:D001241"],
             "assertion": {"negated": True}}]
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "a", "text": text, "entities": ents}) + "\n")
    got = scores(gold, "--model", tiny_model)
    assert "linking" in got and "assertion" in got
    off = scores(gold, "--model", tiny_model, "--no-link", "--no-assertion")
    assert "linking" not in off and "assertion" not in off  # not zeros for a step never run
    from_file = scores(gold, gold)  # PRED's own fields are scored
    assert from_file["linking"]["concepts"]["Chemical"]["f1"] == 1.0
    assert from_file["assertion"]["negated"]["f1"] == 1.0


def test_missing_prediction_names_the_ids(tmp_path, gold):
    pred = pred_jsonl(tmp_path / "pred.jsonl", {"2": (TEXT2, []), "9": ("other", [])})
    result = invoke(gold, pred)
    assert result.exit_code == 1
    assert "no prediction for 1 gold document(s): 1" in result.stderr


def test_unrelated_ids_show_both_sides(tmp_path, gold):
    pred = pred_jsonl(tmp_path / "pred.jsonl", {"a": (TEXT1, []), "b": (TEXT2, [])})
    result = invoke(gold, pred)
    assert result.exit_code == 1
    assert "no gold document id is among the prediction ids (gold: 1, 2; predictions: a, b)" \
        in result.stderr


def test_different_text_names_the_document_and_position(tmp_path, gold):
    pred = pred_jsonl(tmp_path / "pred.jsonl", {"1": (TEXT1.replace("Heparin", "heparin"), []),
                                                "2": (TEXT2, [])})
    result = invoke(gold, pred)
    assert result.exit_code == 1
    assert "text differs" in result.stderr and "1 (at character 27)" in result.stderr


def test_extra_predictions_are_reported(tmp_path, gold):
    pred = pred_jsonl(tmp_path / "pred.jsonl", {"1": (TEXT1, []), "2": (TEXT2, []),
                                                "3": ("extra", [])})
    assert scores(gold, pred)["ignored_predictions"] == ["3"]


def test_repeated_ids_are_refused(tmp_path, gold):
    pred = pred_jsonl(tmp_path / "pred.jsonl", {"1": (TEXT1, []), "2": (TEXT2, [])})
    pred.write_text(pred.read_text() + pred.read_text().splitlines()[0] + "\n")
    result = invoke(gold, pred)
    assert result.exit_code == 1 and "repeated document ids" in result.stderr


def test_unreadable_gold_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.PubTator.txt"
    bad.write_text("1|t|Aspirin.\n1\t0\tx\tAspirin\tChemical\n")
    result = invoke(bad, bad)
    assert result.exit_code == 1
    assert f"{bad}:2: malformed PubTator line" in result.stderr


def test_bad_jsonl_prediction_names_line(tmp_path, gold):
    pred = tmp_path / "pred.jsonl"
    pred.write_text(json.dumps({"id": "1", "text": TEXT1}) + "\n{not json\n")
    result = invoke(gold, pred)
    assert result.exit_code == 1 and f"{pred}:2: malformed JSON" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["missing.conll"], "does not exist"),
    (["{gold}", "{gold}", "--model", "{gold_dir}"], "only when PRED is omitted"),
    (["{gold}", "--pred-format", "jsonl"], "--pred-format needs a PRED"),
    (["{gold}", "--labels", " , "], "--labels names no label"),
    (["{gold}", "--model", "{gold_dir}"], "missing"),
    (["{gold}", "--gold-format", "xml"], "Invalid value"),
    (["{gold}", "{gold}", "--sentences"], "--sentences applies only when PRED is omitted"),
])
def test_usage_errors_exit_2(gold, args, message):
    args = [a.format(gold=gold, gold_dir=gold.parent) for a in args]
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.output


def test_min_score_filters_model_entities(tmp_path, tiny_model):
    text = "The patient was given aspirin for angina."
    gold = pred_jsonl(tmp_path / "gold.jsonl", {"a": (text, [(22, 29, "Chemical")])})
    assert scores(gold, "--model", tiny_model)["strict"]["micro"]["tp"] == 1
    # the threshold is the model's: the drug lexicon still finds aspirin, unless switched off
    high = scores(gold, "--model", tiny_model, "--min-score", "1")
    assert high["strict"]["micro"]["tp"] == 1
    high = scores(gold, "--model", tiny_model, "--min-score", "1", "--no-lexicon")
    assert high["strict"]["micro"]["tp"] == 0 and high["strict"]["micro"]["fn"] == 1
    result = invoke(gold, gold, "--min-score", "0.5")
    assert result.exit_code == 2 and "apply only when PRED is omitted" in result.output
