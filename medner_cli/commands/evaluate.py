"""``medner eval``: strict and lenient entity scores of predictions (or the model) against gold."""

from __future__ import annotations

from pathlib import Path

import click

from medner_cli.commands import exit_codes, pipeline_changed, pipeline_options, pipeline_settings
from medner_cli.evaluate import FORMATS


@click.command("eval")
@click.argument("gold", type=click.Path(exists=True))
@click.argument("pred", type=click.Path(exists=True), required=False)
@click.option("--model", "model_dir", type=click.Path(file_okay=False),
              help="Exported model folder to run when PRED is omitted (default: the shipped one).")
@click.option("--labels", help="Comma-separated labels to score (default: those in GOLD).")
@pipeline_options
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON instead.")
@click.option("--gold-format", type=click.Choice(FORMATS),
              help="Format of GOLD (default: by extension; a .txt takes its BRAT .ann).")
@click.option("--pred-format", type=click.Choice(FORMATS), help="Format of PRED.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes when running the model.")
@click.option("--sentences", is_flag=True,
              help="Score each sentence of GOLD as a document of its own (ids ID#1, ID#2 ...), "
                   "as sentence-level benchmarks do; the model then sees one sentence at a time.")
def eval_command(gold: str, pred: str | None, model_dir: str | None, labels: str | None,
                 as_json: bool, gold_format: str | None, pred_format: str | None,
                 workers: int, sentences: bool, **pipeline: object) -> None:
    """Score PRED against GOLD (PubTator, BRAT folder, CoNLL or JSONL), paired by document id.

    Without PRED the model annotates GOLD's text. Exit status: 0 scored, 1 unreadable or
    unpaired data, 2 usage error.
    """
    import orjson
    from rich.console import Console

    from medner_cli.evaluate import EvalConfig, print_report, run_eval

    settings = pipeline_settings(pipeline)
    if pred is not None and (model_dir or pipeline_changed(settings)):
        raise click.UsageError("--model, --min-score, --[no-]propagate and the --no-LAYER "
                               "switches apply only when PRED is omitted")
    if pred is not None and sentences:
        raise click.UsageError("--sentences applies only when PRED is omitted: the model then "
                               "annotates each sentence of GOLD")
    if pred is None and pred_format:
        raise click.UsageError("--pred-format needs a PRED file")
    wanted = None
    if labels is not None:
        wanted = tuple(dict.fromkeys(x.strip() for x in labels.split(",") if x.strip()))
        if not wanted:
            raise click.UsageError("--labels names no label")
    cfg = EvalConfig(gold=gold, pred=pred, gold_format=gold_format, pred_format=pred_format,
                     labels=wanted, model=Path(model_dir) if model_dir else None,
                     workers=workers, sentences=sentences, **settings)
    with exit_codes():
        result = run_eval(cfg)
    if as_json:
        click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    else:
        print_report(result, Console())
