"""Family J simulator: determinism, the shared truth invariants, and one check per habit of what the
module docstring promises (generator consistency only; no engine, no scores)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bench.simulate import SimulatedLibrary
from bench.simulate_family_j import (
    ANIM_SWEEPS,
    ASSET_PROJECTS,
    CLOCKS,
    DEVELOP_SUFFIX,
    FAMILY_J_VISUAL_DIM,
    HABIT_TOOLS,
    HABITS,
    NAMING_TOOLS,
    THUMB_SUFFIX,
    FamilyJArtist,
    FamilyJBuild,
    build_family_j,
    family_j_roster,
    family_j_session_intent,
    family_j_summary,
    simulate_family_j_library,
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

SEED = 91
ARTISTS = 14  # two artists per habit
DAYS = 15

Runs = dict[str, list[list[GenerationRecord]]]


@pytest.fixture(scope="module")
def build() -> FamilyJBuild:
    return build_family_j(SEED, ARTISTS, DAYS)


@pytest.fixture(scope="module")
def library(build: FamilyJBuild) -> SimulatedLibrary:
    return build.library


@pytest.fixture(scope="module")
def roster(build: FamilyJBuild) -> dict[str, FamilyJArtist]:
    return {artist.name: artist for artist in build.roster}


@pytest.fixture(scope="module")
def sessions(library: SimulatedLibrary) -> dict[str, list[GenerationRecord]]:
    return true_sessions(library)


@pytest.fixture(scope="module")
def by_habit(sessions: dict[str, list[GenerationRecord]], roster: dict[str, FamilyJArtist]) -> Runs:
    """Per habit, its true sessions in time order."""
    out: Runs = defaultdict(list)
    for run in sorted(sessions.values(), key=lambda rs: (rs[0].created_at, rs[0].id)):
        out[roster[run[0].user or ""].habit].append(run)
    return out


@pytest.fixture(scope="module")
def by_id(library: SimulatedLibrary) -> dict[str, GenerationRecord]:
    return {r.id: r for r in library.records}


@pytest.fixture(scope="module")
def parent_of(library: SimulatedLibrary) -> dict[str, tuple[str, str]]:
    """Child id -> (parent id, kind); every child has one parent in this family."""
    out: dict[str, tuple[str, str]] = {}
    for edge in library.derived_edges:
        assert edge.child not in out
        out[edge.child] = (edge.parent, edge.kind)
    return out


@pytest.fixture(scope="module")
def explicit(library: SimulatedLibrary) -> set[tuple[str, str]]:
    return {(e.parent, e.child) for e in library.explicit_edges}


def _gap(a: GenerationRecord, b: GenerationRecord) -> float:
    assert a.created_at is not None and b.created_at is not None
    return (b.created_at - a.created_at).total_seconds()


def _gaps(run: list[GenerationRecord]) -> list[float]:
    return [_gap(a, b) for a, b in pairwise(run)]


def _local(record: GenerationRecord, roster: dict[str, FamilyJArtist]) -> datetime:
    assert record.created_at is not None
    return record.created_at.astimezone(ZoneInfo(roster[record.user or ""].zone))


def _hours(moment: datetime) -> float:
    return moment.hour + moment.minute / 60 + moment.second / 3600


# --- determinism and the shared invariants ---------------------------------------------------------


def test_deterministic(library: SimulatedLibrary) -> None:
    assert_same_library(simulate_family_j_library(SEED, ARTISTS, DAYS), library)
    assert_other_seed_differs(simulate_family_j_library(SEED + 1, ARTISTS, DAYS, with_visual=False), library)


def test_visual_flag_does_not_change_records() -> None:
    plain = simulate_family_j_library(5, 7, 5, with_visual=False)
    seen = simulate_family_j_library(5, 7, 5, with_visual=True)
    assert not plain.visual and len(seen.visual) == len(seen.records)
    assert [(r.id, r.created_at, r.prompt, r.seed, r.extra) for r in plain.records] == [
        (r.id, r.created_at, r.prompt, r.seed, r.extra) for r in seen.records
    ]
    assert plain.session_of == seen.session_of and plain.phase_of == seen.phase_of


def test_truth_invariants(library: SimulatedLibrary, by_id: dict[str, GenerationRecord]) -> None:
    assert_truth_covers_every_record(library)
    assert_one_tool_per_session(library)
    assert_unit_visual_vectors(library, FAMILY_J_VISUAL_DIM)
    assert_aware_times_and_sessions_in_turn(library, lambda r: r.user)
    assert_explicit_edges_named_by_the_child(library)
    assert len({(e.parent, e.child) for e in library.derived_edges}) == len(library.derived_edges)
    for edge in library.derived_edges:
        assert edge.kind in EDGE_KINDS
        assert by_id[edge.parent].created_at < by_id[edge.child].created_at  # type: ignore[operator]
    for edge in library.explicit_edges:  # only tools that name their inputs give explicit edges
        assert by_id[edge.child].tool in NAMING_TOOLS
    assert set(library.session_intent.values()) == {
        "exploration",
        "refinement",
        "optimization",
        "convergent_selection",
    }
    assert set(library.phase_of.values()) == {"exploration", "refinement", "optimization"}
    file_names = Counter((r.user, r.file_name) for r in library.records)
    assert max(file_names.values()) == 1  # a parent's name is never ambiguous within a user


def test_default_library_scale() -> None:
    started = time.thread_time()
    build = build_family_j()
    assert time.thread_time() - started < 10.0
    summary = family_j_summary(build)
    assert 15_000 <= summary["records"] <= 30_000
    assert summary["sessions"] >= 200
    assert all(counts["sessions"] >= 10 for counts in summary["habits"].values())
    held_out = simulate_family_j_library(seed=92, with_visual=False)
    assert 15_000 <= len(held_out.records) <= 30_000


def test_roster() -> None:
    roster = family_j_roster(SEED, 24)
    assert [a.habit for a in roster[:14]] == list(HABITS) * 2
    assert len({a.name for a in roster}) == 24
    for artist in roster:
        assert artist.tool in HABIT_TOOLS[artist.habit]
        ZoneInfo(artist.zone)
    assert {a.tool for a in roster if a.habit == "asset_set"} == {"comfyui", "forge"}
    assert {a.tool for a in roster if a.habit == "teacher"} == {"a1111", "comfyui", "forge"}
    assert family_j_roster(SEED, 24) == roster


def test_intents_follow_the_phases(
    library: SimulatedLibrary, build: FamilyJBuild, sessions: dict[str, list[GenerationRecord]]
) -> None:
    for key, run in sessions.items():
        phases = [library.phase_of[r.id] for r in run]
        concepts = [build.concept_of[r.id] for r in run]
        assert library.session_intent[key] == family_j_session_intent(phases, concepts)
    assert family_j_session_intent(["exploration", "exploration", "refinement"], ["a", "b", "a"]) == (
        "convergent_selection"
    )
    assert (
        family_j_session_intent(["exploration", "refinement", "exploration"], ["a", "a", "b"])
        == "exploration"
    )
    assert (
        family_j_session_intent(["exploration", "refinement", "refinement"], ["a", "a", "a"]) == "refinement"
    )


def test_time_sources_and_zones(library: SimulatedLibrary, roster: dict[str, FamilyJArtist]) -> None:
    for record in library.records:
        assert record.created_at is not None
        source, precision, utc = CLOCKS[record.tool]
        assert (record.created_at_source, record.created_at_precision) == (source, precision)
        if precision is TimePrecision.SECOND:
            assert record.created_at.microsecond == 0
        else:
            assert record.created_at.microsecond % 1000 == 0
        offset = record.created_at.utcoffset()
        if utc:
            assert offset == timedelta(0)
        else:
            assert offset == _local(record, roster).utcoffset()
        if record.tool == "fooocus":  # the file name is the (naive, local) time
            assert (record.file_name or "").startswith(f"{record.created_at:%Y-%m-%d_%H-%M-%S}_")
        if record.tool == "swarmui":
            assert record.extra["sui_extra_data"] == {"date": f"{record.created_at:%Y-%m-%d}"}


def test_visual_neighbours(
    library: SimulatedLibrary, build: FamilyJBuild, by_id: dict[str, GenerationRecord]
) -> None:
    visual = library.visual
    upscales = [
        float(visual[e.parent] @ visual[e.child]) for e in library.derived_edges if e.kind == "upscale"
    ]
    assert min(upscales) > 0.9
    frames: dict[str, list[str]] = defaultdict(list)
    for record_id, clip in build.clip_of.items():
        frames[clip].append(record_id)
    within = [float(visual[a] @ visual[b]) for ids in frames.values() for a, b in pairwise(ids)]
    assert min(within) > 0.9
    ids = [r.id for r in library.records]
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, len(ids), size=(2000, 2))
    unrelated = [
        float(visual[ids[a]] @ visual[ids[b]]) for a, b in pairs if by_id[ids[a]].user != by_id[ids[b]].user
    ]
    assert abs(float(np.mean(unrelated))) < 0.15


# --- 1. game-asset sets ----------------------------------------------------------------------------


def test_asset_sets_one_style_many_items(
    library: SimulatedLibrary,
    build: FamilyJBuild,
    by_habit: Runs,
    by_id: dict[str, GenerationRecord],
    parent_of: dict[str, tuple[str, str]],
    explicit: set[tuple[str, str]],
) -> None:
    projects = {p.key: p for p in ASSET_PROJECTS}
    runs = by_habit["asset_set"]
    assert len(runs) >= 10
    switched = 0
    for run in runs:
        key = library.session_of[run[0].id]
        project = projects[build.session_project[key]]
        originals = [r for r in run if r.id not in parent_of]
        assert all((r.prompt or "").endswith(project.style) for r in originals)
        assert {tuple(lora.name for lora in r.loras) for r in run} == {(project.lora,)}
        assert {(r.width, r.height) for r in originals} == {project.size}
        items = {build.concept_of[r.id] for r in run}
        assert len(items) >= 3 or _gap(run[0], run[-1]) < 40 * 60
        for record in run:
            if record.id in parent_of:
                parent_id, kind = parent_of[record.id]
                parent = by_id[parent_id]
                assert library.session_of[parent_id] == key and kind in ("upscale", "img2img")
                assert build.concept_of[parent_id] == build.concept_of[record.id]
                named = (parent_id, record.id) in explicit
                assert named == (record.tool == "comfyui")
                if kind == "upscale":
                    assert library.phase_of[record.id] == "optimization"
                    assert (record.width, record.height) == (
                        (parent.width or 0) * 2,
                        (parent.height or 0) * 2,
                    )
                else:
                    assert library.phase_of[record.id] == "refinement"
        if build.session_kind[key] == "switched":  # a second set in the same sitting: a new session
            switched += 1
            before = next(r for r in reversed(runs[: runs.index(run)]) if r[0].user == run[0].user)
            assert 8 * 60 <= _gap(before[-1], run[0]) <= 17 * 60
            assert build.session_project[library.session_of[before[0].id]] != project.key
    assert switched >= 1
    assert {r.tool for run in runs for r in run} == {"comfyui", "forge"}


# --- 2. thumbnail passes ---------------------------------------------------------------------------


def test_thumbnails_then_one_developed(
    library: SimulatedLibrary,
    build: FamilyJBuild,
    by_habit: Runs,
    roster: dict[str, FamilyJArtist],
    by_id: dict[str, GenerationRecord],
    parent_of: dict[str, tuple[str, str]],
    explicit: set[tuple[str, str]],
) -> None:
    fresh = revisits = 0
    for run in by_habit["thumbnailer"]:
        key = library.session_of[run[0].id]
        phases = [library.phase_of[r.id] for r in run]
        derived = [r for r in run if r.id in parent_of]
        for record in derived:
            parent_id, kind = parent_of[record.id]
            assert ((parent_id, record.id) in explicit) == (record.tool == "invokeai")
            assert build.concept_of[parent_id] == build.concept_of[record.id]
            assert kind in ("img2img", "inpaint", "upscale")
        roots = set()
        for record in derived:  # every developed image descends from one thumbnail
            node = record.id
            while node in parent_of:
                node = parent_of[node][0]
            roots.add(node)
        assert len(roots) == 1
        (root,) = roots
        thumb = by_id[root]
        assert (thumb.width, thumb.height) == (768, 432) and (thumb.prompt or "").endswith(THUMB_SUFFIX)
        if build.session_kind[key] == "fresh":
            fresh += 1
            explored = phases.count("exploration")
            assert explored >= 8 and phases[:explored] == ["exploration"] * explored
            assert all((r.width, r.height) == (768, 432) for r in run[:explored])
            assert len({build.concept_of[r.id] for r in run[:explored]}) >= 3
            assert library.session_of[root] == key and library.session_intent[key] == "convergent_selection"
        else:
            assert build.session_kind[key] == "revisit"
            revisits += 1
            assert "exploration" not in phases
            assert library.session_of[root] != key and parent_of[run[0].id][0] == root
            assert (_local(run[0], roster).date() - _local(thumb, roster).date()).days >= 7
        assert DEVELOP_SUFFIX in (derived[0].prompt or "") and (derived[0].width, derived[0].height) == (
            1344,
            768,
        )
        assert phases[-1] == "optimization"
        assert [p for p in phases if p != "exploration"] == sorted(
            (p for p in phases if p != "exploration"), key=("refinement", "optimization").index
        )
    assert fresh >= 10 and revisits >= 1


# --- 3. AnimateDiff clips --------------------------------------------------------------------------


def _clip_settings(record: GenerationRecord) -> dict[str, object]:
    return {
        "cfg_scale": record.cfg_scale,
        "steps": record.steps,
        "motion_scale": record.extra["motion_scale"],
        "motion_lora_weight": record.loras[1].weight,
        "context_overlap": record.extra["context_overlap"],
        "frame_count": record.extra["frame_count"],
    }


def test_animatediff_clips(
    library: SimulatedLibrary,
    build: FamilyJBuild,
    by_habit: Runs,
    by_id: dict[str, GenerationRecord],
    parent_of: dict[str, tuple[str, str]],
    explicit: set[tuple[str, str]],
) -> None:
    sweeps = upscaled = 0
    for run in by_habit["animator"]:
        clips: dict[str, list[GenerationRecord]] = defaultdict(list)
        for record in run:
            assert build.clip_of[record.id] == record.job_id
            clips[record.job_id or ""].append(record)
        assert len(clips) >= 4
        renders: list[GenerationRecord] = []  # the first frame of each original render, in order
        for frames in clips.values():
            first = frames[0]
            assert [r.extra["frame_index"] for r in frames] == list(range(first.extra["frame_count"]))
            assert first.extra["frame_count"] in (16, 24, 32)
            assert len({(r.created_at, r.seed, r.prompt, library.phase_of[r.id]) for r in frames}) == 1
            if first.id in parent_of:  # an upscale of a whole clip, frame by frame
                upscaled += 1
                parents = [by_id[parent_of[r.id][0]] for r in frames]
                assert {parent_of[r.id][1] for r in frames} == {"upscale"}
                assert len({p.job_id for p in parents}) == 1
                assert [p.extra["frame_index"] for p in parents] == [r.extra["frame_index"] for r in frames]
                assert not {(p.id, r.id) for p, r in zip(parents, frames, strict=True)} & explicit
                assert first.extra["source_video"].endswith(".mp4") and first.source_image is None
                assert first.width == 2 * (parents[0].width or 0)
                assert library.phase_of[first.id] == "optimization"
            else:
                renders.append(first)
        phases = [library.phase_of[r.id] for r in renders]
        assert phases[0] == "exploration" and phases.count("exploration") >= 3
        scenes = [build.concept_of[r.id] for r in renders if library.phase_of[r.id] != "exploration"]
        assert len(set(scenes)) == 1  # one scene picked and carried on
        for index, render in enumerate(renders):
            if library.phase_of[render.id] != "optimization":
                continue
            sweeps += 1
            earlier = [r for r in renders[:index] if (r.prompt, r.seed) == (render.prompt, render.seed)]
            settings = _clip_settings(render)
            changed = [{k for k in ANIM_SWEEPS if _clip_settings(r)[k] != settings[k]} for r in earlier]
            assert any(len(c) == 1 for c in changed)  # one knob moved from a clip already made
        assert max(_gaps(run)) < 10 * 60
    assert sweeps >= 10 and upscaled >= 2


# --- 4. photo rolls --------------------------------------------------------------------------------


def test_photo_rolls_restyled(
    library: SimulatedLibrary,
    build: FamilyJBuild,
    by_habit: Runs,
    parent_of: dict[str, tuple[str, str]],
    explicit: set[tuple[str, str]],
) -> None:
    file_names = {r.file_name for r in library.records}
    camera = sweeps = 0
    for run in by_habit["photo_restorer"]:
        key = library.session_of[run[0].id]
        photos = {build.concept_of[r.id] for r in run}
        assert all(p.startswith(build.session_project[key] + ":") for p in photos)
        originals: dict[tuple[str | None, int | None], GenerationRecord] = {}
        swept: dict[str, set[tuple[float | None, float | None]]] = defaultdict(set)
        for record in run:
            assert record.denoise is not None or record.id in parent_of
            if record.id in parent_of:
                parent_id, kind = parent_of[record.id]
                assert ((parent_id, record.id) in explicit) == (record.tool == "comfyui")
                assert build.concept_of[parent_id] == build.concept_of[record.id]
                assert library.phase_of[record.id] == ("optimization" if kind == "upscale" else "refinement")
                continue
            photo = build.concept_of[record.id].split(":", 1)[1]
            if record.tool == "comfyui":  # the camera file is named, and is no record
                assert record.source_image == photo and photo not in file_names
                camera += 1
            else:
                assert record.source_image is None
            phase = library.phase_of[record.id]
            if phase == "exploration":
                originals[(record.prompt, record.seed)] = record
            else:  # a sweep: a chosen try again (same prompt and seed), denoise or CFG moved
                assert phase == "optimization"
                sweeps += 1
                base = originals[(record.prompt, record.seed)]
                assert build.concept_of[base.id] == build.concept_of[record.id]
                assert (base.width, base.height, base.model) == (record.width, record.height, record.model)
                swept[base.id].add((record.denoise, record.cfg_scale))
        assert all(len(values) >= 2 for values in swept.values())
    assert camera >= 20 and sweeps >= 20
    assert {r.tool for run in by_habit["photo_restorer"] for r in run} == {"comfyui", "forge"}


# --- 5. game nights --------------------------------------------------------------------------------


def test_game_night_is_one_session_with_lulls(
    library: SimulatedLibrary,
    build: FamilyJBuild,
    by_habit: Runs,
    roster: dict[str, FamilyJArtist],
    by_id: dict[str, GenerationRecord],
    parent_of: dict[str, tuple[str, str]],
    explicit: set[tuple[str, str]],
) -> None:
    nights = long_lulls = 0
    night_days: Counter[tuple[str, date]] = Counter()
    for run in by_habit["game_night"]:
        key = library.session_of[run[0].id]
        gaps = _gaps(run)
        if build.session_kind[key] == "game_night":
            nights += 1
            assert _gap(run[0], run[-1]) >= 2 * 3600 and max(gaps) < 55 * 60
            assert sum(g >= 15 * 60 for g in gaps) >= 1
            long_lulls += sum(g >= 35 * 60 for g in gaps)
            start = _local(run[0], roster)
            assert 19 <= _hours(start) < 20.5
            night_days[(run[0].user or "", start.date())] += 1
        else:
            assert build.session_kind[key] == "prep" and max(gaps) < 5 * 60
    assert nights >= 3 and long_lulls >= 1
    assert max(night_days.values()) == 1
    variations = 0
    for record in (r for run in by_habit["game_night"] for r in run):
        if record.id not in parent_of:
            continue
        parent_id, kind = parent_of[record.id]
        assert (parent_id, record.id) not in explicit and record.source_image is None
        if record.tool == "fooocus":
            assert (
                record.extra["uov_method"] == {"variation": "Vary (Subtle)", "upscale": "Upscale (2x)"}[kind]
            )
        variations += kind == "variation"
        assert (by_id[parent_id].prompt, library.session_of[parent_id]) == (
            record.prompt,
            library.session_of[record.id],
        )
    assert variations >= 1


# --- 6. commuters ----------------------------------------------------------------------------------


def test_commuters_short_sittings_one_series(
    library: SimulatedLibrary,
    build: FamilyJBuild,
    by_habit: Runs,
    roster: dict[str, FamilyJArtist],
    parent_of: dict[str, tuple[str, str]],
) -> None:
    windows = {"commute_am": (7.3, 8.0), "commute_pm": (17.4, 18.5), "couch": (20.0, 22.1)}
    per_user: Runs = defaultdict(list)
    transfers = 0
    for run in by_habit["commuter"]:
        key = library.session_of[run[0].id]
        kind = build.session_kind[key]
        start = _local(run[0], roster)
        assert windows[kind][0] <= _hours(start) <= windows[kind][1]
        assert (start.weekday() >= 5) == (kind == "couch")
        assert _gap(run[0], run[-1]) <= 45 * 60
        transfers += any(3 * 60 <= g <= 10 * 60 for g in _gaps(run))
        devices = {r.extra["device"] for r in run}
        assert devices == ({"iPad Pro (M2)"} if kind == "couch" else {"iPhone 15 Pro"})
        assert all(r.source_image is None and r.extra["CreatorTool"] == "Draw Things" for r in run)
        per_user[run[0].user or ""].append(run)
    assert transfers >= 3
    carried = cross = 0
    for runs in per_user.values():
        for a, b in pairwise(runs):
            assert _gap(a[-1], b[0]) >= 20 * 60
            same = (
                build.session_project[library.session_of[a[0].id]]
                == build.session_project[library.session_of[b[0].id]]
            )
            carried += same
        for run in runs:
            key = library.session_of[run[0].id]
            cross += sum(library.session_of[parent_of[r.id][0]] != key for r in run if r.id in parent_of)
    assert carried >= 10 and cross >= 1
    phone = {r.id for run in by_habit["commuter"] for r in run}
    assert not [e for e in library.explicit_edges if e.child in phone]  # Draw Things names no input


# --- 7. workshops ----------------------------------------------------------------------------------


def test_workshops_one_knob_at_a_time(
    library: SimulatedLibrary,
    build: FamilyJBuild,
    by_habit: Runs,
    roster: dict[str, FamilyJArtist],
    parent_of: dict[str, tuple[str, str]],
) -> None:
    workshops = builds = 0
    workshop_days: dict[str, set[date]] = defaultdict(set)
    preps: list[list[GenerationRecord]] = []
    for run in by_habit["teacher"]:
        key = library.session_of[run[0].id]
        gaps = _gaps(run)
        if build.session_kind[key] == "prep":
            preps.append(run)
            assert max(gaps) < 5 * 60
            continue
        workshops += 1
        workshop_days[run[0].user or ""].add(_local(run[0], roster).date())
        assert sum(g >= 8 * 60 for g in gaps) == 1  # the coffee break, inside the session
        assert 10 * 60 <= max(gaps) <= 24 * 60
        originals = [r for r in run if r.id not in parent_of]
        assert all(r.seed is not None for r in originals)
        for a, b in pairwise(originals):
            if library.phase_of[b.id] == "optimization" and library.phase_of[a.id] == "optimization":
                if (a.prompt, a.seed) != (b.prompt, b.seed):
                    continue  # the next demo
                moved = [
                    name
                    for name, x, y in (
                        ("cfg", a.cfg_scale, b.cfg_scale),
                        ("steps", a.steps, b.steps),
                        ("sampler", a.sampler, b.sampler),
                        ("size", (a.width, a.height), (b.width, b.height)),
                    )
                    if x != y
                ]
                assert len(moved) == 1
            both_refined = library.phase_of[b.id] == library.phase_of[a.id] == "refinement"
            if both_refined and a.seed == b.seed:  # prompt building: one more phrase, or the negative prompt
                builds += 1
                assert (b.prompt or "").startswith(a.prompt or "") or (
                    a.prompt == b.prompt and b.negative_prompt and not a.negative_prompt
                )
        kinds = Counter(kind for r in run if r.id in parent_of for _, kind in [parent_of[r.id]])
        assert kinds == Counter({"img2img": 3, "inpaint": 1, "upscale": 1})
    assert workshops >= 4 and builds >= 10
    for run in preps:  # the evening before a workshop
        day = _local(run[0], roster).date() + timedelta(days=1)
        start = _local(run[0], roster)
        assert _hours(start) >= 19
        assert day in workshop_days[run[0].user or ""] or day > max(workshop_days[run[0].user or ""])
