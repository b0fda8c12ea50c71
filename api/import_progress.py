"""``atelier import``'s progress on stderr: files read and stored, then the thumbnails.

Always stderr, never stdout: ``--json`` keeps stdout pure JSON lines. What it looks like depends on
where stderr goes:

- a terminal: rich live bars (files, then thumbnails with their count and time left), cleared when
  the import ends, and one line kept once the sessions are committed ("sessions ready … making N
  thumbnails"), so a user knows the gallery can be browsed while thumbnails are still made;
- anything else (a pipe, a log file, CI): plain lines, sparse — that same "sessions ready" line,
  then at most one line per :data:`PLAIN_LINE_SECONDS` and one when the thumbnails are all made
  (the last re-clustering follows) — so a log is not flooded.

Thread-safety: callbacks are called from the event loop's thread only (``import_paths`` calls them
between awaits).
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from api.counted import counted

PLAIN_LINE_SECONDS = 5.0
"""Fewest seconds between two plain progress lines (stderr not a terminal)."""


class ImportProgress:
    """Progress callbacks for :func:`catalog.importing.service.import_paths`; a context manager."""

    def __init__(self, console: Console, *, live: bool | None = None) -> None:
        self._console = console
        self._live = console.is_terminal if live is None else live
        self._started = time.monotonic()
        self._files = 0
        self._last_line = self._started
        self._thumbnails_started: float | None = None
        self._progress: Progress | None = None
        self._files_task: TaskID | None = None
        self._thumbnails_task: TaskID | None = None

    def __enter__(self) -> ImportProgress:
        if self._live:
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
            )
            self._progress = Progress(*columns, console=self._console, transient=True)
            self._progress.start()
            self._files_task = self._progress.add_task("importing", total=None)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def files(self, count: int) -> None:
        """``count`` more files read and accounted for."""
        self._files += count
        if self._progress is not None and self._files_task is not None:
            self._progress.update(self._files_task, advance=count)
        elif self._due():
            self._line(f"importing: {counted(self._files, 'file')} read")

    def thumbnails(self, done: int, total: int, failed: int = 0) -> None:
        """``done`` of ``total`` thumbnails made or failed (``failed`` of them could not be made);
        ``(0, total, 0)`` once the sessions are in."""
        if done == 0:
            self._thumbnails_started = time.monotonic()
            if total:
                self._line(
                    f"{counted(self._files, 'file')} read; sessions ready after "
                    f"{self._elapsed(self._started)}; making {counted(total, 'thumbnail')}"
                )
            if self._progress is not None and total:
                if self._files_task is not None:
                    self._progress.update(self._files_task, visible=False)
                self._thumbnails_task = self._progress.add_task("thumbnails", total=total)
            return
        reclustering = failed < total  # with the descriptors of those made
        not_made = f" ({failed} could not be made)" if failed else ""
        if self._progress is not None and self._thumbnails_task is not None:
            finished = "no thumbnail could be made"
            if reclustering:
                finished = f"thumbnails made{not_made}; re-clustering with them"
            description = finished if done == total else "thumbnails"
            self._progress.update(self._thumbnails_task, completed=done, description=description)
        elif done == total:
            self._line(
                f"thumbnails: {done - failed}/{total} made in {self._elapsed(self._thumbnails_started)}"
                + not_made
                + ("; re-clustering with their visual descriptors" if reclustering else "")
            )
        elif self._due():
            self._line(f"thumbnails: {done}/{total}")

    def _due(self) -> bool:
        return time.monotonic() - self._last_line >= PLAIN_LINE_SECONDS

    def _line(self, text: str) -> None:
        self._last_line = time.monotonic()
        if self._progress is not None:
            self._progress.console.print(text, highlight=False, markup=False)
        else:
            self._console.print(text, highlight=False, markup=False)

    @staticmethod
    def _elapsed(since: float | None) -> str:
        return f"{time.monotonic() - (since or time.monotonic()):.1f} s"
