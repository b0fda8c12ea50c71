"""``atelier analyze``: the engine alone on files, folders or JSONL — no database, no services.

Images are read with the metadata readers (record id = content hash); JSONL lines are parsed with
the record codec. Duplicate record ids (the same image twice) are analysed once. An mtime shared as
a copy time by unrelated files is dropped across everything read (``engine.copy_times``).
Problems (missing paths, corrupt files, bad lines) are returned as :class:`Skipped` items with path and
reason; they never stop the analysis.

Speed: the image readers (and their process pool) are imported only when there are images to read;
the cyclic garbage collector is paused while records are collected and analysed (a one-shot run
allocates millions of long-lived, acyclic objects, and every full collection would rescan all of them;
reference counting still frees everything) and restored afterwards.

Cores: the engine analyses each user apart (nothing about one user's sessions depends on another's,
see :mod:`engine.sessions.record_stream`), so the input is cut into consecutive runs of users in
stream order of about :data:`RUN_RECORDS` records each. With several cores and at least
:data:`PARALLEL_MIN_RECORDS` records, forked workers (one per core) analyse the runs, each taking the
next when done, and send back only their encoded output (JSON array contents, or the table's rows).
Joined in user order, the output is byte for byte that of one analysis of everything (tested). A
worker that dies has its run analysed here instead.

JSONL-only input (the large case) is not parsed here at all: a light pass
(:mod:`engine.record_index`: ids, users, times; itself on the workers, a block each, from
:data:`PARALLEL_INDEX_BYTES`) finds each user's lines, and each worker decodes only
the lines of its run (plus a share of the lines nobody analyses — undated records, repeated ids — so
every line is still checked). Decoding is then spread over the cores and the records live only in the
workers (1,000,000 records: 1.0 GB resident instead of 1.8 GB). Any line that is not a plain record
sends the whole input the ordinary way — parsed here, the runs' records inherited by the forked
workers — which reports each problem by file and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast
from zoneinfo import ZoneInfo

import numpy as np

from catalog.importing.discovery import NOT_A_REGULAR_FILE, FileKind, FoundFile, discover
from catalog.importing.pool_size import leave_ctrl_c_to_parent, pool_workers
from engine.analysis import Analysis, AnalysisJsonParts, SessionResult, join_json_parts
from engine.copy_times import reject_copy_times
from engine.gc_pause import cyclic_gc_paused
from engine.record_codec import RecordLineError, decode_record_lines, read_records_jsonl
from engine.record_index import RecordIndex, coded_users, index_block, join_block_keys, read_record_blocks
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


class Skipped(NamedTuple):
    """What ``atelier analyze`` passed over, as printed after ``skipped``."""

    text: str
    """Path (and line, for a bad line of a log) and reason."""
    unread_file: bool
    """A whole file or named path could not be read (missing, unexaminable, a corrupt image): the
    command then exits :data:`ANALYZE_EXIT_UNREAD`. Bad lines of a readable log and a named file that
    is not an image or a log are reported but are not failures (as ``atelier import`` counts them)."""


ANALYZE_EXIT_UNREAD = 3
"""``atelier analyze``'s exit code when it finished but some file or named path could not be read
(the code ``atelier import`` uses when some files were problems)."""


def collect_records(
    paths: Iterable[Path], *, timezone: str, found: list[FoundFile] | None = None
) -> tuple[list[GenerationRecord], list[Skipped]]:
    """Every record of ``paths`` (first of each id) and the problems met; ``found``: what
    :func:`~catalog.importing.discovery.discover` already found under ``paths`` (walked once)."""
    paths = list(paths)
    records: dict[tuple[str | None, str], GenerationRecord] = {}  # ids are unique per user
    problems: list[Skipped] = []
    found = list(discover(paths)) if found is None else found
    named = set(paths)
    images = [item.path for item in found if item.kind is FileKind.IMAGE]
    if images:
        from catalog.importing.file_reading import FileProblem, MetadataReader

        with MetadataReader(len(images)) as reader:
            for _path, outcome in reader.read(images, timezone):
                if isinstance(outcome, FileProblem):
                    problems.append(Skipped(f"{outcome.path}: {outcome.reason}", unread_file=True))
                else:
                    records.setdefault((outcome.record.user, outcome.record.id), outcome.record)
    for item in found:
        if item.kind is FileKind.RECORDS:
            for line in read_records_jsonl(item.path, local_tz=ZoneInfo(timezone)):
                if isinstance(line, RecordLineError):
                    problems.append(Skipped(f"{item.path}:{line.line_number}: {line.message}", False))
                elif (first := records.setdefault((line.user, line.id), line)) is not line and first != line:
                    problems.append(Skipped(f"{item.path}: {_repeated(line)}", False))
        elif (skipped := _not_read(item, named)) is not None:
            problems.append(skipped)
    collected = list(records.values())
    reject_copy_times(collected, local_tz=ZoneInfo(timezone))
    return collected, problems


def _repeated(record: GenerationRecord) -> str:
    """Why a record whose id its user had already given another record is passed over."""
    owner = "" if record.user is None else f" of user {record.user!r}"
    return f"record {record.id!r}{owner} repeats an earlier id with other values; the first is kept"


def _not_read(item: FoundFile, named: set[Path]) -> Skipped | None:
    """How ``item`` is reported as skipped, if it is: a missing path or one that cannot be examined, or
    a file named on the command line that is not an image or a log (such files met inside a folder are
    passed over quietly, as an import counts them ignored)."""
    if item.kind in (FileKind.MISSING, FileKind.PROBLEM):
        return Skipped(f"{item.path}: {item.reason}", unread_file=True)
    if item.kind is FileKind.SKIPPED and item.path in named:  # a pipe or device named is one not read
        unread = item.reason is not None and item.reason.startswith(NOT_A_REGULAR_FILE)
        return Skipped(f"{item.path}: {item.reason}", unread_file=unread)
    return None


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
            session.started_at.isoformat(sep=" ", timespec="minutes")[:16],  # years before 1000 padded
            _one_line(session.tool),
            len(session.asset_ids),
            str(session.intent),
            _one_line(session.label),
        )


_LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    """``text`` with control characters and line separators shown as spaces: one table row a session,
    whatever a log's tool name or prompt (and so the label) holds."""
    return _LINE_BREAKING.sub(" ", text)


class AnalysisTable(NamedTuple):
    sessions: list[SessionRow]
    unclustered: int


def analyze_paths_json(
    paths: Iterable[Path], *, timezone: str = "UTC", workers: int | None = None
) -> tuple[bytes, list[Skipped]]:
    """The ``analyze --json`` document of ``paths`` (on up to ``workers`` cores; default: all this
    process may use) and the problems met reading them."""
    paths = list(paths)
    found = list(discover(paths))  # walked once, whichever path reads the files
    with cyclic_gc_paused():
        indexed = _analyze_indexed(paths, timezone, _json_parts, workers, found=found)
        if indexed is not None:
            parts, unclustered, problems = indexed
            return join_json_parts(parts, unclustered), problems
        records, problems = collect_records(paths, timezone=timezone, found=found)
        timed, unclustered = split_timed(records)
        return join_json_parts(_analyze_runs(timed, _json_parts, workers), unclustered), problems


def analyze_paths_table(
    paths: Iterable[Path], *, timezone: str = "UTC", workers: int | None = None
) -> tuple[AnalysisTable, list[Skipped]]:
    """The ``analyze`` table of ``paths`` (see :func:`analyze_paths_json` for ``workers``)."""
    paths = list(paths)
    found = list(discover(paths))
    with cyclic_gc_paused():
        indexed = _analyze_indexed(paths, timezone, _table_rows, workers, found=found)
        if indexed is not None:
            runs, unclustered, problems = indexed
        else:
            records, problems = collect_records(paths, timezone=timezone, found=found)
            timed, unclustered = split_timed(records)
            runs = _analyze_runs(timed, _table_rows, workers)
        return AnalysisTable([row for run in runs for row in run], len(unclustered)), problems


def _json_parts(analysis: Analysis) -> AnalysisJsonParts:
    return analysis.json_parts()


def _table_rows(analysis: Analysis) -> list[SessionRow]:
    """The table's rows: users in stream order, each user's sessions by start time (the analysis lists
    a user's day-precision sessions after the timed ones: their own stream)."""
    first_of: dict[str | None, int] = {}
    for position, session in enumerate(analysis.sessions):
        first_of.setdefault(session.user, position)
    ordered = sorted(analysis.sessions, key=lambda session: (first_of[session.user], session.started_at))
    return [SessionRow.of(session) for session in ordered]


def user_runs(timed: Sequence[GenerationRecord], count: int) -> list[list[GenerationRecord]]:
    """``timed`` cut into at most ``count`` runs of consecutive users in stream order, each user's
    records whole and in input order, the runs as even in records as whole users allow."""
    names, codes = coded_users([record.user for record in timed])
    return [[timed[at] for at in run.tolist()] for run in _runs_by_user(codes, names, count)]


def _runs_by_user(user_codes: np.ndarray, user_names: Sequence[str | None], count: int) -> list[np.ndarray]:
    """Positions in ``user_codes`` (per record, its user's position in ``user_names``) cut as
    :func:`user_runs` cuts the records: each run's positions ascending within a user."""
    stream_order = sorted(range(len(user_names)), key=lambda code: user_stream_key(user_names[code]))
    rank_of_code = np.empty(len(user_names), dtype=np.int64)
    rank_of_code[stream_order] = np.arange(len(user_names), dtype=np.int64)
    ranks = rank_of_code[user_codes]
    positions = np.argsort(ranks, kind="stable")
    total = len(ranks)
    cuts: list[int] = []
    in_run = done = 0
    for size in np.bincount(ranks, minlength=len(user_names)).tolist():
        # a new run when the middle of this user's records would fall past the current run's share
        if size and in_run and len(cuts) + 1 < count and done + size / 2 > total * (len(cuts) + 1) / count:
            cuts.append(done)
            in_run = 0
        in_run += size
        done += size
    return np.split(positions, cuts)


def _analyze_runs(
    timed: list[GenerationRecord], output: Callable[[Analysis], Output], workers: int | None
) -> list[Output]:
    """``output`` of each run's analysis, in user order: runs of about :data:`RUN_RECORDS` records,
    on forked workers (:func:`_on_forked_workers`), or here with one core or a small input."""
    runs = user_runs(timed, max(1, -(-len(timed) // RUN_RECORDS)))
    cores = min(workers if workers is not None else pool_workers(), len(runs))
    if cores < 2 or len(timed) < PARALLEL_MIN_RECORDS:
        return [output(analyze_records(run)) for run in runs]
    return _on_forked_workers([partial(_analyzed, run, output) for run in runs], cores)


def _analyzed(run: list[GenerationRecord], output: Callable[[Analysis], Output]) -> Output:
    return output(analyze_records(run))


INDEX_MIN_BYTES = 1_000_000
"""Smallest JSONL input (bytes, all files) worth indexing for the workers: smaller inputs are read
once, here (their records would not reach :data:`PARALLEL_MIN_RECORDS` anyway)."""
PARALLEL_INDEX_BYTES = 32_000_000
"""Smallest JSONL input (bytes) whose light pass is spread over forked workers too (~0.08 s of it
alone, against a fork's ~0.05 s)."""
CHECK_LINES = 50_000
"""Lines per task that only checks lines nobody analyses (untimed records, repeated ids)."""


def _analyze_indexed(
    paths: list[Path],
    timezone: str,
    output: Callable[[Analysis], Output],
    workers: int | None,
    *,
    found: list[FoundFile] | None = None,
) -> tuple[list[Output], list[str], list[Skipped]] | None:
    """Runs' outputs, unclustered ids and problems of JSONL-only input, each worker decoding only its
    own users' lines (:mod:`engine.record_index`); ``None`` when the input is not for this path (images,
    one core, a small or unusual input, a line that is not a record), which the caller then reads and
    analyses the ordinary way. Same result as that way when it is not ``None``: the runs are those
    :func:`user_runs` cuts from the same records, and every line is decoded by some worker, so a line
    that is not a record is never skipped over. ``found``: ``paths`` already walked (as for
    :func:`collect_records`)."""
    cores = workers if workers is not None else pool_workers()
    found = list(discover(paths)) if found is None else found
    files = [item.path for item in found if item.kind is FileKind.RECORDS]
    if cores < 2 or any(item.kind is FileKind.IMAGE for item in found):
        return None
    try:
        if sum(path.stat().st_size for path in files) < INDEX_MIN_BYTES:
            return None
        blocks = read_record_blocks(files)
    except OSError:
        return None  # the ordinary path says what is wrong with the file
    if sum(len(block) for block in blocks) >= PARALLEL_INDEX_BYTES:
        keys = _on_forked_workers([partial(index_block, block) for block in blocks], min(cores, len(blocks)))
    else:
        keys = [index_block(block) for block in blocks]
    index = join_block_keys(blocks, keys)
    plan = _plan_of(index) if index is not None else None
    if index is None or plan is None:
        return None
    local_tz = ZoneInfo(timezone)
    tasks: list[Callable[[], Output | bool | None]] = [
        partial(_analyzed_lines, index, run, local_tz, output) for run in plan.runs
    ]
    tasks += [
        partial(_lines_are_records, index, plan.unanalysed[start : start + CHECK_LINES], local_tz)
        for start in range(0, len(plan.unanalysed), CHECK_LINES)
    ]
    results = _on_forked_workers(tasks, min(cores, len(tasks)))
    if any(result is None or result is False for result in results):
        return None  # some line is not a record: the ordinary path reports it
    outputs = cast(list[Output], results[: len(plan.runs)])
    named = set(paths)
    problems = [skipped for item in found if (skipped := _not_read(item, named)) is not None]
    return outputs, plan.unclustered, problems


class _IndexPlan(NamedTuple):
    runs: list[np.ndarray]
    """Rows of each run: the first line of every timed id, users whole, in stream order."""
    unclustered: list[str]
    """Ids without a time, each once, in the order first met."""
    unanalysed: np.ndarray
    """Rows no run holds (undated records, repeated ids): decoded only to check them."""


def _plan_of(index: RecordIndex) -> _IndexPlan | None:
    """The runs :func:`user_runs` would cut from these lines' records (first line per id, timed ones
    by user), or ``None`` when fewer than :data:`PARALLEL_MIN_RECORDS` would be analysed."""
    ids = index.ids
    if len(set(ids)) == len(ids):  # the common case: every id once
        first_rows = np.arange(len(ids), dtype=np.int64)
    else:  # ids are unique per user: the first row of each (user, id)
        first_of: dict[tuple[int, str], int] = {}
        repeats: list[tuple[int, int]] = []
        for row, key in enumerate(zip(index.user_codes.tolist(), ids, strict=True)):
            first = first_of.setdefault(key, row)
            if first != row:
                repeats.append((row, first))
        if any(index.lines([row]) != index.lines([first]) for row, first in repeats):
            return None  # a repeat with other values: the ordinary path says which (see collect_records)
        first_rows = np.fromiter(first_of.values(), dtype=np.int64, count=len(first_of))
    is_timed = index.timed[first_rows]
    timed_rows = first_rows[is_timed]
    if len(timed_rows) < PARALLEL_MIN_RECORDS:
        return None
    unclustered = [ids[row] for row in first_rows[~is_timed].tolist()]
    count = -(-len(timed_rows) // RUN_RECORDS)
    runs = [timed_rows[run] for run in _runs_by_user(index.user_codes[timed_rows], index.user_names, count)]
    in_runs = np.zeros(len(index), dtype=bool)
    in_runs[timed_rows] = True
    return _IndexPlan(runs, unclustered, np.flatnonzero(~in_runs))


def _analyzed_lines(
    index: RecordIndex, rows: np.ndarray, local_tz: ZoneInfo, output: Callable[[Analysis], Output]
) -> Output | None:
    records = decode_record_lines(index.lines(rows), local_tz=local_tz)
    return None if records is None else output(analyze_records(records))


def _lines_are_records(index: RecordIndex, rows: np.ndarray, local_tz: ZoneInfo) -> bool:
    return decode_record_lines(index.lines(rows), local_tz=local_tz) is not None


Result = TypeVar("Result")
_forked_tasks: list[Callable[[], Any]] = []
"""The tasks, set before the workers fork: a worker runs a task by its position, so nothing but
the position and the result travels between processes."""


def _run_forked_task(position: int) -> Any:
    return _forked_tasks[position]()


def _on_forked_workers(tasks: list[Callable[[], Result]], cores: int) -> list[Result]:
    """Each task's result, in order, computed by ``cores`` forked workers that take the next task as
    they finish one. A task whose worker died (or that a broken pool refused) is run here instead."""
    # loaded here: the process pool's modules cost a small analysis ~30 ms of start-up
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _forked_tasks
    _forked_tasks = tasks
    pool = ProcessPoolExecutor(
        max_workers=cores, mp_context=multiprocessing.get_context("fork"), initializer=leave_ctrl_c_to_parent
    )
    try:
        futures: list[Future[Result] | None] = []
        for position in range(len(tasks)):
            try:
                futures.append(pool.submit(_run_forked_task, position))
            except Exception:  # a broken pool refuses work: that task is run here
                futures.append(None)
        results = [_result_of(future, task) for future, task in zip(futures, tasks, strict=True)]
    except BaseException:
        _stop_at_once(pool)  # Ctrl-C (or a failure here): nothing more is wanted from the workers
        raise
    else:
        pool.shutdown()
        return results
    finally:
        _forked_tasks = []


def _stop_at_once(pool: ProcessPoolExecutor) -> None:
    """Drop the tasks not started and end the workers now, rather than let ``shutdown`` wait for every
    task already handed to them (up to ``workers + 1``, seconds of work nobody will read).
    ``terminate_workers`` is Python 3.14's; before it the pool's own process table is the only handle."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def _result_of(future: Future[Result] | None, task: Callable[[], Result]) -> Result:
    """The worker's result for ``task``, or ``task`` run here when no worker gave it (the pool
    refused it, or the worker died: ``BrokenProcessPool``)."""
    if future is not None:
        try:
            return future.result()
        except Exception:
            pass
    return task()
