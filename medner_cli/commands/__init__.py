"""One module per CLI command; each parses options and calls library code.

``exit_codes`` is the one mapping from what went wrong to what the shell is told, used by every
command: 0 done, 1 data that could not be used, output that could not be written or a dead
worker, 2 usage error, 130 Ctrl-C,
143 SIGTERM; a closed pipe downstream (``| head``) is not an error.
"""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from typing import Callable, Iterator

import click


class Terminated(BaseException):
    """Raised in the main process on SIGTERM, so it unwinds like Ctrl-C: workers are ended and
    no partial file is kept."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def _echo(message: str) -> None:
    click.echo(f"medner: {message}", err=True)


@contextmanager
def exit_codes(echo: Callable[[str], None] = _echo) -> Iterator[None]:
    """Run a command's library call, turning its failures into one stderr line and a status."""
    from concurrent.futures.process import BrokenProcessPool

    from medner_cli.errors import DataError, OutputError, UsageError

    previous = signal.signal(signal.SIGTERM, _terminate)
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
        signal.signal(signal.SIGTERM, previous)
