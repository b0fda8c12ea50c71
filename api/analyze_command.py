"""``atelier analyze``: the engine alone on files, folders or JSONL — no database, no services.

Images are read with the metadata readers (record id = content hash); JSONL lines are parsed with
the record codec. Duplicate record ids (the same image twice) are analysed once. An mtime shared as
a copy time by unrelated files is dropped across everything read (``engine.metadata.copy_times``).
Problems (corrupt files, bad lines) are returned as strings with path and reason; they never stop
the analysis.

Speed: the image readers (and their process pool) are imported only when there are images to read;
the cyclic garbage collector is paused while records are collected and analysed (a one-shot run
allocates millions of long-lived, acyclic objects, and every full collection would rescan all of them;
reference counting still frees everything) and restored afterwards.

Cores: the engine analyses each user apart (nothing about one user's sessions depends on another's,
see :mod:`engine.sessions.record_stream`), so the input is cut into consecutive runs of users in
stream order of about :data:`RUN_RECORDS` records each. With several cores and at least
:data:`PARALLEL_MIN_RECORDS` records, forked workers (one per core) analyse the runs, each taking the
next when done; they inherit the parsed records (nothing is sent to them) and send back only their
encoded output (JSON array contents, or the table's rows). Joined in user order, the output is byte
for byte that of one analysis of everything (tested). A worker that dies has its run analysed here
instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from catalog.importing.discovery import FileKind, discover
from catalog.importing.pool_size import pool_workers
from engine.analysis import Analysis, AnalysisJsonParts, SessionResult, join_json_parts
from engine.gc_pause import cyclic_gc_paused
from engine.metadata.copy_times import reject_copy_times
from engine.record_codec import RecordLineError, read_records_jsonl
from engine.records import GenerationRecord
from engine.session_analysis import analyze_records, split_timed
from engine.sessions.record_stream import user_stream_key

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

PARALLEL_MIN_RECORDS = 20_000
"""Fewest timed records worth forking workers for (a fork and its hand-back cost ~0.1 s)."""
RUN_RECORDS = 20_000
"""Records per run (whole users, so runs vary). Many small runs keep the workers evenly busy: each
takes the next run when done, whatever the runs' costs per record. The engine's total CPU is the same
either way (7.1 against 7.2 CPU s for 318,987 records as one run or 16, each in a fresh process)."""
Output = TypeVar("Output")


def collect_records(paths: Iterable[Path], *, timezone: str) -> tuple[list[GenerationRecord], list[str]]:
    records: dict[str, GenerationRecord] = {}
    problems: list[str] = []
    found = list(discover(paths))
    images = [item.path for item in found if item.kind is FileKind.IMAGE]
    if images:
        from catalog.importing.file_reading import FileProblem, MetadataReader

        with MetadataReader(len(images)) as reader:
            for _path, outcome in reader.read(images, timezone):
                if isinstance(outcome, FileProblem):
                    problems.append(f"{outcome.path}: {outcome.reason}")
                else:
                    records.setdefault(outcome.record.id, outcome.record)
    for item in found:
        if item.kind is FileKind.RECORDS:
            for line in read_records_jsonl(item.path, local_tz=ZoneInfo(timezone)):
                if isinstance(line, RecordLineError):
                    problems.append(f"{item.path}:{line.line_number}: {line.message}")
                else:
                    records.setdefault(line.id, line)
        elif item.kind in (FileKind.MISSING, FileKind.PROBLEM):
            problems.append(f"{item.path}: {item.reason}")
    collected = list(records.values())
    reject_copy_times(collected)
    return collected, problems


class SessionRow(NamedTuple):
    """What the ``atelier analyze`` table shows of one session."""

    started_at: str
    tool: str
    images: int
    intent: str
    label: str

    @classmethod
    def of(cls, session: SessionResult) -> SessionRow:
        return cls(
            session.started_at.strftime("%Y-%m-%d %H:%M"),
            session.tool,
            len(session.asset_ids),
            str(session.intent),
            session.label,
        )


class AnalysisTable(NamedTuple):
    sessions: list[SessionRow]
    unclustered: int


def analyze_paths_json(
    paths: Iterable[Path], *, timezone: str = "UTC", workers: int | None = None
) -> tuple[bytes, list[str]]:
    """The ``analyze --json`` document of ``paths`` (on up to ``workers`` cores; default: all this
    process may use) and the problems met reading them."""
    with cyclic_gc_paused():
        records, problems = collect_records(paths, timezone=timezone)
        timed, unclustered = split_timed(records)
        return join_json_parts(_analyze_runs(timed, _json_parts, workers), unclustered), problems


def analyze_paths_table(
    paths: Iterable[Path], *, timezone: str = "UTC", workers: int | None = None
) -> tuple[AnalysisTable, list[str]]:
    """The ``analyze`` table of ``paths`` (see :func:`analyze_paths_json` for ``workers``)."""
    with cyclic_gc_paused():
        records, problems = collect_records(paths, timezone=timezone)
        timed, unclustered = split_timed(records)
        rows = [row for run in _analyze_runs(timed, _table_rows, workers) for row in run]
        return AnalysisTable(rows, len(unclustered)), problems


def _json_parts(analysis: Analysis) -> AnalysisJsonParts:
    return analysis.json_parts()


def _table_rows(analysis: Analysis) -> list[SessionRow]:
    return [SessionRow.of(session) for session in analysis.sessions]


def user_runs(timed: Sequence[GenerationRecord], count: int) -> list[list[GenerationRecord]]:
    """``timed`` cut into at most ``count`` runs of consecutive users in stream order, each user's
    records whole and in input order, the runs as even in records as whole users allow."""
    by_user: dict[str | None, list[GenerationRecord]] = {}
    for record in timed:
        by_user.setdefault(record.user, []).append(record)
    users = sorted(by_user, key=user_stream_key)
    runs: list[list[GenerationRecord]] = [[]]
    done = 0
    for user in users:
        records = by_user[user]
        # a new run when the middle of this user's records would fall past the current run's share
        if runs[-1] and len(runs) < count and done + len(records) / 2 > len(timed) * len(runs) / count:
            runs.append([])
        runs[-1].extend(records)
        done += len(records)
    return runs


_forked_runs: list[list[GenerationRecord]] = []
"""The runs, set before the workers fork: they read their run from here, so no record is sent."""


def _analyze_forked_run(index: int, output: Callable[[Analysis], Output]) -> Output:
    return output(analyze_records(_forked_runs[index]))


def _analyze_runs(
    timed: list[GenerationRecord], output: Callable[[Analysis], Output], workers: int | None
) -> list[Output]:
    """``output`` of each run's analysis, in user order: runs of about :data:`RUN_RECORDS` records,
    on forked workers that take the next run as they finish one (``output`` is a module-level
    function, so it travels to them by name), or here with one core or a small input."""
    runs = user_runs(timed, max(1, -(-len(timed) // RUN_RECORDS)))
    cores = min(workers if workers is not None else pool_workers(), len(runs))
    if cores < 2 or len(timed) < PARALLEL_MIN_RECORDS:
        return [output(analyze_records(run)) for run in runs]
    # loaded here: the process pool's modules cost a small analysis ~30 ms of start-up
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _forked_runs
    _forked_runs = runs
    pool = ProcessPoolExecutor(
        max_workers=cores, mp_context=multiprocessing.get_context("fork"), initializer=_ignore_sigint
    )
    try:
        futures: list[Future[Output] | None] = []
        for index in range(len(runs)):
            try:
                futures.append(pool.submit(_analyze_forked_run, index, output))
            except Exception:  # a broken pool refuses work: that run is analysed here
                futures.append(None)
        outputs = [_output_of(future, run, output) for future, run in zip(futures, runs, strict=True)]
    except BaseException:
        _stop_at_once(pool)  # Ctrl-C (or a failure here): nothing more is wanted from the workers
        raise
    else:
        pool.shutdown()
        return outputs
    finally:
        _forked_runs = []


def _stop_at_once(pool: ProcessPoolExecutor) -> None:
    """Drop the runs not started and end the workers now, rather than let ``shutdown`` wait for every
    run already handed to them (up to ``workers + 1`` runs, seconds of work nobody will read).
    ``terminate_workers`` is Python 3.14's; before it the pool's own process table is the only handle."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops the pool (a worker's ``KeyboardInterrupt``
    would only come back as its run's result)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _output_of(
    future: Future[Output] | None, run: list[GenerationRecord], output: Callable[[Analysis], Output]
) -> Output:
    """The worker's output for ``run``, or ``run`` analysed here when no worker gave it (the pool
    refused the run, or the worker died: ``BrokenProcessPool``)."""
    if future is not None:
        try:
            return future.result()
        except Exception:
            pass
    return output(analyze_records(run))
