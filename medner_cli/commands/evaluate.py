"""``medner eval``: strict and lenient entity scores of predictions (or the model) against gold."""

from __future__ import annotations

from pathlib import Path

import click

from medner_cli.commands import exit_codes
from medner_cli.evaluate import FORMATS


@click.command("eval")
@click.argument("gold", type=click.Path(exists=True))
@click.argument("pred", type=click.Path(exists=True), required=False)
@click.option("--model", "model_dir", type=click.Path(file_okay=False),
              help="Exported model folder to run when PRED is omitted (default: the shipped one).")
@click.option("--labels", help="Comma-separated labels to score (default: those in GOLD).")
@click.option("--no-dosage", is_flag=True,
              help="Switch off the Dosage rules (on by default, as in annotate: the dosage "
                   "merge also trims Chemicals).")
@click.option("--no-lexicon", is_flag=True, help="Switch off the drug lexicon.")
@click.option("--no-link", is_flag=True,
              help="Switch off concept linking (ids are scored when the gold carries them).")
@click.option("--no-assertion", is_flag=True,
              help="Switch off assertion (flags are scored when the gold carries them).")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON instead.")
@click.option("--gold-format", type=click.Choice(FORMATS),
              help="Format of GOLD (default: by extension; a .txt takes its BRAT .ann).")
@click.option("--pred-format", type=click.Choice(FORMATS), help="Format of PRED.")
@click.option("--min-score", type=click.FloatRange(0, 1),
              help="Score threshold for model entities (default: the model card's min_score).")
@click.option("--propagate/--no-propagate", default=None,
              help="Tag every recurrence of a name the model tagged in a document (default: "
                   "the model card's choice).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes when running the model.")
def eval_command(gold: str, pred: str | None, model_dir: str | None, labels: str | None,
                 no_dosage: bool, no_lexicon: bool, no_link: bool, no_assertion: bool,
                 as_json: bool, gold_format: str | None,
                 pred_format: str | None, min_score: float | None, propagate: bool | None,
                 workers: int) -> None:
    """Score PRED against GOLD (PubTator, BRAT folder, CoNLL or JSONL), paired by document id.

    Without PRED the model annotates GOLD's text. Exit status: 0 scored, 1 unreadable or
    unpaired data, 2 usage error.
    """
    import orjson
    from rich.console import Console

    from medner_cli.evaluate import EvalConfig, render, run_eval

    if pred is not None and (model_dir or no_dosage or no_lexicon or no_link or no_assertion
                             or min_score is not None
                             or propagate is not None):
        raise click.UsageError("--model, --no-dosage, --no-lexicon, --no-link, --no-assertion, "
                               "--min-score and --[no-]propagate apply only when PRED is omitted")
    if pred is None and pred_format:
        raise click.UsageError("--pred-format needs a PRED file")
    wanted = None
    if labels is not None:
        wanted = tuple(dict.fromkeys(x.strip() for x in labels.split(",") if x.strip()))
        if not wanted:
            raise click.UsageError("--labels names no label")
    cfg = EvalConfig(gold=gold, pred=pred, gold_format=gold_format, pred_format=pred_format,
                     labels=wanted, model=Path(model_dir) if model_dir else None,
                     dosage=not no_dosage, lexicon=not no_lexicon, link=not no_link,
                     assertion=not no_assertion,
                     workers=workers,
                     min_score=min_score, propagate=propagate)
    with exit_codes():
        result = run_eval(cfg)
    if as_json:
        click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    else:
        render(result, Console())
