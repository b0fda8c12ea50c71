"""Family D hold-out simulator (``bench/simulate_family_d.py``): determinism and the truth's invariants.

These check only that the simulated library is internally consistent (what every benchmark relies on),
not how any engine scores on it.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench.simulate import SimulatedLibrary
from bench.simulate_family_d import FAMILY_D_VISUAL_DIM, simulate_family_d_library
from engine.record_codec import record_from_json, record_to_json
from tests.bench.library_invariants import (
    EDGE_KINDS,
    INTENTS,
    assert_aware_times_and_sessions_in_turn,
    assert_one_tool_per_session,
    assert_truth_covers_every_record,
    assert_unit_visual_vectors,
)


@pytest.fixture(scope="module")
def library() -> SimulatedLibrary:
    return simulate_family_d_library(seed=5, artists=9, days=10)


def test_same_seed_gives_the_same_library(library: SimulatedLibrary) -> None:
    again = simulate_family_d_library(seed=5, artists=9, days=10)
    assert [record_to_json(r) for r in again.records] == [record_to_json(r) for r in library.records]
    assert again.session_of == library.session_of
    assert again.phase_of == library.phase_of
    assert again.session_intent == library.session_intent
    assert again.explicit_edges == library.explicit_edges
    assert again.derived_edges == library.derived_edges
    assert all(np.array_equal(again.visual[k], v) for k, v in library.visual.items())


def test_another_seed_gives_another_library(library: SimulatedLibrary) -> None:
    other = simulate_family_d_library(seed=6, artists=9, days=10)
    assert [r.created_at for r in other.records] != [r.created_at for r in library.records]


def test_visual_flag_does_not_change_the_records(library: SimulatedLibrary) -> None:
    plain = simulate_family_d_library(seed=5, artists=9, days=10, with_visual=False)
    assert plain.visual == {}
    assert [record_to_json(r) for r in plain.records] == [record_to_json(r) for r in library.records]
    assert plain.session_of == library.session_of


def test_every_record_has_a_unique_id_a_session_and_a_phase(library: SimulatedLibrary) -> None:
    assert_truth_covers_every_record(library)
    assert len({r.user for r in library.records}) >= 8


def test_records_round_trip_through_the_interchange_format(library: SimulatedLibrary) -> None:
    for record in library.records:
        line = json.dumps(record_to_json(record))
        again = record_from_json(json.loads(line))
        assert again == record


def test_times_are_aware_and_sessions_of_one_artist_never_interleave(library: SimulatedLibrary) -> None:
    assert_aware_times_and_sessions_in_turn(library, lambda record: record.user)


def test_a_tool_never_changes_inside_a_session(library: SimulatedLibrary) -> None:
    assert_one_tool_per_session(library)


def test_explicit_edges_are_exactly_the_derivations_the_child_names(library: SimulatedLibrary) -> None:
    by_id = {r.id: r for r in library.records}
    derived = {(e.parent, e.child) for e in library.derived_edges}
    for edge in library.explicit_edges:
        assert edge.kind in EDGE_KINDS
        assert (edge.parent, edge.child) in derived
        parent, child = by_id[edge.parent], by_id[edge.child]
        assert parent.created_at is not None and child.created_at is not None
        assert parent.created_at <= child.created_at
        assert parent.user == child.user
        if child.parent_job_id is not None:
            assert parent.job_id == child.parent_job_id
            grid = child.extra.get("parent_grid")
            if grid is not None:
                assert parent.file_name is not None and parent.file_name.endswith(f"_{grid}.png")
        else:
            assert child.source_image is not None and parent.file_name is not None
            assert child.source_image.removesuffix(" [output]") == parent.file_name
    for edge in library.derived_edges:
        assert edge.kind in EDGE_KINDS
        assert edge.parent in by_id and edge.child in by_id
    named = {
        r.id
        for r in library.records
        if r.parent_job_id is not None
        or (r.source_image is not None and not r.source_image.startswith("clipspace/"))
    }
    assert named == {edge.child for edge in library.explicit_edges}
    assert len(library.explicit_edges) == len({(e.parent, e.child) for e in library.explicit_edges})


def test_the_hard_cases_are_present(library: SimulatedLibrary) -> None:
    tools = {r.tool for r in library.records}
    assert {"comfyui", "midjourney", "a1111", "novelai", "invokeai"} <= tools
    assert any(r.source_image and r.source_image.startswith("clipspace/") for r in library.records)
    assert len(library.derived_edges) > len(library.explicit_edges)  # A1111 / NovelAI name nothing
    intents = set(library.session_intent.values())
    assert intents == INTENTS


def test_visual_vectors_are_unit_and_cover_every_record(library: SimulatedLibrary) -> None:
    assert_unit_visual_vectors(library, FAMILY_D_VISUAL_DIM)


def test_the_default_library_has_the_documented_size() -> None:
    library = simulate_family_d_library(seed=31)
    assert 15_000 <= len(library.records) <= 25_000
