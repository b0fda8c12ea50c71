"""Re-clustering work kept off the event loop that ``atelier serve`` shares with its in-process worker.

Where the time goes (full re-cluster of a generated 10,000-asset library, embedded PostgreSQL, this
machine): 3.3 s in all, of which the engine's ``analyze_records`` is only 0.2–0.5 s. The rest is
SQLAlchemy materialising ORM rows, converting them to records and writing sessions, phases and
lineage — synchronous Python run on the loop thread in blocks of up to 0.6 s (0.86 s per 10k rows
just to load the assets, so ~40 s in one block at 500k). A thread around the engine call cannot
split those blocks, and with the GIL a thread running pure Python still slows every request. So:

- **A full re-cluster** (:func:`recluster_user_in_child_process`, the ``recluster_user_job``) runs
  whole in a child process (``python -m catalog.sessions.recluster_process``): its own interpreter
  (no GIL shared with the API), its own event loop and database connection. Only the user id and
  database URL go in and a one-line JSON summary comes out, so nothing large is pickled; the child's
  ~1.5 s of imports is small beside a re-cluster worth moving (3 s at 10k assets, 110 s at 500k).
  Measured on the 10k library: longest event-loop stall 0.01–0.03 s with the child, 0.46–0.94 s
  with the same re-cluster on the loop; wall time 7–8.5 s against 6.5–7 s (the child's imports).
  A plain subprocess rather than a ``ProcessPoolExecutor``: spawn/forkserver pools re-import the
  parent's ``__main__`` (fragile under console scripts and test runners), and a subprocess can be
  killed: a caller that is cancelled (job timeout, shutdown past its bound) terminates the child,
  whose transaction then rolls back — nothing half-written, and the job is simply run again. The
  child takes the same per-user advisory lock, so it still serialises with imports and corrections.
- **The engine call inside span re-clustering and corrections** (:func:`analyze_off_loop`) runs in a
  thread: spans are small (≈150 assets after a 100-file import: ~5 ms) and their inputs are ORM-built
  records and embedding arrays that a process would have to pickle; the thread keeps a large span
  (a 20k-file import through a watched folder) from stalling the loop for the whole analysis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import uuid
from collections.abc import Mapping, Sequence

import numpy as np

from catalog.sessions.reclustering_summary import ReclusterSummary
from engine.analysis import Analysis
from engine.records import GenerationRecord
from engine.session_analysis import SessionConstraints, analyze_records

CHILD_MODULE = "catalog.sessions.recluster_process"


class ChildProcessFailed(RuntimeError):
    """The re-clustering child process exited with an error; the message carries its stderr tail."""


async def analyze_off_loop(
    records: Sequence[GenerationRecord],
    *,
    constraints: SessionConstraints | None = None,
    threshold_offset: float = 0.0,
    prompt_embeddings: Mapping[str, np.ndarray] | None = None,
    visual_embeddings: Mapping[str, np.ndarray] | None = None,
    recurring_words: Mapping[str | None, Mapping[str, float]] | None = None,
) -> Analysis:
    """:func:`engine.session_analysis.analyze_records` in a worker thread (same inputs, same result)."""
    return await asyncio.to_thread(
        analyze_records,
        records,
        constraints=constraints,
        threshold_offset=threshold_offset,
        prompt_embeddings=prompt_embeddings,
        visual_embeddings=visual_embeddings,
        recurring_words=recurring_words,
    )


async def recluster_user_in_child_process(
    database_url: str, user_id: uuid.UUID, *, keep_sessions: bool = False
) -> ReclusterSummary:
    """Full re-cluster of ``user_id`` (``keep_sessions``: a re-description, every stored session
    pinned) in a child process that commits its own unit of work.

    Cancelling the caller kills the child (its transaction rolls back) and re-raises.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        CHILD_MODULE,
        str(user_id),
        *(["--keep-sessions"] if keep_sessions else []),
        env=os.environ | {"ATELIER_RECLUSTER_DATABASE_URL": database_url},  # not on the command line
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await process.communicate()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        tail = stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise ChildProcessFailed(f"re-clustering child exited with {process.returncode}: " + " | ".join(tail))
    summary = json.loads(stdout.decode().strip().splitlines()[-1])
    return ReclusterSummary(
        user_id=uuid.UUID(summary["user_id"]),
        assets_considered=summary["assets_considered"],
        sessions_written=summary["sessions_written"],
        sessions_created=summary["sessions_created"],
        sessions_deleted=summary["sessions_deleted"],
    )
