"""Probe round 34: hosted generators' downloads and API outputs.

- The Stability SDK CLI (``python -m stability_sdk``, ``stability_sdk.client``) writes each artifact's
  bytes unchanged to ``truncate_fit(prefix, prompt, ext, int(time.time()), idx, 200)`` =
  ``<prefix><prompt, truncated>_<Unix epoch in seconds>_<index><ext>``, the prefix defaulting to
  ``generation_``: the name holds the instant the artifact arrived (second precision, UTC), a better
  time than the mtime of a later copy.
- Still works: Replicate's cog-sdxl saves ``/tmp/out-{i}.png`` with a plain PIL ``image.save`` (no
  text chunks) and a fal.ai download keeps the ``fal.media`` URL's last segment: neither name is a
  time, the mtime is.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from metadata_png_builder import build_png, text_chunk

from engine.metadata import read_image_bytes
from engine.records import TimePrecision

COPIED_LATER = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)


def read(data: bytes, name: str, mtime: datetime = COPIED_LATER):
    return read_image_bytes(data, file_name=name, mtime=mtime).record


@pytest.mark.parametrize(
    ("name", "instant"),
    [
        (
            "generation_a lighthouse on a cliff at dusk, oil painting_1700000000_0.png",
            datetime(2023, 11, 14, 22, 13, 20),
        ),
        (
            "generation_a lighthouse on a cliff at dusk, oil painting_1700000001_1.png",
            datetime(2023, 11, 14, 22, 13, 21),
        ),
        # init-image only: an empty prompt part; a prompt holding "_" and digits
        ("generation__1718031245_0.png", datetime(2024, 6, 10, 14, 54, 5)),
        ("generation_neon_city_2077 rain_1718031245_3.jpg", datetime(2024, 6, 10, 14, 54, 5)),
        # a date inside the prompt part is the prompt's: the epoch is the artifact's instant
        ("generation_harbour at sunrise 2024-05-18_1718031245_0.png", datetime(2024, 6, 10, 14, 54, 5)),
    ],
)
def test_stability_sdk_artifact_name_gives_the_epoch_instant(name: str, instant: datetime) -> None:
    record = read(build_png(width=8, height=8), name)
    assert record.created_at == instant.replace(tzinfo=UTC)
    assert (record.created_at_source, record.created_at_precision) == ("filename", TimePrecision.SECOND)


def test_stability_sdk_like_names_that_are_not_its_form_are_no_time() -> None:
    # another prefix, a seed-like number with no index, an index too long, the recorded seed itself
    for name in (
        "render_1700000000_0.png",
        "generation_a cat_1700000000.png",
        "generation_a cat_1700000000_00001_.png",
    ):
        record = read(build_png(width=8, height=8), name)
        assert record.created_at_source == "file:mtime", name
    infotext = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1700000000, Size: 8x8"
    record = read(
        build_png(text_chunk("parameters", infotext), width=8, height=8), "generation_a cat_1700000000_0.png"
    )
    assert record.seed == 1700000000
    assert record.created_at_source == "file:mtime"


def test_still_works_replicate_and_fal_outputs_keep_the_mtime() -> None:
    saved = datetime(2025, 2, 11, 16, 42, 5, tzinfo=UTC)
    for name in ("out-0.png", "5xrmpkd_8zGpZlbMZUeqt_c54e9c6b9f144c9a9f9d7fea061def6b.jpg"):
        record = read(build_png(width=8, height=8), name, saved)
        assert record.tool == "unknown"
        assert (record.created_at, record.created_at_source) == (saved, "file:mtime"), name
