"""What one re-clustering run did (kept apart so the off-loop runner needs no import of the runner)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class ReclusterSummary:
    user_id: uuid.UUID
    assets_considered: int
    sessions_written: int
    sessions_created: int
    sessions_deleted: int

    def to_json(self) -> dict[str, object]:
        return asdict(self) | {"user_id": str(self.user_id)}
