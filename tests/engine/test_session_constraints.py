"""Corrections as constraints: merges, splits, moves and pinned labels survive every re-clustering."""

from __future__ import annotations

from engine.records import GenerationRecord
from engine.session_analysis import SessionConstraints, analyze_records
from tests.engine.session_records import MOUNTAIN, NEON, memberships, paced, record


def _two_sessions() -> list[GenerationRecord]:
    return [*paced("a", 0, 6, 1, NEON), *paced("b", 30, 6, 1, MOUNTAIN)]


def test_without_constraints_there_are_two_sessions() -> None:
    assert len(analyze_records(_two_sessions()).sessions) == 2


def test_must_link_merges_across_a_boundary_and_even_a_tool_switch() -> None:
    merged = analyze_records(_two_sessions(), constraints=SessionConstraints(must_link=[("a002", "b001")]))
    assert len(merged.sessions) == 1
    tool_switch = [*paced("a", 0, 4, 1, NEON), *paced("b", 4, 4, 1, NEON, tool="forge")]
    merged = analyze_records(tool_switch, constraints=SessionConstraints(must_link=[("a003", "b000")]))
    assert len(merged.sessions) == 1


def test_cannot_link_splits_where_the_score_is_highest_between_the_pair() -> None:
    minutes = [0, 1, 2, 3, 4, 5, 6.8, 7.8, 8.8, 9.8]  # the gap before a006 is the longest
    records = [record(f"a{i:03d}", m, NEON, seed=i) for i, m in enumerate(minutes)]
    split = analyze_records(records, constraints=SessionConstraints(cannot_link=[("a002", "a008")]))
    assert memberships(split) == [[f"a{i:03d}" for i in range(6)], [f"a{i:03d}" for i in range(6, 10)]]
    assert split.sessions[1].confidence == 1.0


def test_split_at_an_asset_is_a_cannot_link_with_its_predecessor() -> None:
    records = list(paced("a", 0, 10, 1, NEON))
    split = analyze_records(records, constraints=SessionConstraints(cannot_link=[("a003", "a004")]))
    assert [s[0] for s in memberships(split)] == ["a000", "a004"]


def test_conflicting_constraints_keep_assets_together() -> None:
    records = list(paced("a", 0, 10, 1, NEON))
    constraints = SessionConstraints(must_link=[("a001", "a008")], cannot_link=[("a003", "a004")])
    assert len(analyze_records(records, constraints=constraints).sessions) == 1


def test_moved_asset_joins_the_anchor_session_in_stream_order() -> None:
    moved = analyze_records(_two_sessions(), constraints=SessionConstraints(moved_assets={"a005": "b003"}))
    first, second = memberships(moved)
    assert "a005" not in first
    assert second == ["a005", "b000", "b001", "b002", "b003", "b004", "b005"]


def test_move_chains_are_followed_and_cycles_ignored() -> None:
    constraints = SessionConstraints(
        moved_assets={"a000": "a001", "a001": "b000", "b004": "b005", "b005": "b004"}
    )
    first, second = memberships(analyze_records(_two_sessions(), constraints=constraints))
    assert first == ["a002", "a003", "a004", "a005"]
    assert second[:2] == ["a000", "a001"] and "b004" in second and "b005" in second


def test_pinned_label_names_the_session_holding_the_asset() -> None:
    constraints = SessionConstraints(pinned_labels={"b002": "Mountains for Mum"})
    labels = [s.label for s in analyze_records(_two_sessions(), constraints=constraints).sessions]
    assert labels[1] == "Mountains for Mum"
    assert labels[0] != "Mountains for Mum"


def test_constraints_on_unknown_or_cross_user_assets_are_ignored() -> None:
    records = [*paced("a", 0, 4, 1, NEON), *paced("b", 1, 4, 1, NEON, user="bob")]
    constraints = SessionConstraints(
        must_link=[("a000", "b000"), ("zzz", "a001")], cannot_link=[("nope", "a002")]
    )
    assert len(analyze_records(records, constraints=constraints).sessions) == 2
