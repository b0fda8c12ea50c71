"""A seeded byte-level mutator for image files, biased towards metadata regions."""

from __future__ import annotations

import random

_MARKERS = (
    b"IHDR",
    b"ftyp",
    b"meta",
    b"iinf",
    b"iloc",
    b"ispe",
    b"tEXt",
    b"iTXt",
    b"zTXt",
    b"eXIf",
    b"caBX",
    b"IDAT",
    b"Exif\x00\x00",
    b"UNICODE\x00",
    b"ASCII\x00",
    b"\xff\xe1",
    b"\xff\xeb",
    b"\xff\xc0",
    b"VP8X",
    b"EXIF",
    b"XMP ",
    b'"class_type"',
    b'"inputs"',
    b"Steps: ",
    b"Negative prompt:",
    b"sui_image_params",
    b"tstTokens",
    b"when",
)
_EXTREMES = (
    b"\x00\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\x7f\xff\xff\xff",
    b"\x00\x00\x00\x01",
    b"\x80\x00\x00\x00",
)
_TOKENS = (b"[", b"{", b"]", b"}", b'"', b"\\", b":", b",", b"\x00", b"\n", b'["1", 0]', b"NaN", b"\xff\xfe")


def marker_offsets(data: bytes, limit: int = 64) -> list[int]:
    """Offsets of interesting structures (chunk types, EXIF headers, JSON keys) in ``data``."""
    offsets: list[int] = []
    for marker in _MARKERS:
        start = data.find(marker)
        while start >= 0 and len(offsets) < limit * len(_MARKERS):
            offsets.append(start)
            start = data.find(marker, start + 1)
            if len(offsets) % limit == 0:
                break
    return offsets or [0]


def mutate(data: bytes, rng: random.Random, offsets: list[int]) -> bytes:
    """1-4 random edits: bit flips, overwrites, extreme lengths, JSON tokens, cuts, inserts, deletes."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buf:
            break
        if rng.random() < 0.7:
            pos = min(len(buf) - 1, max(0, rng.choice(offsets) + rng.randint(-12, 24)))
        else:
            pos = rng.randrange(len(buf))
        op = rng.randrange(8)
        if op == 0:
            for _ in range(rng.randint(1, 8)):
                index = min(len(buf) - 1, pos + rng.randint(0, 16))
                buf[index] ^= 1 << rng.randrange(8)
        elif op == 1:
            size = rng.randint(1, 16)
            buf[pos : pos + size] = bytes(rng.randrange(256) for _ in range(size))
        elif op == 2:
            buf[pos : pos + 4] = rng.choice(_EXTREMES)
        elif op == 3:
            buf[pos : pos + 1] = rng.choice(_TOKENS)
        elif op == 4:
            del buf[pos:]
        elif op == 5:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
        elif op == 6:
            del buf[pos : pos + rng.randint(1, 64)]
        else:
            size = rng.randint(1, 256)
            buf[pos:pos] = buf[pos : pos + size]
    return bytes(buf)
