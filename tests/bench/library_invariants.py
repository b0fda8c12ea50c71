"""Invariants every simulated library's ground truth keeps, whichever family wrote it: what every
quality benchmark relies on (``bench/quality.py`` scores against these truths)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from bench.simulate import SimulatedLibrary

INTENTS = {"exploration", "refinement", "optimization", "convergent_selection"}
PHASES = {"exploration", "refinement", "optimization"}
EDGE_KINDS = {"upscale", "img2img", "inpaint", "variation", "remix"}


def assert_truth_covers_every_record(library: SimulatedLibrary) -> None:
    """Unique ids; each record has a session (named ``<user>/…``) and a phase; each session an intent."""
    assert library.records
    ids = [r.id for r in library.records]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(library.session_of) == set(library.phase_of)
    assert set(library.session_of.values()) == set(library.session_intent)
    assert set(library.phase_of.values()) <= PHASES
    assert set(library.session_intent.values()) <= INTENTS
    for record in library.records:
        assert library.session_of[record.id].startswith(f"{record.user}/")


def assert_one_tool_per_session(library: SimulatedLibrary) -> None:
    """A tool switch is a hard boundary: no true session mixes tools (named, lower-case ids)."""
    tools: dict[str, set[str]] = defaultdict(set)
    for record in library.records:
        assert record.tool == record.tool.lower() and record.tool != "unknown"
        tools[library.session_of[record.id]].add(record.tool)
    assert all(len(found) == 1 for found in tools.values())


def assert_unit_visual_vectors(library: SimulatedLibrary, dimension: int) -> None:
    """One unit-length float64 vector of ``dimension`` per record."""
    assert set(library.visual) == set(library.session_of)
    for vector in library.visual.values():
        assert vector.shape == (dimension,)
        assert vector.dtype == np.float64
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-9
