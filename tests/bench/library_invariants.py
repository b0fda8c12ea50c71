"""Invariants every simulated library's ground truth keeps, whichever family wrote it: what every
quality benchmark relies on (``bench/quality.py`` scores against these truths)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from itertools import pairwise

import numpy as np

from bench.simulate import SimulatedLibrary
from engine.records import GenerationRecord

INTENTS = {"exploration", "refinement", "optimization", "convergent_selection"}
PHASES = {"exploration", "refinement", "optimization"}
EDGE_KINDS = {"upscale", "img2img", "inpaint", "variation", "remix"}


def true_sessions(library: SimulatedLibrary) -> dict[str, list[GenerationRecord]]:
    """Each true session's records, in the library's order."""
    out: dict[str, list[GenerationRecord]] = defaultdict(list)
    for record in library.records:
        out[library.session_of[record.id]].append(record)
    return out


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


def assert_aware_times_and_sessions_in_turn(
    library: SimulatedLibrary, stream_of: Callable[[GenerationRecord], Hashable]
) -> None:
    """Records in time order, every time aware with a precision and a source; and within each stream
    (``stream_of``: an artist, or an artist's tool when tools run side by side) the true sessions follow
    each other — one ends before the next starts."""
    times = [r.created_at for r in library.records]
    assert all(t is not None for t in times)
    assert times == sorted(times)  # type: ignore[type-var]
    per_stream: dict[Hashable, list[tuple[float, str]]] = defaultdict(list)
    for record in library.records:
        assert record.created_at is not None and record.user is not None
        assert record.created_at.utcoffset() is not None
        assert record.created_at_precision is not None and record.created_at_source
        per_stream[stream_of(record)].append((record.created_at.timestamp(), library.session_of[record.id]))
    for events in per_stream.values():
        spans: dict[str, tuple[float, float]] = {}
        for t, key in events:
            first, _ = spans.get(key, (t, t))
            spans[key] = (first, t)
        ordered = sorted(spans.values())
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(ordered))


def assert_explicit_edges_named_by_the_child(library: SimulatedLibrary) -> None:
    """Each explicit edge is one of the derivations, of a known kind, parent before child, and the child's
    metadata names its parent (its ``source_image`` is the parent's file name, or its ``parent_job_id``
    the parent's job)."""
    by_id = {r.id: r for r in library.records}
    derived = {(e.parent, e.child, e.kind) for e in library.derived_edges}
    assert library.explicit_edges
    for edge in library.explicit_edges:
        assert edge.kind in EDGE_KINDS
        assert (edge.parent, edge.child, edge.kind) in derived
        parent, child = by_id[edge.parent], by_id[edge.child]
        assert child.source_image == parent.file_name or (
            child.parent_job_id is not None and child.parent_job_id == parent.job_id
        )
        assert parent.created_at < child.created_at  # type: ignore[operator]


def assert_same_library(again: SimulatedLibrary, library: SimulatedLibrary) -> None:
    """``again`` (the same seed and size, made a second time) is ``library`` record for record: ids,
    times, prompts, ``extra``, the truth (sessions, phases, intents, both edge lists) and the vectors."""
    assert [r.id for r in again.records] == [r.id for r in library.records]
    assert [r.created_at for r in again.records] == [r.created_at for r in library.records]
    assert [r.prompt for r in again.records] == [r.prompt for r in library.records]
    assert [r.extra for r in again.records] == [r.extra for r in library.records]
    assert again.session_of == library.session_of
    assert again.phase_of == library.phase_of
    assert again.session_intent == library.session_intent
    for edges, again_edges in (
        (library.explicit_edges, again.explicit_edges),
        (library.derived_edges, again.derived_edges),
    ):
        assert [(e.parent, e.child, e.kind) for e in again_edges] == [
            (e.parent, e.child, e.kind) for e in edges
        ]
    assert again.visual.keys() == library.visual.keys()
    assert all((again.visual[k] == v).all() for k, v in library.visual.items())


def assert_other_seed_differs(other: SimulatedLibrary, library: SimulatedLibrary) -> None:
    """``other`` (another seed, made without vectors) is another library, and holds no vectors."""
    assert [r.id for r in other.records] != [r.id for r in library.records]
    assert not other.visual
