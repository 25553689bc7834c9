"""``medner annotate``: files, folders, JSONL or stdin in; JSONL, CoNLL or BRAT out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from medner_cli.commands import exit_codes, pipeline_options, pipeline_settings

from medner_cli.read import FORMATS
from medner_cli.write import OUTPUT_FORMATS


@click.command()
@click.argument("inputs", nargs=-1, type=click.Path())
@click.option("-o", "--output", type=click.Path(),
              help="Output file, or folder (BRAT always; JSONL/CoNLL when it exists or ends in /). "
                   "Default: standard output.")
@click.option("-f", "--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="jsonl",
              show_default=True, help="Output format.")
@click.option("--input-format", type=click.Choice([f for f in FORMATS if f != "conll"]),
              help="Input format (default: by file extension; text on stdin).")
@click.option("--text-field", default="text", show_default=True, help="JSONL field with the text.")
@click.option("--id-field", default="id", show_default=True,
              help="JSONL field with the document id (default id: the line number).")
@click.option("--model", "model_dir", type=click.Path(file_okay=False),
              help="Exported model folder (default: the model shipped in models/).")
@click.option("--workers", type=click.IntRange(min=1),
              help="Worker processes (default: CPU count; 1 runs in-process).")
@click.option("--threads", type=click.IntRange(min=1),
              help="onnxruntime threads per worker (default: CPU count / workers).")
@pipeline_options
@click.option("--entities-from-input", "given", is_flag=True,
              help="JSONL lines that carry \"entities\" keep them: the model does not run on "
                   "them and only linking and assertion add their fields.")
@click.option("--skip-existing", is_flag=True,
              help="Skip documents whose output file exists (resume a folder run).")
@click.option("--timing", is_flag=True, help="Print a timing summary to stderr.")
@click.option("--timing-json", type=click.Path(dir_okay=False),
              help="Write the timing summary as JSON to this file.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=16, show_default=True,
              help="Documents sent to a worker at a time (fewer once they reach 8,000 "
                   "characters).")
def annotate(inputs: tuple[str, ...], output: str | None, fmt: str, input_format: str | None,
             text_field: str, id_field: str, model_dir: str | None, workers: int | None,
             threads: int | None, given: bool, skip_existing: bool, timing: bool,
             timing_json: str | None, quiet: bool, chunk_size: int, **pipeline: object) -> None:
    """Annotate Chemical, Disease and Dosage mentions in INPUTS (files, folders or - for stdin).

    Exit status: 0 all documents annotated, 1 some failed (each named on stderr), 2 usage error.
    """
    from rich.console import Console

    from medner_cli.annotator import Options
    from medner_cli.machine import cpu_count
    from medner_cli.run import RunConfig, run
    from medner_cli.timing import Stats, print_summary
    from medner_cli.write import write_atomic

    n_workers = workers or cpu_count()
    threads = threads or max(1, cpu_count() // n_workers)
    options = Options(model=Path(model_dir) if model_dir else None, threads=threads,
                      given=given, **pipeline_settings(pipeline))
    cfg = RunConfig(inputs=list(inputs), output=output, fmt=fmt, input_format=input_format,
                    text_field=text_field, id_field=id_field, workers=n_workers,
                    chunk_size=chunk_size, skip_existing=skip_existing, options=options)
    stats = Stats()
    bar = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(unit="doc", file=sys.stderr)
    try:
        with exit_codes(echo=lambda message: _error(message, bar)):
            run(cfg, stats, on_error=lambda err: _error(str(err), bar),
                progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    summary = stats.summary()
    if timing:
        print_summary(summary, Console(stderr=True))
    if timing_json:
        import orjson

        write_atomic(Path(timing_json), orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    sys.exit(1 if stats.failed else 0)


def _error(message: str, bar) -> None:
    line = f"medner: {message}"
    if bar is not None:
        bar.write(line, file=sys.stderr)
    else:
        click.echo(line, err=True)
