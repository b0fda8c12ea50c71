"""What one re-clustering run did (kept apart so the off-loop runner needs no import of the runner)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class ReclusterSummary:
    user_id: uuid.UUID
    assets_considered: int
    sessions_written: int
    """Sessions created, or whose values (label, times, count …), phases or members changed; a session
    the run left exactly as it was is not counted, nor is a deleted one (:attr:`sessions_deleted`)."""
    sessions_created: int
    sessions_deleted: int

    def to_json(self) -> dict[str, object]:
        return asdict(self) | {"user_id": str(self.user_id)}
