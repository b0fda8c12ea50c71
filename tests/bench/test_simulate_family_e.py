"""Family E hold-out simulator (``bench/simulate_family_e.py``): determinism, the truth's invariants,
and that each habit it models is present.

These check only that the simulated library is internally consistent (what every benchmark relies on),
not how any engine scores on it.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import datetime, time
from itertools import pairwise

import numpy as np
import pytest

from bench.simulate import SimulatedLibrary
from bench.simulate_family_e import FAMILY_E_VISUAL_DIM, simulate_family_e_library
from engine.record_codec import record_from_json, record_to_json
from engine.records import GenerationRecord, TimePrecision
from tests.bench.library_invariants import (
    EDGE_KINDS,
    INTENTS,
    assert_aware_times_and_sessions_in_turn,
    assert_one_tool_per_session,
    assert_truth_covers_every_record,
    assert_unit_visual_vectors,
)

HAN = re.compile(r"[\u4e00-\u9fff]")
KANA = re.compile(r"[\u3040-\u30ff]")
HANGUL = re.compile(r"[\uac00-\ud7af]")


@pytest.fixture(scope="module")
def library() -> SimulatedLibrary:
    return simulate_family_e_library(seed=5, artists=13, days=7)


def _sessions(library: SimulatedLibrary) -> dict[str, list[GenerationRecord]]:
    members: dict[str, list[GenerationRecord]] = defaultdict(list)
    for record in library.records:
        members[library.session_of[record.id]].append(record)
    return members


def _span(records: list[GenerationRecord]) -> tuple[datetime, datetime]:
    times = [r.created_at for r in records if r.created_at is not None]
    return min(times), max(times)


def test_same_seed_gives_the_same_library(library: SimulatedLibrary) -> None:
    again = simulate_family_e_library(seed=5, artists=13, days=7)
    assert [record_to_json(r) for r in again.records] == [record_to_json(r) for r in library.records]
    assert again.session_of == library.session_of
    assert again.phase_of == library.phase_of
    assert again.session_intent == library.session_intent
    assert again.explicit_edges == library.explicit_edges
    assert again.derived_edges == library.derived_edges
    assert all(np.array_equal(again.visual[k], v) for k, v in library.visual.items())


def test_another_seed_gives_another_library(library: SimulatedLibrary) -> None:
    other = simulate_family_e_library(seed=6, artists=13, days=7)
    assert [r.created_at for r in other.records] != [r.created_at for r in library.records]


def test_visual_flag_does_not_change_the_records(library: SimulatedLibrary) -> None:
    plain = simulate_family_e_library(seed=5, artists=13, days=7, with_visual=False)
    assert plain.visual == {}
    assert [record_to_json(r) for r in plain.records] == [record_to_json(r) for r in library.records]
    assert plain.session_of == library.session_of


def test_every_record_has_a_unique_id_a_session_and_a_phase(library: SimulatedLibrary) -> None:
    assert_truth_covers_every_record(library)
    assert len({r.user for r in library.records}) == 13


def test_records_round_trip_through_the_interchange_format(library: SimulatedLibrary) -> None:
    for record in library.records:
        line = json.dumps(record_to_json(record), ensure_ascii=False)
        assert record_from_json(json.loads(line)) == record


def test_times_are_aware_and_sessions_of_one_tool_never_interleave(library: SimulatedLibrary) -> None:
    """Within one artist's stream of one tool, sessions follow each other; two tools used side by side
    may overlap (a tool switch is a boundary, generation-records.md)."""
    assert_aware_times_and_sessions_in_turn(library, lambda record: (record.user, record.tool))


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
    assert len(library.derived_edges) > len(library.explicit_edges)  # A1111, Jimeng, clipspace name nothing


def test_session_intents_follow_their_phases(library: SimulatedLibrary) -> None:
    assert set(library.session_intent.values()) == INTENTS
    for key, records in _sessions(library).items():
        phases = [library.phase_of[r.id] for r in records]
        intent = library.session_intent[key]
        if intent == "convergent_selection":
            assert "exploration" in phases and "refinement" in phases
        else:
            assert intent in phases


def test_cjk_and_mixed_prompts_are_present(library: SimulatedLibrary) -> None:
    prompts = [r.prompt for r in library.records if r.prompt]
    chinese = [p for p in prompts if HAN.search(p) and not KANA.search(p)]
    assert any("，" in p and "。" in p and " " not in p for p in chinese)  # unspaced sentences
    assert any("杰作" in p and "最佳质量" in p for p in chinese)
    assert any(KANA.search(p) and "、" in p for p in prompts)
    assert any(HANGUL.search(p) for p in prompts)
    assert any(HAN.search(p) and "masterpiece" in p for p in prompts)  # Chinese tags + English tags
    assert any(HANGUL.search(p) and "cinematic" in p for p in prompts)
    models = {r.model for r in library.records}
    assert {"qwen_image_fp8_e4m3fn.safetensors", "Seedream 4.0"} <= models


def test_a_refinement_edits_a_phrase_inside_an_unspaced_sentence(library: SimulatedLibrary) -> None:
    found = False
    for records in _sessions(library).values():
        for a, b in pairwise(records):
            if not (a.prompt and b.prompt and HAN.search(a.prompt)) or a.prompt == b.prompt:
                continue
            if library.phase_of[b.id] != "refinement" or " " in a.prompt:
                continue
            head = len(_common_prefix(a.prompt, b.prompt))
            tail = len(_common_prefix(a.prompt[::-1], b.prompt[::-1]))
            if head >= 8 and tail >= 8 and head + tail < min(len(a.prompt), len(b.prompt)):
                found = True
    assert found


def _common_prefix(a: str, b: str) -> str:
    size = 0
    while size < min(len(a), len(b)) and a[size] == b[size]:
        size += 1
    return a[:size]


def test_wildcard_runs_are_one_exploration_session(library: SimulatedLibrary) -> None:
    runs = [
        records
        for records in _sessions(library).values()
        if len(records) >= 60 and len({r.prompt for r in records}) >= 0.8 * len(records)
    ]
    assert runs
    assert any(any("Template" in r.extra for r in run) for run in runs)
    assert all({library.phase_of[r.id] for r in run} == {"exploration"} for run in runs)


def test_inpaint_heavy_sessions_name_each_source(library: SimulatedLibrary) -> None:
    inpaints: Counter[str] = Counter(
        library.session_of[e.child] for e in library.explicit_edges if e.kind == "inpaint"
    )
    assert inpaints.most_common(1)[0][1] >= 10
    tools = {
        r.tool
        for r in library.records
        if r.source_image and r.id in {e.child for e in library.explicit_edges}
    }
    assert {"invokeai", "comfyui"} <= tools
    assert any(r.source_image and r.source_image.startswith("clipspace/") for r in library.records)


def test_two_tools_run_side_by_side_as_two_sessions(library: SimulatedLibrary) -> None:
    spans: dict[str, list[tuple[str, datetime, datetime]]] = defaultdict(list)
    for records in _sessions(library).values():
        start, end = _span(records)
        spans[records[0].user or ""].append((records[0].tool, start, end))
    overlapping = set()
    for sessions in spans.values():
        for i, (tool_a, start_a, end_a) in enumerate(sessions):
            for tool_b, start_b, end_b in sessions[i + 1 :]:
                if tool_a != tool_b and start_a < end_b and start_b < end_a:
                    overlapping.add(frozenset((tool_a, tool_b)))
    assert frozenset(("midjourney", "comfyui")) in overlapping
    assert frozenset(("a1111", "forge")) in overlapping
    by_id = {r.id: r for r in library.records}
    assert any(
        by_id[e.parent].tool == "midjourney" and by_id[e.child].tool == "comfyui"
        for e in library.explicit_edges
    )


def test_overnight_queues_cross_midnight_and_are_reviewed_next_morning(library: SimulatedLibrary) -> None:
    sessions = _sessions(library)
    tz_of = {r.user: r.created_at.tzinfo for r in library.records if r.tool == "comfyui" and r.created_at}
    nights = set()
    for key, records in sessions.items():
        start, end = _span(records)
        tz = tz_of.get(records[0].user)
        if len(records) >= 100 and tz is not None and start.astimezone(tz).date() < end.astimezone(tz).date():
            nights.add(key)
    assert nights
    reviewed = {
        library.session_of[e.parent]
        for e in library.explicit_edges
        if library.session_of[e.child] != library.session_of[e.parent]
    }
    assert nights & reviewed


def test_coarse_time_precisions_are_present(library: SimulatedLibrary) -> None:
    precisions = {r.created_at_precision for r in library.records}
    assert {
        TimePrecision.DAY,
        TimePrecision.MINUTE,
        TimePrecision.SECOND,
        TimePrecision.MILLISECOND,
    } <= precisions
    for record in library.records:
        assert record.created_at is not None
        if record.created_at_precision is TimePrecision.DAY:
            assert record.created_at.timetz().replace(tzinfo=None) == time(0, 0) and record.prompt is None
        if record.created_at_precision is TimePrecision.MINUTE:
            assert record.created_at.second == 0 and record.created_at.microsecond == 0


def test_a_look_is_reused_across_many_projects(library: SimulatedLibrary) -> None:
    suffix = "cinematic still, kodak portra 400, film grain, muted teal and orange"
    sessions = {
        library.session_of[r.id]
        for r in library.records
        if r.user == "vesna" and r.prompt and r.prompt.endswith(suffix)
    }
    assert len(sessions) >= 5
    subjects = {
        key: {r.prompt.split(" ")[1] for r in records if r.prompt}
        for key, records in _sessions(library).items()
        if key in sessions
    }
    assert len(set().union(*subjects.values())) >= 4


def test_models_switch_within_one_idea(library: SimulatedLibrary) -> None:
    assert any(
        len({r.model for r in records}) >= 3 and len({r.tool for r in records}) == 1
        for records in _sessions(library).values()
    )


def test_hobbyists_and_heavy_users(library: SimulatedLibrary) -> None:
    per_user = Counter(r.user for r in library.records)
    assert max(per_user.values()) >= 800  # a heavy user: many hundreds a week
    assert min(per_user.values()) <= 120  # a hobbyist: a few images a week


def test_visual_vectors_are_unit_and_cover_every_record(library: SimulatedLibrary) -> None:
    assert_unit_visual_vectors(library, FAMILY_E_VISUAL_DIM)
    by_id = {r.id: r for r in library.records}
    upscales = [e for e in library.derived_edges if e.kind == "upscale" and e.parent in by_id]
    assert upscales
    assert all(float(library.visual[e.parent] @ library.visual[e.child]) > 0.9 for e in upscales)


def test_the_default_library_has_the_documented_size() -> None:
    library = simulate_family_e_library(seed=41)
    assert 15_000 <= len(library.records) <= 35_000
