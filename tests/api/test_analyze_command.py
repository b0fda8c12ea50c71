"""``atelier analyze`` as a user runs it: the installed entry point, no database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ATELIER = Path(sys.executable).with_name("atelier")


def _write_log(path: Path) -> list[str]:
    start = datetime(2026, 2, 25, 19, 0, tzinfo=UTC)
    lines, ids = [], []
    for evening in range(3):
        for step in range(12):
            record_id = f"g{evening:02d}{step:03d}"
            ids.append(record_id)
            when = start + timedelta(days=evening, seconds=45 * step)
            lines.append(
                {
                    "id": record_id,
                    "tool": "comfyui" if evening != 1 else "a1111",
                    "created_at": when.isoformat(),
                    "prompt": ["neon alley at night", "misty forest", "koi pond"][evening],
                    "seed": 1000 + step,
                    "cfg_scale": 7.0,
                    "steps": 30,
                }
            )
    lines.append({"id": "undated", "tool": "comfyui", "prompt": "no time"})
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n{broken\n")
    return ids


def test_analyze_jsonl_assigns_every_timed_record_to_exactly_one_session(tmp_path: Path) -> None:
    log = tmp_path / "records.jsonl"
    ids = _write_log(log)
    result = subprocess.run(
        [str(ATELIER), "analyze", str(log), "--json"],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"DATABASE_URL": "postgresql://nowhere.invalid/none", "HF_HUB_OFFLINE": "1"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assigned = [asset for session in document["sessions"] for asset in session["asset_ids"]]
    assert sorted(assigned) == sorted(ids)  # each timed record exactly once
    assert document["unclustered"] == ["undated"]
    assert len(document["sessions"]) == 3
    for session in document["sessions"]:
        assert {"id", "tool", "started_at", "ended_at", "label", "intent", "asset_ids", "phases"} <= set(
            session
        )
        assert session["intent"] in {"exploration", "refinement", "optimization", "convergent_selection"}
        phase_members = [asset for phase in session["phases"] for asset in phase["asset_ids"]]
        assert sorted(phase_members) == sorted(session["asset_ids"])
    assert f"{log}:38: not valid JSON" in result.stderr  # the broken line is reported, not fatal


def test_analyze_does_not_group_unrelated_images_that_share_a_copy_mtime(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    """A checkout gives every file one mtime: unrelated A1111/Forge images must not become a session."""
    folder = tmp_path / "checkout"
    folder.mkdir()
    copied = []
    for tool_folder in ("AUTOMATIC1111", "Forge", "reForge"):
        for source in sorted((fixtures_dir / "images" / tool_folder).iterdir()):
            target = folder / f"{tool_folder}-{source.name}"
            target.write_bytes(source.read_bytes())
            copied.append(target)
    moment = datetime(2026, 11, 1, 9, 30, tzinfo=UTC).timestamp()
    for index, path in enumerate(copied):
        os.utime(path, (moment + index * 0.05, moment + index * 0.05))
    run = subprocess.run(
        [str(ATELIER), "analyze", str(folder), "--json"], capture_output=True, text=True, check=True
    )
    document = json.loads(run.stdout)
    inspected = subprocess.run(
        [str(ATELIER), "inspect", str(folder), "--json"], capture_output=True, text=True, check=True
    )
    by_id = {}
    for line in inspected.stdout.splitlines():
        entry = json.loads(line)
        by_id[entry["id"]] = entry
    mtime_only = [entry for entry in by_id.values() if "time_rejected" in entry.get("extra", {})]
    assert len(mtime_only) >= 5, "the fixtures hold several A1111-family images timed only by mtime"
    assert sum("copy time" in entry["extra"]["time_rejected"] for entry in mtime_only) >= 5
    for entry in mtime_only:
        assert entry.get("created_at") is None
        reason = entry["extra"]["time_rejected"]
        assert "copy time" in reason or "copied since" in reason
        assert entry["id"] in document["unclustered"]
    clustered = {asset for session in document["sessions"] for asset in session["asset_ids"]}
    assert not clustered & {entry["id"] for entry in mtime_only}
