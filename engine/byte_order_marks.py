"""UTF-16 and UTF-32 text recognised by its byte order mark: what Windows PowerShell 5.1 writes with
``>`` or ``Out-File``. Shared by the readers of record files and of tools' export files."""

from __future__ import annotations

import codecs

WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16-LE's, which it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def wide_encoding(head: bytes) -> tuple[bytes, str] | None:
    """The byte order mark and encoding of a UTF-16 / UTF-32 text starting with ``head`` (its first
    four bytes suffice), else ``None``."""
    return next(((bom, codec) for bom, codec in WIDE_BOMS if head.startswith(bom)), None)
