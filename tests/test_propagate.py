"""Document-level label consistency: recurrences of a tagged name get the same label."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st

from medner_cli.annotator import Model
from medner_cli.cli import cli
from medner_cli.propagate import occurrences, propagate
from medner_cli.doc import Doc


def doc_with(text: str, *spans: tuple[str, str, float], source: str = "model"):
    """A document and entities on the first occurrence of each (name, label, score)."""
    doc = Doc("d", text)
    found = []
    for name, label, score in spans:
        start = text.index(name)
        found.append(doc.span(start, start + len(name), label, score=score, source=source))
    return doc, sorted(found, key=lambda e: e.start)


def triples(found):
    return [(e.start, e.text, e.label) for e in found]


def test_recurrences_get_label_score_and_exact_offsets():
    text = "Cocaine abuse.\r\nAfter cocaine, and again cocaine; Cocaine-induced toxicity."
    doc, found = doc_with(text, ("cocaine", "Chemical", 0.97))
    out = propagate(doc, found)
    assert triples(out) == [(22, "cocaine", "Chemical"), (41, "cocaine", "Chemical")]
    assert all(e.score == 0.97 and e.source == "model" for e in out)
    assert all(text[e.start:e.end] == e.text for e in out)


def test_only_whole_words_that_no_entity_covers():
    text = "renal failure; later failure of the graft and failures; failure."
    doc = Doc("d", text)
    found = [doc.span(0, 13, "Disease", score=0.9), doc.span(21, 28, "Disease", score=0.8)]
    out = propagate(doc, found)
    # "renal failure" already holds one "failure"; "failures" is a longer word
    assert triples(out) == [(0, "renal failure", "Disease"), (21, "failure", "Disease"),
                            (56, "failure", "Disease")]


def test_longest_name_wins_and_surest_label_wins():
    text = "breast cancer; cancer; Breast cancer; breast cancer. HIT or HIT, HIT."
    doc = Doc("d", text)
    found = [doc.span(0, 13, "Disease", score=0.9), doc.span(15, 21, "Disease", score=0.9),
             doc.span(53, 56, "Chemical", score=0.6), doc.span(60, 63, "Disease", score=0.95)]
    out = propagate(doc, found)
    assert triples(out) == [(0, "breast cancer", "Disease"), (15, "cancer", "Disease"),
                            (30, "cancer", "Disease"), (38, "breast cancer", "Disease"),
                            (53, "HIT", "Chemical"), (60, "HIT", "Disease"),
                            (65, "HIT", "Disease")]


def test_rule_entities_and_one_letter_names_are_not_copied():
    doc, rules = doc_with("5 mg then 5 mg", ("5 mg", "Dosage", 1.0), source="rule")
    assert propagate(doc, rules) == rules
    doc, found = doc_with("Vitamin C and C", ("C", "Chemical", 0.9))
    assert propagate(doc, found) == found


@given(st.text(alphabet="ab é\r\n-.", max_size=60), st.integers(0, 59), st.integers(1, 4))
def test_offsets_stay_exact_and_entities_never_overlap(text, start, length):
    doc = Doc("d", text)
    end = min(start + length, len(text))
    found = [doc.span(start, end, "Chemical", score=0.9)] if start < end else []
    out = propagate(doc, found)
    assert all(text[e.start:e.end] == e.text for e in out)
    assert all(a.end <= b.start for a, b in zip(out, out[1:]))


@pytest.fixture
def forgetful_decoder(monkeypatch):
    """The decoder misses every occurrence of a name but its first, as real models sometimes do."""
    real = Model.decode

    def decode(self, doc, *args):
        seen, kept = set(), []
        for e in real(self, doc, *args):
            if e.text not in seen:
                kept.append(e)
            seen.add(e.text)
        return kept

    monkeypatch.setattr(Model, "decode", decode)


@pytest.mark.parametrize("flag, card, expected", [
    ([], {}, 1), ([], {"propagate": True}, 3), (["--propagate"], {}, 3),
    (["--no-propagate"], {"propagate": True}, 1),
])
def test_annotate_propagate_flag_and_model_card(forgetful_decoder, tiny_model, tmp_path, flag,
                                                card, expected):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    config = json.loads((model / "config.json").read_text())
    config["runtime"].update(card)
    (model / "config.json").write_text(json.dumps(config))
    text = "heparin was held; heparin restarted; no heparin."
    result = CliRunner().invoke(cli, ["annotate", "--model", str(model), "--workers", "1",
                                      "--no-dosage", "--no-lexicon", *flag], input=text,
                           catch_exceptions=False)
    record = json.loads(result.stdout)
    assert [e["text"] for e in record["entities"]] == ["heparin"] * expected


def test_eval_reports_the_propagation_it_used(forgetful_decoder, tiny_model, tmp_path):
    text = "heparin was held; heparin restarted."
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "a", "text": text, "entities": [
        {"start": 0, "end": 7, "label": "Chemical"}, {"start": 18, "end": 25, "label": "Chemical"}]}))
    runner = CliRunner()
    for flag, tp in (("--no-propagate", 1), ("--propagate", 2)):
        result = runner.invoke(cli, ["eval", str(gold), "--model", str(tiny_model), "--json",
                                     "--no-lexicon", flag], catch_exceptions=False)
        out = json.loads(result.stdout)
        assert out["strict"]["micro"]["tp"] == tp
        assert out["model"]["propagate"] is (flag == "--propagate")
    result = runner.invoke(cli, ["eval", str(gold), str(gold), "--propagate"])
    assert result.exit_code == 2 and "only when PRED is omitted" in result.output


def _regex_occurrences(text, names):
    """The reference: one alternation, longest name first, between word boundaries."""
    alternatives = "|".join(re.escape(t) for t in sorted(names, key=len, reverse=True))
    return [m.span() for m in re.finditer(rf"(?<!\w)(?:{alternatives})(?!\w)", text)]


@given(st.text(alphabet="ab _é1\r\n-.", max_size=80),
       st.sets(st.text(alphabet="ab _é1-", min_size=1, max_size=6), min_size=1, max_size=5))
def test_occurrences_find_what_one_regex_alternation_finds(text, names):
    assert occurrences(text, names) == _regex_occurrences(text, names)
