"""``medner export``: a training run to an int8 ONNX model folder that ``annotate`` loads."""

from __future__ import annotations

from pathlib import Path

import click

from medner_cli.commands import exit_codes


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False),
              help="Model folder to write, e.g. models/NAME.")
@click.option("--dev", "dev_paths", multiple=True,
              help="Dev data: chooses --min-score and propagation (unless given) and checks "
                   "that int8 and fp32 agree (repeatable).")
@click.option("--keep-fp32", is_flag=True, help="Keep model.fp32.onnx beside the int8 model.")
@click.option("--set-default", is_flag=True, help="Make this model the default in its models/ folder.")
@click.option("--window", type=click.IntRange(min=3),
              help="Tokens per model call at inference, [CLS] and [SEP] included (default: the "
                   "training window).")
@click.option("--overlap", type=click.IntRange(min=0),
              help="Tokens shared by adjacent windows at inference (default: the training overlap).")
@click.option("--min-score", type=click.FloatRange(0, 1),
              help="The card's threshold, instead of choosing it on --dev.")
@click.option("--propagate/--no-propagate", default=None,
              help="The card's propagation, instead of choosing it on --dev.")
@click.option("--resources", type=click.Path(exists=True, file_okay=False),
              help="A model folder whose data files (lexicons and their licences) are copied in.")
def export(run_dir: str, out: str, dev_paths: tuple[str, ...], keep_fp32: bool,
           set_default: bool, window: int | None, overlap: int | None, min_score: float | None,
           propagate: bool | None, resources: str | None) -> None:
    """Export RUN_DIR (from medner train) to ONNX, quantize to int8, write the model card."""
    run = Path(run_dir)
    if not (run / "medner_train.json").is_file():
        raise click.UsageError(f"{run} has no medner_train.json: not a medner train run folder")
    try:
        from medner_cli.train.export import export as do_export
    except ImportError as exc:
        raise click.ClickException(f"export needs the extra: pip install '.[train]' ({exc})")
    with exit_codes():
        card = do_export(run, Path(out), list(dev_paths), keep_fp32, overlap, window,
                         min_score, propagate, Path(resources) if resources else None,
                         log=lambda m: click.echo(m, err=True))
    if set_default:
        (Path(out).parent / "DEFAULT").write_text(Path(out).name + "\n")
    click.echo(f"wrote {out}: model.onnx {card['provenance']['size_bytes']['model.onnx'] / 1e6:.1f} MB", err=True)
