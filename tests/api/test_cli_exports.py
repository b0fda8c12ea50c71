"""``atelier import-export`` as a user runs it: the installed entry point against the test database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.embedded_servers import ServiceUrls
from catalog.importing.service import import_paths
from catalog.models import Asset
from catalog.settings import AtelierSettings
from tests.api.conftest import run_atelier


async def _atelier(settings: AtelierSettings, *args: str) -> tuple[int, str]:
    result = await run_atelier(settings, *args)
    return result.code, result.stderr


def _history(files: dict[str, datetime]) -> dict[str, Any]:
    history: dict[str, Any] = {}
    for number, (name, when) in enumerate(files.items()):
        prompt_id = f"prompt-{number}"
        millis = int(when.timestamp() * 1000)
        history[prompt_id] = {
            "prompt": [number, prompt_id, {"3": {"class_type": "KSampler", "inputs": {}}}, {}, ["9"]],
            "outputs": {"9": {"images": [{"filename": name, "subfolder": "", "type": "output"}]}},
            "status": {"messages": [["execution_success", {"prompt_id": prompt_id, "timestamp": millis}]]},
        }
    return history


async def test_import_export_prints_a_summary_and_is_idempotent(
    session_factory: SessionFactory, settings: AtelierSettings, service_urls: ServiceUrls, tmp_path: Path
) -> None:
    records = tmp_path / "records.jsonl"
    records.write_text(
        "".join(
            json.dumps(
                {"id": f"r{n}", "tool": "comfyui", "file_name": f"ComfyUI_0000{n}_.png",
                 "created_at": "2026-03-10T12:00:00Z", "created_at_source": "file:mtime"}
            )
            + "\n"
            for n in (1, 2)
        )
    )  # fmt: skip
    await import_paths(session_factory, settings, user_handle="ada", paths=[records])
    evening = datetime(2026, 3, 1, 20, 0, 0, 250000, tzinfo=UTC)
    history = tmp_path / "history.json"
    history.write_text(
        json.dumps(
            _history(
                {"ComfyUI_00001_.png": evening, "ComfyUI_00002_.png": evening, "ComfyUI_00003_.png": evening}
            )
        )
    )

    code, output = await _atelier(settings, "import-export", "comfyui-history", str(history), "--user", "ada")

    assert code == 0, output
    assert "3 entries (3 new, 0 already imported)" in output
    assert "matched 2" in output and "not matched yet 1" in output and "2 images re-timed" in output
    async with session_factory() as session:
        times = set(await session.scalars(select(Asset.created_at)))
    assert times == {evening}

    code, output = await _atelier(settings, "import-export", "comfyui-history", str(history), "--user", "ada")
    assert code == 0, output
    assert "(0 new, 3 already imported)" in output and "0 images re-timed" in output


async def test_unusable_exports_are_one_error_line_and_exit_code_1(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    missing = tmp_path / "archive.json"
    code, output = await _atelier(settings, "import-export", "midjourney-archive", str(missing))
    assert code == 1
    assert output.strip().splitlines() == [f"error: {missing}: cannot be read (No such file or directory)"]

    text_file = tmp_path / "invokeai.db"
    text_file.write_text("not a database\n" * 200)
    code, output = await _atelier(settings, "import-export", "invokeai-db", str(text_file))
    assert code == 1
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {text_file}: ")
