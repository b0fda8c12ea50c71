"""Family C field simulator (``bench/simulate_field.py``): determinism and the ground truth's invariants.

These check only that the simulated library is internally consistent (what every benchmark relies on),
not how any engine scores on it.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

import numpy as np
import pytest

from bench.simulate import SimulatedLibrary
from bench.simulate_field import FIELD_VISUAL_DIM, simulate_field_library
from tests.bench.library_invariants import (
    EDGE_KINDS,
    assert_one_tool_per_session,
    assert_truth_covers_every_record,
    assert_unit_visual_vectors,
)


@pytest.fixture(scope="module")
def library() -> SimulatedLibrary:
    return simulate_field_library(seed=6, artists=3, days=4)


def test_same_seed_gives_the_same_library(library: SimulatedLibrary) -> None:
    again = simulate_field_library(seed=6, artists=3, days=4)
    assert [r.id for r in again.records] == [r.id for r in library.records]
    assert [r.created_at for r in again.records] == [r.created_at for r in library.records]
    assert [r.prompt for r in again.records] == [r.prompt for r in library.records]
    assert again.session_of == library.session_of
    assert again.session_intent == library.session_intent
    assert all(np.array_equal(again.visual[k], v) for k, v in library.visual.items())


def test_another_seed_gives_another_library(library: SimulatedLibrary) -> None:
    other = simulate_field_library(seed=7, artists=3, days=4)
    assert [r.created_at for r in other.records] != [r.created_at for r in library.records]


def test_visual_flag_does_not_change_the_records(library: SimulatedLibrary) -> None:
    plain = simulate_field_library(seed=6, artists=3, days=4, with_visual=False)
    assert plain.visual == {}
    assert [(r.id, r.created_at, r.prompt, r.seed) for r in plain.records] == [
        (r.id, r.created_at, r.prompt, r.seed) for r in library.records
    ]


def test_every_record_has_a_unique_id_a_session_and_a_phase(library: SimulatedLibrary) -> None:
    assert_truth_covers_every_record(library)


def test_times_are_aware_and_ordered_within_sessions(library: SimulatedLibrary) -> None:
    by_session: dict[str, list[float]] = defaultdict(list)
    for record in library.records:
        assert record.created_at is not None
        assert record.created_at.tzinfo is not None and record.created_at.utcoffset() is not None
        assert record.created_at_precision is not None and record.created_at_source
        by_session[library.session_of[record.id]].append(record.created_at.timestamp())
    # records come out in time order, so each session's times are non-decreasing and sessions of one
    # artist never interleave
    for times in by_session.values():
        assert times == sorted(times)
    per_user: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for record in library.records:
        assert record.created_at is not None and record.user is not None
        per_user[record.user].append((record.created_at.timestamp(), library.session_of[record.id]))
    for stream in per_user.values():
        spans: dict[str, tuple[float, float]] = {}
        for t, key in stream:
            first, _ = spans.get(key, (t, t))
            spans[key] = (first, t)
        ordered = sorted(spans.values())
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(ordered))


def test_a_tool_never_changes_inside_a_session(library: SimulatedLibrary) -> None:
    assert_one_tool_per_session(library)


def test_truth_edges_point_backwards_inside_one_session(library: SimulatedLibrary) -> None:
    by_id = {r.id: r for r in library.records}
    for edge in library.explicit_edges:
        assert edge.kind in EDGE_KINDS
        parent, child = by_id[edge.parent], by_id[edge.child]
        assert parent.created_at is not None and child.created_at is not None
        assert parent.created_at <= child.created_at
        assert library.session_of[edge.parent] == library.session_of[edge.child]
    assert any(r.source_image for r in library.records) and any(r.parent_job_id for r in library.records)
    children = {edge.child for edge in library.explicit_edges}
    naming = {r.id for r in library.records if r.source_image is not None or r.parent_job_id is not None}
    assert naming == children


def test_source_images_name_an_earlier_file_of_the_same_artist(library: SimulatedLibrary) -> None:
    by_id = {r.id: r for r in library.records}
    parents = {edge.child: by_id[edge.parent] for edge in library.explicit_edges}
    for record in library.records:
        if record.source_image is None:
            continue
        parent = parents[record.id]
        assert parent.file_name == record.source_image
        assert parent.user == record.user
    for record in library.records:
        if record.parent_job_id is not None:
            assert parents[record.id].job_id == record.parent_job_id


def test_visual_vectors_are_unit_and_cover_every_record(library: SimulatedLibrary) -> None:
    assert_unit_visual_vectors(library, FIELD_VISUAL_DIM)
