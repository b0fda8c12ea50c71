"""Just enough CBOR to read a text value that follows a known key inside a C2PA manifest store.

This is a byte-level scan, not a CBOR/JUMBF parser: it finds the encoded key (a CBOR text string)
and decodes the CBOR text string right after it. It never allocates more than the value's length,
which is bounded by the buffer.

Dates (:func:`dates_after_key`) may also be tagged, as RFC 8949 §3.4.1–3.4.2 define and the C2PA
schema's ``tdate`` (action ``when``) is written by c2pa-rs: tag 0 (``0xC0``) before a date-time text
string, or tag 1 (``0xC1``) before an epoch time in seconds (an integer or a float, UTC).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from datetime import UTC, datetime

_TAG_DATE_TIME_TEXT = 0xC0
"""CBOR tag 0 (RFC 8949 §3.4.1): a standard date/time string (RFC 3339) follows."""
_TAG_EPOCH_TIME = 0xC1
"""CBOR tag 1 (RFC 8949 §3.4.2): an epoch-based date/time (seconds, integer or float) follows."""


def cbor_text_at(buffer: bytes, pos: int) -> tuple[str, int] | None:
    """Decode a CBOR text string (major type 3, definite length) at ``pos``: ``(text, end)``."""
    if pos >= len(buffer):
        return None
    head = buffer[pos]
    if head >> 5 != 3:
        return None
    info = head & 0x1F
    start = pos + 1
    if info < 24:
        length = info
    elif info == 24 and start + 1 <= len(buffer):
        length, start = buffer[start], start + 1
    elif info == 25 and start + 2 <= len(buffer):
        length, start = int.from_bytes(buffer[start : start + 2], "big"), start + 2
    else:
        return None
    end = start + length
    if end > len(buffer):
        return None
    return buffer[start:end].decode("utf-8", errors="replace"), end


def cbor_key(name: str) -> bytes:
    """The CBOR encoding of a short text key (< 256 bytes)."""
    raw = name.encode()
    if len(raw) < 24:
        return bytes([0x60 | len(raw)]) + raw
    return bytes([0x78, len(raw)]) + raw


def texts_after_key(buffer: bytes, name: str, *, limit: int = 32) -> list[tuple[int, str]]:
    """``(offset, text)`` for each occurrence of key ``name`` directly followed by a text value."""
    return _values_after_key(buffer, name, _text_only, limit)


def _text_only(buffer: bytes, pos: int) -> str | None:
    decoded = cbor_text_at(buffer, pos)
    return None if decoded is None else decoded[0]


def _values_after_key(
    buffer: bytes, name: str, decode: Callable[[bytes, int], str | None], limit: int
) -> list[tuple[int, str]]:
    key = cbor_key(name)
    out: list[tuple[int, str]] = []
    pos = buffer.find(key)
    while pos >= 0 and len(out) < limit:
        decoded = decode(buffer, pos + len(key))
        if decoded is not None:
            out.append((pos, decoded))
        pos = buffer.find(key, pos + 1)
    return out


def name_after_key(buffer: bytes, name: str, *, window: int = 64) -> list[tuple[int, str]]:
    """For ``key: {"name": text, …}`` (or ``[{…}]``): ``(offset, text)`` of the ``name`` inside."""
    key = cbor_key(name)
    name_key = cbor_key("name")
    out: list[tuple[int, str]] = []
    pos = buffer.find(key)
    while pos >= 0 and len(out) < 32:
        inner = buffer.find(name_key, pos + len(key), pos + len(key) + window)
        if inner >= 0:
            decoded = cbor_text_at(buffer, inner + len(name_key))
            if decoded is not None:
                out.append((pos, decoded[0]))
        pos = buffer.find(key, pos + 1)
    return out


def _cbor_head_at(buffer: bytes, pos: int) -> tuple[int, int, int] | None:
    """The major type, argument and end of a CBOR head at ``pos`` (arguments up to 8 bytes)."""
    if pos >= len(buffer):
        return None
    head = buffer[pos]
    info = head & 0x1F
    if info < 24:
        return head >> 5, info, pos + 1
    if info > 27:
        return None
    size = 1 << (info - 24)
    end = pos + 1 + size
    if end > len(buffer):
        return None
    return head >> 5, int.from_bytes(buffer[pos + 1 : end], "big"), end


def _cbor_epoch_at(buffer: bytes, pos: int) -> float | None:
    """The number after tag 1: an unsigned or negative integer, or a half/single/double float."""
    if pos >= len(buffer):
        return None
    head = buffer[pos]
    floats = {0xF9: ">e", 0xFA: ">f", 0xFB: ">d"}
    if head in floats:
        size = struct.calcsize(floats[head])
        if pos + 1 + size > len(buffer):
            return None
        (number,) = struct.unpack_from(floats[head], buffer, pos + 1)
        return float(number) if math.isfinite(number) else None
    decoded = _cbor_head_at(buffer, pos)
    if decoded is None or decoded[0] not in (0, 1):
        return None
    major, argument, _ = decoded
    return float(argument if major == 0 else -1 - argument)


def cbor_date_at(buffer: bytes, pos: int) -> str | None:
    """A date at ``pos`` as text: a plain text string, a tag 0 date/time string, or a tag 1 epoch time
    (returned as ISO 8601 in UTC, with microseconds only when the epoch has a fraction)."""
    if pos < len(buffer) and buffer[pos] == _TAG_DATE_TIME_TEXT:
        pos += 1
    elif pos < len(buffer) and buffer[pos] == _TAG_EPOCH_TIME:
        seconds = _cbor_epoch_at(buffer, pos + 1)
        if seconds is None:
            return None
        try:
            value = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return value.isoformat(timespec="microseconds" if seconds % 1 else "seconds")
    return _text_only(buffer, pos)


def dates_after_key(buffer: bytes, name: str, *, limit: int = 32) -> list[tuple[int, str]]:
    """``(offset, text)`` for each occurrence of key ``name`` followed by a date (see
    :func:`cbor_date_at`): plain, tag 0 and tag 1 dates all come back as text."""
    return _values_after_key(buffer, name, cbor_date_at, limit)
