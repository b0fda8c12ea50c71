"""Quality metrics for the session benchmarks: boundaries, ARI, phases, explicit lineage.

Boundaries are compared per user over the same time order (time, file counter, file name, id); the
first record of a user is never counted as a boundary. Records without a time are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from sklearn.metrics import adjusted_rand_score

from engine.records import GenerationRecord


@dataclass(frozen=True, slots=True)
class PrecisionRecall:
    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int
    actual: int


def precision_recall(predicted: set[object], actual: set[object]) -> PrecisionRecall:
    hits = len(predicted & actual)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(actual) if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PrecisionRecall(precision, recall, f1, hits, len(predicted), len(actual))


def stream_order(records: Iterable[GenerationRecord]) -> list[GenerationRecord]:
    """Timed records in the engine's stream order (per user)."""

    def key(record: GenerationRecord) -> tuple[str, float, int, str, str]:
        counter = record.extra.get("file_counter")
        assert record.created_at is not None
        return (
            record.user or "",
            record.created_at.timestamp(),
            counter if isinstance(counter, int) else 2**62,
            record.file_name or "",
            record.id,
        )

    return sorted((r for r in records if r.created_at is not None), key=key)


def boundary_set(ordered: Sequence[GenerationRecord], session_of: Mapping[str, str]) -> set[object]:
    """Ids of records that open a session (not the first record of each user)."""
    boundaries: set[object] = set()
    for previous, current in pairwise(ordered):
        if previous.user != current.user:
            continue
        if session_of[previous.id] != session_of[current.id]:
            boundaries.add(current.id)
    return boundaries


def adjusted_rand(
    ordered: Sequence[GenerationRecord], truth: Mapping[str, str], predicted: Mapping[str, str]
) -> float:
    return float(
        adjusted_rand_score(
            [f"{r.user}|{truth[r.id]}" for r in ordered], [f"{r.user}|{predicted[r.id]}" for r in ordered]
        )
    )


def accuracy(truth: Mapping[str, str], predicted: Mapping[str, str]) -> float:
    keys = [k for k in truth if k in predicted]
    if not keys:
        return 0.0
    return sum(truth[k] == predicted[k] for k in keys) / len(keys)
