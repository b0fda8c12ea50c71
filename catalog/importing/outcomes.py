"""What an import did with each file: one :class:`FileOutcome` per entry it met, exactly once.

Outcomes (``atelier import --json`` prints them as they are here):

- ``imported``: stored as a new asset (``asset_id`` set). ``reason`` is a warning or ``None`` — e.g.
  ``thumbnail failed: …`` (the asset is stored and clustered; only its picture is missing);
- ``known``: the catalog already holds these bytes for this user (``asset_id`` is that asset);
- ``problem``: the file could not be imported, or part of it could not (``reason`` says why);
- ``ignored``: not a file to import — another file type, a hidden file or folder, a symlinked folder,
  a FIFO, socket or device (``reason`` says which) — or an image the artist removed from the library
  (:data:`REMOVED_EARLIER_REASON`; ``atelier import --include-removed`` takes it back).

A ``.jsonl`` record file is one outcome, with its records counted in ``records``: ``imported`` when at
least one record was new, ``known`` when every one was already stored, ``problem`` when any line was
refused (the other lines are still stored), ``ignored`` when it holds no record at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

REMOVED_EARLIER_REASON = "removed from the library earlier (atelier import --include-removed takes it back)"
EARLIER_IMAGE_KEPT_NOTE = "the image imported earlier from this file stays in the library"
"""Added to the ``problem`` reason of an image file that cannot be read (overwritten with a broken
or non-image file, or unreadable) when the library holds an image read from that path before: that
image is kept (its bytes may still be there, unreadable for now), and the artist is told."""


class Outcome(StrEnum):
    IMPORTED = "imported"
    KNOWN = "known"
    PROBLEM = "problem"
    IGNORED = "ignored"


@dataclass(slots=True)
class RecordCounts:
    """Records of one ``.jsonl`` file by what became of them."""

    imported: int = 0
    known: int = 0
    refused: int = 0


@dataclass(slots=True)
class FileOutcome:
    path: str
    outcome: Outcome
    reason: str | None = None
    asset_id: uuid.UUID | None = None
    records: RecordCounts | None = None
    """Set for ``.jsonl`` record files only."""

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "path": self.path,
            "outcome": str(self.outcome),
            "reason": self.reason,
            "asset_id": str(self.asset_id) if self.asset_id is not None else None,
        }
        if self.records is not None:
            document["records"] = {
                "imported": self.records.imported,
                "known": self.records.known,
                "refused": self.records.refused,
            }
        return document
