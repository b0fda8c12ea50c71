"""Stopping a long command at a safe point: the first SIGINT (Ctrl-C) or SIGTERM asks, the second insists.

The first signal sets :attr:`StopRequest.event` and says so on stderr; the command checks the event
between units of work that each commit on their own (an import's batch of files, a chunk of
thumbnails) and returns what it finished, so nothing is interrupted in the middle of a statement.
Cancelling a task while asyncpg runs a statement through SQLAlchemy could leave the task waiting on
its connection for ever (seen with Ctrl-C during an import's thumbnails; compare MagicStack/asyncpg#873
and sqlalchemy/sqlalchemy#12728). A second signal calls ``insist`` — the caller cancels its task, the
old behaviour — for when the next safe point is too far away.

Handlers run on the event loop (``loop.add_signal_handler``), between callbacks, never inside one.
Before the loop runs (the embedded servers' start, the migrations), :meth:`StopRequest.install_before_loop`
gives the same first-signal behaviour with process handlers, so a Ctrl-C there too ends the command
with its usual account (``atelier import --json``'s summary line) instead of an exception in the middle
of a server's start; a second signal there raises ``SystemExit`` (the ``finally`` blocks run).

A cancelled command gets :data:`ABORT_GRACE_SECONDS` to end (its ``finally`` blocks, the embedded
servers' release); if it is still running then — the task waiting for ever on its connection, or a
third signal — :func:`end_after` ends the process at once, as SIGKILL would: every import step commits
on its own and marks what it owes, so nothing is half-written, and the embedded servers stay up until
the next command (which prunes this process from their users).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
ABORT_GRACE_SECONDS = 5.0
"""Seconds a cancelled command has to end before the process ends at once."""


class StopRequest:
    """Whether (and by which signal) a stop was asked for."""

    def __init__(self) -> None:
        import asyncio  # here: the CLI's commands that never run a loop (analyze, inspect) skip ~40 ms

        self.event = asyncio.Event()
        """Set by the first signal; the command polls it (``is_set``) at its safe points."""
        self.signal_number: int | None = None
        """The first signal received, if any."""

    @property
    def exit_code(self) -> int | None:
        """128 + the first signal's number (130 for Ctrl-C, 143 for SIGTERM), or ``None``."""
        return None if self.signal_number is None else 128 + self.signal_number

    def install(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        insist: Callable[[int], None],
        announce: Callable[[str], None],
    ) -> None:
        """Handle :data:`STOP_SIGNALS` on ``loop`` until :meth:`remove`: the first sets the event and
        calls ``announce`` with a line for the user; any later one calls ``insist(signal number)``."""
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, self._received, signum, insist, announce)

    def install_before_loop(self, *, announce: Callable[[str], None]) -> None:
        """Handle :data:`STOP_SIGNALS` with process handlers until :meth:`install` replaces them: the
        first sets the event (no loop needed: nothing waits on it yet) and calls ``announce``; a later
        one raises ``SystemExit(128 + its number)`` there and then, after saying so on stderr (there
        is no task to cancel yet; ``finally`` blocks, the embedded servers' stop among them, run)."""

        def received(signum: int, frame: FrameType | None) -> None:
            self._received(signum, _exit_now_raising, announce)

        for signum in STOP_SIGNALS:
            signal.signal(signum, received)

    def remove(self, loop: asyncio.AbstractEventLoop) -> None:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)

    def _received(self, signum: int, insist: Callable[[int], None], announce: Callable[[str], None]) -> None:
        if self.signal_number is not None:
            insist(signum)
            return
        self.signal_number = signum
        self.event.set()
        again = "Ctrl-C" if signum == signal.SIGINT else "the signal"
        announce(f"stopping after the work in progress is stored ({again} again to stop at once)")


def _exit_now_raising(signum: int) -> None:
    sys.stderr.write("stopped at once\n")
    sys.stderr.flush()
    raise SystemExit(128 + signum)


def end_after(seconds: float, exit_code: int) -> None:
    """End the process with ``exit_code`` in ``seconds`` unless it has ended by then (a daemon timer:
    it neither keeps the process alive nor depends on the event loop, which may be the thing stuck)."""
    timer = threading.Timer(seconds, end_now, args=(exit_code,))
    timer.daemon = True
    timer.start()


def end_now(exit_code: int) -> None:
    """End the process at once (no ``finally``, no ``atexit``), saying so on stderr."""
    try:
        sys.stderr.write("stopped at once\n")
        sys.stderr.flush()
    finally:
        os._exit(exit_code)
