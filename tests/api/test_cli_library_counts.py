"""``atelier recluster`` and ``atelier demo`` as a user runs them: what they say changed is what changed."""

from __future__ import annotations

from pathlib import Path

from catalog.settings import AtelierSettings
from tests.api.conftest import run_atelier
from tests.hostile_files import record_line


async def test_recluster_counts_only_the_sessions_it_changed(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"".join(record_line(f"r{minute}", minute) for minute in (1, 2, 3, 50, 51)))
    imported = await run_atelier(settings, "import", str(log), "--user", "ada")
    assert imported.code == 0, imported.stderr[-1500:]

    again = await run_atelier(settings, "recluster", "--user", "ada")

    assert again.code == 0, again.stderr[-1500:]
    assert "5 images re-clustered: 0 sessions new or changed (0 new), 0 removed" in again.stderr, again.stderr


async def test_demo_says_how_many_sessions_the_user_has(settings: AtelierSettings, tmp_path: Path) -> None:
    result = await run_atelier(settings, "demo", "--user", "dee", "--target", str(tmp_path / "demo"))

    assert result.code == 0, result.stderr[-1500:]
    assert "imported 394 (0 already known), 15 sessions new or changed; dee has 15 sessions" in result.stderr
