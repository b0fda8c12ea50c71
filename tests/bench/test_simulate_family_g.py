"""Family G simulator: determinism, the shared truth invariants, and every habit present (consistency
only — no engine score here)."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from bench.simulate import SimulatedLibrary
from bench.simulate_family_g import FAMILY_G_VISUAL_DIM, simulate_family_g_library
from tests.bench.library_invariants import (
    assert_aware_times_and_sessions_in_turn,
    assert_explicit_edges_named_by_the_child,
    assert_one_tool_per_session,
    assert_other_seed_differs,
    assert_same_library,
    assert_truth_covers_every_record,
    assert_unit_visual_vectors,
)


@pytest.fixture(scope="module")
def library() -> SimulatedLibrary:
    return simulate_family_g_library(seed=5, artists=12, days=7)


def test_deterministic(library: SimulatedLibrary) -> None:
    assert_same_library(simulate_family_g_library(seed=5, artists=12, days=7), library)
    assert_other_seed_differs(
        simulate_family_g_library(seed=6, artists=12, days=7, with_visual=False), library
    )


def test_truth_invariants(library: SimulatedLibrary) -> None:
    assert_truth_covers_every_record(library)
    assert_one_tool_per_session(library)
    assert_unit_visual_vectors(library, FAMILY_G_VISUAL_DIM)
    assert_aware_times_and_sessions_in_turn(library, lambda r: r.user)


def test_explicit_edges_are_named_by_the_child(library: SimulatedLibrary) -> None:
    assert_explicit_edges_named_by_the_child(library)
    assert len(library.derived_edges) > len(library.explicit_edges)  # Krita canvas inpaints name no file


def test_every_habit_present(library: SimulatedLibrary) -> None:
    records = library.records
    # LoRA testing: kohya-style samples with epochs in the file name, many epoch files in one session
    samples = [
        r
        for r in records
        if r.tool == "civitai" and r.file_name and re.search(r"_e\d{6}_\d{2}_\d{14}\.png$", r.file_name)
    ]
    assert samples and all(r.created_at_source == "filename" for r in samples)
    lora_files: dict[str, set[str]] = defaultdict(set)
    for r in records:
        for lora in r.loras:
            if re.search(r"-\d{6}$", lora.name):
                lora_files[library.session_of[r.id]].add(lora.name)
    assert max(len(names) for names in lora_files.values()) >= 3
    # grids and matrices: grid images beside their cells; ComfyUI sweeps
    assert any(r.file_name and r.file_name.startswith("xyz_grid-") for r in records)
    assert any(r.extra.get("sweep") for r in records if r.tool == "comfyui") or any(
        r.file_name and r.file_name.startswith("prompt_matrix-") for r in records
    )
    # booru tags, tag weighting and wildcard shuffles
    assert any(
        r.prompt and "1girl, solo" in r.prompt and re.search(r"\(\w[\w ]*:\d\.\d\)", r.prompt)
        for r in records
    )
    assert any("wildcard_prompt" in r.extra for r in records)
    # scripted dataset runs: hundreds of different prompts in one session, fast
    per_session: dict[str, list] = defaultdict(list)
    for r in records:
        if r.extra.get("client") == "api" and "script" in r.extra:
            per_session[library.session_of[r.id]].append(r)
    biggest = max(per_session.values(), key=len)
    assert len(biggest) >= 200 and len({r.prompt for r in biggest}) > 0.8 * len(biggest)
    hours = (biggest[-1].created_at - biggest[0].created_at).total_seconds() / 3600  # type: ignore[operator]
    assert len(biggest) / max(hours, 1e-6) > 700
    # chains: canvas tools, then an upscale in another tool naming the canvas file
    assert {"kritaai", "invokeai"} & {r.tool for r in records}
    by_id = {r.id: r for r in records}
    cross = [
        e
        for e in library.explicit_edges
        if e.kind == "upscale" and by_id[e.parent].tool in ("kritaai", "invokeai")
    ]
    assert cross
    assert {e.kind for e in library.derived_edges} >= {"inpaint", "upscale"}
    resumed = [  # a project picked up again in a later sitting: its parent lives in an earlier session
        e
        for e in library.derived_edges
        if e.kind == "inpaint" and library.session_of[e.parent] != library.session_of[e.child]
    ]
    assert resumed
    # a mix of time zones and time precisions
    assert len({r.created_at.utcoffset() for r in records}) >= 3  # type: ignore[union-attr]
    assert len({r.created_at_precision for r in records}) >= 2
