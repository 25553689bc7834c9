"""One module per CLI command; each parses options and calls library code.

``exit_codes`` is the one mapping from what went wrong to what the shell is told, used by every
command: 0 done, 1 data that could not be used, output that could not be written or a dead
worker, 2 usage error, 130 Ctrl-C,
143 SIGTERM; a closed pipe downstream (``| head``) is not an error.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

import click

from medner_cli import stop
from medner_cli.stop import Terminated


def _echo(message: str) -> None:
    click.echo(f"medner: {message}", err=True)


@contextmanager
def exit_codes(echo: Callable[[str], None] = _echo) -> Iterator[None]:
    """Run a command's library call, turning its failures into one stderr line and a status."""
    from concurrent.futures.process import BrokenProcessPool

    from medner_cli.errors import DataError, OutputError, UsageError

    previous = stop.install()
    try:
        yield
    except UsageError as exc:  # a model folder (ModelError) is one too
        raise click.UsageError(str(exc))
    except (DataError, OutputError) as exc:
        echo(str(exc))
        sys.exit(1)
    except BrokenProcessPool:
        echo("a worker process died (killed or out of memory); no partial file was kept")
        sys.exit(1)
    except KeyboardInterrupt:
        echo("interrupted; no partial file was kept")
        sys.exit(130)
    except Terminated:
        echo("terminated (SIGTERM); no partial file was kept")
        sys.exit(143)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error of ours
        sys.exit(0)
    finally:
        stop.restore(previous)


LAYERS = (("dosage", "the Dosage rule layer"),
          ("lexicon", "the drug lexicon (brand and generic names the model may miss)"),
          ("memory", "the mention memory (names BC5CDR's annotators always marked, added in "
                     "abstracts, and the start of a name they marked, where the model cut it)"),
          ("link", "concept linking (MeSH and DrugBank ids, canonical names)"),
          ("assertion", "assertion (negated, uncertain, historical, hypothetical, family)"))


def pipeline_options(command: Callable) -> Callable:
    """The pipeline's options, the same for every command that runs it (annotate, eval,
    spark); ``pipeline_settings`` turns them into ``Options`` fields."""
    options = [
        click.option("--min-score", type=click.FloatRange(0, 1),
                     help="Drop model entities scoring below this (default: the model card's "
                          "min_score, chosen on dev data at export)."),
        click.option("--propagate/--no-propagate", default=None,
                     help="Tag every recurrence of a name the model tagged in a document "
                          "(default: the model card's choice, made on dev data at export)."),
        *(click.option(f"--no-{name}", f"no_{name}", is_flag=True, help=f"Switch off {what}.")
          for name, what in LAYERS),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def pipeline_settings(kw: dict) -> dict:
    """Take the pipeline's options out of a command's keywords, as ``Options`` fields."""
    out = {"min_score": kw.pop("min_score"), "propagate": kw.pop("propagate")}
    out.update({name: not kw.pop(f"no_{name}") for name, _ in LAYERS})
    return out


def pipeline_changed(settings: dict) -> bool:
    """Whether any pipeline option differs from its default."""
    return (settings["min_score"] is not None or settings["propagate"] is not None
            or not all(settings[name] for name, _ in LAYERS))
