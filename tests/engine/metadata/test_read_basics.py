"""First checks of the public entry points on a few real fixtures (values read by hand from the chunks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from metadata_fixture_paths import fixture_image

from engine.metadata import UnreadableImage, read_image, read_image_bytes, walk_metadata_segments
from engine.records import TimePrecision


def test_a1111_png_fields() -> None:
    result = read_image(fixture_image("AUTOMATIC1111/sdparsers__automatic1111_cropped.png"))
    rec = result.record
    assert rec.tool == "a1111"
    assert rec.prompt == "photo of a duck"
    assert rec.negative_prompt == "monochrome"
    assert (rec.steps, rec.sampler, rec.cfg_scale, rec.seed) == (15, "UniPC", 5.0, 235284042)
    assert (rec.width, rec.height) == (512, 400)
    assert rec.model == "realistic_realisticVisionV20_v20"
    assert result.image_format == "png"
    assert (result.pixel_width, result.pixel_height) == (1, 1)


def test_comfyui_png_graph() -> None:
    result = read_image(fixture_image("ComfyUI/sdmetadata__png__comfyui-saveimage-plus.png"))
    rec = result.record
    assert rec.tool == "comfyui"
    assert rec.prompt == "general, masterpiece, best quality, amazing quality, \n1girl, solo, hatsune miku,"
    assert rec.negative_prompt == "bad quality, worst quality, worst detail, sketch, censor,"
    assert (rec.seed, rec.steps, rec.cfg_scale) == (434067965194649, 20, 5.0)
    assert (rec.sampler, rec.scheduler) == ("euler_ancestral", "karras")
    assert rec.model == "waiIllustriousSDXL_v160.safetensors"
    assert (rec.width, rec.height) == (1024, 1024)
    assert rec.workflow_hash and len(rec.workflow_hash) == 32


def test_id_is_content_sha256_and_file_name_is_base_name() -> None:
    path = fixture_image("AUTOMATIC1111/sdparsers__automatic1111_cropped.png")
    result = read_image(path)
    import hashlib

    assert result.record.id == result.content_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.record.file_name == path.name
    assert result.file_size == path.stat().st_size


def test_png_named_jpeg_is_sniffed_as_png() -> None:
    result = read_image(
        fixture_image("AUTOMATIC1111/ktiseos__Comfy_UI_DATA__f7f6a69d-1c6f-4094-e61f-db5b7d653c00.jpeg")
    )
    assert result.image_format == "png"
    assert result.record.tool == "a1111"


def test_no_metadata_is_unknown_with_mtime(tmp_path: Path) -> None:
    path = fixture_image("no_metadata/sdmetadata__png__empty.png")
    mtime = datetime(2025, 5, 1, 12, 30, 15, tzinfo=UTC)
    result = read_image_bytes(path.read_bytes(), file_name="x.png", mtime=mtime)
    assert result.record.tool == "unknown"
    assert result.record.created_at == mtime
    assert result.record.created_at_source == "file:mtime"
    assert result.record.created_at_precision is TimePrecision.SECOND


def test_filename_time_beats_mtime_and_is_localised() -> None:
    data = fixture_image("no_metadata/sdmetadata__png__empty.png").read_bytes()
    tz = timezone(timedelta(hours=2))
    result = read_image_bytes(
        data,
        file_name="image - 2025-03-03T193009.186.png",
        mtime=datetime(2026, 1, 1, tzinfo=UTC),
        local_tz=tz,
    )
    assert result.record.created_at == datetime(2025, 3, 3, 19, 30, 9, 186000, tzinfo=tz)
    assert result.record.created_at_source == "filename"
    assert result.record.created_at_precision is TimePrecision.MILLISECOND


def test_a1111_counter_goes_to_extra() -> None:
    data = fixture_image("AUTOMATIC1111/sdparsers__automatic1111_cropped.png").read_bytes()
    result = read_image_bytes(data, file_name="00042-1234567.png", mtime=None)
    assert result.record.extra["file_counter"] == 42
    assert result.record.created_at is None


def test_zero_bytes_and_non_image_are_unreadable(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableImage, match="empty"):
        read_image(empty)
    text = tmp_path / "notes.png"
    text.write_text("hello, not an image")
    with pytest.raises(UnreadableImage, match="not a PNG, JPEG or WEBP"):
        read_image(text)
    with pytest.raises(UnreadableImage, match="not found"):
        read_image(tmp_path / "missing.png")


def test_walk_metadata_segments_lists_png_chunks() -> None:
    data = fixture_image("ComfyUI/sdmetadata__png__comfyui-saveimage-plus.png").read_bytes()
    names = [name for name, _ in walk_metadata_segments(data)]
    assert names[0] == "IHDR" and names[-1] == "IEND"
    assert names.count("tEXt") == 2
