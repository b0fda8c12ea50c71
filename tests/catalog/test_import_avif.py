"""AVIF files import like PNG/JPEG/WEBP: found by discovery, read (A1111 infotext from the EXIF item),
stored with their format and size, and given a WEBP thumbnail and a visual descriptor; a Pillow without
AVIF support gives a clear, lasting per-file thumbnail problem instead of a crash."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.importing.discovery import FileKind, classify
from catalog.importing.service import import_paths
from catalog.models import Asset
from catalog.settings import AtelierSettings
from catalog.thumbnails import VISUAL_MODEL, thumbnail_path
from tests.avif_files import a1111_avif
from tests.hostile_files import image_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_avif_names_are_images_to_read() -> None:
    assert classify(Path("00417-1808436925.avif")) is FileKind.IMAGE
    assert classify(Path("SHOUTING.AVIF")) is FileKind.IMAGE


async def test_a_folder_with_an_avif_imports_it_with_a_thumbnail(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "00417-1808436925.avif").write_bytes(a1111_avif())
    (folder / "00418-1808436926.png").write_bytes(image_bytes(seed=3))

    report = await import_paths(session_factory, settings, user_handle="ada", paths=[folder])

    assert (report.imported, report.problems, report.skipped) == (2, [], []), report.problems
    assert report.thumbnails_made == 2
    async with session_factory() as session:
        asset = await session.scalar(select(Asset).where(Asset.image_format == "avif"))
    assert asset is not None
    assert (asset.tool, asset.seed, asset.steps) == ("a1111", 1808436925, 28)
    assert asset.prompt == "a lighthouse on a cliff at dusk, oil painting"
    assert (asset.pixel_width, asset.pixel_height) == (640, 480)
    assert asset.thumbnail_sha256 is not None and asset.thumbnail_error is None
    with Image.open(thumbnail_path(settings.thumbnails_dir, asset.thumbnail_sha256)) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("WEBP", (256, 192))
    assert asset.visual_model == VISUAL_MODEL and asset.visual_embedding is not None
    assert float(abs(np.asarray(asset.visual_embedding)).sum()) > 0


def test_a_pillow_without_avif_support_gives_a_lasting_thumbnail_problem(tmp_path: Path) -> None:
    """A Pillow built without libavif has no ``PIL._avif`` extension: run one (the extension's import
    blocked in a fresh interpreter) and ask it for a thumbnail. The metadata is still read: the reader
    never needs Pillow for AVIF."""
    source = tmp_path / "00417-1808436925.avif"
    source.write_bytes(a1111_avif())
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["PIL._avif"] = None  # as if Pillow had been built without libavif
        from pathlib import Path
        from PIL import features
        from catalog.thumbnails import THUMBNAIL_DECODER, ThumbnailError, render_thumbnail
        from engine.metadata import read_image
        assert not features.check("avif")
        print(THUMBNAIL_DECODER)
        try:
            render_thumbnail(Path({str(source)!r}))
        except ThumbnailError as error:
            print(error.lasting)
            print(error)
        print(read_image(Path({str(source)!r})).record.tool)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
        env=os.environ | {"PYTHONPATH": str(REPO_ROOT)},
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    decoder, lasting, message, tool = result.stdout.splitlines()
    assert decoder.endswith("; no AVIF support")
    assert lasting == "True"
    assert message == f"{source}: cannot decode AVIF images: this Pillow has no AVIF support " + (
        "(Pillow ≥ 11.3 built with libavif)"
    )
    assert tool == "a1111"
