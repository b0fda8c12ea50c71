"""Session facts as JSON: in full (:meth:`SessionFacts.to_json`) or condensed to a level of detail.

The document (keys in this order; empty parts are left out):

- ``session``: label, intent, tool, ``started_at``/``ended_at`` (ISO 8601), ``minutes``, ``assets``,
  ``distinct_prompts``, ``distinct_seeds``, ``phases`` (count);
- ``phases``: ``phase`` (numbered from 1), intent, label, ``assets``, ``minutes``, ``at`` (first and
  last position), ``prompts`` (distinct prompts used), ``opening_prompt`` (number in use at its start);
- ``prompt_evolution`` / ``negative_prompt_evolution``: ``distinct``, ``returns``, ``by_phase``: per
  phase the ``changes`` count and its ``steps``: ``{"at", "prompt", "from", "added", "removed",
  "reweighted", "n", "minutes", "text"}`` for a new prompt (``same_terms`` when only order,
  repetition or punctuation changed) (``n``/``minutes``: this stretch; totals
  appear as ``total_uses``/``total_minutes`` when the prompt came back later) or ``{"at",
  "return_to", "n", "minutes"}``; terms are written in prompt syntax (``(fog:1.2)``, ``<lora:x:0.8>``);
- ``parameters``: per parameter (model, sampler, scheduler, cfg, steps, denoise, size) either
  ``{"value", "n"}`` (never changed) or ``{"n", "distinct", "range"|"values", "most_used", "changes",
  "segments"}``; a segment is a hold ``{"at", "n", "value"}`` or a sweep ``{"at", "n", "range",
  "first", "last", "values", "changes"}`` (numeric) / ``{"at", "n", "mix", "values", "changes"}``;
- ``loras``: name, ``uses``, ``at``, ``spans`` (when used in separate stretches), ``weight`` trajectory;
- ``seeds``, ``lineage``, ``representatives`` (``asset_id``, ``at``, ``phase``, ``reasons``).

Positions (``at``) are 1-based in generation order; ``n`` counts assets. A :class:`FactsDetail`
shortens lists by keeping the most telling items (first, last, then the largest or longest-kept) and
puts an explicit string such as ``"… 37 more prompt changes (at 120–480)"`` where items were left out,
so the result is always complete, valid JSON: nothing is cut in the middle of a structure. Long
strings are cut at a word boundary and end in ``…``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from engine.reflection_facts.lineage_summary import LineageSummary
from engine.reflection_facts.number_format import plain_number
from engine.reflection_facts.parameter_trajectories import (
    LoraTrajectory,
    ParameterTrajectory,
    ParameterValue,
    TrajectorySegment,
)
from engine.reflection_facts.prompt_evolution import (
    NEW,
    PromptChange,
    PromptEvolution,
    PromptVersion,
    edit_count,
)
from engine.reflection_facts.seed_facts import SeedFacts
from engine.reflection_facts.weighted_terms import PromptTerm
from engine.short_text import ELLIPSIS, cut_text

if TYPE_CHECKING:
    from engine.reflection_facts.session_facts import PhaseFacts, SessionFacts

PromptTexts = Literal["all", "phase_openers", "first"]
Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class FactsDetail:
    """How much to show; ``None`` means everything.

    ``prompt_texts``: which new prompts keep their text (all, the first new prompt of each phase, or
    only the session's first); ``max_text_terms``: texts shown as their first N terms;
    ``max_steps_per_phase``: prompt steps kept per phase (first, last, then longest kept);
    ``max_diff_terms``: added/removed/re-weighted terms per step; ``max_segments``: segments per
    trajectory (first, last, then sweeps, then largest); ``max_listed_values``: values listed per trajectory;
    ``max_loras``: LoRAs (most used); ``max_phases``: phases (first, last, then largest);
    ``max_chars``: longest string shown for a term, text, label or name."""

    prompt_texts: PromptTexts = "all"
    max_text_terms: int | None = None
    max_steps_per_phase: int | None = None
    max_diff_terms: int | None = None
    max_segments: int | None = None
    max_listed_values: int | None = None
    max_loras: int | None = None
    max_phases: int | None = None
    max_chars: int | None = None


FULL_DETAIL = FactsDetail()


def facts_json(facts: SessionFacts, detail: FactsDetail = FULL_DETAIL) -> dict[str, Any]:
    """``facts`` as a JSON-ready dict at ``detail`` (:data:`FULL_DETAIL`: everything)."""
    kept_phases = _kept(facts.phases, detail.max_phases, lambda phase: phase.asset_count)
    shown_ordinals = {facts.phases[index].ordinal for index in kept_phases}
    document: dict[str, Any] = {
        "session": _session_json(facts, detail),
        "phases": _with_gaps(
            facts.phases,
            kept_phases,
            lambda phase: _phase_json(phase, detail),
            lambda dropped: _omitted(
                len(dropped), "phase", "phases", dropped[0].ordinal + 1, dropped[-1].ordinal + 1, "phase"
            ),
        ),
    }
    evolutions = (
        ("prompt_evolution", facts.prompt_evolution),
        ("negative_prompt_evolution", facts.negative_prompt_evolution),
    )
    for key, evolution in evolutions:
        if evolution.versions:
            document[key] = _evolution_json(
                evolution, shown_ordinals, detail, all_phases=detail.max_phases is None
            )
    if facts.parameters:
        document["parameters"] = {
            trajectory.name: _trajectory_json(trajectory, detail) for trajectory in facts.parameters
        }
    if facts.loras:
        kept_loras = _kept(facts.loras, detail.max_loras, lambda lora: lora.uses, keep_ends=False)
        document["loras"] = _with_gaps(
            facts.loras,
            kept_loras,
            lambda lora: _lora_json(lora, detail),
            lambda dropped: _omitted(len(dropped), "LoRA", "LoRAs"),
        )
    if facts.seeds.assets_with_seed:
        document["seeds"] = _seeds_json(facts.seeds)
    document["lineage"] = _lineage_json(facts.lineage)
    if facts.representatives:
        document["representatives"] = [
            {
                "asset_id": representative.asset_id,
                "at": representative.position,
                "phase": representative.phase_ordinal + 1,
                "reasons": list(representative.reasons),
            }
            for representative in facts.representatives
        ]
    return document


def _session_json(facts: SessionFacts, detail: FactsDetail) -> dict[str, Any]:
    return {
        "label": cut_text(facts.label, detail.max_chars),
        "intent": facts.intent,
        "tool": facts.tool,
        "started_at": facts.started_at.isoformat() if facts.started_at else None,
        "ended_at": facts.ended_at.isoformat() if facts.ended_at else None,
        "minutes": plain_number(facts.duration_minutes),
        "assets": facts.asset_count,
        "distinct_prompts": facts.distinct_prompt_count,
        "distinct_seeds": facts.distinct_seed_count,
        "phases": len(facts.phases),
    }


def _phase_json(phase: PhaseFacts, detail: FactsDetail) -> dict[str, Any]:
    item: dict[str, Any] = {
        "phase": phase.ordinal + 1,
        "intent": phase.intent,
        "label": cut_text(phase.label, detail.max_chars),
        "assets": phase.asset_count,
        "minutes": plain_number(phase.minutes),
    }
    if phase.first_position:
        item["at"] = [phase.first_position, phase.last_position]
    item["prompts"] = phase.distinct_prompts
    if phase.opening_prompt is not None:
        item["opening_prompt"] = phase.opening_prompt
    return item


def _evolution_json(
    evolution: PromptEvolution, shown_ordinals: set[int], detail: FactsDetail, *, all_phases: bool
) -> dict[str, Any]:
    groups: dict[int, list[PromptChange]] = {}
    for change in evolution.changes:
        groups.setdefault(change.phase_ordinal, []).append(change)
    by_phase: list[Any] = []
    hidden_changes = hidden_phases = 0
    first_prompt_shown = False
    for ordinal in sorted(groups):
        changes = groups[ordinal]
        if not all_phases and ordinal not in shown_ordinals:
            hidden_changes += edit_count(changes)
            hidden_phases += 1
            continue
        if hidden_phases:
            by_phase.append(_hidden_phases_note(hidden_changes, hidden_phases))
            hidden_changes = hidden_phases = 0
        steps, first_prompt_shown = _steps_json(evolution.versions, changes, detail, first_prompt_shown)
        by_phase.append({"phase": ordinal + 1, "changes": edit_count(changes), "steps": steps})
    if hidden_phases:
        by_phase.append(_hidden_phases_note(hidden_changes, hidden_phases))
    document: dict[str, Any] = {"distinct": len(evolution.versions), "returns": evolution.return_count}
    if evolution.assets_without_prompt:
        document["without_prompt"] = evolution.assets_without_prompt
    document["by_phase"] = by_phase
    return document


def _hidden_phases_note(changes: int, phases: int) -> str:
    where = "1 more phase" if phases == 1 else f"{phases} more phases"
    return _omitted(changes, "prompt change", "prompt changes") + f" in {where}"


def _steps_json(
    versions: tuple[PromptVersion, ...],
    changes: list[PromptChange],
    detail: FactsDetail,
    first_prompt_shown: bool,
) -> tuple[list[Any], bool]:
    kept = _kept(changes, detail.max_steps_per_phase, lambda change: (change.minutes, change.uses))
    text_given = False
    steps: list[Any] = []
    position = 0
    for index in kept:
        change = changes[index]
        if index > position:
            steps.append(_hidden_steps_note(changes[position:index]))
        position = index + 1
        wants_text = change.kind == NEW and (
            detail.prompt_texts == "all"
            or not first_prompt_shown
            or (detail.prompt_texts == "phase_openers" and not text_given)
        )
        steps.append(_step_json(change, versions[change.prompt - 1], detail, with_text=wants_text))
        if change.kind == NEW:
            first_prompt_shown = True
            text_given = text_given or wants_text
    if position < len(changes):
        steps.append(_hidden_steps_note(changes[position:]))
    return steps, first_prompt_shown


def _hidden_steps_note(dropped: Sequence[PromptChange]) -> str:
    return _omitted(
        len(dropped), "prompt change", "prompt changes", dropped[0].position, dropped[-1].position
    )


def _step_json(
    change: PromptChange, version: PromptVersion, detail: FactsDetail, *, with_text: bool
) -> dict[str, Any]:
    if change.kind != NEW:
        return {
            "at": change.position,
            "return_to": change.prompt,
            "n": change.uses,
            "minutes": plain_number(change.minutes),
        }
    step: dict[str, Any] = {"at": change.position, "prompt": change.prompt}
    if change.from_prompt is not None:
        step["from"] = change.from_prompt
    if change.diff is not None:
        for key, terms in (
            ("added", [term.display() for term in change.diff.added]),
            ("removed", [term.display() for term in change.diff.removed]),
            ("reweighted", [moved.display() for moved in change.diff.reweighted]),
        ):
            if terms:
                step[key] = _capped_terms(terms, detail)
        if change.diff.is_empty:
            step["same_terms"] = True  # reordered, repeated or re-punctuated terms only
    step["n"] = change.uses
    step["minutes"] = plain_number(change.minutes)
    if version.runs > 1:
        step["total_uses"] = version.uses
        step["total_minutes"] = plain_number(version.minutes)
    if with_text:
        step["text"] = _prompt_text(version, detail)
    return step


def _capped_terms(terms: list[str], detail: FactsDetail) -> list[str]:
    shown = [cut_text(term, detail.max_chars) for term in terms[: detail.max_diff_terms]]
    if detail.max_diff_terms is not None and len(terms) > detail.max_diff_terms:
        shown.append(f"{ELLIPSIS} +{len(terms) - detail.max_diff_terms} more")
    return shown


def _prompt_text(version: PromptVersion, detail: FactsDetail) -> str:
    if detail.max_text_terms is None:
        longest = None if detail.max_chars is None else 4 * detail.max_chars
        return cut_text(" ".join(version.text.split()), longest)
    terms: tuple[PromptTerm, ...] = version.terms
    shown = ", ".join(cut_text(term.display(), detail.max_chars) for term in terms[: detail.max_text_terms])
    if len(terms) > detail.max_text_terms:
        shown += f" {ELLIPSIS} (+{len(terms) - detail.max_text_terms} more terms)"
    return shown


def _trajectory_json(trajectory: ParameterTrajectory, detail: FactsDetail) -> dict[str, Any]:
    if trajectory.distinct == 1:
        return {"value": _value(trajectory.most_used[0], detail), "n": trajectory.count}
    item: dict[str, Any] = {"n": trajectory.count, "distinct": trajectory.distinct}
    limit = detail.max_listed_values
    if trajectory.numeric:
        item["range"] = [_number(trajectory.low), _number(trajectory.high)]
        if trajectory.values and (limit is None or len(trajectory.values) <= limit):
            item["values"] = [[value, uses] for value, uses in trajectory.values]
    else:
        item["values"] = {_value(value, detail): uses for value, uses in trajectory.values[:limit]}
        if limit is not None and len(trajectory.values) > limit:
            item["more_values"] = len(trajectory.values) - limit
    value, uses = trajectory.most_used
    item["most_used"] = [_value(value, detail), uses]
    item["changes"] = trajectory.changes
    kept = _kept(trajectory.segments, detail.max_segments, _segment_interest)
    item["segments"] = _with_gaps(
        trajectory.segments,
        kept,
        lambda segment: _segment_json(segment, trajectory.numeric, detail),
        lambda dropped: _omitted(
            len(dropped), "segment", "segments", dropped[0].first_position, dropped[-1].last_position
        ),
    )
    return item


def _segment_interest(segment: TrajectorySegment) -> tuple[int, int]:
    """Sweeps before holds (they are where the parameter was explored), then larger first."""
    return (0 if segment.is_hold else 1, segment.count)


def _segment_json(segment: TrajectorySegment, numeric: bool, detail: FactsDetail) -> dict[str, Any]:
    item: dict[str, Any] = {"at": [segment.first_position, segment.last_position], "n": segment.count}
    if segment.is_hold:
        item["value"] = _value(segment.first_value, detail)
        return item
    if numeric:
        item["range"] = [_number(segment.low), _number(segment.high)]
        item["first"] = segment.first_value
        item["last"] = segment.last_value
    else:
        item["mix"] = {_value(value, detail): uses for value, uses in segment.mix}
    item["values"] = segment.distinct
    item["changes"] = segment.changes
    return item


def _lora_json(lora: LoraTrajectory, detail: FactsDetail) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": cut_text(lora.name, detail.max_chars),
        "uses": lora.uses,
        "at": [lora.first_position, lora.last_position],
    }
    if lora.spans > 1:
        item["spans"] = lora.spans
    if lora.weights is not None:
        item["weight"] = _trajectory_json(lora.weights, detail)
    return item


def _seeds_json(seeds: SeedFacts) -> dict[str, Any]:
    item: dict[str, Any] = {
        "with_seed": seeds.assets_with_seed,
        "distinct": seeds.distinct,
        "pattern": seeds.pattern,
    }
    if seeds.most_reused:
        item["most_reused"] = [[seed, uses] for seed, uses in seeds.most_reused]
    run = seeds.longest_fixed_run
    if run is not None:
        item["longest_fixed_run"] = {
            "seed": run.seed,
            "at": [run.first_position, run.last_position],
            "n": run.count,
        }
    return item


def _lineage_json(lineage: LineageSummary) -> dict[str, Any]:
    if not lineage.edges:
        return {"edges": 0}
    return {
        "edges": lineage.edges,
        "by_kind": dict(lineage.by_kind),
        "assets": lineage.assets,
        "roots": lineage.roots,
        "deepest_chain": lineage.deepest_chain,
        "final_descendants": lineage.final_descendants,
        "largest_family": lineage.largest_family,
    }


def _value(value: ParameterValue, detail: FactsDetail) -> ParameterValue:
    return cut_text(value, detail.max_chars) if isinstance(value, str) else value


def _number(value: float | None) -> int | float | None:
    return None if value is None else plain_number(value)


def _omitted(
    count: int, one: str, many: str, first: int | None = None, last: int | None = None, where: str = "at"
) -> str:
    """The note that stands for left-out items: ``… 37 more prompt changes (at 120–480)``."""
    note = f"{ELLIPSIS} {count} more {one if count == 1 else many}"
    if first is None or last is None:
        return note
    span = str(first) if first == last else f"{first}–{last}"
    return f"{note} ({where}{'s' if where == 'phase' and first != last else ''} {span})"


def _kept(
    items: Sequence[Item], limit: int | None, size: Callable[[Item], Any], *, keep_ends: bool = True
) -> list[int]:
    """Indexes (ascending) of at most ``limit`` of ``items``: the first and last (``keep_ends``), then
    the largest by ``size`` (ties: earlier first)."""
    if limit is None or len(items) <= limit:
        return list(range(len(items)))
    chosen: set[int] = set()
    if keep_ends and limit >= 2:
        chosen.update((0, len(items) - 1))
    ranked = sorted(range(len(items)), key=lambda index: _descending(size(items[index]), index))
    for index in ranked:
        if len(chosen) >= limit:
            break
        chosen.add(index)
    return sorted(chosen)


def _descending(size: Any, index: int) -> tuple[Any, int]:
    if isinstance(size, tuple):
        return tuple(-part for part in size), index
    return -size, index


def _with_gaps(
    items: Sequence[Item],
    kept: list[int],
    render: Callable[[Item], Any],
    note: Callable[[Sequence[Item]], str],
) -> list[Any]:
    """The items at ``kept`` (ascending indexes) rendered in order, with one ``note`` string in place
    of each run of dropped items."""
    rendered: list[Any] = []
    previous = -1
    for index in kept:
        if index > previous + 1:
            rendered.append(note(items[previous + 1 : index]))
        rendered.append(render(items[index]))
        previous = index
    if previous + 1 < len(items):
        rendered.append(note(items[previous + 1 :]))
    return rendered
