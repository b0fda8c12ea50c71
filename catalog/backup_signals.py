"""SIGINT (Ctrl-C) and SIGTERM while a backup or a restore runs: stop where it is safe, and say what is left.

While a :class:`SignalGuard` is active (in the main thread; elsewhere it does nothing), the first
SIGINT or SIGTERM raises :class:`Interrupted` where the main thread is — in a copy loop, or waiting for
a client tool or for a worker thread — unless the guard is *shielded*: then the signal is kept and
raised when the shield ends (or never, for a shield around clean-up that is already on its way out).
Database work runs in worker threads (:func:`run_in_thread`), so the exception never lands inside the
database driver (asyncpg's protocol could be left hung, see :mod:`api.stop_requests`); the main thread
only waits for it.

Invariant: :attr:`Interrupted.state` is set, before it leaves :mod:`catalog.backup`, to one sentence
saying what the interrupted command left behind (nothing written; nothing changed; restored ...).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import Any, TypeVar

T = TypeVar("T")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_POLL_SECONDS = 0.1


class Interrupted(BaseException):
    """A SIGINT or SIGTERM stopped a backup or a restore; ``state`` says what it left behind.

    A ``BaseException`` (like ``KeyboardInterrupt``): an ``except Exception`` on the way out must not
    swallow it."""

    def __init__(self, signum: int, state: str = "") -> None:
        super().__init__(signum, state)
        self.signum = signum
        self.state = state

    @property
    def exit_code(self) -> int:
        """128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM."""
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    def __str__(self) -> str:
        return f"interrupted by {self.signal_name}: {self.state or 'stopped'}"


class SignalGuard:
    """SIGINT/SIGTERM handlers for the time of a ``with`` block (the previous ones put back after)."""

    def __init__(self) -> None:
        self.received: int | None = None
        """The first stop signal received, if any."""
        self._shields = 0
        self._pending = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> SignalGuard:
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
        if self._shields:
            self._pending = True
            return
        raise Interrupted(self.received)

    @contextlib.contextmanager
    def shielded(self, *, raise_pending: bool = True) -> Iterator[None]:
        """Signals are only noted inside; on a normal exit one noted meanwhile is raised then (unless
        ``raise_pending`` is false: clean-up on the way out of an error that is already propagating)."""
        self._shields += 1
        try:
            yield
        finally:
            self._shields -= 1
        if raise_pending:
            self.raise_pending()

    def keep_pending(self, signum: int) -> None:
        """Note ``signum`` as received and not raised yet (its exception was caught on the way)."""
        if self.received is None:
            self.received = signum
        self._pending = True

    def raise_pending(self) -> None:
        """Raise :class:`Interrupted` for a signal noted while shielded and not raised yet."""
        if self._pending and not self._shields and self.received is not None:
            self._pending = False
            raise Interrupted(self.received)


def run_in_thread(work: Callable[[], T]) -> T:
    """``work()`` in a worker (daemon) thread while this thread waits; its result or its exception.

    A signal's exception interrupts this wait, never ``work`` (which then finishes on its own)."""
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(work())
        except BaseException as error:  # handed to the waiting thread
            errors.append(error)

    thread = threading.Thread(target=target, name="atelier-backup-database", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(_POLL_SECONDS)
    if errors:
        raise errors[0]
    return results[0]
