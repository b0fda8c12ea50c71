"""``atelier import`` start-up: what the command loads before its first file (its fixed cost)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from catalog.settings import AtelierSettings
from tests.api.conftest import ATELIER, atelier_env
from tests.hostile_files import image_bytes

NOT_BEFORE_A_JOB_IS_QUEUED = ("arq",)
"""Loaded (with redis, PyJWT and cryptography) only when the import has a job to queue."""
NOT_WHEN_THE_DATABASE_IS_CURRENT = ("alembic",)
NEVER = ("torch", "sentence_transformers", "sklearn", "strawberry")


async def _imported_modules(settings: AtelierSettings, folder: Path) -> tuple[set[str], str]:
    env = atelier_env(settings)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-X",
        "importtime",
        str(ATELIER),
        "import",
        str(folder),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr_bytes = await asyncio.wait_for(process.communicate(), timeout=120)
    stderr = stderr_bytes.decode()
    assert process.returncode == 0, stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")
    }
    return imported, stderr


async def test_an_empty_import_loads_neither_alembic_nor_arq_nor_ml_libraries(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()

    imported, stderr = await _imported_modules(settings, empty)

    assert "catalog.importing.service" in imported  # the report is real: the import ran
    assert "0 files: 0 imported" in stderr
    unwanted = NOT_BEFORE_A_JOB_IS_QUEUED + NOT_WHEN_THE_DATABASE_IS_CURRENT + NEVER
    assert sorted({name for name in imported if name.split(".")[0] in unwanted}) == []


async def test_an_import_with_new_files_still_queues_its_embedding_job_but_loads_no_ml_library(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.png").write_bytes(image_bytes(seed=1))

    imported, stderr = await _imported_modules(settings, folder)

    assert "1 file: 1 imported" in stderr
    assert "arq" in imported  # the prompt-embedding job was queued, after the sessions were stored
    assert sorted({name for name in imported if name.split(".")[0] in (*NEVER, "alembic")}) == []
