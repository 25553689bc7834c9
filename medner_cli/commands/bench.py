"""``medner bench``: latency, throughput, size, memory and F1 per model (docs/benchmarks.md)."""

from __future__ import annotations

import click

from medner_cli.bench import DEFAULT_CHARS, DEFAULT_DOCS
from medner_cli.commands import exit_codes


@click.command()
@click.option("--model", "models", multiple=True, type=click.Path(exists=True),
              help="Exported model folder or .onnx file in one; repeatable (default: the "
                   "shipped int8 model and its model.fp32.onnx when present).")
@click.option("--hf-baseline", type=click.Path(exists=True, file_okay=False),
              help="Hugging Face checkpoint folder (e.g. runs/NAME) to time as the baseline.")
@click.option("--gold", type=click.Path(exists=True),
              help="Gold documents to time and to compute strict F1 on.")
@click.option("--docs-from", type=click.Path(exists=True),
              help="Documents to time (any annotate input; default: sample_notes/ or built-in).")
@click.option("--docs", type=click.IntRange(min=1),
              help=f"Use at most this many documents (default: {DEFAULT_DOCS}, and no more "
                   f"than {DEFAULT_CHARS:,} characters).")
@click.option("--repeats", type=click.IntRange(min=1), default=3, show_default=True,
              help="Timed repeats; medians are reported.")
@click.option("--workers-max", type=click.IntRange(min=1),
              help="Throughput at 1..N workers (default: CPU count).")
@click.option("--no-dosage", is_flag=True, help="Time without the Dosage rules.")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print markdown tables.")
@click.option("--json", "as_json", is_flag=True, help="Print all figures as JSON.")
def bench(models: tuple[str, ...], hf_baseline: str | None, gold: str | None,
          docs_from: str | None, docs: int | None, repeats: int, workers_max: int | None,
          no_dosage: bool, as_markdown: bool, as_json: bool) -> None:
    """Benchmark models on this machine: speed, size, memory and F1, against the HF pipeline.

    Exit status: 0 done, 1 unreadable documents or a failed probe, 2 usage error.
    """
    import orjson
    from rich.console import Console

    from medner_cli.bench import BenchConfig, markdown, print_tables, run_bench

    if as_json and as_markdown:
        raise click.UsageError("--json and --markdown cannot be combined")
    if gold and docs_from:
        raise click.UsageError("--gold already gives the documents; drop --docs-from")
    cfg = BenchConfig(models=models, hf_baseline=hf_baseline, gold=gold, docs_from=docs_from,
                      docs=docs, repeats=repeats, workers_max=workers_max, dosage=not no_dosage)
    err = Console(stderr=True)
    with exit_codes():
        result = run_bench(cfg, log=lambda m: err.print(f"medner bench: {m}", style="dim"))
    if as_json:
        click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    elif as_markdown:
        click.echo(markdown(result), nl=False)
    else:
        print_tables(result, Console())
