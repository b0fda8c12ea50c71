"""A hostile line in a record file costs that line only (real PostgreSQL).

A line holding a number Python will not convert (an integer literal of 5,000 digits, ``"²"`` as a
seed, ``"--5"`` as steps, an integer beyond a float's range as ``cfg_scale``) raised a plain
``ValueError``/``OverflowError`` out of the record reader; the import caught it for the whole file,
so every good record of the file was lost with one problem, ``cannot read records (ValueError)``.
Now each such line is refused with its line number and reason, and the others are stored.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.importing.outcomes import Outcome
from catalog.importing.service import import_paths
from catalog.models import Asset
from catalog.settings import AtelierSettings

HOSTILE = {
    '{"id": "h1", "tool": "x", "created_at": "2026-03-01T10:10:00Z", "seed": ' + "9" * 5000 + "}": (
        "a number has more than 4300 digits"
    ),
    '{"id": "h2", "tool": "x", "created_at": "2026-03-01T10:11:00Z", "seed": "\u00b2"}': (
        "field 'seed': must be an integer, got '\u00b2'"
    ),
    '{"id": "h3", "tool": "x", "created_at": "2026-03-01T10:12:00Z", "steps": "--5"}': (
        "field 'steps': must be an integer, got '--5'"
    ),
    '{"id": "h4", "tool": "x", "created_at": "2026-03-01T10:13:00Z", "cfg_scale": 1' + "0" * 400 + "}": (
        "field 'cfg_scale': must be a finite number, got an integer too large"
    ),
}


async def test_lines_with_numbers_python_refuses_are_refused_one_by_one_and_the_rest_stored(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    good = [
        json.dumps(
            {"id": f"g{i}", "tool": "comfyui", "created_at": f"2026-03-01T10:0{i}:00Z", "seed": 2**64 - 1}
        )
        for i in range(4)
    ]
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join([good[0], *HOSTILE, *good[1:]]) + "\n")

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[path])

    (outcome,) = report.files
    assert outcome.outcome is Outcome.PROBLEM
    assert outcome.records is not None
    assert (outcome.records.imported, outcome.records.refused) == (4, 4)
    assert {problem.path: problem.reason for problem in report.problems} == {
        f"{path}:{line}": reason for line, reason in enumerate(HOSTILE.values(), start=2)
    }
    async with session_factory() as session:
        stored = (await session.execute(select(Asset.record_id, Asset.seed))).all()
    assert sorted(stored) == [(f"g{i}", 2**64 - 1) for i in range(4)]
