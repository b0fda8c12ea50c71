"""Hostile files, second adversarial round (/tmp/adv), at the commands: ``atelier analyze`` and the
thumbnails ``atelier import`` makes.

- an integer JSON allows and a float cannot hold (401 digits) as an image's latent width or a JSONL
  line's ``width``/``steps`` ended ``atelier analyze`` with a traceback (exit 1, nothing analysed);
- a 102-byte animated WEBP declaring a 16000 × 12000 canvas cost 3.7 GB and 6 s to thumbnail: Pillow
  decodes every WEBP through libwebp's animation decoder at some 16 bytes a pixel, so WEBP sources have
  their own, lower pixel bound, checked before any pixel is decoded;
- a source was copied at full size to be turned upright before it was scaled (a 762 KB PNG of
  14000 × 14000 pixels took 2.3 GB): it is now scaled first, in place;
- a JSONL record whose ``user`` no account can have as its handle (``"u"``, ``"Bob Smith"``) ended
  ``atelier import`` (exit 1, ``error: handle 'u' must be …``) and nothing of the folder was imported:
  now that record is refused, with the reason, and the rest is imported.

No test decodes a large image: the bound is proven by what is (not) called.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, WebPImagePlugin

from catalog.database import SessionFactory
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from catalog.thumbnails import ThumbnailError, render_thumbnail
from tests.hostile_files import image_bytes, png_chunk

REPOSITORY = Path(__file__).resolve().parents[2]
ATELIER = [
    sys.executable,
    "-c",
    "import sys; from api.cli import app; sys.argv[0] = 'atelier'; sys.exit(app())",
]
"""``atelier`` run from this tree (its folder first on ``sys.path``), as the installed script runs it."""
ENV = os.environ | {"DATABASE_URL": "postgresql://nowhere.invalid/none", "HF_HUB_OFFLINE": "1"}
WIDE = 10**400
WEBP_BOUND = 8192 * 8192
"""``catalog.thumbnails.MAX_WEBP_SOURCE_PIXELS`` (written out: the test also runs on the tree before it)."""


def _analyze(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ATELIER, "analyze", *map(str, paths), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=ENV,
        cwd=REPOSITORY,
    )


def _comfy_png(width: int) -> bytes:
    graph = {
        "3": {
            "class_type": "KSampler",
            "inputs": {"seed": 5, "steps": 20, "cfg": 7, "positive": ["6", 0], "latent_image": ["5", 0]},
        },
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": width, "height": 768, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox"}},
    }
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    data = buffer.getvalue()
    text = png_chunk(b"tEXt", b"prompt\0" + json.dumps(graph).encode())
    return data[:33] + text + data[33:]


def test_analyze_reads_an_image_whose_graph_has_an_integer_too_wide_for_a_float(tmp_path: Path) -> None:
    hostile, good = tmp_path / "wide.png", tmp_path / "good.png"
    hostile.write_bytes(_comfy_png(WIDE))
    good.write_bytes(_comfy_png(512))
    result = _analyze(hostile, good)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    analysed = {asset for session in json.loads(result.stdout)["sessions"] for asset in session["asset_ids"]}
    assert len(analysed) == 2


def test_analyze_reports_a_jsonl_count_too_wide_for_a_float(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    lines = [
        {"id": f"g{index}", "user": "u", "tool": "comfyui", "created_at": f"2026-03-01T10:0{index}:00Z"}
        for index in range(4)
    ]
    lines[1] |= {"width": WIDE}
    lines[2] |= {"steps": -WIDE}
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = _analyze(path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert skipped == [
        f"skipped {path}:2: field 'width': must be an integer of at most 64 bits, got an integer too large",
        f"skipped {path}:3: field 'steps': must be an integer of at most 64 bits, got an integer too large",
    ]
    analysed = {asset for session in json.loads(result.stdout)["sessions"] for asset in session["asset_ids"]}
    assert analysed == {"g0", "g3"}


def _riff_chunk(fourcc: bytes, body: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")


def _tiny_vp8l_chunk() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (1, 1), (1, 2, 3, 4)).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()[12:]  # the file's one chunk: VP8L


def _webp(width: int, height: int, *, animated: bool) -> bytes:
    """A few dozen bytes of WEBP that decode to ``width`` x ``height`` pixels: an animation (VP8X) of
    that canvas holding one 1 x 1 frame, or a still lossless image whose ``VP8L`` header's size is
    rewritten (its one-colour stream decodes at any size)."""
    if animated:
        flags = bytes([0x12, 0, 0, 0])
        vp8x = flags + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        frame = bytes(12) + (100).to_bytes(3, "little") + b"\0" + _tiny_vp8l_chunk()
        body = _riff_chunk(b"VP8X", vp8x) + _riff_chunk(b"ANIM", bytes(6)) + _riff_chunk(b"ANMF", frame)
    else:
        stream = bytearray(_tiny_vp8l_chunk()[8:])
        bits = int.from_bytes(stream[1:5], "little") & ~((1 << 28) - 1)
        stream[1:5] = (bits | (width - 1) | ((height - 1) << 14)).to_bytes(4, "little")
        body = _riff_chunk(b"VP8L", bytes(stream))
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


@pytest.mark.parametrize("animated", [True, False], ids=["animated", "still"])
def test_a_webp_over_its_pixel_bound_is_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, animated: bool
) -> None:
    side = 9000
    assert side * side > WEBP_BOUND
    source = tmp_path / "canvas.webp"
    source.write_bytes(_webp(side, side, animated=animated))
    assert source.stat().st_size < 200

    def no_decoding(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(WebPImagePlugin.WebPImageFile, "load", no_decoding)
    with pytest.raises(ThumbnailError) as caught:
        render_thumbnail(source)
    assert caught.value.reason.startswith(f"declared WEBP image size {side}x{side} is over"), (
        caught.value.reason
    )
    assert caught.value.lasting


def test_a_source_is_scaled_before_any_full_size_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An EXIF orientation (6: turn 90°) is still applied, to the thumbnail."""
    size = (1500, 1000)
    exif = Image.Exif()
    exif[0x0112] = 6
    source = tmp_path / "wide.png"
    Image.new("RGB", size, (200, 10, 10)).save(source, exif=exif.tobytes())
    made: list[tuple[int, int]] = []
    for name in ("copy", "transpose"):
        original = getattr(Image.Image, name)

        def recording(self: Image.Image, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            made.append(self.size)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Image.Image, name, recording)

    webp, _ = render_thumbnail(source)

    assert size not in made, made
    with Image.open(io.BytesIO(webp)) as thumbnail:
        assert thumbnail.size == (171, 256)


async def test_a_record_user_no_account_can_have_is_that_records_problem_only(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "good.png").write_bytes(image_bytes(seed=11))
    records = [
        {"id": f"r{index}", "user": user, "tool": "comfyui", "created_at": f"2026-03-01T10:0{index}:00Z"}
        for index, user in enumerate(["u", "ada", "Bob Smith", "u"])
    ]
    log = folder / "log.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in records))

    report = await import_paths(session_factory, settings, user_handle="owner", paths=[folder])

    outcomes = {outcome.path: outcome for outcome in report.files}
    assert outcomes[str(folder / "good.png")].outcome == "imported"
    assert report.records_imported == 1  # ada's
    assert outcomes[str(log)].outcome == "problem"
    assert outcomes[str(log)].reason == (
        "3 of 4 records refused (first: record r0: field 'user': handle 'u' must be 2–63 lowercase "
        "letters, digits, '_', '.', '-')"
    )
    refused = {problem.path: problem.reason for problem in report.problems}
    assert refused[f"{log}: record r2"].startswith("field 'user': handle 'Bob Smith' must be")
