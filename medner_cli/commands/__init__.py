"""One module per CLI command; each parses options and calls library code."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

import click


@contextmanager
def exit_codes(*failures: type[Exception]) -> Iterator[None]:
    """Library errors to exit statuses: a bad model is a usage error (2), ``failures`` and a
    dead worker process are failed work (1), each with one line on stderr."""
    from concurrent.futures.process import BrokenProcessPool

    from medner_cli.model import ModelError

    try:
        yield
    except ModelError as exc:
        raise click.UsageError(str(exc))
    except BrokenProcessPool:
        click.echo("medner: a worker process died (killed or out of memory)", err=True)
        sys.exit(1)
    except failures as exc:
        click.echo(f"medner: {exc}", err=True)
        sys.exit(1)
