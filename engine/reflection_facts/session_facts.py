"""The facts of one session that a reflection may draw on, built from plain data in one pass.

:func:`build_session_facts` is pure and deterministic: the same inputs give equal facts (and the same
JSON). It costs time linear in the number of assets, plus, per distinct prompt, a pass over its terms
(and its comparison with the prompt before it) and a parse of only the comma-separated segments no
earlier prompt had (:func:`~engine.reflection_facts.weighted_terms.prompt_terms`), plus ``k`` passes
over the embedding matrix. So a 5,000-asset evening with ~400 distinct prompts takes a few tens of
milliseconds, but a 5,000-image session whose ~2,600 distinct prompts are long (~800 characters,
50 terms) takes about a second: the distinct prompts' own text is what costs (``bench/curator_bench.py``).

Units: positions are 1-based indexes into the session's asset stream; phase ordinals are 0-based (the
JSON shows phases numbered from 1); minutes are rounded to 0.1; times are the aware datetimes given.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from engine.grounding import GroundingVocabulary
from engine.records import LoraRef
from engine.reflection_facts.facts_json import facts_json
from engine.reflection_facts.inputs import FactAsset, FactLineageEdge, FactPhase
from engine.reflection_facts.lineage_summary import LineageSummary, lineage_forest, summarise_lineage
from engine.reflection_facts.number_format import minutes_between, plain_number
from engine.reflection_facts.parameter_trajectories import (
    LoraTrajectory,
    ParameterTrajectory,
    ParameterValue,
    lora_trajectories,
    parameter_trajectory,
)
from engine.reflection_facts.prompt_evolution import PromptChange, PromptEvolution, prompt_evolution
from engine.reflection_facts.representatives import RepresentativeFact, choose_representatives
from engine.reflection_facts.seed_facts import SeedFacts, seed_facts
from engine.reflection_facts.vocabulary import grounding_vocabulary

DEFAULT_REPRESENTATIVE_COUNT = 8


@dataclass(frozen=True, slots=True)
class PhaseFacts:
    """One phase: ``ordinal`` 0-based; ``first_position``/``last_position`` of its assets in the
    stream (0 when none of the given assets is in it); ``distinct_prompts`` used in it and the
    ``opening_prompt`` number in use at its start (``None``: no prompt)."""

    ordinal: int
    intent: str
    label: str
    asset_count: int
    minutes: float
    first_position: int
    last_position: int
    distinct_prompts: int
    opening_prompt: int | None


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """Everything a reflection may say about one session (see the package docstring)."""

    label: str
    intent: str
    tool: str
    started_at: datetime | None
    ended_at: datetime | None
    duration_minutes: float
    asset_count: int
    distinct_prompt_count: int
    distinct_seed_count: int
    phases: tuple[PhaseFacts, ...]
    lineage: LineageSummary
    prompt_evolution: PromptEvolution
    negative_prompt_evolution: PromptEvolution
    parameters: tuple[ParameterTrajectory, ...]
    loras: tuple[LoraTrajectory, ...]
    seeds: SeedFacts
    representatives: tuple[RepresentativeFact, ...]

    @property
    def representative_ids(self) -> tuple[str, ...]:
        """Asset ids of the representative images, in stream order."""
        return tuple(representative.asset_id for representative in self.representatives)

    def parameter(self, name: str) -> ParameterTrajectory | None:
        """The trajectory named ``name`` (``cfg``, ``steps``, ``model``, …), if any asset had a value."""
        return next((trajectory for trajectory in self.parameters if trajectory.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """All facts as a compact JSON-ready dict with a stable key order."""
        return facts_json(self)

    def grounding_vocabulary(self) -> GroundingVocabulary:
        """Every number and name a reflection may cite (:mod:`engine.reflection_facts.vocabulary`)."""
        return grounding_vocabulary(self)


NUMERIC_PARAMETERS = (("cfg", "cfg_scale"), ("steps", "steps"), ("denoise", "denoise"))
NAMED_PARAMETERS = (("model", "model"), ("sampler", "sampler"), ("scheduler", "scheduler"))
"""(trajectory name, :class:`FactAsset` attribute) of each parameter followed over the session."""
PARAMETER_ORDER = ("model", "sampler", "scheduler", "cfg", "steps", "denoise", "size")


def build_session_facts(
    *,
    label: str,
    intent: str,
    tool: str,
    assets: Sequence[FactAsset],
    phases: Sequence[FactPhase],
    lineage: Sequence[FactLineageEdge],
    representative_count: int = DEFAULT_REPRESENTATIVE_COUNT,
) -> SessionFacts:
    """The facts of a session whose ``assets`` are given in stream (generation) order."""
    times = [asset.created_at for asset in assets]
    phase_ordinals = [asset.phase_ordinal for asset in assets]
    evolution = prompt_evolution([asset.prompt for asset in assets], times, phase_ordinals)
    negative_evolution = prompt_evolution([asset.negative_prompt for asset in assets], times, phase_ordinals)
    forest = lineage_forest(lineage, (asset.id for asset in assets))
    ordered_phases = sorted(phases, key=lambda phase: phase.ordinal)
    started_at, ended_at = _session_bounds(times, ordered_phases)
    seeds = seed_facts([asset.seed for asset in assets])
    return SessionFacts(
        label=label,
        intent=intent,
        tool=tool,
        started_at=started_at,
        ended_at=ended_at,
        duration_minutes=minutes_between(started_at, ended_at),
        asset_count=len(assets),
        distinct_prompt_count=len(evolution.versions),
        distinct_seed_count=seeds.distinct,
        phases=_phase_facts(ordered_phases, assets, evolution),
        lineage=summarise_lineage(forest),
        prompt_evolution=evolution,
        negative_prompt_evolution=negative_evolution,
        parameters=_parameter_trajectories(assets),
        loras=lora_trajectories([_lora_pairs(asset.loras) for asset in assets]),
        seeds=seeds,
        representatives=choose_representatives(
            assets, forest, {phase.ordinal: phase.asset_count for phase in phases}, representative_count
        ),
    )


def _lora_pairs(loras: tuple[LoraRef, ...]) -> list[tuple[str, float | None]]:
    return [(lora.name, lora.weight) for lora in loras] if loras else []


def _session_bounds(
    times: list[datetime | None], phases: list[FactPhase]
) -> tuple[datetime | None, datetime | None]:
    known = [time for time in times if time is not None]
    if known:
        return min(known), max(known)
    if phases:
        return min(phase.started_at for phase in phases), max(phase.ended_at for phase in phases)
    return None, None


def _phase_facts(
    phases: list[FactPhase], assets: Sequence[FactAsset], evolution: PromptEvolution
) -> tuple[PhaseFacts, ...]:
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for index, asset in enumerate(assets):
        first.setdefault(asset.phase_ordinal, index + 1)
        last[asset.phase_ordinal] = index + 1
    phase_starts = sorted(first.values())
    prompts: dict[int, set[int]] = {}
    opening: dict[int, int] = {}
    for change in evolution.changes:  # the phases a run of one prompt overlaps
        for ordinal in {assets[index].phase_ordinal for index in _run_edges(change, phase_starts)}:
            prompts.setdefault(ordinal, set()).add(change.prompt)
            opening.setdefault(ordinal, change.prompt)
    return tuple(
        PhaseFacts(
            ordinal=phase.ordinal,
            intent=phase.intent,
            label=phase.label,
            asset_count=phase.asset_count,
            minutes=minutes_between(phase.started_at, phase.ended_at),
            first_position=first.get(phase.ordinal, 0),
            last_position=last.get(phase.ordinal, 0),
            distinct_prompts=len(prompts.get(phase.ordinal, ())),
            opening_prompt=opening.get(phase.ordinal),
        )
        for phase in phases
    )


def _run_edges(change: PromptChange, phase_starts: list[int]) -> list[int]:
    """0-based indexes of a run's first asset and of each phase start inside the run (phases are
    contiguous stretches of the stream, so these are the phases the run overlaps)."""
    low = bisect.bisect_right(phase_starts, change.position)
    high = bisect.bisect_right(phase_starts, change.last_position)
    return [change.position - 1, *(position - 1 for position in phase_starts[low:high])]


def _parameter_trajectories(assets: Sequence[FactAsset]) -> tuple[ParameterTrajectory, ...]:
    found: dict[str, ParameterTrajectory | None] = {}
    for name, attribute in NUMERIC_PARAMETERS:
        positions, values = _numeric_series(map(attrgetter(attribute), assets))
        found[name] = parameter_trajectory(name, positions, values, numeric=True)
    for name, attribute in NAMED_PARAMETERS:
        positions, values = _named_series(map(attrgetter(attribute), assets))
        found[name] = parameter_trajectory(name, positions, values, numeric=False)
    sizes = (f"{asset.width}x{asset.height}" if asset.width and asset.height else None for asset in assets)
    positions, values = _named_series(sizes)
    found["size"] = parameter_trajectory("size", positions, values, numeric=False)
    return tuple(trajectory for name in PARAMETER_ORDER if (trajectory := found.get(name)) is not None)


def _numeric_series(numbers: Iterable[float | None]) -> tuple[list[int], list[ParameterValue]]:
    """1-based positions and shown values of the finite numbers (each distinct number formatted once)."""
    raw = list(numbers)
    shown = {
        number: plain_number(number) for number in set(raw) if number is not None and math.isfinite(number)
    }
    positions = [position for position, number in enumerate(raw, start=1) if number in shown]
    return positions, [shown[number] for number in raw if number in shown]


def _named_series(names: Iterable[str | None]) -> tuple[list[int], list[ParameterValue]]:
    raw = list(names)
    positions = [position for position, name in enumerate(raw, start=1) if name]
    return positions, [name for name in raw if name]
