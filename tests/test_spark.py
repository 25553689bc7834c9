"""``medner_cli.spark`` and ``medner spark`` on ``local[2]``: the rows are ``medner annotate``'s.

One SparkSession serves the module (the CLI tests run in-process and reuse it); the documents are
the paragraphs of ``sample_notes/`` plus synthetic sentences with accents, CJK and emoji.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from medner_cli.cli import cli

NOTES = Path(__file__).resolve().parent.parent / "sample_notes"
HAVE_PYSPARK = importlib.util.find_spec("pyspark") is not None
HAVE_JAVA = bool(shutil.which("java") or (os.environ.get("JAVA_HOME") and Path(
    os.environ["JAVA_HOME"], "bin", "java").is_file()))
needs_spark = [
    pytest.mark.skipif(not HAVE_PYSPARK, reason="pyspark is not installed (pip install '.[spark]')"),
    pytest.mark.skipif(not HAVE_JAVA, reason="no JVM: java is not on PATH and JAVA_HOME is unset"),
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]
KEYS = ("id", "start", "end", "label", "text", "score", "source")
ASSERTIONS = ("negated", "uncertain", "historical", "hypothetical", "family")

DRUGS = ["aspirin", "metformin", "lisinopril", "warfarin", "heparin", "paracetamol",
         "amoxicillin", "atorvastatin", "furosemide", "insulin glargine"]
DISEASES = ["angina", "type 2 diabetes", "hypertension", "pneumonia", "sepsis", "renal failure",
            "atrial fibrillation", "asthma", "heart failure", "cellulitis"]
DOSES = ["81 mg daily", "500 mg bid", "10 mg once daily", "2 g IV q8h", "40 mg PO", "5 mg"]
TEMPLATES = [
    "The patient was given {drug} {dose} for {disease}.",
    "Café 😀 visit: started {drug} {dose}; history of {disease}.",
    "Naïve to {drug} — no {disease} 🙂, temp 38.2 °C, β-blocker held.",
    "患者 with {disease} took {drug} {dose} ✅ and tolerated it.",
    "Denies {disease}.\r\nPlan: continue {drug} {dose}.\r\n",
    "🚑🚑 Transferred for {disease}; {drug} {dose} given en route.",
    "No entities here, only a plain sentence about the weather.",
]


def documents(n_synthetic: int = 140) -> list[tuple[str, str]]:
    """(id, text): every sample-note paragraph, then synthetic sentences."""
    paragraphs = []
    for path in sorted(NOTES.glob("*.txt")):
        text = path.read_bytes().decode("utf-8-sig")
        paragraphs += [p for p in re.split(r"(?:\r?\n){2,}", text) if p.strip()]
    rng = random.Random(7)
    synthetic = [rng.choice(TEMPLATES).format(drug=rng.choice(DRUGS), dose=rng.choice(DOSES),
                                              disease=rng.choice(DISEASES))
                 for _ in range(n_synthetic)]
    return [(f"d{i:04d}", t) for i, t in enumerate(paragraphs + synthetic)]


@pytest.fixture(scope="module")
def spark():
    if not (HAVE_PYSPARK and HAVE_JAVA):
        pytest.skip("pyspark or Java missing")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers import this medner
    session = (SparkSession.builder.master("local[2]").appName("medner-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def docs() -> list[tuple[str, str]]:
    return documents()


@pytest.fixture(scope="module")
def reference(docs, tmp_path_factory) -> list[tuple]:
    """``medner annotate``'s JSONL entities for ``docs`` (one worker, one thread, as a task)."""
    path = tmp_path_factory.mktemp("ref") / "docs.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in docs))
    result = CliRunner().invoke(cli, ["annotate", str(path), "--workers", "1", "--threads", "1",
                                      "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return sorted((r["id"], e["start"], e["end"], e["label"], e["text"], e["score"], e["source"])
                  for r in map(json.loads, result.stdout.splitlines()) for e in r["entities"])


@pytest.fixture(scope="module")
def rows(spark, docs) -> list:
    from medner_cli.spark import annotate

    df = spark.createDataFrame(docs, "id string, text string").repartition(4)
    return annotate(df).collect()


def _tuples(rows) -> list[tuple]:
    return sorted(tuple(r[k] for k in KEYS) for r in rows)


@pytest.mark.usefixtures("spark")
class TestDataFrame:
    pytestmark = needs_spark

    def test_rows_equal_annotate_jsonl(self, rows, reference, docs):
        assert len(docs) >= 300 and len(reference) > 1000
        assert all(r["error"] is None for r in rows)
        assert _tuples(rows) == reference
        labels = {r["label"] for r in rows}
        assert labels == {"Chemical", "Disease", "Dosage"}
        for r in rows:  # no linking or assertion step in the default pipeline yet
            assert r["ids"] is None or all(isinstance(x, str) for x in r["ids"])
            assert all(r[k] is None or isinstance(r[k], bool) for k in ASSERTIONS)
        dosage = [r for r in rows if r["label"] == "Dosage"]
        assert dosage and all(json.loads(r["attrs"]) for r in dosage)

    def test_offsets_are_str_indices_in_python_and_spark(self, spark, rows, docs):
        from pyspark.sql import functions as F

        texts = dict(docs)
        assert all(texts[r["id"]][r["start"]:r["end"]] == r["text"] for r in rows)
        # an entity after an emoji (a surrogate pair in Java's UTF-16, 4 bytes in UTF-8)
        after = [r for r in rows if "😀" in texts[r["id"]][:r["start"]]]
        assert after, "no entity after an emoji in the synthetic documents"
        cjk = [r for r in rows if "患者" in texts[r["id"]][:r["start"]]]
        assert cjk
        # Spark SQL's substring counts the same characters, so a warehouse can cut the text
        ents = spark.createDataFrame([(r["id"], r["start"], r["end"], r["text"]) for r in after + cjk],
                                     "id string, start int, end int, text string")
        notes = spark.createDataFrame(docs, "id string, note string")
        bad = (ents.join(notes, "id")
               .where(F.expr("substring(note, start + 1, end - start)") != F.col("text")).count())
        assert bad == 0

    def test_null_and_non_string_texts_are_error_rows(self, spark, reference):
        from pyspark.sql import functions as F

        from medner_cli.spark import annotate

        good = [("g1", "The patient was given aspirin 81 mg daily for angina."),
                ("g2", "History of renal failure on lisinopril."),
                ("g3", "No entities here, only a plain sentence about the weather.")]
        df = spark.createDataFrame(good[:1] + [("n1", None)] + good[1:], "id string, text string")
        out = annotate(df.coalesce(1)).collect()  # one partition: the bad row sits between good ones
        errors = [r for r in out if r["error"] is not None]
        assert [(r["id"], r["error"]) for r in errors] == [("n1", 'text column "text" is null')]
        assert all(errors[0][k] is None for k in ("start", "end", "label", "text", "score"))
        assert {r["id"] for r in out} == {"g1", "g2", "n1"}  # g3: no entities, no row
        texts = {r["text"] for r in out if r["id"] == "g1"}
        assert {"aspirin", "angina"} <= texts

        # VARIANT text (parse_json): strings are annotated, anything else is an error row
        lines = [json.dumps({"id": 1, "text": good[0][1]}), json.dumps({"id": 2, "text": 42}),
                 json.dumps({"id": 3, "text": None}), json.dumps({"id": 4}),
                 json.dumps({"id": 5, "text": ["a"]}), json.dumps({"id": 6, "text": good[1][1]})]
        var = (spark.createDataFrame([(line,) for line in lines], "j string").coalesce(1)
               .select(F.parse_json("j").alias("v"))
               .select(F.expr("v:id").alias("id"), F.expr("v:text").alias("text")))
        out = annotate(var).collect()
        errors = {r["id"]: r["error"] for r in out if r["error"] is not None}
        assert errors == {"2": 'text column "text" is not a string (bigint)',
                          "3": 'text column "text" is null', "4": 'text column "text" is null',
                          "5": 'text column "text" is not a string (array)'}
        assert {r["id"] for r in out if r["error"] is None} == {"1", "6"}

        # a column that is not a string at all: one error row a document, id kept as a long
        ints = spark.createDataFrame([(1, 5), (2, None)], "id long, text int")
        out = annotate(ints).collect()
        assert sorted((r["id"], r["error"]) for r in out) == [
            (1, 'text column "text" is not a string (int)'), (2, 'text column "text" is null')]
        assert annotate(ints).schema["id"].dataType.simpleString() == "bigint"

    def test_one_annotator_per_worker_process(self, spark, docs):
        import pyarrow as pa

        from medner_cli.spark import annotate

        df = spark.createDataFrame(docs[:120], "id string, text string").repartition(8)
        assert annotate(df, min_score=0.5).count() > 0  # 8 tasks on 2 cores

        def probe(batches):
            from medner_cli import spark as mod

            for _ in batches:
                pass
            yield pa.RecordBatch.from_pydict({"pid": [os.getpid()], "built": [mod.BUILT]})

        found = {(r["pid"], r["built"]) for r in
                 spark.range(8).repartition(8).mapInArrow(probe, "pid long, built long").collect()}
        # a reused worker built one annotator per set of options (the defaults, min_score=0.5),
        # not one per task or batch: 8 batches of one task each went to 2 processes
        assert any(built >= 1 for _, built in found)
        assert all(built <= 2 for _, built in found)

    def test_bad_arguments_fail_on_the_driver(self, spark):
        from medner_cli.spark import annotate

        df = spark.createDataFrame([("a", "aspirin")], "id string, text string")
        with pytest.raises(TypeError, match="annotate's options are model, dosage"):
            annotate(df, colour="red")
        with pytest.raises(ValueError, match="no text column 'note'"):
            annotate(df, text_col="note")
        from medner_cli.model import ModelError

        with pytest.raises(ModelError):
            annotate(df, model="/nonexistent/model")


def invoke(*args):
    return CliRunner().invoke(cli, ["spark", *map(str, args)], catch_exceptions=False)


@pytest.mark.usefixtures("spark")
class TestCommand:
    pytestmark = needs_spark

    def test_parquet_file_in_parquet_out(self, tmp_path, docs, reference):
        import pyarrow as pa
        import pyarrow.parquet as pq

        some = docs[::10]
        pq.write_table(pa.table({"note_id": [i for i, _ in some], "body": [t for _, t in some]}),
                       tmp_path / "notes.parquet")
        out = tmp_path / "entities"
        result = invoke(tmp_path / "notes.parquet", out, "--text-col", "body", "--id-col",
                        "note_id", "-q")
        assert result.exit_code == 0, result.output
        table = pq.read_table(out)
        assert table.column_names[:7] == list(KEYS) and table.column_names[-1] == "error"
        got = sorted(zip(*(table.column(k).to_pylist() for k in KEYS)))
        ids = {i for i, _ in some}
        assert got == [r for r in reference if r[0] in ids]
        assert f"{len(some)} documents, 0 with errors; {len(got)} entities" in result.stderr
        assert "Spark start-up" in result.stderr and "documents/s" in result.stderr
        again = invoke(tmp_path / "notes.parquet", out, "--text-col", "body", "--id-col", "note_id")
        assert again.exit_code == 2 and "--overwrite" in again.output

    def test_jsonl_in_jsonl_out_with_bad_lines(self, tmp_path):
        good = "The patient was given aspirin 81 mg daily for angina."
        lines = [json.dumps({"id": 1, "text": good}), json.dumps({"id": 2, "text": 42}),
                 "", json.dumps({"id": 3, "text": None}), "{not json",
                 json.dumps([1, 2]), json.dumps({"id": 4, "text": "Café 😀 then warfarin 2 mg."})]
        (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
        out = tmp_path / "out"
        result = invoke(tmp_path / "in.jsonl", out, "-f", "jsonl", "--no-dosage", "-q")
        assert result.exit_code == 1, result.output  # some documents gave error rows
        records = [json.loads(line) for part in sorted(out.glob("part-*.json"))
                   for line in part.read_text().splitlines()]
        errors = sorted((r.get("id", -1), r["error"]) for r in records if "error" in r)
        assert errors == [(-1, "line is not a JSON object in in.jsonl"),
                          (-1, "malformed JSON in in.jsonl: {not json"),
                          (2, 'text field "text" is not a string'),
                          (3, 'text field "text" is missing')]
        found = {(r["id"], r["text"], r["label"]) for r in records if "error" not in r}
        assert {(1, "aspirin", "Chemical"), (1, "angina", "Disease"),
                (4, "warfarin", "Chemical")} <= found
        assert not any(label == "Dosage" for _, _, label in found)
        for r in records:
            if r.get("id") == 4 and "error" not in r:
                assert "Café 😀 then warfarin 2 mg."[r["start"]:r["end"]] == r["text"]
        assert "6 documents, 4 with errors" in result.stderr
        assert 'document 2: text field "text" is not a string' in result.stderr

    def test_unknown_format_is_a_usage_error(self, tmp_path):
        (tmp_path / "notes.csv").write_text("id,text\n1,aspirin\n")
        result = invoke(tmp_path / "notes.csv", tmp_path / "out")
        assert result.exit_code == 2 and "--input-format" in result.output


def test_missing_pyspark_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    result = invoke(tmp_path / "in.parquet", tmp_path / "out")
    assert result.exit_code == 1 and "pip install '.[spark]'" in result.output


@pytest.mark.skipif(not HAVE_PYSPARK, reason="pyspark is not installed (pip install '.[spark]')")
def test_missing_java_says_how_to_check(monkeypatch):
    import click
    from pyspark.sql import SparkSession

    from medner_cli.commands import spark as command

    monkeypatch.setattr(SparkSession, "getActiveSession", classmethod(lambda cls: None))
    monkeypatch.setattr(command.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(click.ClickException, match=r"java -version.*openjdk-17-jre-headless"):
        command._session("local[2]", {}, 1, True)
