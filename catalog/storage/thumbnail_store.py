"""The thumbnail store interface and the choice between its backends.

Invariants every backend keeps: objects are addressed by the SHA-256 of their bytes (64 lower-case
hex digits, checked by :func:`check_address`), so ``put`` is idempotent and an address never changes
meaning; a reader never sees half an object; methods are synchronous and thread-safe (callers on an
event loop run them with ``asyncio.to_thread``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from catalog.settings import AtelierSettings

_SHA_HEX_LENGTH = 64


class InvalidAddress(ValueError):
    """Not a thumbnail address (64 lower-case hex digits)."""


def check_address(sha256_hex: str) -> str:
    if len(sha256_hex) != _SHA_HEX_LENGTH or any(c not in "0123456789abcdef" for c in sha256_hex):
        raise InvalidAddress(f"not a thumbnail address: {sha256_hex!r}")
    return sha256_hex


class ThumbnailStore(Protocol):
    def put(self, sha256_hex: str, data: bytes) -> None:
        """Store ``data`` under its address (a no-op when it is already there)."""

    def read(self, sha256_hex: str) -> bytes | None:
        """The stored bytes, or None when nothing is stored under the address."""

    def exists(self, sha256_hex: str) -> bool: ...

    def delete(self, sha256_hex: str) -> None:
        """Delete what is stored under the address (a no-op when nothing is)."""

    def local_path(self, sha256_hex: str) -> Path | None:
        """Where the object lies on this machine's disk, when the store is a local folder."""

    def presigned_url(self, sha256_hex: str) -> str | None:
        """A time-limited URL a browser can fetch directly, when the store offers one."""


def thumbnail_store(settings: AtelierSettings) -> ThumbnailStore:
    """The store the settings name: the S3 bucket when ``ATELIER_S3_BUCKET`` is set, else the local
    folder (``ATELIER_THUMBNAIL_DIR``, default ``ATELIER_HOME/thumbnails``). Cheap for a folder; an
    S3 store makes one client, so long-lived processes build it once and keep it."""
    if settings.s3_bucket:
        from catalog.storage.s3 import S3ThumbnailStore

        return S3ThumbnailStore.from_settings(settings)
    from catalog.storage.local import LocalThumbnailStore

    return LocalThumbnailStore(settings.thumbnails_dir)
