"""C2PA manifest stores in every container Atelier reads, laid out as the C2PA SDK (c2pa-rs) writes them:
JUMBF superboxes (``jumb`` + ``jumd`` description with the C2PA UUIDs) holding CBOR assertions, the
claim and a COSE_Sign1 signature whose ``sigTst2`` carries an RFC 3161 time-stamp token (DER, with its
``genTime`` GeneralizedTime).

- WEBP: the store is a top-level RIFF chunk ``C2PA`` (c2pa-rs ``asset_handlers/riff_io.rs``, appended
  after the image chunks); ChatGPT's DALL·E 3 downloads (2024) are such WEBPs.
- The actions' ``when`` is the C2PA schema's ``tdate``: c2pa-rs writes CBOR tag 0 before the text
  (RFC 8949 §3.4.1); tag 1 is an epoch time in seconds (§3.4.2).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from metadata_fixture_paths import fixture_image
from metadata_png_builder import build_png, png_chunk
from PIL import Image

from engine.metadata import read_image_bytes
from engine.metadata.cbor_scan import cbor_date_at, dates_after_key
from engine.metadata.png import iter_png_chunks
from engine.records import GenerationRecord, TimePrecision

MTIME = datetime(2024, 5, 18, 12, 3, 25, tzinfo=UTC)
C2PA_UUID_TAIL = bytes.fromhex("00110010800000aa00389b71")
TSD = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


@dataclass(frozen=True)
class Tag:
    """A CBOR tag (major type 6) around ``value``."""

    number: int
    value: Any


def _head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | info]) + argument.to_bytes(size, "big")
    raise ValueError(argument)


def cbor(value: Any) -> bytes:
    """Deterministic CBOR (RFC 8949) of the values a C2PA manifest uses."""
    if value is None:
        return b"\xf6"
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return _head(3, len(raw)) + raw
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(map(cbor, value))
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    if isinstance(value, Tag):
        return _head(6, value.number) + cbor(value.value)
    raise TypeError(type(value))


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _superbox(uuid_head: bytes, label: str, *children: bytes) -> bytes:
    """A JUMBF superbox: its description box (C2PA type UUID, toggles 0x03: requestable + label)."""
    description = _box(b"jumd", uuid_head + C2PA_UUID_TAIL + b"\x03" + label.encode() + b"\0")
    return _box(b"jumb", description + b"".join(children))


def _der(tag: int, body: bytes) -> bytes:
    if len(body) < 0x80:
        return bytes([tag, len(body)]) + body
    size = (len(body).bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + len(body).to_bytes(size, "big") + body


def time_stamp_token(gen_time: str) -> bytes:
    """An RFC 3161 TimeStampToken (CMS SignedData around a TSTInfo) reduced to what locates genTime."""
    tst_info = _der(
        0x30,
        _der(0x02, b"\x01")  # version
        + _der(0x06, b"\x2a\x03\x04\x01")  # policy
        + _der(0x30, _der(0x30, _der(0x06, b"\x60\x86\x48\x01\x65\x03\x04\x02\x01")) + _der(0x04, bytes(32)))
        + _der(0x02, b"\x2a")  # serialNumber
        + _der(0x18, gen_time.encode()),  # genTime
    )
    signed_data = _der(
        0x30,
        _der(0x02, b"\x03")
        + _der(
            0x30,
            _der(0x06, b"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x04") + _der(0xA0, _der(0x04, tst_info)),
        ),
    )
    return _der(0x30, _der(0x06, b"\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02") + _der(0xA0, signed_data))


def manifest(urn: str, generator: str, actions: list[dict[str, Any]], gen_time: str) -> bytes:
    """One manifest (``c2ma``): its actions assertion, a v2 claim and a COSE_Sign1 with a v2 time-stamp."""
    claim = {
        "instanceID": f"xmp:iid:{urn[9:]}",
        "claim_generator_info": {"name": generator},
        "signature": "self#jumbf=/c2pa/" + urn + "/c2pa.signature",
        "created_assertions": [{"url": "self#jumbf=c2pa.assertions/c2pa.actions.v2", "hash": bytes(32)}],
    }
    cose = Tag(
        18,
        [cbor({1: -7}), {"sigTst2": {"tstTokens": [{"val": time_stamp_token(gen_time)}]}}, None, bytes(64)],
    )
    return _superbox(
        b"c2ma",
        urn,
        _superbox(
            b"c2as",
            "c2pa.assertions",
            _superbox(b"cbor", "c2pa.actions.v2", _box(b"cbor", cbor({"actions": actions}))),
        ),
        _superbox(b"c2cl", "c2pa.claim.v2", _box(b"cbor", cbor(claim))),
        _superbox(b"c2cs", "c2pa.signature", _box(b"cbor", cbor(cose))),
    )


def manifest_store(*manifests: bytes) -> bytes:
    return _superbox(b"c2pa", "c2pa", *manifests)


def webp_with_c2pa(store: bytes) -> bytes:
    """A real (Pillow-encoded) WEBP with ``store`` appended as a top-level ``C2PA`` chunk, as c2pa-rs
    embeds it (RIFF size updated, odd chunk padded)."""
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (90, 120, 160)).save(out, format="WEBP", quality=80)
    data = out.getvalue()
    chunk = b"C2PA" + struct.pack("<I", len(store)) + store + (b"\0" if len(store) % 2 else b"")
    body = data[8:] + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _read(data: bytes, name: str) -> GenerationRecord:
    return read_image_bytes(data, file_name=name, mtime=MTIME).record


DALLE_IN_CHATGPT = manifest_store(
    manifest(
        "urn:c2pa:9405119e-f2ea-403c-bce9-af3d772ec97c",
        "DALL·E",
        [{"action": "c2pa.created", "softwareAgent": {"name": "DALL·E"}, "digitalSourceType": TSD}],
        "20240518120319Z",
    ),
    manifest(
        "urn:c2pa:3b857c85-1522-49fb-87ae-270aec1ded30",
        "ChatGPT",
        [
            {
                "action": "c2pa.opened",
                "softwareAgent": {"name": "ChatGPT"},
                "parameters": {"ingredientIds": ["ing1"]},
            },
            {"action": "c2pa.converted", "softwareAgent": {"name": "ChatGPT"}},
        ],
        "20240518120320Z",
    ),
)


def test_a_chatgpt_dalle_webp_is_read_from_its_riff_c2pa_chunk() -> None:
    """Was ``unknown`` with the browser-local download time of the file name read as UTC (2 h off)."""
    name = "DALL·E 2024-05-18 14.03.22 - A watercolor of a lighthouse on a cliff at dawn.webp"
    record = _read(webp_with_c2pa(DALLE_IN_CHATGPT), name)
    assert record.tool == "dalle"
    # the manifest that records c2pa.created (DALL·E's, the ingredient) signed the generation
    assert record.created_at == datetime(2024, 5, 18, 12, 3, 19, tzinfo=UTC)
    assert record.created_at_source == "metadata:c2pa.signature.time"
    assert record.created_at_precision is TimePrecision.SECOND
    c2pa = record.extra["c2pa"]
    assert c2pa["claim_generators"] == ["DALL·E", "ChatGPT"]
    assert c2pa["actions"] == ["c2pa.created", "c2pa.opened", "c2pa.converted"]


def test_the_webp_c2pa_chunk_reads_as_the_png_cabx_chunk_does() -> None:
    from_webp = _read(webp_with_c2pa(DALLE_IN_CHATGPT), "a.webp")
    from_png = _read(build_png(png_chunk(b"caBX", DALLE_IN_CHATGPT)), "a.png")
    assert (from_webp.tool, from_webp.created_at, from_webp.created_at_source) == (
        from_png.tool,
        from_png.created_at,
        from_png.created_at_source,
    )
    assert from_webp.extra["c2pa"] == from_png.extra["c2pa"]


def test_the_real_chatgpt_store_moved_into_a_webp_reads_as_in_its_png() -> None:
    """The fixture's own c2pa-rs bytes (OpenAI's manifest; its ``when`` values are tag-0 dates)."""
    png = fixture_image("OpenAI_ChatGPT/sdmetadata__c2pa_png__chatgpt-image2.png").read_bytes()
    store = next(png[start:stop] for kind, start, stop in iter_png_chunks(png) if kind == b"caBX")
    record = _read(webp_with_c2pa(store), "ChatGPT Image.webp")
    assert record.tool == "chatgpt"
    assert record.created_at == datetime(2026, 6, 5, 13, 46, 44, 880249, tzinfo=UTC)
    assert record.created_at_source == "metadata:c2pa.signature.time"
    assert record.extra["c2pa"] == _read(png, "ChatGPT Image.png").extra["c2pa"]
    assert record.extra["c2pa"]["when"][0] == "2026-06-05T00:00:00Z"  # was [] (tag 0 not read)


def _designer_png(when: Any) -> bytes:
    store = manifest_store(
        manifest(
            "urn:c2pa:24ce8885-24e4-45a7-a82d-1146cfc5690d",
            "Microsoft Designer",
            [{"action": "c2pa.created", "softwareAgent": "Bing Image Creator", "when": when}],
            "20240911031430Z",
        )
    )
    return build_png(png_chunk(b"caBX", store))


@pytest.mark.parametrize(
    ("when", "expected", "precision"),
    [
        (Tag(0, "2024-09-11T03:14:26Z"), datetime(2024, 9, 11, 3, 14, 26, tzinfo=UTC), TimePrecision.SECOND),
        (Tag(1, 1726024466), datetime(2024, 9, 11, 3, 14, 26, tzinfo=UTC), TimePrecision.SECOND),
        (
            Tag(1, 1726024466.25),
            datetime(2024, 9, 11, 3, 14, 26, 250000, tzinfo=UTC),
            TimePrecision.MILLISECOND,
        ),
    ],
)
def test_an_action_when_written_as_a_tagged_cbor_date_is_read(
    when: Tag, expected: datetime, precision: TimePrecision
) -> None:
    """Designer/DALL·E ``when`` is to the second and wins over the later signature time; written as the
    schema's ``tdate`` (tag 0) or as an epoch time (tag 1) it was skipped and the signature time won."""
    record = _read(_designer_png(when), "designer.png")
    assert record.tool == "dalle"
    assert record.created_at == expected
    assert record.created_at_source == "metadata:c2pa.actions.when"
    assert record.created_at_precision is precision
    assert record.extra["c2pa"]["when"] == [
        expected.isoformat() if when.number == 1 else "2024-09-11T03:14:26Z"
    ]


def test_only_dates_follow_a_date_tag() -> None:
    key = cbor("when")
    assert dates_after_key(key + cbor("2024-09-11T03:14:26Z"), "when") == [(0, "2024-09-11T03:14:26Z")]
    assert cbor_date_at(cbor(Tag(1, -1)), 0) == "1969-12-31T23:59:59+00:00"
    assert cbor_date_at(b"\xc1\xf9\x3c\x00", 0) == "1970-01-01T00:00:01+00:00"  # half float 1.0
    for bad in (
        cbor(Tag(1, "x")),
        cbor(Tag(1, 2**63)),
        b"\xc1\xfb" + struct.pack(">d", float("nan")),
        b"\xc1",
        b"\xc0\x01",
    ):
        assert cbor_date_at(bad, 0) is None
