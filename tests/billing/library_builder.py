"""Real sessions in the real database for billing and reflection tests: a JSONL log imported by the
catalog's own import, clustered by the engine."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.models import Asset, Session, User
from catalog.settings import AtelierSettings

PROMPT_STEPS = (
    "portrait of an old fisherman, oil painting, warm light",
    "portrait of an old fisherman, oil painting, warm light, (weathered skin:1.2)",
    "portrait of an old fisherman, oil painting, golden hour, (weathered skin:1.3), sea spray",
)


def refinement_evening(asset_count: int, *, start: datetime, prefix: str) -> list[dict[str, object]]:
    """``asset_count`` generations 40 s apart refining one portrait: prompt edits, a CFG and steps
    sweep, two seeds, one model and LoRA — one creative session."""
    records: list[dict[str, object]] = []
    for index in range(asset_count):
        records.append(
            {
                "id": f"{prefix}-{index:05d}",
                "tool": "comfyui",
                "created_at": (start + timedelta(seconds=40 * index)).isoformat(),
                "prompt": PROMPT_STEPS[min(len(PROMPT_STEPS) - 1, index * len(PROMPT_STEPS) // asset_count)],
                "negative_prompt": "blurry, lowres",
                "seed": 4242 if index % 3 else 777,
                "cfg_scale": [5.0, 6.0, 7.0, 7.5][index % 4],
                "steps": 28 if index < asset_count // 2 else 36,
                "sampler": "dpmpp_2m",
                "scheduler": "karras",
                "model": "juggernautXL_v9.safetensors",
                "loras": [{"name": "film_grain", "weight": 0.6}],
                "width": 1024,
                "height": 1024,
            }
        )
    return records


async def user_with_session(
    factory: SessionFactory,
    settings: AtelierSettings,
    folder: Path,
    *,
    handle: str = "ada",
    asset_count: int = 60,
    day: int = 0,
) -> tuple[uuid.UUID, uuid.UUID]:
    """Import one evening for ``handle``; returns ``(user id, id of the session holding it)``."""
    start = datetime(2026, 3, 2, 19, tzinfo=UTC) + timedelta(days=day)
    path = folder / f"{handle}-{day}-{uuid.uuid4().hex[:8]}.jsonl"
    records = refinement_evening(asset_count, start=start, prefix=f"{handle}-{day}")
    _write_lines(path, [json.dumps(record) for record in records])
    report = await import_paths(factory, settings, user_handle=handle, paths=[path])
    assert report.problems == [], report.problems
    async with factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == handle))
        assert user_id is not None
        session_id = await db.scalar(
            select(Asset.session_id).where(
                Asset.user_id == user_id, Asset.record_id == f"{handle}-{day}-00000"
            )
        )
        assert session_id is not None
        size = await db.scalar(select(func.count()).where(Asset.session_id == session_id))
        assert size == asset_count, f"the evening split into several sessions ({size} of {asset_count})"
        assert await db.get(Session, session_id) is not None
    return user_id, session_id


def _write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
