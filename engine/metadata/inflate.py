"""Bounded zlib inflate: the only place compressed metadata is expanded (decompression-bomb guard)."""

from __future__ import annotations

import zlib

from engine.metadata.limits import MAX_TEXT_BYTES


class InflateRefused(ValueError):
    """The stream is corrupt or would expand beyond the limit; ``args[0]`` is a short reason."""


def inflate_bounded(data: bytes, limit: int = MAX_TEXT_BYTES, *, wbits: int = zlib.MAX_WBITS) -> bytes:
    """Inflate ``data`` (zlib by default; ``wbits=31`` for gzip) to at most ``limit`` bytes."""
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, max(limit, 0) + 1)
    except zlib.error as exc:
        raise InflateRefused(f"corrupt compressed data ({exc})") from None
    if len(out) > limit:
        raise InflateRefused(f"expands beyond {limit} bytes")
    return out
