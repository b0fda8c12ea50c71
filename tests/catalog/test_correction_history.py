"""Correction summaries: from what each correction stored, with plainer sentences for old rows."""

from __future__ import annotations

import uuid

from catalog.models import Correction
from catalog.sessions.correction_history import affected_asset_ids, affected_session_ids, summary_of

A, B, S = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def _correction(kind: str, **payload: object) -> Correction:
    return Correction(id=uuid.uuid4(), user_id=uuid.uuid4(), kind=kind, payload=payload)


def test_summaries_say_what_changed() -> None:
    merge = _correction(
        "merge", sessions=[str(S), str(uuid.uuid4())], joined=[str(A), str(B)], asset_count=41
    )
    assert summary_of(merge) == "Merged 2 sessions (41 images)"
    assert (affected_asset_ids(merge), affected_session_ids(merge)[0]) == ([A, B], S)
    split = _correction("split", session=str(S), at=str(B), before=str(A), label="Koi", at_file="koi_07.png")
    assert summary_of(split) == "Split 'Koi' at image koi_07.png"
    assert affected_asset_ids(split) == [A, B]
    move = _correction("move", assets=[str(A), str(B)], to_session=str(S), anchor=str(A), to_label=None)
    assert summary_of(move) == "Moved 2 images to an unnamed session"
    rename = _correction("relabel", session=str(S), label="B", previous_label="A", previous_pinned=False)
    assert (summary_of(rename), affected_asset_ids(rename)) == ("Renamed 'A' → 'B'", [])
    unpin = _correction("relabel", session=str(S), label=None, previous_label="A", previous_pinned=True)
    assert summary_of(unpin) == "Returned 'A' to its automatic label"


def test_rows_stored_before_the_details_get_plainer_sentences() -> None:
    assert summary_of(_correction("merge", sessions=[str(S), str(A)], joined=[str(A), str(B)])) == (
        "Merged 2 sessions"
    )
    split = _correction("split", session=str(S), at=str(B))
    assert (summary_of(split), affected_asset_ids(split)) == ("Split a session", [B])
    assert summary_of(_correction("move", assets=[str(A)], to_session=str(S))) == (
        "Moved 1 image to another session"
    )
    assert summary_of(_correction("relabel", session=str(S), label="Neon")) == "Renamed a session to 'Neon'"
    assert affected_session_ids(_correction("relabel", session="not-a-uuid", label=None)) == []
