"""Stops asked for by a signal (Ctrl-C, SIGTERM), remembered even where Python swallows the
exception (a signal that lands inside a finaliser only prints "Exception ignored"), so a run
that was asked to stop never commits its output."""

from __future__ import annotations

import signal

_requested = 0  # the signal number, 0 when none


class Terminated(BaseException):
    """Raised on SIGTERM, so a run unwinds like Ctrl-C: workers ended, no partial file."""


def _on_signal(signum: int, frame: object) -> None:
    global _requested
    _requested = signum
    raise KeyboardInterrupt() if signum == signal.SIGINT else Terminated()


def install() -> dict[int, object]:
    """Handle SIGINT and SIGTERM in this process; returns the previous handlers."""
    global _requested
    _requested = 0
    return {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}


def restore(previous: dict[int, object]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def check() -> None:
    """Raise the stop a signal asked for, if one did (before committing any output)."""
    if _requested == signal.SIGINT:
        raise KeyboardInterrupt()
    if _requested:
        raise Terminated()
