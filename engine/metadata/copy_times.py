"""Shared copy times: an mtime that many unrelated files share is when they were copied, not made.

A checkout, an unzip or a ``cp -r`` gives every file the moment it was written, so files that only
have an mtime (see :mod:`engine.metadata.timestamps`) would all fall into one fake session. A
generation run also writes its batch within a second, but from one tool and one workflow (or one
model): a batch never mixes them. Hence the rule, applied to the records of one read (a folder, an
import, an ``analyze`` run):

- records timed by ``file:mtime`` are sorted by time and chained while consecutive mtimes are at
  most :data:`COPY_CHAIN_SECONDS` apart;
- a chain of at least :data:`MIN_COPY_GROUP` records is a copy when its records come from more than
  one *source* — a source is ``(tool, workflow hash)``, or ``(tool, model)`` for tools that write no
  workflow;
- the records of a copy lose their time (``created_at`` and its source and precision become
  ``None``) and say why in ``extra["time_rejected"]`` (after any reason already there: a better
  source the file held may have been passed over as not credible, see
  :mod:`engine.metadata.time_bounds`); they stay in the catalog and the gallery and are never
  grouped into sessions.

Records with a better time source (tool metadata, EXIF, file name) are never touched. Pure and
idempotent: a second pass finds nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.records import GenerationRecord

TIME_REJECTED = "time_rejected"
"""``extra`` key holding why a time source of the file was not taken as its generation time (the
mtime, or a better source outside the credible window); reasons are joined with ``"; "``."""

MTIME_SOURCE = "file:mtime"
COPY_CHAIN_SECONDS = 1.0
"""Largest gap between consecutive mtimes of one copy (a bulk copy writes many files per second)."""
MIN_COPY_GROUP = 3
"""Fewest files sharing a moment before their mix of sources counts as a copy."""


def reject_copy_times(records: Sequence[GenerationRecord]) -> int:
    """Drop the time of every record whose mtime is a shared copy time; returns how many were dropped."""
    timed = sorted(
        (r for r in records if r.created_at_source == MTIME_SOURCE and r.created_at is not None),
        key=lambda r: r.created_at,  # type: ignore[arg-type,return-value]  # filtered above
    )
    dropped = 0
    start = 0
    for index in range(1, len(timed) + 1):
        ends_chain = index == len(timed) or (
            (timed[index].created_at - timed[index - 1].created_at).total_seconds()  # type: ignore[operator]
            > COPY_CHAIN_SECONDS
        )
        if ends_chain:
            dropped += _reject_if_copy(timed[start:index])
            start = index
    return dropped


def _reject_if_copy(chain: list[GenerationRecord]) -> int:
    if len(chain) < MIN_COPY_GROUP:
        return 0
    sources = {(r.tool, r.workflow_hash or r.model) for r in chain}
    if len(sources) < 2:
        return 0
    tools = len({tool for tool, _ in sources})
    first, last = chain[0].created_at, chain[-1].created_at
    assert first is not None and last is not None
    reason = (
        f"file mtime is a copy time: {len(chain)} files from {len(sources)} different tools/models "
        f"({tools} tool{'s' if tools != 1 else ''}) were written between {first.isoformat()} and "
        f"{last.isoformat()}"
    )
    for record in chain:
        record.created_at = None
        record.created_at_source = None
        record.created_at_precision = None
        earlier = record.extra.get(TIME_REJECTED)
        record.extra[TIME_REJECTED] = f"{earlier}; {reason}" if isinstance(earlier, str) else reason
    return len(chain)
