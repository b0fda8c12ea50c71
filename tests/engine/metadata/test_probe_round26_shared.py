"""Round-26 probe shapes (/tmp/probe56): AI images as artists get them back after sharing and
downloading, where what is left of the metadata sits somewhere unusual.

- Chat apps strip the metadata and name the saved copy with their own save stamp: KakaoTalk
  ``KakaoTalk_YYYYMMDD_HHMMSSmmm[_NN].jpg`` (milliseconds run into the seconds), pasted images
  ``image_YYYY-MM-DD_HHMMSSmmm.png``, WeChat ``mmexport<Unix epoch ms>.jpg`` (an instant, not a wall
  clock). The name's own time wins over a later copy's mtime and over the mtime's time of day.
- ImageMagick 6.9 thumbnails (``-thumbnail``) and ``+profile '*'`` copies of a JPEG drop the EXIF
  profile but write the EXIF values back as PNG text properties ``exif:<tag>``: the UserComment (the
  infotext) only as its bytes in decimal (``exif:UserComment`` = ``85, 78, 73, 67, 79, 68, 69, 0, …``).
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from metadata_png_builder import build_jpeg, build_png, png_chunk, text_chunk

from engine.metadata import read_image_bytes
from engine.name_times import filename_time
from engine.records import GenerationRecord, TimePrecision

WEEK_LATER = datetime(2025, 11, 27, 9, 0, tzinfo=UTC)
"""The mtime of a phone's chat downloads copied to the PC a week after the images were saved."""
INFOTEXT = (
    "a lighthouse on a basalt cliff at dusk, oil painting\nNegative prompt: lowres, watermark\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 1234567890, "
    "Size: 832x1216, Model hash: 6ce0161689, Model: juggernautXL_v9, Version: v1.10.1"
)
CIVITAI_TEXT = (
    "portrait of an elderly fisherman mending nets\nNegative prompt: cartoon\nSteps: 30, CFG scale: 5, "
    "Sampler: DPM++ 2M Karras, Seed: 3141592653, Size: 832x1216, Created Date: 2025-11-03T18:22:41.1234567Z, "
    'Civitai resources: [{"type":"checkpoint","modelVersionId":456194,"modelName":"Juggernaut XL",'
    '"modelVersionName":"Ragnarok"}], Civitai metadata: {}'
)


def _read(data: bytes, name: str, mtime: datetime, local_tz: ZoneInfo | None = None) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=mtime, local_tz=local_tz).record


# ------------------------------------------------------------------ chat apps' save names
def test_kakaotalk_save_name_gives_its_millisecond_time() -> None:
    """KakaoTalk saves a received photo as ``KakaoTalk_YYYYMMDD_HHMMSSmmm.jpg`` (``_01``, ``_02``… for
    the photos of one message): nine digits of time after the ``_``, the last three milliseconds. A
    week-later copy's mtime does not replace it, and the day alone is not all it gives."""
    stripped = build_jpeg()
    first = _read(stripped, "KakaoTalk_20251120_211405123.jpg", WEEK_LATER)
    second = _read(stripped, "KakaoTalk_20251120_211406734_02.jpg", WEEK_LATER)
    assert (first.tool, first.prompt) == ("unknown", None)
    assert first.created_at == datetime(2025, 11, 20, 21, 14, 5, 123000, tzinfo=UTC)
    assert (first.created_at_source, first.created_at_precision) == ("filename", TimePrecision.MILLISECOND)
    assert second.created_at == datetime(2025, 11, 20, 21, 14, 6, 734000, tzinfo=UTC)
    assert "file_counter" not in first.extra  # the stamp's time digits are no output counter
    # the same nine digits are a seed, not a time, in a ``[date]_[seed]`` name that records that seed
    assert filename_time("20251120_211405123.png", seed=211405123) == (
        datetime(2025, 11, 20),
        TimePrecision.DAY,
    )


def test_pasted_image_name_time_beats_the_same_day_mtime() -> None:
    """A pasted clipboard image named ``image_YYYY-MM-DD_HHMMSSmmm.png`` keeps the paste's time; a
    download's mtime on the same evening only placed the name's day before."""
    record = _read(
        build_png(png_chunk(b"sRGB", b"\0")),
        "image_2025-11-20_211407512.png",
        datetime(2025, 11, 20, 21, 20, tzinfo=UTC),
    )
    assert record.created_at == datetime(2025, 11, 20, 21, 14, 7, 512000, tzinfo=UTC)
    assert (record.created_at_source, record.created_at_precision) == ("filename", TimePrecision.MILLISECOND)


def test_wechat_mmexport_name_is_an_epoch_instant() -> None:
    """WeChat names a saved image ``mmexport`` + the Unix epoch in milliseconds: an instant, the same
    in every time zone (not a wall clock read in ``local_tz``)."""
    record = _read(build_jpeg(), "mmexport1763673245123.jpg", WEEK_LATER, ZoneInfo("Asia/Shanghai"))
    assert record.created_at == datetime(2025, 11, 20, 21, 14, 5, 123000, tzinfo=UTC)
    assert (record.created_at_source, record.created_at_precision) == ("filename", TimePrecision.MILLISECOND)
    # a longer or shorter digit run after ``mmexport`` is no epoch stamp
    assert _read(build_jpeg(), "mmexport17636732451234.jpg", WEEK_LATER).created_at == WEEK_LATER


# ------------------------------------------------------------------ ImageMagick's exif:* properties
def _byte_list(raw: bytes) -> str:
    """ImageMagick's text form of an UNDEFINED/BYTE EXIF value: its bytes in decimal, comma-separated."""
    return ", ".join(str(byte) for byte in raw)


def _imagemagick_thumbnail(user_comment: bytes, *extra: bytes) -> bytes:
    """What ``convert src.jpg -thumbnail 50% out.png`` (ImageMagick 6.9.11) writes after IDAT: tIME,
    date:* and exif:* properties (the UserComment as a zTXt byte list), ``software``, Thumb::*."""
    after = (
        png_chunk(b"tIME", bytes([0x07, 0xE9, 11, 22, 10, 0, 0]))
        + text_chunk("date:create", "2025-11-22T10:00:00+00:00")
        + text_chunk("date:modify", "2025-11-22T10:00:00+00:00")
        + text_chunk("exif:ExifOffset", "26")
        + png_chunk(b"zTXt", b"exif:UserComment\0\0" + zlib.compress(_byte_list(user_comment).encode()))
        + b"".join(extra)
        + text_chunk("software", "https://imagemagick.org")
        + text_chunk("Thumb::MTime", "1763718000")
    )
    return build_png(after_idat=after)


def test_imagemagick_thumbnail_keeps_the_infotext_only_as_exif_property_bytes() -> None:
    """An A1111 JPEG thumbnailed to PNG by ImageMagick: the EXIF profile is gone, the infotext survives
    as ``exif:UserComment`` = ``UNICODE\\0`` + UTF-16LE in decimal. ``software`` and Thumb::MTime are
    no tool and no time; ImageDescription (ASCII properties lose their newlines to ``.``) is no text."""
    data = _imagemagick_thumbnail(
        b"UNICODE\0" + INFOTEXT.encode("utf-16-le"),
        text_chunk("exif:ImageDescription", "a cat.Negative prompt: dog.Steps: 3"),
        text_chunk("exif:Software", "Forge"),
    )
    mtime = datetime(2025, 11, 22, 10, 0, 3, tzinfo=UTC)
    record = _read(data, "00092-1234567890.png", mtime)
    assert record.tool == "a1111"
    assert record.prompt == "a lighthouse on a basalt cliff at dusk, oil painting"
    assert record.negative_prompt == "lowres, watermark"
    assert (record.seed, record.steps, record.cfg_scale) == (1234567890, 28, 6.5)
    assert (record.model, record.width, record.height) == ("juggernautXL_v9", 832, 1216)
    assert (record.created_at, record.created_at_source) == (mtime, "file:mtime")
    texts = record.extra.get("texts", {})
    assert "exif:UserComment" not in texts and "exif:ImageDescription" in texts


def test_imagemagick_profile_strip_of_a_civitai_jpeg_keeps_its_created_date() -> None:
    """``convert civitai.jpeg +profile '*' out.png``: Civitai's UserComment (UTF-16BE text from a
    little-endian TIFF) is only the byte-list property; its ``Created Date`` is the generation time."""
    data = _imagemagick_thumbnail(b"UNICODE\0" + CIVITAI_TEXT.encode("utf-16-be"))
    record = _read(data, "8f1c2d3e-thumb.png", datetime(2025, 11, 22, 11, 0, 2, tzinfo=UTC))
    assert (record.tool, record.seed, record.model) == ("civitai", 3141592653, "Juggernaut XL")
    assert record.prompt == "portrait of an elderly fisherman mending nets"
    assert record.created_at is not None
    created = record.created_at.astimezone(UTC).replace(microsecond=0)
    assert created == datetime(2025, 11, 3, 18, 22, 41, tzinfo=UTC)
    assert record.created_at_source == "metadata:Created Date"
