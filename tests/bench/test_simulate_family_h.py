"""Family H simulator: determinism, the shared truth invariants, and every habit present (consistency
only — no engine score here)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import timedelta
from itertools import pairwise

import pytest

from bench.simulate import SimulatedLibrary
from bench.simulate_family_h import (
    BRAND_PREFIX,
    CHORE_PROMPTS,
    FAMILY_H_VISUAL_DIM,
    HABITS,
    PRODUCT_TEMPLATES,
    family_h_artist_habits,
    simulate_family_h_library,
)
from engine.records import GenerationRecord, TimePrecision
from tests.bench.library_invariants import (
    EDGE_KINDS,
    assert_aware_times_and_sessions_in_turn,
    assert_explicit_edges_named_by_the_child,
    assert_one_tool_per_session,
    assert_other_seed_differs,
    assert_same_library,
    assert_truth_covers_every_record,
    assert_unit_visual_vectors,
    true_sessions,
)

SEED, ARTISTS, DAYS = 71, 12, 14


@pytest.fixture(scope="module")
def library() -> SimulatedLibrary:
    return simulate_family_h_library(seed=SEED, artists=ARTISTS, days=DAYS)


@pytest.fixture(scope="module")
def sessions(library: SimulatedLibrary) -> dict[str, list[GenerationRecord]]:
    return true_sessions(library)


@pytest.fixture(scope="module")
def user_sessions(
    sessions: dict[str, list[GenerationRecord]],
) -> dict[str, list[list[GenerationRecord]]]:
    """Per user, its true sessions in time order."""
    out: dict[str, list[list[GenerationRecord]]] = defaultdict(list)
    for records in sorted(sessions.values(), key=lambda rs: (rs[0].created_at, rs[0].id)):
        out[records[0].user or ""].append(records)
    return out


def _gap_seconds(a: GenerationRecord, b: GenerationRecord) -> float:
    assert a.created_at is not None and b.created_at is not None
    return (b.created_at - a.created_at).total_seconds()


def test_deterministic(library: SimulatedLibrary) -> None:
    assert_same_library(simulate_family_h_library(seed=SEED, artists=ARTISTS, days=DAYS), library)
    assert_other_seed_differs(
        simulate_family_h_library(seed=SEED + 1, artists=ARTISTS, days=DAYS, with_visual=False), library
    )


def test_visual_flag_does_not_change_records() -> None:
    plain = simulate_family_h_library(seed=3, artists=6, days=3, with_visual=False)
    seen = simulate_family_h_library(seed=3, artists=6, days=3, with_visual=True)
    assert [(r.id, r.created_at, r.prompt) for r in plain.records] == [
        (r.id, r.created_at, r.prompt) for r in seen.records
    ]
    assert plain.session_of == seen.session_of


def test_truth_invariants(library: SimulatedLibrary) -> None:
    assert_truth_covers_every_record(library)
    assert_one_tool_per_session(library)
    assert_unit_visual_vectors(library, FAMILY_H_VISUAL_DIM)
    assert_aware_times_and_sessions_in_turn(library, lambda r: r.user)
    keys = [(r.created_at, r.user, r.id) for r in library.records]
    assert keys == sorted(keys)


def test_every_habit_present(library: SimulatedLibrary) -> None:
    habits = family_h_artist_habits(SEED, ARTISTS)
    assert [h[0] for h in list(habits.values())[: len(HABITS)]] == list(HABITS)
    assert any("template:brand" in h for h in habits.values())
    assert any(len(set(h) & set(HABITS)) == 2 for h in habits.values())  # some have a second habit
    assert {r.user for r in library.records} == set(habits)
    intents = set(library.session_intent.values())
    assert {"convergent_selection", "refinement", "exploration"} <= intents
    assert {"exploration", "refinement", "optimization"} == set(library.phase_of.values())


def test_explicit_edges_are_named_by_the_child(library: SimulatedLibrary) -> None:
    assert_explicit_edges_named_by_the_child(library)
    by_id = {r.id: r for r in library.records}
    for edge in library.derived_edges:
        assert edge.kind in EDGE_KINDS
        assert by_id[edge.parent].created_at < by_id[edge.child].created_at  # type: ignore[operator]
    kinds = {(by_id[e.child].tool, e.kind) for e in library.explicit_edges}
    assert ("comfyui", "upscale") in kinds
    assert {("midjourney", "variation"), ("midjourney", "upscale"), ("midjourney", "remix")} <= kinds
    # hires passes, web UI img2img and canvas inpaints name nothing: derived only
    assert len(library.derived_edges) > len(library.explicit_edges)
    explicit = {(e.parent, e.child) for e in library.explicit_edges}
    unnamed = [e for e in library.derived_edges if (e.parent, e.child) not in explicit]
    assert {e.kind for e in unnamed} >= {"inpaint", "img2img", "upscale"}
    for edge in unnamed:
        child = by_id[edge.child]
        assert child.source_image is None and child.parent_job_id is None


def test_template_prompts_share_their_template(
    library: SimulatedLibrary, user_sessions: dict[str, list[list[GenerationRecord]]]
) -> None:
    close_jobs = 0
    for runs in user_sessions.values():
        for a, b in pairwise(runs):
            heads = [
                (head, tail)
                for head, tail in PRODUCT_TEMPLATES
                if all((r.prompt or "").startswith(head) and (r.prompt or "").endswith(tail) for r in a + b)
            ]
            if not heads:
                continue
            head, tail = heads[0]
            assert len(head) + len(tail) >= 80
            slot_a = {(r.prompt or "")[len(head) : -len(tail)].split(",")[0] for r in a}
            slot_b = {(r.prompt or "")[len(head) : -len(tail)].split(",")[0] for r in b}
            assert len(slot_a) == 1 and len(slot_b) == 1  # one product per client job
            if slot_a != slot_b and 3 * 60 <= _gap_seconds(a[-1], b[0]) <= 26 * 60:
                close_jobs += 1
    assert close_jobs >= 10
    brand = [
        run
        for runs in user_sessions.values()
        for run in runs
        if (run[0].prompt or "").startswith(BRAND_PREFIX)
    ]
    assert len(brand) >= 3
    assert all(all((r.prompt or "").startswith(BRAND_PREFIX) for r in run) for run in brand)
    scenes = {(run[0].prompt or "")[len(BRAND_PREFIX) :].split(",")[0] for run in brand}
    assert len(scenes) >= 3  # unrelated projects under one style prefix


def test_fast_pace(library: SimulatedLibrary, user_sessions: dict[str, list[list[GenerationRecord]]]) -> None:
    def fast(run: list[GenerationRecord]) -> bool:
        return all(r.extra.get("client") == "api" or "batch_size" in r.extra for r in run)

    inside: list[float] = []
    between: list[float] = []
    for runs in user_sessions.values():
        for run in runs:
            if fast(run):
                inside.extend(_gap_seconds(a, b) for a, b in pairwise(run))
        for a, b in pairwise(runs):
            if fast(a) and fast(b) and _gap_seconds(a[-1], b[0]) < 3600:
                between.append(_gap_seconds(a[-1], b[0]))
    assert len(inside) > 500
    assert 2.0 <= statistics.median(inside) <= 8.0
    hiccups = [g for g in inside if g >= 30]
    assert hiccups and max(hiccups) <= 8 + 90 + 1
    assert len(between) >= 3 and all(119 <= g <= 361 for g in between)


def test_resume_after_a_break_is_a_new_session(
    library: SimulatedLibrary, user_sessions: dict[str, list[list[GenerationRecord]]]
) -> None:
    def same_work(a: GenerationRecord, b: GenerationRecord) -> bool:
        return (a.prompt, a.seed, a.cfg_scale, a.steps, a.model, a.tool) == (
            b.prompt, b.seed, b.cfg_scale, b.steps, b.model, b.tool,
        )  # fmt: skip

    meal, morning = 0, 0
    for runs in user_sessions.values():
        for a, b in pairwise(runs):
            if same_work(a[-1], b[0]):
                gap = _gap_seconds(a[-1], b[0])
                assert gap >= 45 * 60  # rule 3: a new sitting
                if 50 * 60 <= gap <= 121 * 60:
                    meal += 1
                elif gap >= 8 * 3600:
                    morning += 1
    assert meal >= 3 and morning >= 2
    by_id = {r.id: r for r in library.records}
    across = [
        e
        for e in library.derived_edges
        if library.session_of[e.parent] != library.session_of[e.child]
        and by_id[e.parent].tool == by_id[e.child].tool
        and e.kind == "upscale"
    ]
    assert across  # an upscale after the break of an image from before it
    explicit = {(e.parent, e.child) for e in library.explicit_edges}
    for edge in across:  # ComfyUI's LoadImage names the file; the web UIs' SD upscale does not
        assert ((edge.parent, edge.child) in explicit) == (by_id[edge.child].tool == "comfyui")


def test_pipeline_stretches_are_sessions(
    library: SimulatedLibrary, user_sessions: dict[str, list[list[GenerationRecord]]]
) -> None:
    switches = 0
    for runs in user_sessions.values():
        for a, b in pairwise(runs):
            if a[0].tool != b[0].tool and _gap_seconds(a[-1], b[0]) <= 6 * 60 + 1:
                switches += 1
    assert switches >= 6
    by_id = {r.id: r for r in library.records}
    cross_tool = [
        e
        for e in library.explicit_edges
        if by_id[e.parent].tool in ("forge", "a1111", "fooocus") and by_id[e.child].tool == "comfyui"
    ]
    assert cross_tool
    canvas = [e for e in library.derived_edges if by_id[e.child].tool in ("kritaai", "invokeai")]
    assert canvas and all(e.kind == "inpaint" for e in canvas)
    back = [
        e
        for e in library.derived_edges
        if by_id[e.parent].tool in ("kritaai", "invokeai") and e.kind == "img2img"
    ]
    assert back and all(by_id[e.child].tool in ("forge", "a1111", "fooocus") for e in back)


def test_night_owls_and_clocks(
    library: SimulatedLibrary, sessions: dict[str, list[GenerationRecord]]
) -> None:
    records = library.records
    offsets = {r.created_at.utcoffset() for r in records}  # type: ignore[union-attr]
    assert timedelta(hours=-10) in offsets and timedelta(hours=13) in offsets
    # a sitting that runs through a DST change: two offsets inside one session of a local-time tool
    dst_sessions = [
        key
        for key, run in sessions.items()
        if run[0].tool != "midjourney" and len({r.created_at.utcoffset() for r in run}) == 2  # type: ignore[union-attr]
    ]
    assert dst_sessions
    for key in dst_sessions:
        run = sessions[key]
        assert max(_gap_seconds(a, b) for a, b in pairwise(run)) < 45 * 60  # real time stays continuous
    # sessions across local midnight
    midnight = [run for run in sessions.values() if len({r.created_at.date() for r in run}) > 1]  # type: ignore[union-attr]
    assert len(midnight) >= 3
    precisions = {r.created_at_precision for r in records}
    assert {TimePrecision.MINUTE, TimePrecision.SECOND, TimePrecision.MILLISECOND} <= precisions
    for record in records:
        assert record.created_at is not None
        if record.created_at_precision is TimePrecision.MINUTE:
            assert record.created_at.second == 0 and record.created_at.microsecond == 0
        if record.created_at_precision is TimePrecision.SECOND:
            assert record.created_at.microsecond == 0
        if record.tool in ("midjourney", "invokeai"):
            assert record.created_at.utcoffset() == timedelta(0)


def test_chores_stay_inside_the_sitting(
    library: SimulatedLibrary, sessions: dict[str, list[GenerationRecord]]
) -> None:
    asides = 0
    for run in sessions.values():
        flags = [r.prompt in CHORE_PROMPTS for r in run]
        for i in range(1, len(run) - 1):
            if flags[i] and not flags[i - 1]:
                j = i
                while flags[j]:
                    j += 1
                assert 2 <= j - i <= 4
                assert all(library.phase_of[r.id] == "optimization" for r in run[i:j])
                before, after = run[i - 1], run[j]
                assert after.prompt == before.prompt and after.model == before.model
                assert _gap_seconds(before, after) <= 10 * 60
                assert library.phase_of[before.id] == library.phase_of[after.id] == "refinement"
                asides += 1
    assert asides >= 3
