"""Tool-export time evidence against the real embedded PostgreSQL: real PNG files, real exports
(JSON files, a SQLite database, a ComfyUI ``/history`` served over loopback HTTP)."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import func, select

from catalog.database import SessionFactory
from catalog.importing.export_evidence import evidence_rows
from catalog.importing.export_import import import_export
from catalog.importing.service import import_paths
from catalog.models import Asset, Session, StoredTimeEvidence
from catalog.settings import AtelierSettings
from engine.exports import ExportError, ExportTimeEvidence
from engine.records import TimePrecision

COPIED_AT = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)
"""When the files were copied: their mtimes, all within one minute (one session by mtime)."""
EVENING_1 = datetime(2026, 3, 1, 20, 0, 0, 123000, tzinfo=UTC)
EVENING_2 = datetime(2026, 3, 5, 21, 30, 0, 456000, tzinfo=UTC)


def _comfy_graph(seed: int) -> dict[str, Any]:
    return {
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": seed,
                "steps": 30,
                "cfg": 7.0,
                "sampler_name": "dpmpp_2m",
                "scheduler": "karras",
                "denoise": 1.0,
                "model": ["4", 0],
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
            },
        },
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "koi pond in autumn", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
    }


def write_comfy_png(path: Path, seed: int, mtime: datetime) -> Path:
    info = PngInfo()
    info.add_text("prompt", json.dumps(_comfy_graph(seed)))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 16), (seed % 256, 90, 120)).save(path, format="PNG", pnginfo=info)
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def comfy_history(files: dict[str, datetime]) -> dict[str, Any]:
    """A ``/history`` document: one prompt per file, finished at the given time."""
    history: dict[str, Any] = {}
    for number, (name, when) in enumerate(files.items()):
        prompt_id = f"00000000-0000-4000-8000-{number:012d}"
        millis = int(when.timestamp() * 1000)
        history[prompt_id] = {
            "prompt": [number, prompt_id, _comfy_graph(number), {"create_time": millis - 9000}, ["9"]],
            "outputs": {"9": {"images": [{"filename": name, "subfolder": "", "type": "output"}]}},
            "status": {
                "status_str": "success",
                "completed": True,
                "messages": [
                    ["execution_start", {"prompt_id": prompt_id, "timestamp": millis - 8000}],
                    ["execution_success", {"prompt_id": prompt_id, "timestamp": millis}],
                ],
            },
            "meta": {},
        }
    return history


def _evening_times() -> dict[str, datetime]:
    names = [f"ComfyUI_{n:05d}_.png" for n in range(1, 7)]
    return {
        name: (EVENING_1 if i < 3 else EVENING_2) + timedelta(seconds=40 * (i % 3))
        for i, name in enumerate(names)
    }


def _write_copied_outputs(folder: Path) -> None:
    for i, name in enumerate(_evening_times()):
        write_comfy_png(folder / name, seed=1000 + i, mtime=COPIED_AT + timedelta(seconds=5 * i))


async def _assets(factory: SessionFactory) -> dict[str, Asset]:
    async with factory() as session:
        return {asset.file_name or asset.record_id: asset for asset in await session.scalars(select(Asset))}


async def _sessions(factory: SessionFactory) -> list[Session]:
    async with factory() as session:
        return list(await session.scalars(select(Session).order_by(Session.started_at)))


async def _assert_sessions_consistent(factory: SessionFactory) -> None:
    """Every timed asset is in exactly one session whose range and count match its members."""
    assets = await _assets(factory)
    sessions = {s.id: s for s in await _sessions(factory)}
    for asset in assets.values():
        if asset.created_at is None:
            continue
        assert asset.session_id in sessions, f"{asset.file_name} is not clustered"
        stored = sessions[asset.session_id]
        assert stored.started_at <= asset.created_at <= stored.ended_at
    for stored in sessions.values():
        members = [a for a in assets.values() if a.session_id == stored.id]
        assert len(members) == stored.asset_count > 0


async def test_comfyui_history_after_the_images_moves_them_to_their_real_evenings(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    _write_copied_outputs(tmp_path / "output")
    await import_paths(session_factory, settings, user_handle="ada", paths=[tmp_path / "output"])
    assert len(await _sessions(session_factory)) == 1  # by mtime they are one copy burst
    times = _evening_times()
    history = tmp_path / "history.json"
    history.write_text(json.dumps(comfy_history({**times, "ComfyUI_00099_.png": EVENING_2})))

    report = await import_export(
        session_factory, settings, user_handle="ada", source=history, kind="comfyui-history"
    )

    assert (report.entries, report.newly_stored, report.matched, report.unmatched) == (7, 7, 6, 1)
    assert report.assets_moved == report.assets_updated == 6
    assets = await _assets(session_factory)
    for name, when in times.items():
        asset = assets[name]
        assert asset.created_at == when
        assert asset.created_at_source == "export:comfyui_history"
        assert asset.created_at_precision == "millisecond"
        assert asset.job_id is not None and asset.job_id.startswith("00000000-0000-4000-8000-")
    sessions = await _sessions(session_factory)
    assert [s.asset_count for s in sessions] == [3, 3]
    assert [s.started_at for s in sessions] == [EVENING_1, EVENING_2]
    await _assert_sessions_consistent(session_factory)

    before = {(a.id, a.created_at, a.session_id) for a in assets.values()}
    again = await import_export(
        session_factory, settings, user_handle="ada", source=history, kind="comfyui-history"
    )
    assert (again.newly_stored, again.already_stored) == (0, 7)
    assert (again.assets_updated, again.assets_moved) == (0, 0)
    assert again.reclustering is None
    assert {(a.id, a.created_at, a.session_id) for a in (await _assets(session_factory)).values()} == before
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(StoredTimeEvidence)) == 7


async def test_export_imported_before_the_images_still_applies_to_them(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    history = tmp_path / "history.json"
    history.write_text(json.dumps(comfy_history(_evening_times())))
    report = await import_export(
        session_factory, settings, user_handle="ada", source=history, kind="comfyui-history"
    )
    assert (report.newly_stored, report.matched, report.unmatched, report.assets_updated) == (6, 0, 6, 0)

    _write_copied_outputs(tmp_path / "output")
    imported = await import_paths(session_factory, settings, user_handle="ada", paths=[tmp_path / "output"])

    assert imported.imported == 6
    assets = await _assets(session_factory)
    assert {name: assets[name].created_at for name in _evening_times()} == _evening_times()
    assert {a.created_at_source for a in assets.values()} == {"export:comfyui_history"}
    assert [s.asset_count for s in await _sessions(session_factory)] == [3, 3]
    await _assert_sessions_consistent(session_factory)


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def _invokeai_db(path: Path, rows: list[tuple[str, str]]) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE images (image_name TEXT PRIMARY KEY, created_at DATETIME)")
        connection.executemany("INSERT INTO images VALUES (?, ?)", rows)
    return path


async def test_only_a_better_ranked_source_replaces_a_time(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    base = {"tool": "invokeai", "prompt": "a lighthouse"}
    records = [
        {**base, "id": "m", "file_name": "m.png", "created_at": "2026-01-02T10:00:00Z",
         "created_at_source": "metadata:Created Date"},
        {**base, "id": "x", "file_name": "x.png", "created_at": "2026-01-02T10:00:00Z",
         "created_at_source": "exif:DateTimeOriginal"},
        {**base, "id": "t", "file_name": "t.png", "created_at": "2026-01-02T10:00:00Z",
         "created_at_source": "file:mtime"},
        {**base, "id": "u", "file_name": "u.png"},
    ]  # fmt: skip
    await import_paths(
        session_factory, settings, user_handle="ada", paths=[_write_jsonl(tmp_path / "r.jsonl", records)]
    )
    database = _invokeai_db(
        tmp_path / "invokeai.db",
        [(name, "2026-01-01 09:15:30.250") for name in ("m.png", "x.png", "t.png", "u.png")],
    )

    report = await import_export(
        session_factory, settings, user_handle="ada", source=database, kind="invokeai-db"
    )

    exported = datetime(2026, 1, 1, 9, 15, 30, 250000, tzinfo=UTC)
    assets = await _assets(session_factory)
    assert assets["m.png"].created_at_source == "metadata:Created Date"
    assert assets["m.png"].created_at == datetime(2026, 1, 2, 10, tzinfo=UTC)
    for name in ("x.png", "t.png", "u.png"):
        assert (assets[name].created_at, assets[name].created_at_source) == (exported, "export:invokeai_db")
    assert (report.matched, report.assets_moved) == (4, 3)
    await _assert_sessions_consistent(session_factory)


async def test_midjourney_jobs_match_every_image_of_the_job_and_fill_the_parent(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    grid, upscale = "d7e2a9c4-6b1f-4e83-a5d0-3c9b8f2e1a47", "1b5e7c3a-9d2f-4a68-b0e4-6f8c2d1a9e53"
    base = {"tool": "midjourney", "prompt": "whales over a city", "created_at": "2026-02-01T12:00:00Z",
            "created_at_source": "file:mtime"}  # fmt: skip
    records = [{**base, "id": f"g{i}", "job_id": grid, "file_name": f"grid_{i}.png"} for i in range(4)] + [
        {**base, "id": "up", "job_id": upscale, "file_name": "upscale.png"}
    ]
    await import_paths(
        session_factory, settings, user_handle="ada", paths=[_write_jsonl(tmp_path / "mj.jsonl", records)]
    )
    archive = tmp_path / "archive.json"
    jobs = [
        {"id": grid, "enqueue_time": "2025-06-30 08:26:52.118204", "parent_id": None, "prompt": "whales"},
        {"id": upscale, "enqueue_time": "2025-06-30 08:29:10.500000", "parent_id": grid, "prompt": "whales"},
        {"id": "9c9c9c9c-0000-4000-8000-000000000000", "enqueue_time": "2025-06-30 09:00:00"},
    ]
    archive.write_text(json.dumps({"jobs": jobs}))

    report = await import_export(
        session_factory, settings, user_handle="ada", source=archive, kind="midjourney-archive"
    )

    assert (report.matched, report.unmatched, report.assets_moved) == (2, 1, 5)
    assets = await _assets(session_factory)
    assert {assets[f"grid_{i}.png"].created_at for i in range(4)} == {
        datetime(2025, 6, 30, 8, 26, 52, 118204, tzinfo=UTC)
    }
    assert assets["upscale.png"].parent_job_id == grid
    assert assets["grid_0.png"].parent_job_id is None
    await _assert_sessions_consistent(session_factory)


async def test_a_file_name_several_assets_share_is_ambiguous_and_left_alone(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    base = {"tool": "comfyui", "file_name": "ComfyUI_00001_.png", "created_at_source": "file:mtime"}
    records = [
        {**base, "id": "first", "created_at": "2025-01-01T10:00:00Z"},
        {**base, "id": "second", "created_at": "2026-01-01T10:00:00Z"},
    ]
    await import_paths(
        session_factory, settings, user_handle="ada", paths=[_write_jsonl(tmp_path / "r.jsonl", records)]
    )
    history = tmp_path / "history.json"
    history.write_text(json.dumps(comfy_history({"ComfyUI_00001_.png": EVENING_1})))

    report = await import_export(
        session_factory, settings, user_handle="ada", source=history, kind="comfyui-history"
    )

    assert (report.matched, report.ambiguous, report.assets_updated) == (0, 1, 0)
    async with session_factory() as session:
        sources = set(await session.scalars(select(Asset.created_at_source)))
    assert sources == {"file:mtime"}


async def test_an_unusable_export_raises_one_clear_error_and_writes_nothing(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    broken = tmp_path / "history.json"
    broken.write_text('{"not": "closed"')
    with pytest.raises(ExportError, match=r"history\.json.*not valid JSON"):
        await import_export(
            session_factory, settings, user_handle="ada", source=broken, kind="comfyui-history"
        )
    not_sqlite = tmp_path / "invokeai.db"
    not_sqlite.write_bytes(b"definitely not a database" * 100)
    with pytest.raises(ExportError, match=r"invokeai\.db"):
        await import_export(
            session_factory, settings, user_handle="ada", source=not_sqlite, kind="invokeai-db"
        )
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(StoredTimeEvidence)) == 0


@pytest.fixture
def comfyui_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """A real HTTP server on loopback answering ``GET /history`` like ComfyUI."""
    history: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if not self.path.startswith("/history"):
                self.send_error(404)
                return
            body = json.dumps(history).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", history
    finally:
        server.shutdown()
        server.server_close()


async def test_comfyui_history_fetched_from_a_running_server(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    comfyui_server: tuple[str, dict[str, Any]],
) -> None:
    url, served = comfyui_server
    served.update(comfy_history(_evening_times()))
    _write_copied_outputs(tmp_path / "output")
    await import_paths(session_factory, settings, user_handle="ada", paths=[tmp_path / "output"])

    report = await import_export(
        session_factory, settings, user_handle="ada", source=url, kind="comfyui-history"
    )

    assert (report.location, report.matched, report.assets_moved) == (url, 6, 6)
    assert [s.asset_count for s in await _sessions(session_factory)] == [3, 3]


def test_evidence_rows_collapse_repeats_drop_contradictions_and_unstorable_job_ids() -> None:
    def item(key: str, when: datetime, job_id: str | None = None) -> ExportTimeEvidence:
        return ExportTimeEvidence(
            key_kind="file_name",
            key=key,
            created_at=when,
            source="export:comfyui_history",
            precision=TimePrecision.MILLISECOND,
            time_field="execution_success",
            job_id=job_id,
        )

    rows, contradictory = evidence_rows(
        [
            item("a.png", EVENING_1, "p" * 201),
            item("a.png", EVENING_1, "p" * 201),
            item("b.png", EVENING_1),
            item("b.png", EVENING_2),
        ]
    )

    assert [(row.key, row.job_id) for row in rows] == [("a.png", None)]
    assert contradictory == [("export:comfyui_history", "file_name", "b.png")]
