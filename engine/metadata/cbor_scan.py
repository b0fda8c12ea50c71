"""Just enough CBOR to read a text value that follows a known key inside a C2PA manifest store.

This is a byte-level scan, not a CBOR/JUMBF parser: it finds the encoded key (a CBOR text string)
and decodes the CBOR text string right after it. It never allocates more than the value's length,
which is bounded by the buffer.
"""

from __future__ import annotations


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
    key = cbor_key(name)
    out: list[tuple[int, str]] = []
    pos = buffer.find(key)
    while pos >= 0 and len(out) < limit:
        decoded = cbor_text_at(buffer, pos + len(key))
        if decoded is not None:
            out.append((pos, decoded[0]))
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
