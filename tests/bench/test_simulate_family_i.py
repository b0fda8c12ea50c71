"""Family I simulator: determinism, the shared truth invariants, and every habit present with the properties
the module docstring promises (consistency only — no engine score here)."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bench.simulate import SimulatedLibrary
from bench.simulate_family_i import (
    DEFAULT_ARTISTS,
    FAMILY_I_VISUAL_DIM,
    FIRST_ZONES,
    GALLERY_SUBJECTS,
    HOBBYIST_TOOLS,
    HOUSEHOLD_DOMAINS,
    KINDS,
    MJ_SUBJECTS,
    NAI_CHARACTERS,
    NAI_DIRECTOR_TOOLS,
    NAI_PORTRAIT,
    NAI_QUALITY,
    NAI_UC_PRESET,
    NEWCOMER_TOOLS,
    FamilyIArtist,
    family_i_roster,
    mj_action_kind,
    simulate_family_i_library,
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

SEED, ARTISTS, DAYS = 81, 15, 21
UTC_TOOLS = {"midjourney", "comfyui", "invokeai", "civitai", "dalle", "chatgpt"}
SITTING_BREAK = timedelta(minutes=90)

Runs = dict[str, list[list[GenerationRecord]]]


@pytest.fixture(scope="module")
def library() -> SimulatedLibrary:
    return simulate_family_i_library(seed=SEED, artists=ARTISTS, days=DAYS)


@pytest.fixture(scope="module")
def roster() -> dict[str, FamilyIArtist]:
    return {artist.name: artist for artist in family_i_roster(SEED, ARTISTS)}


@pytest.fixture(scope="module")
def sessions(library: SimulatedLibrary) -> dict[str, list[GenerationRecord]]:
    return true_sessions(library)


@pytest.fixture(scope="module")
def user_sessions(sessions: dict[str, list[GenerationRecord]]) -> Runs:
    """Per user, its true sessions in time order."""
    out: Runs = defaultdict(list)
    for records in sorted(sessions.values(), key=lambda rs: (rs[0].created_at, rs[0].id)):
        out[records[0].user or ""].append(records)
    return out


def _gap(a: GenerationRecord, b: GenerationRecord) -> float:
    assert a.created_at is not None and b.created_at is not None
    return (b.created_at - a.created_at).total_seconds()


def _offset(record: GenerationRecord) -> timedelta | None:
    assert record.created_at is not None
    return record.created_at.utcoffset()


def _params(prompt: str | None) -> tuple[str, dict[str, str]]:
    assert prompt is not None
    text = prompt.split(" --")[0]
    return text, dict(re.findall(r"--(\w+) (\S+)", prompt))


def _subject(record: GenerationRecord) -> str | None:
    """What a project is about: the MJ subject, the NovelAI character, the household subject."""
    if record.prompt is None:
        return None
    if record.tool == "midjourney":
        return next(s for s in MJ_SUBJECTS if record.prompt.startswith(s))
    if record.tool == "novelai":
        tags = re.sub(r"[{}\[\]]", "", record.prompt).split(", ")
        return ",".join(next(c for c in NAI_CHARACTERS if tuple(tags[: len(c)]) == c))
    subject = record.prompt.split(", ")[0]
    return subject if any(subject in subjects for subjects, _ in HOUSEHOLD_DOMAINS.values()) else None


def _kind_runs(user_sessions: Runs, roster: dict[str, FamilyIArtist], kind: str) -> Runs:
    return {user: runs for user, runs in user_sessions.items() if roster[user].kind == kind}


def test_deterministic(library: SimulatedLibrary) -> None:
    assert_same_library(simulate_family_i_library(seed=SEED, artists=ARTISTS, days=DAYS), library)
    assert_other_seed_differs(
        simulate_family_i_library(seed=SEED + 1, artists=ARTISTS, days=DAYS, with_visual=False), library
    )


def test_visual_flag_does_not_change_records() -> None:
    plain = simulate_family_i_library(seed=3, artists=10, days=4, with_visual=False)
    seen = simulate_family_i_library(seed=3, artists=10, days=4, with_visual=True)
    assert [(r.id, r.created_at, r.prompt) for r in plain.records] == [
        (r.id, r.created_at, r.prompt) for r in seen.records
    ]
    assert plain.session_of == seen.session_of
    assert plain.phase_of == seen.phase_of


def test_truth_invariants(library: SimulatedLibrary) -> None:
    assert_truth_covers_every_record(library)
    assert_one_tool_per_session(library)
    assert_unit_visual_vectors(library, FAMILY_I_VISUAL_DIM)
    assert_aware_times_and_sessions_in_turn(library, lambda r: r.user)
    assert_explicit_edges_named_by_the_child(library)
    by_id = {r.id: r for r in library.records}
    assert len({(e.parent, e.child) for e in library.derived_edges}) == len(library.derived_edges)
    for edge in library.derived_edges:
        assert edge.kind in EDGE_KINDS
        assert by_id[edge.parent].created_at < by_id[edge.child].created_at  # type: ignore[operator]
    assert set(library.session_intent.values()) == {
        "exploration",
        "refinement",
        "optimization",
        "convergent_selection",
    }
    assert set(library.phase_of.values()) == {"exploration", "refinement", "optimization"}


def test_default_library_scale() -> None:
    started = time.thread_time()
    library = simulate_family_i_library()
    assert time.thread_time() - started < 10.0  # CPU of this thread: other load cannot count
    assert 15_000 <= len(library.records) <= 30_000
    assert 20 <= len({r.user for r in library.records}) <= 40
    held_out = simulate_family_i_library(seed=82, with_visual=False)
    assert 15_000 <= len(held_out.records) <= 30_000


def test_roster() -> None:
    roster = family_i_roster(SEED, DEFAULT_ARTISTS)
    assert [a.kind for a in roster[:10]] == list(KINDS) * 2
    assert Counter(a.kind for a in roster) == {
        "midjourney": 8,
        "novelai": 6,
        "newcomer": 6,
        "hobbyist": 5,
        "household": 5,
    }
    for artist in roster:
        if artist.ordinal == 0:
            assert artist.zone == FIRST_ZONES[artist.kind]
    assert len({a.zone for a in roster}) >= 6
    assert [a.kind for a in family_i_roster(SEED + 1, DEFAULT_ARTISTS)] != [a.kind for a in roster]


def test_intents_follow_the_phases(
    sessions: dict[str, list[GenerationRecord]], library: SimulatedLibrary
) -> None:
    for key, run in sessions.items():
        phases = [library.phase_of[r.id] for r in run]
        intent = library.session_intent[key]
        if intent == "convergent_selection":
            first = phases.index("refinement")
            assert phases[0] == "exploration"
            assert set(phases[:first]) == {"exploration"} and set(phases[first:]) == {"refinement"}
        else:
            counts = Counter(phases)
            assert intent == max(("refinement", "optimization", "exploration"), key=lambda p: counts[p])


# --- Midjourney ------------------------------------------------------------------------------------


def _mj_jobs(library: SimulatedLibrary) -> dict[str, list[GenerationRecord]]:
    jobs: dict[str, list[GenerationRecord]] = defaultdict(list)
    for record in library.records:
        if record.tool == "midjourney":
            assert record.job_id is not None
            jobs[record.job_id].append(record)
    return jobs


def test_midjourney_grids_of_four_and_buttons(library: SimulatedLibrary) -> None:
    jobs = _mj_jobs(library)
    grids = singles = 0
    for job_id, records in jobs.items():
        first = records[0]
        action = first.extra["action"]
        assert len({(r.prompt, r.created_at, r.parent_job_id, r.width, r.height) for r in records}) == 1
        if len(records) == 4:
            grids += 1
            assert [r.extra["image_index"] for r in records] == [0, 1, 2, 3]
            assert [r.file_name for r in records] == [
                f"{(first.file_name or '')[: -len(f'{job_id}_0.png')]}{job_id}_{i}.png" for i in range(4)
            ]
            assert not re.fullmatch(r"U[1-4]", action) and not action.startswith("Upscale (")
        else:
            singles += 1
            assert len(records) == 1 and "image_index" not in first.extra
            assert (first.file_name or "").endswith(f"_{job_id}.png")
            assert re.fullmatch(r"U[1-4]", action) or action.startswith("Upscale (")
        text, params = _params(first.prompt)
        assert text and "ar" in params and ("v" in params or "niji" in params)
    assert grids > 200 and singles > 100
    actions = {r[0].extra["action"] for r in jobs.values()}
    assert {f"U{i}" for i in range(1, 5)} | {"imagine", "Remix (Strong)", "Remix (Subtle)"} <= actions
    assert {
        "Vary (Strong)",
        "Vary (Subtle)",
        "Vary (Region)",
        "Upscale (Subtle)",
        "Upscale (Creative)",
    } <= actions
    assert any(re.fullmatch(r"V[1-4]", a) for a in actions)
    assert {"Zoom Out 2x", "Zoom Out 1.5x"} & actions and any(a.startswith("Pan ") for a in actions)


def test_midjourney_lineage_names_the_parent_image(library: SimulatedLibrary) -> None:
    jobs = _mj_jobs(library)
    into: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for edge in library.explicit_edges:
        into[edge.child].append((edge.parent, edge.kind))
    derived = {(e.parent, e.child) for e in library.derived_edges}
    by_id = {r.id: r for r in library.records}
    across = 0
    kinds: Counter[str] = Counter()
    for records in jobs.values():
        for record in records:
            action = record.extra["action"]
            if record.parent_job_id is None:
                assert action == "imagine" and "parent_grid" not in record.extra and not into[record.id]
                continue
            parent_job = jobs[record.parent_job_id]
            parent = parent_job[record.extra["parent_grid"]]
            assert into[record.id] == [(parent.id, mj_action_kind(action))]
            assert (parent.id, record.id) in derived
            kinds[mj_action_kind(action)] += 1
            if re.fullmatch(r"[UV][1-4]", action):
                assert len(parent_job) == 4 and record.extra["parent_grid"] == int(action[1]) - 1
            elif not action.startswith("Remix"):
                assert len(parent_job) == 1 and record.extra["parent_grid"] == 0  # acts on an upscaled image
            if re.fullmatch(r"U[1-4]", action):
                assert (record.width, record.height) == (parent.width, parent.height)
            elif action.startswith("Upscale ("):
                assert (record.width, record.height) == (2 * (parent.width or 0), 2 * (parent.height or 0))
            if action.startswith("Remix"):
                assert _params(record.prompt)[0] != _params(parent.prompt)[0]
            elif action not in ("Vary (Region)", "Custom Zoom"):
                assert record.prompt == parent.prompt
            if library.session_of[parent.id] != library.session_of[record.id]:
                across += 1
                assert library.phase_of[record.id] == "refinement"
                assert by_id[parent.id].created_at < record.created_at  # type: ignore[operator]
    assert set(kinds) == {"upscale", "variation", "remix", "inpaint"}
    assert across >= 4  # refinement sessions that start from an upscale of an earlier sitting


def test_midjourney_permutations_and_sweeps(
    library: SimulatedLibrary, sessions: dict[str, list[GenerationRecord]]
) -> None:
    jobs = _mj_jobs(library)
    imagines: dict[str, list[GenerationRecord]] = defaultdict(list)
    for records in jobs.values():
        first = records[0]
        if first.extra["action"] == "imagine" and first.created_at_source == "metadata:enqueue_time":
            imagines[first.user or ""].append(first)
    bursts = 0
    for firsts in imagines.values():
        firsts.sort(key=lambda r: r.created_at)  # type: ignore[arg-type, return-value]
        group = [firsts[0]]
        for a, b in pairwise(firsts):
            if _gap(a, b) < 1.0:
                group.append(b)
                continue
            if len(group) >= 2:  # one permutation prompt: several jobs at once, one subject
                bursts += 1
                assert len({r.prompt for r in group}) == len(group)
                assert len({_subject(r) for r in group}) == 1
                assert len({library.session_of[r.id] for r in group}) == 1
            group = [b]
    assert bursts >= 10
    swept: Counter[str] = Counter()
    for key, run in sessions.items():
        optimized = [r for r in run if library.phase_of[r.id] == "optimization"]
        if run[0].tool != "midjourney" or not optimized:
            continue
        assert len({_params(r.prompt)[0] for r in optimized}) == 1  # one prompt, parameters swept
        values: dict[str, set[str]] = defaultdict(set)
        for record in optimized:
            for name, value in _params(record.prompt)[1].items():
                values[name].add(value)
        changed = {name for name, seen in values.items() if len(seen) > 1}
        assert changed
        swept.update(changed)
        assert library.session_intent[key] == "optimization"
    assert {"stylize", "sref"} <= set(swept) and len(swept) >= 4


def test_midjourney_relax_queue_and_clocks(library: SimulatedLibrary) -> None:
    by_id = {r.id: r for r in library.records}
    jobs = _mj_jobs(library)
    speeds: Counter[tuple[str | None, str]] = Counter()
    for record in library.records:
        if record.tool != "midjourney":
            continue
        assert record.created_at is not None and record.created_at.utcoffset() == timedelta(0)
        speeds[(record.created_at_source, record.extra["speed"])] += 1
        if record.created_at_source == "metadata:enqueue_time":
            assert record.created_at_precision is TimePrecision.MILLISECOND
            assert record.extra["enqueue_time"] == f"{record.created_at:%Y-%m-%d %H:%M:%S.%f}"[:-3]
        else:
            assert record.created_at_source == "metadata:Creation Time"
            assert record.created_at_precision is TimePrecision.SECOND
            assert record.extra["Digital Image GUID"] == record.job_id
            assert record.extra["Author"].startswith("u")
    assert speeds[("metadata:enqueue_time", "relax")] and speeds[("metadata:Creation Time", "relax")]
    assert speeds[("metadata:enqueue_time", "fast")] and speeds[("metadata:Creation Time", "fast")]
    waits: dict[str, list[float]] = defaultdict(list)
    for edge in library.explicit_edges:
        parent, child = by_id[edge.parent], by_id[edge.child]
        if parent.tool != "midjourney" or parent.created_at_source != "metadata:enqueue_time":
            continue
        if len(jobs[parent.job_id or ""]) == 4:  # a grid: clicked only once it had rendered
            waits[parent.extra["speed"]].append(_gap(parent, child))
    assert min(waits["relax"]) >= 120 and min(waits["fast"]) >= 35
    assert statistics.median(waits["relax"]) > 2 * statistics.median(waits["fast"])


# --- NovelAI ---------------------------------------------------------------------------------------


def test_novelai_habits(
    library: SimulatedLibrary, sessions: dict[str, list[GenerationRecord]], roster: dict[str, FamilyIArtist]
) -> None:
    nai = [r for r in library.records if r.tool == "novelai"]
    assert {roster[r.user or ""].kind for r in nai} == {"novelai"}
    gens = [r for r in nai if r.prompt is not None and not r.extra.get("enhance")]
    sizes = Counter((r.width, r.height) for r in gens)
    assert sizes.most_common(1)[0][0] == NAI_PORTRAIT and sizes[NAI_PORTRAIT] >= 0.6 * len(gens)
    for record in gens:
        assert record.prompt is not None and record.prompt.endswith(NAI_QUALITY)
        assert record.seed is not None and record.seed > 0
        assert (record.file_name or "").endswith(f" s-{record.seed}.png")
        assert (record.negative_prompt or "").startswith(NAI_UC_PRESET)
    assert (
        sum("{{" in (r.prompt or "") for r in gens) >= 20 and sum("[" in (r.prompt or "") for r in gens) >= 10
    )
    uc_changes = [
        key
        for key, run in sessions.items()
        if run[0].tool == "novelai" and len({r.negative_prompt for r in run if r.prompt}) > 1
    ]
    assert len(uc_changes) >= 5
    explicit = {(e.parent, e.child) for e in library.explicit_edges}
    by_id = {r.id: r for r in library.records}
    into = {e.child: e for e in library.derived_edges}
    enhanced = directed = vibes = 0
    for record in nai:
        edge = into.get(record.id)
        if record.extra.get("enhance"):
            enhanced += 1
            assert edge is not None and edge.kind == "upscale" and (edge.parent, edge.child) not in explicit
            parent = by_id[edge.parent]
            assert (record.prompt, record.seed) == (parent.prompt, parent.seed)
            assert (record.width, record.height) == (
                (parent.width or 0) * 3 // 2,
                (parent.height or 0) * 3 // 2,
            )
            assert record.denoise is not None and 0.2 <= record.denoise <= 0.5
        elif "director_tool" in record.extra:
            directed += 1
            assert record.extra["director_tool"] in NAI_DIRECTOR_TOOLS and record.prompt is None
            assert edge is not None and edge.kind == "img2img" and (edge.parent, edge.child) not in explicit
            assert (record.width, record.height) == (by_id[edge.parent].width, by_id[edge.parent].height)
        else:
            assert edge is None
            vibes += "reference_strength_multiple" in record.extra
        assert record.source_image is None and record.parent_job_id is None
        assert (
            record.created_at_source == "file:mtime" and record.created_at_precision is TimePrecision.SECOND
        )
        assert library.phase_of[record.id] == "refinement" or edge is None
    assert enhanced >= 20 and directed >= 5 and vibes >= 10


# --- newcomers -------------------------------------------------------------------------------------


def test_newcomers_try_other_peoples_prompts(
    library: SimulatedLibrary, user_sessions: Runs, roster: dict[str, FamilyIArtist]
) -> None:
    newcomers = _kind_runs(user_sessions, roster, "newcomer")
    assert len(newcomers) == 3
    switches = odd = sittings = 0
    sitting_gaps: list[float] = []
    for runs in newcomers.values():
        records = [r for run in runs for r in run]
        assert {r.tool for r in records} <= set(NEWCOMER_TOOLS)
        cfgs = [r.cfg_scale or 0 for r in records]
        steps = [r.steps or 0 for r in records]
        assert min(cfgs) <= 4 and max(cfgs) >= 12 and min(steps) <= 15 and max(steps) >= 60
        for run in runs:
            assert library.session_intent[library.session_of[run[0].id]] == "exploration"
            clicks: list[list[GenerationRecord]] = []

            def settings(r: GenerationRecord) -> tuple[object, ...]:
                return (r.prompt, r.cfg_scale, r.steps, r.sampler, r.model)

            for record in run:  # a click: one prompt and settings, its batch within two seconds
                if (
                    clicks
                    and settings(record) == settings(clicks[-1][0])
                    and _gap(clicks[-1][-1], record) < 2
                ):
                    clicks[-1].append(record)
                else:
                    clicks.append([record])
            subjects = []
            for previous, click in zip([None, *clicks], clicks, strict=False):
                assert len(click) <= 4 and [r.seed for r in click] == list(
                    range(click[0].seed or 0, (click[0].seed or 0) + len(click))
                )
                phase = library.phase_of[click[0].id]
                assert all(library.phase_of[r.id] == phase for r in click)
                prompt = click[0].prompt or ""
                assert len(prompt) >= 100
                if phase == "exploration":
                    subjects.append(next(s for s in GALLERY_SUBJECTS if s in prompt))
                else:  # a re-run of the last prompt with parameters swung
                    assert phase == "optimization" and previous is not None and previous[0].prompt == prompt
                    assert len(click) == 1 and len(previous) >= 2
                    assert library.phase_of[previous[0].id] == "exploration"
                    before, after = previous[0], click[0]
                    assert settings(before)[1:] != settings(after)[1:]
            assert len(subjects) == len(set(subjects))  # every copied prompt is another one
            assert _gap(run[0], run[-1]) <= 95 * 60
            if len(run) >= 15:
                assert len({r.sampler for r in run}) >= 2 and len({r.model for r in run}) >= 2
        for a, b in pairwise(runs):
            if a[0].tool != b[0].tool and _gap(a[-1], b[0]) < 10 * 60:
                switches += 1  # closed one UI, opened the other: same sitting, new session
                continue
            assert _gap(a[-1], b[0]) >= 2 * 3600
            sitting_gaps.append(_gap(a[-1], b[0]))
            sittings += 1
            odd += b[0].created_at.hour >= 22 or b[0].created_at.hour < 4  # type: ignore[union-attr]
    assert switches >= 1
    assert odd >= 0.35 * sittings
    assert statistics.median(sitting_gaps) >= 86400


# --- hobbyists -------------------------------------------------------------------------------------


def test_hobbyists_weekly_handful(
    library: SimulatedLibrary, user_sessions: Runs, roster: dict[str, FamilyIArtist]
) -> None:
    hobbyists = _kind_runs(user_sessions, roster, "hobbyist")
    assert len(hobbyists) == 3
    by_id = {r.id: r for r in library.records}
    for runs in hobbyists.values():
        assert len({run[0].tool for run in runs}) == 1 and runs[0][0].tool in HOBBYIST_TOOLS
        assert 2 <= len(runs) <= 3
        for run in runs:
            assert 3 <= len(run) <= 12 and _gap(run[0], run[-1]) < 3600
        for a, b in pairwise(runs):
            assert _gap(a[-1], b[0]) >= 4 * 86400
    for record in library.records:
        if record.tool in ("chatgpt", "dalle"):
            assert record.prompt is None and record.seed is None
        if record.tool == "civitai":
            assert record.created_at_source == "metadata:Created Date"
            assert record.created_at_precision is TimePrecision.MILLISECOND
            assert record.prompt and record.seed is not None
    tools = {runs[0][0].tool for runs in hobbyists.values()}
    assert {"civitai", "chatgpt"} <= tools
    chat = [e for e in library.derived_edges if by_id[e.child].tool == "chatgpt"]
    assert chat and all(e.kind == "img2img" for e in chat)
    assert not {(e.parent, e.child) for e in chat} & {(e.parent, e.child) for e in library.explicit_edges}


# --- households ------------------------------------------------------------------------------------


def test_household_alternates_people_and_tools(
    library: SimulatedLibrary, user_sessions: Runs, roster: dict[str, FamilyIArtist]
) -> None:
    households = _kind_runs(user_sessions, roster, "household")
    assert len(households) == 3
    tool_switches = same_tool = 0
    for runs in households.values():
        domains: dict[str, str] = {}
        for run in runs:
            subjects = {_subject(r) for r in run}
            assert len(subjects) == 1 and None not in subjects  # one person, one project
            subject = subjects.pop()
            domains[subject or ""] = next(d for d, (s, _) in HOUSEHOLD_DOMAINS.items() if subject in s)
        assert len(set(domains.values())) == 2  # two people, each with a domain of their own
        for a, b in pairwise(runs):
            if _gap(a[-1], b[0]) < 7 * 60:  # a handover, or a person back after the other
                if a[0].tool != b[0].tool:
                    tool_switches += 1
                else:
                    same_tool += 1
                    assert _subject(a[0]) != _subject(b[0])
    assert tool_switches >= 20 and same_tool >= 2
    by_id = {r.id: r for r in library.records}
    explicit = {(e.parent, e.child) for e in library.explicit_edges}
    comfy = resumed = 0
    for edge in library.derived_edges:
        parent, child = by_id[edge.parent], by_id[edge.child]
        if roster[child.user or ""].kind != "household":
            continue
        if child.tool == "comfyui":
            comfy += 1
            assert (edge.parent, edge.child) in explicit and child.source_image == parent.file_name
            assert child.workflow_hash == f"wf-{edge.kind}" and edge.kind in ("upscale", "img2img")
        else:
            assert (edge.parent, edge.child) not in explicit and child.source_image is None
            assert edge.kind in ("upscale", "img2img", "inpaint")
            assert edge.kind != "img2img" or child.tool != "invokeai"
        if library.session_of[parent.id] != library.session_of[child.id]:
            resumed += 1
            assert _gap(parent, child) < 6 * 3600 and _subject(parent) == _subject(child)
    assert comfy >= 10 and resumed >= 3


# --- time ------------------------------------------------------------------------------------------


def test_time_zones_dst_and_midnight(
    library: SimulatedLibrary, sessions: dict[str, list[GenerationRecord]], roster: dict[str, FamilyIArtist]
) -> None:
    offsets = set()
    for record in library.records:
        assert record.created_at is not None
        offset = record.created_at.utcoffset()
        offsets.add(offset)
        if record.tool in UTC_TOOLS:
            assert offset == timedelta(0)
        else:
            zone = ZoneInfo(roster[record.user or ""].zone)
            assert offset == record.created_at.astimezone(zone).utcoffset()
        if record.created_at_precision is TimePrecision.SECOND:
            assert record.created_at.microsecond == 0
        elif record.created_at_precision is TimePrecision.MILLISECOND:
            assert record.created_at.microsecond % 1000 == 0
    assert len(offsets) >= 6
    # the first newcomer (Berlin) sits through the night clocks go forward: two offsets, real time continuous
    crossing = [run for run in sessions.values() if len({_offset(r) for r in run}) == 2]
    assert crossing
    for run in crossing:
        assert {_offset(r) for r in run} == {timedelta(hours=1), timedelta(hours=2)}
        assert max(_gap(a, b) for a, b in pairwise(run)) < 10 * 60
        assert run[0].created_at.hour == 1 and run[-1].created_at.hour == 3  # type: ignore[union-attr]
    london = [r for r in library.records if r.user == "i-artist-04" and r.tool not in UTC_TOOLS]
    assert {_offset(r) for r in london} == {timedelta(0), timedelta(hours=1)}
    midnight = 0
    for run in sessions.values():
        zone = ZoneInfo(roster[run[0].user or ""].zone)
        midnight += len({r.created_at.astimezone(zone).date() for r in run}) > 1  # type: ignore[union-attr]
    assert midnight >= 3


def test_sittings_and_projects(
    library: SimulatedLibrary, user_sessions: Runs, roster: dict[str, FamilyIArtist]
) -> None:
    project_switches = 0
    for user, runs in user_sessions.items():
        kind = roster[user].kind
        for run in runs:
            assert max((_gap(a, b) for a, b in pairwise(run)), default=0) < 12.5 * 60
            if kind in ("midjourney", "novelai", "household"):
                assert len({_subject(r) for r in run} - {None}) == 1  # one project
        for a, b in pairwise(runs):
            gap = timedelta(seconds=_gap(a[-1], b[0]))
            if gap >= SITTING_BREAK:
                continue
            assert gap < timedelta(minutes=25)  # a project or tool switch inside a sitting
            assert a[0].tool != b[0].tool or _subject(a[0]) != _subject(b[0])
            if kind in ("midjourney", "novelai") and a[0].tool == b[0].tool:
                project_switches += 1
    assert project_switches >= 10
