"""``atelier inspect`` over the real fixtures: one line per image, errors inline, nothing aborts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ATELIER = Path(sys.executable).with_name("atelier")


def test_inspect_json_lines_cover_every_image_and_report_bad_files(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    sample = fixtures_dir / "images" / "AUTOMATIC1111" / "receyuki__00199-806698555.png"
    result = subprocess.run(
        [str(ATELIER), "inspect", str(fixtures_dir / "images"), str(broken), str(sample), "--json"],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"DATABASE_URL": "postgresql://nowhere.invalid/none"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    images = [
        p
        for p in (fixtures_dir / "images").rglob("*")
        if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".webp"}
    ]
    assert len(documents) == len(images) + 2
    by_path = {document["path"]: document for document in documents}
    assert "error" in by_path[str(broken)] and by_path[str(broken)]["error"]
    a1111 = by_path[str(sample)]
    assert (a1111["tool"], a1111["seed"], a1111["width"], a1111["height"]) == ("a1111", 806698555, 512, 512)
    # hires fix: generated at 512, saved at 2x
    assert (a1111["pixel_width"], a1111["pixel_height"]) == (1024, 1024)
    assert a1111["image_format"] == "png" and len(a1111["content_sha256"]) == 64
    ok = [document for document in documents if "error" not in document]
    assert len(ok) == len(images) + 1  # every fixture reads without error (the sample is listed twice)
