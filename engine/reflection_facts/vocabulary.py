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
from engine.reflection_facts.facts_json import facts_json
from engine.reflection_facts.weighted_terms import LORA_TERM_PREFIX

if TYPE_CHECKING:
    from engine.reflection_facts.session_facts import SessionFacts

NAMED_PARAMETERS = ("model", "sampler", "scheduler")
_NOT_TEXT_KEYS = frozenset({"asset_id", "started_at", "ended_at"})
_NUMBER_IN_TEXT = re.compile(r"\d+(?:\.\d+)?")


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
    return GroundingVocabulary(numbers=frozenset(numbers), names=frozenset(_names(facts)))


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
