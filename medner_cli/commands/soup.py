"""``medner soup``: average the weights of several training runs into one model."""

from __future__ import annotations

from pathlib import Path

import click

from medner_cli.commands import exit_codes


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--dev", "dev_paths", multiple=True, required=True,
              help="Dev data that decides which runs join the soup (repeatable).")
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False),
              help="Run folder to write, for medner export.")
def soup(runs: tuple[str, ...], dev_paths: tuple[str, ...], out: str) -> None:
    """Greedy weight-average of RUNS (medner train folders from one base encoder)."""
    try:
        from medner_cli.train.soup import soup as make_soup
    except ImportError as exc:
        raise click.ClickException(f"soup needs the extra: pip install '.[train]' ({exc})")
    for run in runs:
        if not (Path(run) / "medner_train.json").is_file():
            raise click.UsageError(f"{run} has no medner_train.json: not a medner train run folder")
    with exit_codes():
        make_soup([Path(r) for r in runs], list(dev_paths), Path(out),
                  log=lambda m: click.echo(m, err=True))
