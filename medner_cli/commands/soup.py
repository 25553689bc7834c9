"""``medner soup``: average the weights of several training runs into one model."""

from __future__ import annotations

from pathlib import Path

import click

from medner_cli.commands import exit_codes


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--dev", "dev_paths", multiple=True,
              help="Dev data that decides which runs join the soup (repeatable); with "
                   "--uniform, only scored.")
@click.option("--uniform", is_flag=True,
              help="Average every run instead of choosing on dev (for runs trained on the dev "
                   "set too).")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False),
              help="Run folder to write, for medner export.")
def soup(runs: tuple[str, ...], dev_paths: tuple[str, ...], uniform: bool, out: str) -> None:
    """Weight-average of RUNS: greedy on --dev, or all of them with --uniform.

    RUNS are medner train folders fine-tuned from one base encoder."""
    try:
        from medner_cli.train.soup import soup as make_soup
    except ImportError as exc:
        raise click.ClickException(f"soup needs the extra: pip install '.[train]' ({exc})")
    for run in runs:
        if not (Path(run) / "medner_train.json").is_file():
            raise click.UsageError(f"{run} has no medner_train.json: not a medner train run folder")
    with exit_codes():
        make_soup([Path(r) for r in runs], list(dev_paths), Path(out),
                  log=lambda m: click.echo(m, err=True), uniform=uniform)
