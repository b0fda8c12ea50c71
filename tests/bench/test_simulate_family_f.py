"""Family F hold-out simulator (``bench/simulate_family_f.py``): determinism, the truth's invariants,
and that each habit it models (slow and uneven pace) is present.

These check only that the simulated library is internally consistent (what every benchmark relies on),
not how any engine scores on it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import pairwise

import numpy as np
import pytest

from bench.simulate import SimulatedLibrary
from bench.simulate_family_f import FAMILY_F_VISUAL_DIM, simulate_family_f_library
from engine.record_codec import record_from_json, record_to_json
from engine.records import GenerationRecord, TimePrecision
from tests.bench.library_invariants import (
    EDGE_KINDS,
    assert_aware_times_and_sessions_in_turn,
    assert_one_tool_per_session,
    assert_truth_covers_every_record,
    assert_unit_visual_vectors,
)

ARTISTS, DAYS = 12, 7
MINUTE = timedelta(minutes=1)


@pytest.fixture(scope="module")
def library() -> SimulatedLibrary:
    return simulate_family_f_library(seed=5, artists=ARTISTS, days=DAYS)


def _sessions(library: SimulatedLibrary) -> dict[str, list[GenerationRecord]]:
    members: dict[str, list[GenerationRecord]] = defaultdict(list)
    for record in library.records:
        members[library.session_of[record.id]].append(record)
    return members


def _time(record: GenerationRecord) -> datetime:
    assert record.created_at is not None
    return record.created_at


def _gaps(records: list[GenerationRecord]) -> list[timedelta]:
    return [_time(b) - _time(a) for a, b in pairwise(records)]


def _subject(record: GenerationRecord) -> str:
    return (record.prompt or "").split(",")[0]


def _is_video(record: GenerationRecord) -> bool:
    return bool(record.file_name and record.file_name.endswith(".mp4"))


def _streams(library: SimulatedLibrary) -> dict[tuple[str | None, str], list[list[GenerationRecord]]]:
    """Each artist's sessions per tool, in time order."""
    streams: dict[tuple[str | None, str], list[list[GenerationRecord]]] = defaultdict(list)
    for members in sorted(_sessions(library).values(), key=lambda m: _time(m[0])):
        streams[(members[0].user, members[0].tool)].append(members)
    return streams


def test_same_seed_gives_the_same_library(library: SimulatedLibrary) -> None:
    again = simulate_family_f_library(seed=5, artists=ARTISTS, days=DAYS)
    assert [record_to_json(r) for r in again.records] == [record_to_json(r) for r in library.records]
    assert again.session_of == library.session_of
    assert again.phase_of == library.phase_of
    assert again.session_intent == library.session_intent
    assert again.explicit_edges == library.explicit_edges
    assert again.derived_edges == library.derived_edges
    assert all(np.array_equal(again.visual[k], v) for k, v in library.visual.items())


def test_another_seed_gives_another_library(library: SimulatedLibrary) -> None:
    other = simulate_family_f_library(seed=6, artists=ARTISTS, days=DAYS)
    assert [r.created_at for r in other.records] != [r.created_at for r in library.records]


def test_visual_flag_does_not_change_the_records(library: SimulatedLibrary) -> None:
    plain = simulate_family_f_library(seed=5, artists=ARTISTS, days=DAYS, with_visual=False)
    assert plain.visual == {}
    assert [record_to_json(r) for r in plain.records] == [record_to_json(r) for r in library.records]
    assert plain.session_of == library.session_of


def test_every_record_has_a_truth_and_unit_visual_vectors(library: SimulatedLibrary) -> None:
    assert_truth_covers_every_record(library)
    assert_unit_visual_vectors(library, FAMILY_F_VISUAL_DIM)
    assert len({r.user for r in library.records}) == ARTISTS


def test_records_round_trip_through_the_interchange_format(library: SimulatedLibrary) -> None:
    for record in library.records:
        line = json.dumps(record_to_json(record), ensure_ascii=False)
        assert record_from_json(json.loads(line)) == record


def test_times_are_aware_and_sessions_of_one_tool_never_interleave(library: SimulatedLibrary) -> None:
    """Within one artist's stream of one tool, sessions follow each other; stills in another tool made
    while a video renders overlap it in time (a tool switch is a boundary, generation-records.md)."""
    assert_aware_times_and_sessions_in_turn(library, lambda record: (record.user, record.tool))


def test_a_tool_never_changes_inside_a_session(library: SimulatedLibrary) -> None:
    assert_one_tool_per_session(library)


def test_session_intent_follows_its_phases(library: SimulatedLibrary) -> None:
    for key, members in _sessions(library).items():
        order = list(dict.fromkeys(library.phase_of[r.id] for r in members))
        intent = library.session_intent[key]
        if order == ["exploration"]:
            assert intent == "exploration"
        elif order[0] == "exploration":
            assert intent == "convergent_selection"
            refined = {
                _subject(r) for r in members if library.phase_of[r.id] == "refinement" and not _is_video(r)
            }
            explored = {_subject(r) for r in members if library.phase_of[r.id] == "exploration"}
            assert refined <= explored  # refinement of one explored concept
        else:
            assert intent == order[0]


def test_explicit_edges_are_exactly_the_derivations_the_child_names(library: SimulatedLibrary) -> None:
    by_id = {r.id: r for r in library.records}
    by_file = {(r.user, r.file_name): r for r in library.records}
    by_job = {r.job_id: r for r in library.records if r.tool == "midjourney"}
    derived = {(e.parent, e.child) for e in library.derived_edges}
    explicit = {(e.parent, e.child) for e in library.explicit_edges}
    assert explicit <= derived
    for edge in library.explicit_edges:
        assert edge.kind in EDGE_KINDS
        parent, child = by_id[edge.parent], by_id[edge.child]
        assert _time(parent) <= _time(child) and parent.user == child.user
        if child.parent_job_id is not None:
            assert parent.job_id == child.parent_job_id
        else:
            assert child.source_image == parent.file_name
    for edge in library.derived_edges:
        assert edge.kind in EDGE_KINDS and edge.parent in by_id and edge.child in by_id
    for record in library.records:  # every name the metadata gives is an explicit edge
        if record.source_image is not None:
            parent = by_file[(record.user, record.source_image)]
            assert (parent.id, record.id) in explicit
        if record.parent_job_id is not None:
            assert (by_job[record.parent_job_id].id, record.id) in explicit


def test_each_tool_writes_its_own_fields(library: SimulatedLibrary) -> None:
    offsets = set()
    for record in library.records:
        offsets.add(_time(record).utcoffset())
        if record.tool == "comfyui":
            assert record.created_at_precision is TimePrecision.MILLISECOND and record.job_id
            assert (
                record.workflow_hash
                and record.file_name
                and record.file_name.startswith(("ComfyUI", "video/"))
            )
        elif record.tool in ("a1111", "forge"):
            assert record.created_at_source == "file:mtime"
            assert record.created_at_precision is TimePrecision.SECOND
            assert record.file_name == f"{record.file_name[:5]}-{record.seed}.png"
        elif record.tool == "midjourney":
            assert _time(record).utcoffset() == timedelta(0) and record.job_id
            assert record.created_at_source == "metadata:enqueue_time"
        else:
            assert record.tool in ("kling", "runway")
            assert record.created_at_precision is TimePrecision.MINUTE and _time(record).second == 0
    assert {r.tool for r in library.records} >= {"comfyui", "a1111", "forge", "midjourney"}
    assert {r.tool for r in library.records} & {"kling", "runway"}
    assert len(offsets) >= 5  # several regions


def test_slow_renders_are_minutes_apart_inside_one_session(library: SimulatedLibrary) -> None:
    """Video clips of one session: consecutive renders at least 4 minutes apart, some 20+ apart."""
    video_gaps: list[timedelta] = []
    for members in _sessions(library).values():
        clips = [r for r in members if _is_video(r)]
        video_gaps.extend(_gaps(clips))
    assert video_gaps and min(video_gaps) >= 2 * MINUTE  # minute-precision hosted times
    assert sum(gap >= 4 * MINUTE for gap in video_gaps) >= 0.9 * len(video_gaps)
    assert max(gap for gap in video_gaps if gap < 45 * MINUTE) >= 12 * MINUTE
    hires = [r for r in library.records if (r.width or 0) >= 1536 and r.tool == "comfyui"]
    assert hires  # Flux at high resolution, minutes per image


def test_pace_changes_from_fast_stills_to_slow_img2video_in_one_session(library: SimulatedLibrary) -> None:
    found = 0
    for members in _sessions(library).values():
        stills = [r for r in members if not _is_video(r)]
        clips = [r for r in members if _is_video(r) and r.tool == "comfyui" and r.source_image]
        if len(stills) < 5 or len(clips) < 2:
            continue
        still_names = {r.file_name for r in stills}
        assert all(c.source_image in still_names for c in clips)
        fast = sorted(_gaps(stills))[len(stills) // 2] < 3 * MINUTE
        slow = min(_gaps(clips)) >= 4 * MINUTE
        found += fast and slow
    assert found >= 2


def test_fast_stills_in_another_tool_while_a_video_renders(library: SimulatedLibrary) -> None:
    sessions = list(_sessions(library).values())
    videos = [m for m in sessions if m[0].tool == "comfyui" and sum(map(_is_video, m)) >= 3]
    overlapping = 0
    for video in videos:
        start, end = _time(video[0]), _time(video[-1])
        for other in sessions:
            beside = other[0].user == video[0].user and other[0].tool != "comfyui"
            if beside and start < _time(other[0]) < end and sorted(_gaps(other))[len(other) // 2] < MINUTE:
                overlapping += 1
    assert overlapping >= 2


def test_long_breaks_inside_one_session_on_the_same_subject(library: SimulatedLibrary) -> None:
    breaks = 0
    for members in _sessions(library).values():
        for a, b in pairwise(members):
            if 20 * MINUTE <= _time(b) - _time(a) <= 46 * MINUTE and a.model == b.model and a.tool == b.tool:
                breaks += _subject(a) == _subject(b)
    assert breaks >= 5


def test_the_same_pause_separates_two_different_sittings(library: SimulatedLibrary) -> None:
    """Between two sessions of one tool: a 20–45 minute pause, the same length as the breaks inside."""
    between = 0
    for stream in _streams(library).values():
        for a, b in pairwise(stream):
            if 20 * MINUTE <= _time(b[0]) - _time(a[-1]) <= 46 * MINUTE:
                between += 1
                assert _subject(a[-1]) != _subject(b[0]) or a[-1].model != b[0].model
    assert between >= 5


def test_pivots_from_refinement_to_new_exploration_after_short_and_long_pauses(
    library: SimulatedLibrary,
) -> None:
    pauses: list[timedelta] = []
    for stream in _streams(library).values():
        for a, b in pairwise(stream):
            if library.phase_of[a[-1].id] != "exploration" and library.phase_of[b[0].id] == "exploration":
                pause = _time(b[0]) - _time(a[-1])
                if pause < timedelta(hours=4):
                    pauses.append(pause)
    assert any(p < 10 * MINUTE for p in pauses)
    assert any(20 * MINUTE <= p <= 46 * MINUTE for p in pauses)
    assert any(p > 60 * MINUTE for p in pauses)


def test_rapid_subject_hops_then_settling_on_one(library: SimulatedLibrary) -> None:
    hopping = 0
    for key, members in _sessions(library).items():
        explored = [r for r in members if library.phase_of[r.id] == "exploration"]
        subjects = list(dict.fromkeys(_subject(r) for r in explored))
        if len(subjects) < 4 or library.session_intent[key] != "convergent_selection":
            continue
        first_seen = {}
        for record in explored:
            first_seen.setdefault(_subject(record), _time(record))
        hops = sorted(first_seen.values())
        assert all(gap <= 12 * MINUTE for gap in _gaps_between(hops))
        assert len({r.model for r in explored}) == 1
        hopping += 1
    assert hopping >= 3


def _gaps_between(times: list[datetime]) -> list[timedelta]:
    return [b - a for a, b in pairwise(times)]


def test_hobbyists_and_heavy_users(library: SimulatedLibrary) -> None:
    per_user: dict[str | None, list[GenerationRecord]] = defaultdict(list)
    for record in library.records:
        per_user[record.user].append(record)
    weeks = DAYS / 7
    hobbyists = [u for u, rs in per_user.items() if len(rs) / weeks < 20]
    assert len(hobbyists) >= 2
    for user in hobbyists:
        sittings = {library.session_of[r.id] for r in per_user[user]}
        assert all(sum(library.session_of[r.id] == s for r in per_user[user]) <= 8 for s in sittings)
    heavy = [u for u, rs in per_user.items() if len(rs) / DAYS >= 100]
    assert len(heavy) >= 2
