"""Midjourney archive / job JSON -> generation times per job id.

The web archive (and archivers built on the site's job listing) store jobs as JSON objects like::

    {"id": "<uuid>", "enqueue_time": "2025-06-30 08:28:07.123456", "parent_id": null,
     "parent_grid": null, "prompt": "a lighthouse in a storm", "full_command": "a lighthouse … --v 7",
     "job_type": "v7_diffusion", "event_type": "diffusion", "username": "…", "user_id": "…",
     "image_paths": ["https://cdn.midjourney.com/<uuid>/0_0.png", …], …}

A file holds a list of such jobs, or an object ``{"jobs": [...]}``.

Invariants and choices:

- ``enqueue_time`` is **UTC** (naive text; ``T``/``Z``/offset forms are accepted too); with a
  fractional second it has millisecond precision, without one second precision.
- One :class:`ExportTimeEvidence` per job, keyed by the job id (``key_kind == "job_id"``): image
  files downloaded from Midjourney carry the job id (PNG ``Description``/XMP ``DigImageGUID``, file
  names), not a tool-assigned file name. ``parent_job_id`` = ``parent_id`` (the grid an upscale or
  variation came from), ``parent_grid`` = ``parent_grid`` (which image of that grid, 0-based; only
  with a ``parent_id``), ``job_type`` = ``job_type`` (what the job is: ``v7_diffusion`` for a grid,
  ``v7_upsample`` / ``v6_upscale_creative`` for an upscale, ``v7_variation`` …; verbatim),
  ``prompt`` = ``prompt`` or else ``full_command``; every other field is kept verbatim in ``extra``
  (``parent_grid`` and ``job_type`` too, as the archive wrote them).
- A ``parent_grid`` that is not a grid position (an integer 0-63, or its digits as text), or a
  ``job_type`` that is not text, is dropped and reported (``skipped=False``): the job's time and
  parent job are still used. An empty ``job_type`` is none.
- A ``parent_id`` or ``job_type`` that is not text a database can hold (a NUL, an unpaired surrogate;
  a ``parent_id`` longer than a key, :func:`engine.exports.evidence.key_text`) is dropped and
  reported the same way. A job whose own ``id`` cannot be a key is skipped and reported.
- Parent links are kept as the archive states them, cycles included (a job its own parent, A → B →
  A): lineage walks ancestors without revisiting a job (``catalog.sessions.lineage_queries``).
- A job without a usable ``id`` or ``enqueue_time`` is skipped and reported; a repeated job id
  (paginated archives overlap) is kept once: identical repeats silently, differing ones reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.exports.evidence import (
    EntryError,
    ExportFormatError,
    ExportParseResult,
    ExportProblem,
    ExportTimeEvidence,
    key_text,
    load_json_export,
    optional_text,
    parse_utc_text,
    sorted_evidence,
)
from engine.sessions.lineage import MAX_GRID_POSITION, grid_position_value
from engine.text_checks import text_problem

SOURCE = "export:midjourney_archive"
_MAPPED_FIELDS = frozenset({"id", "enqueue_time", "parent_id", "prompt"})


def read_midjourney_archive(path: Path | str) -> ExportParseResult:
    """Parse a Midjourney archive/job JSON file."""
    return parse_midjourney_archive(load_json_export(path), source=str(path))


def parse_midjourney_archive(archive: Any, *, source: str) -> ExportParseResult:
    """Parse already-decoded archive JSON; ``source`` names it in errors and problems."""
    if isinstance(archive, dict) and "jobs" in archive:
        jobs = archive["jobs"]
    elif isinstance(archive, list):
        jobs = archive
    else:
        shape = "an object without 'jobs'" if isinstance(archive, dict) else type(archive).__name__
        raise ExportFormatError(
            source, f"expected a list of Midjourney jobs or {{'jobs': [...]}}, got {shape}"
        )
    if not isinstance(jobs, list):
        raise ExportFormatError(source, f"'jobs' is {type(jobs).__name__}, expected a list")

    evidence: dict[str, ExportTimeEvidence] = {}
    raw_by_id: dict[str, dict[str, Any]] = {}
    problems: list[ExportProblem] = []
    skipped = 0
    for index, job in enumerate(jobs):
        entry = f"#{index}"
        try:
            if not isinstance(job, dict):
                raise EntryError(f"job is {type(job).__name__}, expected an object")
            item, dropped_details = _job_evidence(job)
        except EntryError as error:
            skipped += 1
            if isinstance(job, dict) and isinstance(job.get("id"), str) and job["id"]:
                entry = job["id"]
            problems.append(ExportProblem(source, entry, str(error)))
            continue
        if item.key in evidence:
            if raw_by_id[item.key] != job:
                problems.append(
                    ExportProblem(
                        source,
                        item.key,
                        f"job id repeated with different content at {entry}; the first occurrence is kept",
                    )
                )
            continue
        evidence[item.key] = item
        raw_by_id[item.key] = job
        problems.extend(
            ExportProblem(source, item.key, dropped, skipped=False) for dropped in dropped_details
        )
    if jobs and skipped == len(jobs):
        raise ExportFormatError(source, f"no entry is a Midjourney job (first problem: {problems[0].reason})")
    return ExportParseResult(source, sorted_evidence(evidence.values()), tuple(problems))


def _job_evidence(job: dict[str, Any]) -> tuple[ExportTimeEvidence, list[str]]:
    """The job's evidence, and why details of it were dropped (none: empty)."""
    job_id = optional_text(job, "id")
    if job_id is None:
        raise EntryError("job has no 'id'")
    key_text(job_id, "job id")
    if "enqueue_time" not in job:
        raise EntryError("job has no 'enqueue_time'")
    created_at, precision = parse_utc_text(job["enqueue_time"])
    prompt = optional_text(job, "prompt")
    if prompt is None:
        full_command = job.get("full_command")
        prompt = full_command if isinstance(full_command, str) and full_command else None
    dropped: list[str] = []
    parent_job_id = optional_text(job, "parent_id")
    if parent_job_id is not None:
        try:
            key_text(parent_job_id, "parent_id")
        except EntryError as error:
            dropped.append(f"{error}; the parent job is dropped")
            parent_job_id = None
    raw_grid = job.get("parent_grid")
    parent_grid = grid_position_value(raw_grid) if parent_job_id is not None else None
    if parent_job_id is not None and raw_grid is not None and parent_grid is None:
        shown = repr(raw_grid) if len(repr(raw_grid)) <= 40 else f"{repr(raw_grid)[:40]}…"
        dropped.append(f"parent_grid {shown} is not a grid position (0-{MAX_GRID_POSITION}); dropped")
    raw_job_type = job.get("job_type")
    job_type = raw_job_type if isinstance(raw_job_type, str) and raw_job_type else None
    if raw_job_type is not None and not isinstance(raw_job_type, str):
        dropped.append(f"job_type is {type(raw_job_type).__name__}, expected text; dropped")
    elif job_type is not None and (problem := text_problem(job_type)) is not None:
        dropped.append(f"job_type {problem}; dropped")
        job_type = None
    evidence = ExportTimeEvidence(
        key_kind="job_id",
        key=job_id,
        created_at=created_at,
        source=SOURCE,
        precision=precision,
        time_field="enqueue_time",
        job_id=job_id,
        parent_job_id=parent_job_id,
        parent_grid=parent_grid,
        job_type=job_type,
        prompt=prompt,
        extra={name: value for name, value in job.items() if name not in _MAPPED_FIELDS},
    )
    return evidence, dropped
