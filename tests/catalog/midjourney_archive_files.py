"""A Midjourney grid, its upscale and their archive, as files: the real web downloads' names and text
chunks, the archive JSON, and the JSONL records a reader makes of the downloads; plus the catalog reads
the archive tests compare (assets and lineage by file name). Shared by the parent-grid and job-type
tests of ``catalog.importing.export_evidence``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.importing.export_import import ExportImportReport, import_export
from catalog.models import Asset, LineageEdge
from catalog.settings import AtelierSettings

GRID = "d7e2a9c4-6b1f-4e83-a5d0-3c9b8f2e1a47"
UPSCALE = "31b4cc6a-32c8-4b17-9aef-15c0f405f6f6"
OTHER = "5c8f0a3d-2e7b-4d19-b6a4-8e1c3f5d7b92"
PROMPT = "whales swimming through a sky above a city --v 7"
STEM = "u2816893666_whales_swimming_through_a_sky_above_a_city"
GRID_TIME = "2025-06-30T08:26:52Z"
UPSCALE_TIME = "2025-06-30T08:28:07Z"
PARENT_GRID = 2
"""Not 0: without it the job's first image (``_0``) is the parent, so the tests tell the two apart."""


def grid_name(index: int) -> str:
    """A real Midjourney download's name: ``<user>_<prompt words>_<job id>_<grid index>.png``."""
    return f"{STEM}_{GRID}_{index}.png"


UPSCALE_NAME = f"{STEM}_{UPSCALE}_0.png"


def write_archive(
    path: Path,
    *,
    parent_grid: object = PARENT_GRID,
    upscale_enqueued: str = "2025-06-30 08:28:07.412583",
) -> Path:
    jobs = [
        {"id": GRID, "enqueue_time": "2025-06-30 08:26:52.118204", "parent_id": None, "parent_grid": None,
         "prompt": PROMPT, "job_type": "v7_diffusion", "event_type": "diffusion"},
        {"id": UPSCALE, "enqueue_time": upscale_enqueued, "parent_id": GRID,
         "parent_grid": parent_grid, "prompt": PROMPT, "job_type": "v7_upscaler_2x_creative",
         "event_type": "upscale"},
    ]  # fmt: skip
    path.write_text(json.dumps({"jobs": jobs}))
    return path


def download_records(**upscale_fields: Any) -> list[dict[str, Any]]:
    """JSONL records of four grid images and one upscale, as a reader makes them from the downloads:
    job id and time from the file (no parent: a download does not name it)."""
    base = {"tool": "midjourney", "prompt": PROMPT, "created_at_source": "metadata:Creation Time"}
    grid = [
        {**base, "id": f"grid-{i}", "job_id": GRID, "file_name": grid_name(i), "created_at": GRID_TIME,
         "width": 1024, "height": 1024}
        for i in range(4)
    ]  # fmt: skip
    upscale = {**base, "id": "upscale", "job_id": UPSCALE, "file_name": UPSCALE_NAME,
               "created_at": UPSCALE_TIME, "width": 2048, "height": 2048}  # fmt: skip
    return [*grid, {**upscale, **upscale_fields}]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def write_download(
    path: Path,
    job_id: str,
    created: str,
    colour: tuple[int, int, int],
    *,
    size: int = 64,
    prompt: str = PROMPT,
) -> Path:
    """A PNG like Midjourney's web download: ``Description`` = prompt + ``Job ID``, ``Creation Time``."""
    info = PngInfo()
    info.add_text("Description", f"{prompt} Job ID: {job_id}")
    info.add_text("Creation Time", created)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (size, size), colour).save(path, format="PNG", pnginfo=info)
    return path


async def assets_by_name(factory: SessionFactory) -> dict[str, Asset]:
    async with factory() as session:
        return {asset.file_name or asset.record_id: asset for asset in await session.scalars(select(Asset))}


async def parents_by_name(factory: SessionFactory) -> dict[str, tuple[str, str, float]]:
    """Child file name → (parent file name, kind, confidence)."""
    assets = await assets_by_name(factory)
    name_of = {asset.id: name for name, asset in assets.items()}
    async with factory() as session:
        edges = list(await session.scalars(select(LineageEdge)))
    return {name_of[e.child_asset_id]: (name_of[e.parent_asset_id], e.kind, e.confidence) for e in edges}


async def lineage_edges(factory: SessionFactory) -> set[tuple[uuid.UUID, uuid.UUID, uuid.UUID, str]]:
    async with factory() as session:
        return {
            (e.id, e.parent_asset_id, e.child_asset_id, e.kind)
            for e in await session.scalars(select(LineageEdge))
        }


async def import_archive(
    factory: SessionFactory, settings: AtelierSettings, source: Path, *, user_handle: str = "ada"
) -> ExportImportReport:
    """``atelier import-export midjourney-archive SOURCE`` for ``user_handle``, in process."""
    return await import_export(
        factory, settings, user_handle=user_handle, source=source, kind="midjourney-archive"
    )
