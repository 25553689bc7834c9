"""``medner spark``: Parquet or JSONL in, entity rows out, annotated by Spark (docs/spark.md)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import click

from medner_cli.commands import pipeline_options, pipeline_settings

INPUT_FORMATS = ("parquet", "jsonl")
_PARQUET = (".parquet", ".pq")
_JSONL = (".jsonl", ".ndjson", ".json")
_COMPRESSED = (".gz", ".bz2", ".zst", ".lz4", ".snappy", ".deflate")
JAVA_HINT = ("Spark needs a Java runtime (17 or newer): check with `java -version`; install one "
             "with e.g. `apt-get install openjdk-17-jre-headless`, or set JAVA_HOME")


def java_found() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and Path(home, "bin", "java").is_file()))


def format_of(name: str) -> str | None:
    """``parquet`` or ``jsonl`` from a file's name, or (a local folder) from the files in it."""
    path = Path(name)
    if "://" not in name and path.is_dir():
        found = {format_of(p.name) for p in path.rglob("*")
                 if p.is_file() and not p.name.startswith(("_", "."))}
        for fmt in INPUT_FORMATS:
            if fmt in found:
                return fmt
        return None
    lower = name.lower().rstrip("/")
    for ext in _COMPRESSED:
        if lower.endswith(ext):
            lower = lower[: -len(ext)]
    if lower.endswith(_PARQUET):
        return "parquet"
    if lower.endswith(_JSONL):
        return "jsonl"
    return None


@click.command("spark")
@click.argument("input_path", metavar="INPUT")
@click.argument("output", metavar="OUTPUT")
@click.option("--text-col", default="text", show_default=True, help="Column (field) with the text.")
@click.option("--id-col", default="id", show_default=True,
              help="Column (field) with the document id; it keeps its type in the output.")
@click.option("--master", default="local[*]", show_default=True,
              help="Spark master (ignored when a Spark session is already running in-process).")
@click.option("--input-format", type=click.Choice(INPUT_FORMATS),
              help="Input format (default: by extension, or by the files in a folder).")
@click.option("-f", "--format", "fmt", type=click.Choice(INPUT_FORMATS), default="parquet",
              show_default=True, help="Output format: a folder of Parquet or JSON-lines files.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@click.option("--partitions", type=click.IntRange(min=1),
              help="Repartition the input into this many tasks (default: the input's partitions, "
                   "or 2 per core when it has fewer than one per core).")
@click.option("--model", "model_dir", type=click.Path(file_okay=False),
              help="Exported model folder every executor can read (default: the model installed "
                   "with medner).")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="onnxruntime threads per task (a new session also sets spark.task.cpus).")
@pipeline_options
@click.option("--conf", "confs", multiple=True, metavar="KEY=VALUE",
              help="Spark configuration for a new session (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="No Spark progress bar.")
def spark_command(input_path: str, output: str, text_col: str, id_col: str, master: str,
                  input_format: str | None, fmt: str, overwrite: bool, partitions: int | None,
                  model_dir: str | None, threads: int, confs: tuple[str, ...], quiet: bool,
                  **pipeline: object) -> None:
    """Annotate the documents of INPUT (Parquet or JSONL, a file or a folder) with Spark and
    write one row per entity to OUTPUT (a folder); counts go to standard error.

    Exit status: 0 every document annotated, 1 some gave error rows, 2 usage error.
    """
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise click.ClickException(
            "pyspark is not installed: pip install 'medner[spark]' "
            "(in a checkout: pip install '.[spark]')")
    from medner_cli.model import ModelError
    from medner_cli.spark import annotate_prepared, make_options

    fmt_in = input_format or format_of(input_path)
    if fmt_in is None:
        raise click.UsageError(f"cannot tell the format of {input_path}: "
                               "give --input-format parquet|jsonl")
    if "://" not in input_path and not Path(input_path).exists():
        raise click.UsageError(f"{input_path} does not exist")
    conf = {}
    for item in confs:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.UsageError(f"--conf {item!r} is not KEY=VALUE")
        conf[key] = value
    try:
        options = make_options(model_dir, threads=threads, **pipeline_settings(pipeline))
    except TypeError as exc:
        raise click.UsageError(str(exc))

    t0 = time.perf_counter()
    spark, own = _session(master, conf, threads, quiet)
    startup = time.perf_counter() - t0
    try:
        t1 = time.perf_counter()
        prepared = (_read_jsonl(spark, input_path, text_col, id_col) if fmt_in == "jsonl"
                    else _read_parquet(spark, input_path, text_col, id_col))
        prepared = _repartition(spark, prepared, partitions)
        try:
            rows = annotate_prepared(prepared, options)
        except ModelError as exc:
            raise click.UsageError(str(exc))
        writer = rows.write.mode("overwrite" if overwrite else "errorifexists")
        try:
            writer.parquet(output) if fmt == "parquet" else writer.json(output)
        except Exception as exc:  # noqa: BLE001 - Spark's own exceptions name the cause
            if "already exists" in str(exc) and not overwrite:
                raise click.UsageError(f"{output} exists: give --overwrite to replace it")
            raise
        wall = time.perf_counter() - t1
        _report(spark, prepared, output, fmt, rows.schema, startup, wall)
    finally:
        if own:
            spark.stop()


def _session(master: str, conf: dict[str, str], threads: int, quiet: bool):
    """The running in-process session (not stopped afterwards), or a new one."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    if not java_found():
        raise click.ClickException(f"no Java found. {JAVA_HINT}")
    if master.startswith("local"):
        # local workers run this interpreter (its packages), not whichever python3 is first on PATH
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName("medner spark")
    defaults = {"spark.task.cpus": str(threads),
                "spark.ui.showConsoleProgress": "false" if quiet else "true"}
    for key, value in {**defaults, **conf}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - the gateway's failure is all there is to say
        raise click.ClickException(f"Spark did not start ({exc}). {JAVA_HINT}")
    spark.sparkContext.setLogLevel("ERROR")
    return spark, True


def _read_parquet(spark, path: str, text_col: str, id_col: str):
    from pyspark.sql import functions as F

    from medner_cli.spark import id_column, quoted, text_and_error

    df = spark.read.parquet(path)
    for role, name in (("text", text_col), ("id", id_col)):
        if name not in df.columns:
            raise click.UsageError(f"{path} has no {role} column {name!r} (columns: "
                                   f"{', '.join(df.columns)}); give --{role}-col")
    text, error = text_and_error(df.schema[text_col].dataType, F.col(quoted(text_col)),
                                 f'text column "{text_col}"')
    doc_id = id_column(df.schema[id_col].dataType, F.col(quoted(id_col)))
    return df.select(doc_id.alias("id"), text.alias("text"), error.alias("error"))


def _field_path(name: str) -> str:
    if "'" not in name:
        return f"$['{name}']"
    if '"' not in name:
        return f'$["{name}"]'
    raise click.UsageError(f"field name {name!r} has both kinds of quote; rename it")


def _read_jsonl(spark, path: str, text_field: str, id_field: str):
    """id, text and error columns with ``medner annotate``'s messages for bad lines: each line
    is parsed as a VARIANT, so a number is not quietly taken for a text, nor a text for an id."""
    from pyspark.sql import functions as F

    def kind(col):
        return F.regexp_extract(F.schema_of_variant(col), r"^[A-Z]+", 0)

    lines = spark.read.text(path).where(F.col("value").rlike(r"\S"))  # blank lines are skipped
    parsed = lines.select(F.try_parse_json("value").alias("v"), "value",
                          F.col("_metadata.file_name").alias("file"))
    text = F.variant_get("v", _field_path(text_field), "variant")
    doc_id = F.variant_get("v", _field_path(id_field), "variant")
    id_kind = parsed.select(F.schema_of_variant_agg(doc_id)).first()[0]
    id_type = "bigint" if id_kind in ("BIGINT", "INT", "SMALLINT", "TINYINT") else "string"
    error = (F.when(F.col("v").isNull(),
                    F.concat(F.lit("malformed JSON in "), F.col("file"), F.lit(": "),
                             F.substring("value", 1, 60)))
             .when(kind(F.col("v")) != "OBJECT",
                   F.concat(F.lit("line is not a JSON object in "), F.col("file")))
             .when(text.isNull() | (kind(text) == "VOID"),
                   F.lit(f'text field "{text_field}" is missing'))
             .when(kind(text) != "STRING", F.lit(f'text field "{text_field}" is not a string')))
    return parsed.select(F.try_variant_get(doc_id, "$", id_type).alias("id"),
                         F.when(error.isNull(), F.try_variant_get(text, "$", "string"))
                         .alias("text"),
                         error.alias("error"))


def _repartition(spark, df, partitions: int | None):
    if partitions:
        return df.repartition(partitions)
    cores = spark.sparkContext.defaultParallelism
    if df.rdd.getNumPartitions() < cores:
        return df.repartition(2 * cores)
    return df


def _report(spark, prepared, output: str, fmt: str, schema, startup: float, wall: float) -> None:
    from pyspark.sql import functions as F

    documents = prepared.count()
    written = spark.read.parquet(output) if fmt == "parquet" else spark.read.schema(schema).json(output)
    by_label = {r["label"]: r["count"] for r in
                written.where(F.col("error").isNull()).groupBy("label").count().collect()}
    errors = written.where(F.col("error").isNotNull()).select("id", "error")
    n_errors = errors.count()
    say = lambda line: click.echo(f"medner spark: {line}", err=True)  # noqa: E731
    for row in errors.limit(10).collect():
        say(f"document {row['id']}: {row['error']}")
    if n_errors > 10:
        say(f"... and {n_errors - 10} more documents with errors (the rows' error column)")
    labels = ", ".join(f"{label} {count}" for label, count in sorted(by_label.items()))
    say(f"{documents} documents, {n_errors} with errors; {sum(by_label.values())} entities"
        + (f" ({labels})" if labels else ""))
    say(f"Spark start-up {startup:.1f} s; read, annotate and write {wall:.1f} s "
        f"({documents / wall if wall else 0:.1f} documents/s) -> {output}")
    if n_errors:
        sys.exit(1)

