"""Thumbnails in a local folder: ``<root>/<sha[:2]>/<sha>.webp``.

Writes go to a temporary file in the target folder and are renamed into place, so a reader (another
process on a shared volume included) never sees half a file and concurrent writers of the same
address simply replace identical bytes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from catalog.storage.thumbnail_store import check_address


class LocalThumbnailStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256_hex: str) -> Path:
        check_address(sha256_hex)
        return self.root / sha256_hex[:2] / f"{sha256_hex}.webp"

    def put(self, sha256_hex: str, data: bytes) -> None:
        target = self.path_of(sha256_hex)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self, sha256_hex: str) -> bytes | None:
        try:
            return self.path_of(sha256_hex).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, sha256_hex: str) -> bool:
        return self.path_of(sha256_hex).is_file()

    def delete(self, sha256_hex: str) -> None:
        self.path_of(sha256_hex).unlink(missing_ok=True)

    def local_path(self, sha256_hex: str) -> Path | None:
        return self.path_of(sha256_hex)

    def presigned_url(self, sha256_hex: str) -> str | None:
        return None
