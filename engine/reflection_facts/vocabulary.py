"""The grounding vocabulary of a session's facts: what a reflection may cite.

Numbers are read from the full facts JSON (:func:`~engine.reflection_facts.facts_json.facts_json`),
so the vocabulary holds exactly what the facts say, never a value only the raw assets had:

- every number in it (counts, positions, CFG/steps/denoise values and range ends, seeds, LoRA weights,
  minutes …), and every number written inside its text (prompt texts and terms, labels, names,
  ``832x1216`` sizes, reasons); asset ids and timestamps are not read as text;
- derived forms a writer naturally uses: the absolute value of a negative number; values with more
  than two decimals rounded to 2 and 1 decimals; every ``minutes`` value rounded down, up and to the
  nearest minute, and as hours (rounded down, up, to the nearest hour, to 0.1 and to the half hour);
  the phase count per intent; the year, month, day, hour (24- and 12-hour clock) and minute of the
  session's start and end.

Parameters (:attr:`~engine.grounding.GroundingVocabulary.parameters`): for each generation parameter,
every value the facts hold for it — so a true statement about it is never refused, and a number
that only happens to occur elsewhere in the facts does not ground it:

- ``cfg``, ``steps``, ``denoise``: the trajectory's range ends, listed values, most used value and
  every segment's value, first, last and range ends;
- ``size``: the widths and heights of every size of the ``size`` trajectory (values, most used,
  segments and their mixes);
- ``seed``: the most reused seeds and the seed of the longest fixed run (a session of only random
  seeds holds no seed value: the parameter is then unknown);
- ``lora_weight``: every LoRA's weight trajectory (as above) and the weights of ``<lora:…>`` terms
  of the prompts and negative prompts; ``prompt_weight``: the weights of every other prompt term
  (and both sides of every re-weighting);
- each with the same derived forms as the numbers (absolute value, rounded to 2 and 1 decimals).

Names: model, sampler and scheduler values and LoRA names (from the LoRA trajectories and from
``<lora:…>`` terms of the prompts), exactly as the facts hold them; also the session's tool and the
lineage kinds present (``a1111``, ``img2img``, ``upscale`` …): a writer naming them cites the facts,
and ``a1111`` or ``img2img`` look like identifiers to a name check.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.grounding import GroundingVocabulary
from engine.grounding_parameters import CFG, DENOISE, LORA_WEIGHT, PROMPT_WEIGHT, SEED, SIZE, STEPS
from engine.reflection_facts.facts_json import facts_json
from engine.reflection_facts.parameter_trajectories import ParameterTrajectory, ParameterValue
from engine.reflection_facts.weighted_terms import LORA_TERM_PREFIX

if TYPE_CHECKING:
    from engine.reflection_facts.session_facts import SessionFacts

NAMED_PARAMETERS = ("model", "sampler", "scheduler")
NUMERIC_TRAJECTORIES = {"cfg": CFG, "steps": STEPS, "denoise": DENOISE}
"""Trajectory name → grounding parameter, for the numeric trajectories of the facts."""
SIZE_TRAJECTORY = "size"
_NOT_TEXT_KEYS = frozenset({"asset_id", "started_at", "ended_at"})
_NUMBER_IN_TEXT = re.compile(r"\d+(?:\.\d+)?")
_SIZE_VALUE = re.compile(r"(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def grounding_vocabulary(facts: SessionFacts) -> GroundingVocabulary:
    """Every number and name ``facts`` allow a reflection to cite (see the module docstring)."""
    numbers: set[float] = set()
    for key, value in _leaves(facts_json(facts)):
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            _add_number(numbers, float(value))
            if key in ("minutes", "total_minutes"):
                _add_minutes(numbers, float(value))
        elif isinstance(value, str) and key not in _NOT_TEXT_KEYS:
            for match in _NUMBER_IN_TEXT.findall(value):
                _add_number(numbers, float(match))
    for count in Counter(phase.intent for phase in facts.phases).values():
        numbers.add(float(count))
    for moment in (facts.started_at, facts.ended_at):
        if moment is not None:
            _add_moment(numbers, moment)
    parameters = _parameter_values(facts)
    return GroundingVocabulary(
        numbers=frozenset(numbers),
        names=frozenset(_names(facts)),
        parameters={name: frozenset(values) for name, values in parameters.items() if values},
    )


def _parameter_values(facts: SessionFacts) -> dict[str, set[float]]:
    """Every value the facts hold per grounding parameter (see the module docstring)."""
    values: dict[str, set[float]] = {name: set() for name in (CFG, STEPS, DENOISE, SEED, SIZE)}
    values[LORA_WEIGHT] = set()
    values[PROMPT_WEIGHT] = set()
    for trajectory in facts.parameters:
        if trajectory.name in NUMERIC_TRAJECTORIES:
            target = values[NUMERIC_TRAJECTORIES[trajectory.name]]
            for value in _trajectory_values(trajectory):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    _add_number(target, float(value))
        elif trajectory.name == SIZE_TRAJECTORY:
            for value in _trajectory_values(trajectory):
                for match in _SIZE_VALUE.finditer(str(value)):
                    _add_number(values[SIZE], float(match.group(1)))
                    _add_number(values[SIZE], float(match.group(2)))
    for lora in facts.loras:
        if lora.weights is not None:
            for value in _trajectory_values(lora.weights):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    _add_number(values[LORA_WEIGHT], float(value))
    for evolution in (facts.prompt_evolution, facts.negative_prompt_evolution):
        for version in evolution.versions:
            for term in version.terms:
                _add_number(values[LORA_WEIGHT if term.is_lora else PROMPT_WEIGHT], term.weight)
        for change in evolution.changes:
            for moved in change.diff.reweighted if change.diff is not None else ():
                target = values[LORA_WEIGHT if moved.text.startswith(LORA_TERM_PREFIX) else PROMPT_WEIGHT]
                _add_number(target, moved.before)
                _add_number(target, moved.after)
    seeds = facts.seeds
    for seed, _ in seeds.most_reused:
        _add_number(values[SEED], float(seed))
    if seeds.longest_fixed_run is not None:
        _add_number(values[SEED], float(seeds.longest_fixed_run.seed))
    return values


def _trajectory_values(trajectory: ParameterTrajectory) -> Iterator[ParameterValue]:
    """Every value a trajectory states: range ends, listed and most used values, and per segment its
    value, first, last, range ends and mix."""
    for bound in (trajectory.low, trajectory.high):
        if bound is not None:
            yield bound
    yield trajectory.most_used[0]
    for value, _ in trajectory.values:
        yield value
    for segment in trajectory.segments:
        yield segment.first_value
        yield segment.last_value
        for bound in (segment.low, segment.high):
            if bound is not None:
                yield bound
        for value, _ in segment.mix:
            yield value


def _leaves(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """(key, value) for every scalar in a JSON tree; a dict's keys are also yielded as text."""
    if isinstance(node, dict):
        for child_key, child in node.items():
            yield "", str(child_key)  # mix/values dicts are keyed by names and sizes ("832x1216")
            yield from _leaves(child, str(child_key))
    elif isinstance(node, list):
        for child in node:
            yield from _leaves(child, key)
    else:
        yield key, node


def _add_number(numbers: set[float], value: float) -> None:
    if not math.isfinite(value):
        return
    numbers.add(value)
    numbers.add(abs(value))
    if round(value, 2) != value:
        numbers.add(abs(round(value, 2)))
        numbers.add(abs(round(value, 1)))


def _add_minutes(numbers: set[float], minutes: float) -> None:
    hours = minutes / 60.0
    numbers.update(
        float(value)
        for value in (
            math.floor(minutes),
            math.ceil(minutes),
            round(minutes),
            math.floor(hours),
            math.ceil(hours),
            round(hours),
            round(hours, 1),
            round(hours * 2) / 2,
        )
    )


def _add_moment(numbers: set[float], moment: datetime) -> None:
    numbers.update(
        float(value)
        for value in (
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.hour % 12 or 12,
            moment.minute,
        )
    )


def _names(facts: SessionFacts) -> set[str]:
    names: set[str] = set()
    for trajectory in facts.parameters:
        if trajectory.name in NAMED_PARAMETERS:
            names.update(str(value) for value, _ in trajectory.values)
    names.update(lora.name for lora in facts.loras)
    names.update(kind for kind, _ in facts.lineage.by_kind)  # "img2img" reads as an identifier
    if facts.tool:
        names.add(facts.tool)  # "a1111" too
    for evolution in (facts.prompt_evolution, facts.negative_prompt_evolution):
        for version in evolution.versions:
            names.update(term.text[len(LORA_TERM_PREFIX) :] for term in version.terms if term.is_lora)
    return names
