"""AVIF through the CLI as a user runs it: ``atelier inspect file.avif --json`` prints the file's record
(an A1111 AVIF's infotext, its format and size) and ``atelier import FOLDER --json`` imports it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from catalog.settings import AtelierSettings
from tests.api.conftest import ATELIER, run_atelier
from tests.avif_files import a1111_avif


def test_inspect_json_reads_an_avif(tmp_path: Path) -> None:
    avif = tmp_path / "00417-1808436925.avif"
    avif.write_bytes(a1111_avif())

    result = subprocess.run(
        [str(ATELIER), "inspect", "--json", str(avif)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["path"] == str(avif)
    assert (document["tool"], document["seed"], document["steps"]) == ("a1111", 1808436925, 28)
    assert document["prompt"] == "a lighthouse on a cliff at dusk, oil painting"
    assert (document["image_format"], document["pixel_width"], document["pixel_height"]) == ("avif", 640, 480)
    assert "metadata_errors" not in document.get("extra", {})


async def test_import_json_imports_an_avif_with_its_thumbnail(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "00417-1808436925.avif").write_bytes(a1111_avif())

    result = await run_atelier(settings, "import", str(folder), "--json")

    assert result.code == 0, result.stderr
    *lines, summary = (json.loads(line) for line in result.stdout.splitlines())
    assert [(Path(line["path"]).name, line["outcome"]) for line in lines] == [
        ("00417-1808436925.avif", "imported")
    ]
    assert (summary["summary"]["imported"], summary["summary"]["thumbnail_warnings"]) == (1, 0)
    assert len(list(settings.thumbnails_dir.rglob("*.webp"))) == 1
