"""``medner view``: annotated JSONL to a self-contained HTML page (or a folder of pages)."""

from __future__ import annotations

import sys

import click

from medner_cli.commands import exit_codes


@click.command()
@click.argument("inputs", nargs=-1, required=True,
                type=click.Path(exists=True, allow_dash=True))
@click.option("-o", "--output", type=click.Path(),
              help="HTML file, or a folder (exists or ends in /) for one page per document plus "
                   "index.html. Default: standard output.")
@click.option("--title", default="medner", show_default=True, help="Page title.")
@click.option("--text-field", default="text", show_default=True, help="JSONL field with the text.")
@click.option("--id-field", default="id", show_default=True,
              help="JSONL field with the document id (default id: the line number).")
def view(inputs: tuple[str, ...], output: str | None, title: str, text_field: str,
         id_field: str) -> None:
    """Render annotated JSONL INPUTS (text and entities per line) as HTML, without the model.

    Exit status: 0 all lines rendered, 1 some lines were bad (each named on stderr), 2 usage
    error.
    """
    from medner_cli.run import render_only

    with exit_codes():
        failed, docs, entities = render_only(list(inputs), output, title, text_field, id_field,
                                             on_error=lambda e: click.echo(f"medner: {e}", err=True))
    if output:
        click.echo(f"medner: wrote {output} ({docs} documents, {entities} entities)", err=True)
    sys.exit(1 if failed else 0)
