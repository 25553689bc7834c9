"""Annotate a Spark DataFrame with the pipeline of ``medner annotate``: one row per entity.

``annotate(df)`` returns a DataFrame of entity rows (schema: ``entity_schema``). It runs
``mapInArrow`` over the partitions; every Python worker process builds one ``Annotator`` per set
of options the first time it needs it (``annotator_for``, a module-level cache) and reuses it for
every batch of every task that process runs: the annotator is never pickled and never rebuilt per
row or per batch. Offsets are Python ``str`` indices (code points) into the row's text, as in
``medner annotate``'s JSONL, which are also what Spark SQL's ``substring`` counts.

Rows: a document gives one row per entity, in order of ``start``; a document without entities
gives no row; a document that could not be annotated (null text, a text that is not a string,
or a failure inside the annotator) gives exactly one row with ``error`` set and null entity
fields, and the rest of its partition goes on. docs/spark.md has the schema and the set-up.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from medner_cli.annotator import Annotator, Options

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import DataType, StructType

INSTALL_HINT = "pip install 'medner[spark]' (in a checkout: pip install '.[spark]')"
ASSERTIONS = ("negated", "uncertain", "historical", "hypothetical", "family")
# after the id column, whose type is the input id column's
ENTITY_COLUMNS = ("start INT, end INT, label STRING, text STRING, score DOUBLE, source STRING, "
                  + ", ".join(f"{name} BOOLEAN" for name in ASSERTIONS)
                  + ", ids ARRAY<STRING>, name STRING, attrs STRING, error STRING")
# documents handed to the annotator at a time: bounds memory on Arrow batches of 10,000 rows
# without changing a result (one window per model call, as annotate runs)
CHUNK = 32

_ANNOTATORS: dict[Any, Annotator] = {}
BUILT = 0  # annotators this process has built (the tests check that they are reused)


def annotator_for(options: Options) -> Annotator:
    """This process's annotator for ``options``: built on first use, then reused."""
    key: Any = options
    try:
        hash(key)
    except TypeError:  # an option that is not hashable (a list): its repr names it as well
        key = repr(options)
    global BUILT
    annotator = _ANNOTATORS.get(key)
    if annotator is None:
        annotator = _ANNOTATORS[key] = Annotator.from_options(options)
        BUILT += 1
    return annotator


def make_options(model: str | Path | None = None, **options: Any) -> Options:
    """``Options`` from ``annotate``'s keywords; an unknown keyword names the known ones."""
    try:
        return Options(model=Path(model) if model is not None else None, **options)
    except TypeError as exc:
        from dataclasses import fields

        known = ", ".join(f.name for f in fields(Options) if f.name != "model")
        raise TypeError(f"{exc}; annotate's options are model, {known}") from None


def entity_schema(id_type: "DataType | str" = "string") -> "StructType":
    """The schema of ``annotate``'s rows for an id column of ``id_type``."""
    from pyspark.sql.types import StructField, StructType, _parse_datatype_string

    if isinstance(id_type, str):
        id_type = _parse_datatype_string(id_type)
    rest = _parse_datatype_string(ENTITY_COLUMNS)
    return StructType([StructField("id", id_type, True), *rest.fields])


def quoted(name: str) -> str:
    """A column name as Spark SQL reads it literally (dots, spaces, backquotes)."""
    return "`" + name.replace("`", "``") + "`"


def annotate(df: "DataFrame", text_col: str = "text", id_col: str = "id",
             model: str | Path | None = None, **options: Any) -> "DataFrame":
    """Entity rows for the documents of ``df`` (``text_col``, keyed by ``id_col``).

    ``model`` is an exported model folder every executor can read (shared storage), default the
    model installed with the package; ``options`` are ``Options`` fields (``dosage``,
    ``min_score``, ``propagate``, ``threads`` (default 1 onnxruntime thread per task), ...).
    The id column keeps its type (a VARIANT id becomes a string) and is named ``id``. A text
    column of VARIANT type (``parse_json``) is annotated where the value is a JSON string; any
    other type than STRING gives an error row per document.
    """
    opts = make_options(model, **options)
    try:
        from pyspark.sql import functions as F
    except ImportError as exc:  # pragma: no cover - the caller already has a DataFrame
        raise ImportError(f"pyspark is not installed: {INSTALL_HINT}") from exc
    for role, name in (("text", text_col), ("id", id_col)):
        if name not in df.columns:
            raise ValueError(f"no {role} column {name!r}; the DataFrame has {df.columns}")
    text, error = text_and_error(df.schema[text_col].dataType, F.col(quoted(text_col)),
                                 f'text column "{text_col}"')
    doc_id = id_column(df.schema[id_col].dataType, F.col(quoted(id_col)))
    return annotate_prepared(df.select(doc_id.alias("id"), text.alias("text"),
                                       error.alias("error")), opts)


def id_column(dtype: "DataType", col: "Column") -> "Column":
    """The id as it travels: its own type, except a VARIANT (Arrow has no such type) as a string."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import VariantType

    if isinstance(dtype, VariantType):
        return F.try_variant_get(col, "$", "string")
    return col


def text_and_error(dtype: "DataType", col: "Column", what: str) -> tuple["Column", "Column"]:
    """The text as a string column and, where it cannot be annotated, why (else null)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, VariantType

    null = F.lit(f"{what} is null")
    if isinstance(dtype, StringType):
        return col, F.when(col.isNull(), null)
    if isinstance(dtype, VariantType):
        kind = F.regexp_extract(F.schema_of_variant(col), r"^[A-Z]+", 0)
        text = F.when(kind == "STRING", F.try_variant_get(col, "$", "string"))
        error = (F.when(col.isNull() | (kind == "VOID"), null)
                 .when(kind != "STRING",
                       F.concat(F.lit(f"{what} is not a string ("), F.lower(kind), F.lit(")"))))
        return text, error
    return (F.lit(None).cast("string"),
            F.when(col.isNull(), null)
            .otherwise(F.lit(f"{what} is not a string ({dtype.simpleString()})")))


def annotate_prepared(prepared: "DataFrame", options: Options) -> "DataFrame":
    """Entity rows for a DataFrame of ``id``, ``text`` (string) and ``error`` (string, null where
    the text is to be annotated), in that order."""
    from medner_cli.model import load_spec

    load_spec(options.model)  # a missing or broken model folder fails here, not in every task
    schema = entity_schema(prepared.schema["id"].dataType)
    return prepared.mapInArrow(partial(annotate_batches, options=options), schema)


def annotate_batches(batches: Iterator["pa.RecordBatch"], options: Options
                     ) -> Iterator["pa.RecordBatch"]:
    """The function each task runs: Arrow batches of (id, text, error) in, entity rows out."""
    for batch in batches:
        ids, texts, errors = (batch.column(i) for i in range(3))
        texts, errors = texts.to_pylist(), errors.to_pylist()
        todo = [i for i, (t, e) in enumerate(zip(texts, errors)) if e is None and t is not None]
        found: dict[int, list] = {}
        if todo:
            annotator = annotator_for(options)
            for at in range(0, len(todo), CHUNK):
                part = todo[at:at + CHUNK]
                for i, result in zip(part, _entities(annotator, [texts[i] for i in part])):
                    found[i] = result
        yield _rows(ids, texts, errors, found)


def _entities(annotator: Annotator, texts: Sequence[str]) -> list:
    """Each text's entities, or the message of the failure that stopped that text alone."""
    try:
        return annotator.entities(texts)
    except Exception:  # noqa: BLE001 - find the document(s) that failed, keep the others
        out: list = []
        for text in texts:
            try:
                out.append(annotator.entities([text])[0])
            except Exception as exc:  # noqa: BLE001
                out.append(f"annotation failed: {type(exc).__name__}: {exc}")
        return out


def _rows(ids: "pa.Array", texts: list, errors: list, found: dict[int, list]) -> "pa.RecordBatch":
    import orjson
    import pyarrow as pa

    take: list[int] = []
    cols: dict[str, list] = {name: [] for name in (
        "start", "end", "label", "text", "score", "source", *ASSERTIONS, "ids", "name", "attrs",
        "error")}
    entity_keys = [k for k in cols if k != "error"]
    for i in range(len(texts)):
        result = found.get(i)
        if isinstance(result, list):
            for e in result:
                take.append(i)
                a = e.assertion
                row = (e.start, e.end, e.label, e.text, round(e.score, 4), e.source,
                       *((bool(a.get(k, False)) if a is not None else None) for k in ASSERTIONS),
                       list(e.ids) if e.ids else None, e.name if e.ids else None,
                       orjson.dumps(e.attrs).decode() if e.attrs is not None else None, None)
                for key, value in zip(cols, row):
                    cols[key].append(value)
            continue
        take.append(i)
        for key in entity_keys:
            cols[key].append(None)
        cols["error"].append(result if isinstance(result, str)
                             else errors[i] or "text is null")
    types = {"start": pa.int32(), "end": pa.int32(), "score": pa.float64(),
             "ids": pa.list_(pa.string()), **{k: pa.bool_() for k in ASSERTIONS}}
    arrays = [ids.take(pa.array(take, pa.int64()))]
    names = ["id"]
    for key, values in cols.items():
        arrays.append(pa.array(values, types.get(key, pa.string())))
        names.append(key)
    return pa.RecordBatch.from_arrays(arrays, names=names)
