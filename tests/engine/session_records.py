"""Record builders shared by the session-engine tests: a paced stream of one artist's generations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from engine.analysis import Analysis
from engine.records import GenerationRecord

T0 = datetime(2026, 2, 25, 9, 0, tzinfo=UTC)
NEON = "neon alley at night, cinematic photo, rain reflections"
MOUNTAIN = "snowy mountain landscape at dawn, oil painting"
PORTRAIT = "portrait of an old fisherman, charcoal sketch"


def record(
    record_id: str, minutes: float, prompt: str | None = "neon alley at night", **fields: Any
) -> GenerationRecord:
    """A ComfyUI record of user ``ada``, ``minutes`` after :data:`T0`."""
    fields.setdefault("tool", "comfyui")
    fields.setdefault("user", "ada")
    fields.setdefault("model", "sdxl_base")
    return GenerationRecord(id=record_id, created_at=T0 + timedelta(minutes=minutes), prompt=prompt, **fields)


def paced(
    prefix: str, start_minutes: float, count: int, pace_minutes: float, prompt: str, **fields: Any
) -> Iterator[GenerationRecord]:
    """``count`` records every ``pace_minutes`` from ``start_minutes``, seeds 0, 1, 2, …"""
    for i in range(count):
        yield record(f"{prefix}{i:03d}", start_minutes + i * pace_minutes, prompt, seed=i, **fields)


def memberships(analysis: Analysis) -> list[list[str]]:
    return [session.asset_ids for session in analysis.sessions]
