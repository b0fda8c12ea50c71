"""``atelier remove`` as a user runs it: the images imported from a folder leave the library, the files
stay, a later import of the folder leaves them out, and ``--include-removed`` takes them back."""

from __future__ import annotations

import json
from pathlib import Path

from catalog.importing.outcomes import REMOVED_EARLIER_REASON
from catalog.settings import AtelierSettings
from tests.api.conftest import run_atelier
from tests.hostile_files import image_bytes


def _outcomes(stdout: str) -> dict[str, tuple[str, str | None]]:
    lines = [json.loads(line) for line in stdout.splitlines()][:-1]
    return {Path(line["path"]).name: (line["outcome"], line["reason"]) for line in lines}


async def test_remove_a_folder_then_import_it_again_with_and_without_the_removed_images(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    kept, wrong = tmp_path / "kept", tmp_path / "wrong folder"
    kept.mkdir()
    wrong.mkdir()
    (kept / "a.png").write_bytes(image_bytes(seed=1))
    (wrong / "b.png").write_bytes(image_bytes(seed=2))
    (wrong / "c.jpg").write_bytes(image_bytes("JPEG", seed=3))
    first = await run_atelier(settings, "import", str(kept), str(wrong), "--json")
    assert first.code == 0, first.stderr

    preview = await run_atelier(settings, "remove", str(wrong), "--dry-run")
    assert preview.code == 0, preview.stderr
    assert "2 images in 1 session would be removed" in preview.stderr
    unchanged = await run_atelier(settings, "import", str(wrong), "--json")
    assert {outcome for outcome, _ in _outcomes(unchanged.stdout).values()} == {"known"}

    removed = await run_atelier(settings, "remove", str(wrong))

    assert removed.code == 0, removed.stderr
    assert "2 images removed" in removed.stderr
    assert (wrong / "b.png").exists() and (wrong / "c.jpg").exists()
    nothing = await run_atelier(settings, "remove", str(wrong / "b.png"))
    assert nothing.code == 0 and "nothing removed" in nothing.stderr

    again = await run_atelier(settings, "import", str(kept), str(wrong), "--json")

    assert again.code == 0, again.stderr
    assert _outcomes(again.stdout) == {
        "a.png": ("known", None),
        "b.png": ("ignored", REMOVED_EARLIER_REASON),
        "c.jpg": ("ignored", REMOVED_EARLIER_REASON),
    }
    assert json.loads(again.stdout.splitlines()[-1])["summary"]["removed_earlier"] == 2

    back = await run_atelier(settings, "import", str(wrong), "--json", "--include-removed")

    assert back.code == 0, back.stderr
    assert {outcome for outcome, _ in _outcomes(back.stdout).values()} == {"imported"}
