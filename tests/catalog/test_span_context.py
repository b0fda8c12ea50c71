"""The context a span re-clustering reads around it (``catalog.sessions.reclustering``): where the engine's
sessions over the context agree with the stored ones the span is written alone; where they do not — a
session reaching from the context into the span, two context images joined or parted otherwise than
stored — the span must grow over them. Pure: analyses and stored rows built here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from catalog.assets.span_rows import SpanAsset
from catalog.sessions.reclustering import SpanContext, _span_part, _where_context_differs
from engine.analysis import Analysis, SessionResult

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
STORED_A, STORED_B, STORED_C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def _asset(minute: int, session: uuid.UUID) -> SpanAsset:
    values: dict[str, Any] = dict.fromkeys(SpanAsset._fields)
    values |= {"id": uuid.uuid4(), "record_id": f"m{minute}", "tool": "comfyui"}
    values |= {"created_at": START + timedelta(minutes=minute), "session_id": session}
    return SpanAsset(**values)


def _analysis(*sessions: list[SpanAsset]) -> Analysis:
    results = []
    for number, members in enumerate(sessions):
        result: dict[str, Any] = dict.fromkeys(SessionResult.__dataclass_fields__)
        result |= {"id": f"s{number}", "asset_ids": [str(asset.id) for asset in members], "phases": []}
        results.append(SessionResult(**result))
    return Analysis(sessions=results, lineage=[])


# stored: A = minutes 0–3 (context before), B = 10–13 (the span), C = 20–23 (context after)
BEFORE = [_asset(minute, STORED_A) for minute in range(4)]
SPAN = [_asset(minute, STORED_B) for minute in range(10, 14)]
AFTER = [_asset(minute, STORED_C) for minute in range(20, 24)]
CONTEXT = SpanContext(BEFORE, AFTER, before_whole=False, after_whole=False)
IN_SPAN = {asset.id: asset for asset in SPAN}


def test_a_context_clustered_as_stored_leaves_the_span_alone() -> None:
    analysis = _analysis(BEFORE, SPAN, AFTER)
    assert _where_context_differs(analysis, CONTEXT, IN_SPAN) is None
    assert [result.id for result in _span_part(analysis, {str(asset.id) for asset in SPAN}).sessions] == [
        "s1"
    ]


def test_a_session_reaching_from_the_context_into_the_span_widens_it() -> None:
    assert _where_context_differs(_analysis(BEFORE, SPAN + AFTER), CONTEXT, IN_SPAN) == (
        START + timedelta(minutes=10),
        AFTER[1].created_at,  # the checked half next to the span ends there
    )
    assert _where_context_differs(_analysis(BEFORE + SPAN, AFTER), CONTEXT, IN_SPAN) == (
        BEFORE[2].created_at,  # the checked half next to the span starts there
        START + timedelta(minutes=13),
    )


def test_even_a_far_context_image_in_a_span_session_widens_it() -> None:
    """A moved image far in the context, clustered into the span's session: not in the checked half,
    yet the span cannot be written alone (that session would hold an image the span does not)."""
    far = BEFORE[0]
    analysis = _analysis(BEFORE[1:], [far, *SPAN], AFTER)
    assert _where_context_differs(analysis, CONTEXT, IN_SPAN) is not None
    assert _span_part(analysis, {str(asset.id) for asset in SPAN}).sessions == []


def test_context_images_joined_or_parted_otherwise_than_stored_widen_it() -> None:
    parted = _analysis(BEFORE, SPAN, AFTER[:1], AFTER[1:])  # the checked half of C cut in two
    assert _where_context_differs(parted, CONTEXT, IN_SPAN) == (SPAN[0].created_at, AFTER[1].created_at)
    far_cut = _analysis(BEFORE, SPAN, AFTER[:3], AFTER[3:])  # beyond the checked half: its context is cut
    assert _where_context_differs(far_cut, CONTEXT, IN_SPAN) is None
