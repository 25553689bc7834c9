"""The ``medner`` command group; each subcommand lives in its own module under ``commands/``."""

from __future__ import annotations

import click

from medner_cli import __version__
from medner_cli.commands.annotate import annotate
from medner_cli.commands.bench import bench
from medner_cli.commands.evaluate import eval_command
from medner_cli.commands.export import export
from medner_cli.commands.pretrain import pretrain
from medner_cli.commands.soup import soup
from medner_cli.commands.spark import spark_command
from medner_cli.commands.train import train
from medner_cli.commands.view import view


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="medner")
def cli() -> None:
    """Find Chemical, Disease and Dosage mentions in clinical and biomedical text."""


cli.add_command(annotate)
cli.add_command(eval_command)
cli.add_command(bench)
cli.add_command(train)
cli.add_command(pretrain)
cli.add_command(export)
cli.add_command(soup)
cli.add_command(spark_command)
cli.add_command(view)


def main() -> None:
    cli()
