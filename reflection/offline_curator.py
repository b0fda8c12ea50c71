"""The built-in offline curator: a reflection written from the session facts by templates, no model.

Used when no LLM is configured (model name :data:`billing.pricing.OFFLINE_MODEL`). It reads the same
:class:`~engine.reflection_facts.SessionFacts` the Museum Curator gets and writes specific, kind prose
in the Curator's voice: what was made and for how long, the phases, the prompt core and how it moved,
the parameters that held or were swept, seeds, LoRAs and lineage. It does not look at the images.

Invariants: pure and deterministic; every number it writes is written from a value of the facts
(through :func:`~engine.reflection_facts.number_format.plain_number`, so exactly as the facts JSON
shows it) or one of the derived forms :meth:`SessionFacts.grounding_vocabulary` allows (rounded
minutes and hours, the date's day and year); every model, LoRA, sampler and scheduler name comes from
the facts; prompt terms are quoted only when they are plain words (no digits or identifiers). So its
output passes grounding as written. Lengths respect :mod:`reflection.curator_output`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from engine.records import UNKNOWN_TOOL
from engine.reflection_facts import (
    ParameterTrajectory,
    PhaseFacts,
    PromptChange,
    PromptVersion,
    SessionFacts,
    TrajectorySegment,
    cut_text,
)
from engine.reflection_facts.number_format import plain_number
from engine.reflection_facts.prompt_evolution import edit_count
from reflection.curator_output import (
    ITEM_MAX_CHARS,
    ITEMS_MAX,
    SUMMARY_MAX_CHARS,
    TITLE_MAX_CHARS,
    CuratorReflection,
)

CORE_TERM_SHARE = 0.6
"""A term belongs to the prompt's core when at least this share of the distinct prompts holds it."""
MAX_QUOTED_TERMS = 3
MAX_PHASE_NOTES = 4
MINUTES_SHOWN_AS_HOURS = 90

_QUOTABLE_TERM = re.compile(r"[^\W\d_]+(?:[ '\-][^\W\d_]+)*")
_PARAMETER_LABELS = {"cfg": "CFG", "steps": "Steps", "denoise": "Denoise"}
_KIND_WORDS = {
    "upscale": ("upscale", "upscales"),
    "img2img": ("image-to-image rework", "image-to-image reworks"),
    "inpaint": ("inpainting pass", "inpainting passes"),
    "variation": ("variation", "variations"),
    "remix": ("remix", "remixes"),
    "reroll": ("reroll", "rerolls"),
    "prompt_edit": ("prompt edit", "prompt edits"),
    "param_sweep": ("parameter sweep", "parameter sweeps"),
}
"""Lineage kinds (:class:`engine.analysis.LineageKind` values) in prose: (one, many)."""
_INTENT_WORDS = {"convergent_selection": "convergent selection"}
IMAGE_DERIVED_KINDS = frozenset({"upscale", "img2img", "inpaint", "variation", "remix"})
"""Lineage kinds where an image was made *from* another image; the others (a reroll, a prompt edit, a
parameter sweep) took up an earlier image's settings, not its pixels."""
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def write_offline_reflection(facts: SessionFacts) -> CuratorReflection:
    """The offline curator's reflection on ``facts``."""
    return CuratorReflection(
        title=session_title(facts),
        summary=_bounded(" ".join(_summary_sentences(facts)), SUMMARY_MAX_CHARS),
        style_patterns=_items(_style_patterns(facts)),
        evolution_notes=_items(_evolution_notes(facts)),
    )


# --- title and summary -------------------------------------------------------------------------------


def session_title(facts: SessionFacts) -> str:
    """The session's label as a deliverable title (whitespace folded, cut to ``TITLE_MAX_CHARS``: a
    label may hold up to 200 characters), or "A session of N images …" when it is blank. Also the
    LLM curator's fallback title (:mod:`reflection.backends`)."""
    label = " ".join(facts.label.split())
    if label:
        return cut_text(label, TITLE_MAX_CHARS)
    return cut_text(f"A session of {_images(facts.asset_count)}{_in_tool(facts)}", TITLE_MAX_CHARS)


def _summary_sentences(facts: SessionFacts) -> list[str]:
    sentences = [_opening_sentence(facts)]
    if facts.phases:
        sentences.append(_phases_sentence(facts.phases))
    evolution = facts.prompt_evolution
    if evolution.versions:
        returns = evolution.return_count
        again = f" (coming back to an earlier one {_times(returns)})" if returns else ""
        distinct_seeds = facts.distinct_seed_count
        seeds = ""
        if distinct_seeds:
            seeds = " and kept to 1 seed" if distinct_seeds == 1 else f" and tried {_n(distinct_seeds)} seeds"
        prompts = (
            "1 prompt" if len(evolution.versions) == 1 else f"{_n(len(evolution.versions))} distinct prompts"
        )
        sentences.append(f"You wrote {prompts}{again}{seeds}.")
    lineage = facts.lineage
    derived = [(kind, count) for kind, count in lineage.by_kind if kind in IMAGE_DERIVED_KINDS]
    followed = [(kind, count) for kind, count in lineage.by_kind if kind not in IMAGE_DERIVED_KINDS]
    if derived:
        total = sum(count for _, count in derived)
        kinds = _joined([f"{_n(count)} {_kind_word(kind, count)}" for kind, count in derived])
        grew = "image grew" if total == 1 else "images grew"
        sentences.append(f"{_n(total)} {grew} directly from earlier ones: {kinds}.")
    if followed:
        total = sum(count for _, count in followed)
        kinds = _joined([f"{_n(count)} {_kind_word(kind, count)}" for kind, count in followed])
        took = "image took up" if total == 1 else "images took up"
        sentences.append(f"{_n(total)} {took} an earlier one's settings again: {kinds}.")
    return sentences


def _opening_sentence(facts: SessionFacts) -> str:
    when = ""
    if facts.started_at is not None:
        start = facts.started_at
        when = f" on {_date(start)}"
        end = facts.ended_at
        if end is not None and end.date() != start.date():
            when = f" from {_date(start)} to {_date(end)}"
    duration = _duration(facts.duration_minutes)
    over = f"Over {duration}{when}, you" if duration else f"In one sitting{when}, you"
    model = facts.parameter("model")
    with_model = ""
    if model is not None:
        name, uses = str(model.most_used[0]), model.most_used[1]
        if model.distinct == 1 and uses == facts.asset_count:
            with_model = f", all with {name}"
        else:
            with_model = f", {_n(uses)} of them with {name}"
    return f"{over} made {_images(facts.asset_count)}{_in_tool(facts)}{with_model}."


def _date(moment: datetime) -> str:
    """``3 March 2026``: the day in the artist's own time zone (the facts' times carry it)."""
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def _phases_sentence(phases: Sequence[PhaseFacts]) -> str:
    if len(phases) == 1:
        return f"It was a single phase of {_intent(phases[0].intent)}."
    if len(phases) <= MAX_PHASE_NOTES:
        steps = ", then ".join(_intent(phase.intent) for phase in phases)
        return f"It moved through {_n(len(phases))} phases: {steps}."
    counts = Counter(phase.intent for phase in phases)
    parts = [f"{_n(count)} of {_intent(intent)}" for intent, count in counts.most_common()]
    return f"It moved through {_n(len(phases))} phases: {_joined(parts)}."


# --- style patterns ----------------------------------------------------------------------------------


def _style_patterns(facts: SessionFacts) -> list[str]:
    patterns: list[str] = []
    versions = facts.prompt_evolution.versions
    core = _core_terms(facts)
    if core:
        patterns.append(f"Through all of it the prompts kept returning to {_quoted_list(core)}.")
    if versions:
        opening = [text for text in _quotable(term.text for term in versions[0].terms) if text not in core]
        if opening:
            patterns.append(f"You opened with {_quoted_list(opening[:MAX_QUOTED_TERMS])}.")
    patterns.extend(_toolchain_patterns(facts))
    if facts.loras:
        patterns.append(_lora_pattern(facts))
    seeds = _seed_pattern(facts)
    if seeds:
        patterns.append(seeds)
    return patterns


def _toolchain_patterns(facts: SessionFacts) -> list[str]:
    found: list[str] = []
    for name, label in (("model", "model"), ("sampler", "sampler"), ("scheduler", "scheduler")):
        trajectory = facts.parameter(name)
        if trajectory is None:
            continue
        value, uses = trajectory.most_used
        if trajectory.distinct == 1 and uses == facts.asset_count:
            found.append(f"The {label} stayed {value} throughout ({_images(uses)}).")
        elif trajectory.distinct == 1:
            found.append(f"The {label} was {value} wherever one was recorded ({_images(uses)}).")
        else:
            shown = trajectory.values[1:MAX_QUOTED_TERMS]
            others = _joined([str(other) for other, _ in shown])
            more = trajectory.distinct - 1 - len(shown)
            if more > 0:
                others += f" and {more} more"
            most = "mostly" if 2 * uses > facts.asset_count else "most often"
            found.append(f"The {label} was {most} {value} ({_images(uses)}), alongside {others}.")
    size = facts.parameter("size")
    if size is not None:
        value, uses = size.most_used
        if 2 * uses > facts.asset_count:
            found.append(f"Most images were {value} ({_n(uses)} of them).")
        else:
            found.append(f"The most used size was {value} ({_images(uses)} of {_n(facts.asset_count)}).")
    return found


def _lora_pattern(facts: SessionFacts) -> str:
    described: list[str] = []
    for lora in facts.loras[:MAX_QUOTED_TERMS]:
        weights = lora.weights
        if weights is None:
            described.append(f"{lora.name} on {_images(lora.uses)}")
        elif weights.distinct == 1:
            described.append(f"{lora.name} at weight {_value(weights.most_used[0])} on {_images(lora.uses)}")
        else:
            described.append(
                f"{lora.name} on {_images(lora.uses)}, its weight between {_n(weights.low)} and "
                f"{_n(weights.high)}"
            )
    return f"LoRAs shaped the look: {_joined(described)}."


def _seed_pattern(facts: SessionFacts) -> str | None:
    seeds = facts.seeds
    run = seeds.longest_fixed_run
    held = (
        f" The longest stretch on one seed was {run.seed}, for {_images(run.count)} "
        f"(positions {run.first_position}–{run.last_position})."
        if run is not None
        else ""
    )
    if seeds.pattern == "fixed" and run is not None:
        if seeds.assets_with_seed < facts.asset_count:
            return (
                f"Every image that recorded a seed ({_n(seeds.assets_with_seed)} of {_n(facts.asset_count)}) "
                f"used seed {run.seed}."
            )
        return f"Every image used seed {run.seed}: the changes came from the prompt and settings."
    if seeds.pattern in ("random", "mixed", "incrementing"):
        how = {
            "random": "almost every image had a seed of its own",
            "mixed": "new seeds mostly, with some kept to compare",
            "incrementing": "seeds mostly stepped up by one, batch by batch",
        }[seeds.pattern]
        return f"Seeds: {how} ({_n(seeds.distinct)} seeds).{held}"
    if seeds.pattern == "mostly_fixed":
        return f"Seeds were mostly kept fixed, {_n(seeds.distinct)} in all, to compare like with like.{held}"
    return None


# --- evolution notes ---------------------------------------------------------------------------------


def _evolution_notes(facts: SessionFacts) -> list[str]:
    notes: list[str] = []
    changes_by_phase: dict[int, list[PromptChange]] = {}
    for change in facts.prompt_evolution.changes:
        changes_by_phase.setdefault(change.phase_ordinal, []).append(change)
    for phase in _telling_phases(facts.phases, changes_by_phase):
        notes.append(_phase_note(facts, phase, changes_by_phase.get(phase.ordinal, [])))
    negative = _negative_prompt_note(facts)
    if negative:
        notes.append(negative)
    for name in ("cfg", "steps", "denoise"):
        trajectory = facts.parameter(name)
        if trajectory is not None and trajectory.changes:
            notes.append(_numeric_note(trajectory))
    for name in ("model", "sampler"):
        trajectory = facts.parameter(name)
        if trajectory is not None and trajectory.changes:
            notes.append(_switch_note(name, trajectory))
    return notes


def _telling_phases(
    phases: Sequence[PhaseFacts], changes_by_phase: dict[int, list[PromptChange]]
) -> list[PhaseFacts]:
    """The first and last phase, then those with the most prompt changes; in session order."""
    if len(phases) <= MAX_PHASE_NOTES:
        return list(phases)
    chosen = {0, len(phases) - 1}
    ranked = sorted(
        range(len(phases)), key=lambda index: (-len(changes_by_phase.get(phases[index].ordinal, [])), index)
    )
    for index in ranked:
        if len(chosen) >= MAX_PHASE_NOTES:
            break
        chosen.add(index)
    return [phases[index] for index in sorted(chosen)]


def _phase_note(facts: SessionFacts, phase: PhaseFacts, changes: list[PromptChange]) -> str:
    duration = _duration(phase.minutes)
    head = (
        f"Phase {phase.ordinal + 1}, {_intent(phase.intent)} ({_images(phase.asset_count)}"
        f"{', ' + duration if duration else ''})"
    )
    edits = edit_count(changes)
    if edits == 0:
        opening = f" (prompt {phase.opening_prompt})" if phase.opening_prompt is not None else ""
        sweeps = _sweeps_within(facts, phase)
        moved = f" while {_joined(sweeps)}" if sweeps else " while other settings moved"
        return f"{head}: the prompt held steady{opening}{moved}."
    steps = "one prompt step" if edits == 1 else f"{edits} prompt steps"
    versions = facts.prompt_evolution.versions
    first = phase.opening_prompt or changes[0].prompt
    last = changes[-1].prompt
    if first == last:
        return f"{head}: {steps}, ending where it began, on prompt {first}."
    added, removed = _gained_and_dropped(versions[first - 1], versions[last - 1])
    parts = [f"{head}: {steps}"]
    if added:
        parts.append(f"by its end the prompt had gained {_quoted_list(added[:MAX_QUOTED_TERMS])}")
    if removed:
        parts.append(
            f"{'and ' if added else 'by its end the prompt had '}let go of "
            f"{_quoted_list(removed[:MAX_QUOTED_TERMS])}"
        )
    return ", ".join(parts) + "."


def _gained_and_dropped(first: PromptVersion, last: PromptVersion) -> tuple[list[str], list[str]]:
    """The quotable terms ``last`` has that ``first`` lacks, and those ``first`` has that ``last`` lost."""
    before = {term.text for term in first.terms}
    after = {term.text for term in last.terms}
    added = _quotable(term.text for term in last.terms if term.text not in before)
    removed = _quotable(term.text for term in first.terms if term.text not in after)
    return added, removed


def _negative_prompt_note(facts: SessionFacts) -> str | None:
    """How the negative prompt moved from its first version to its last, when it was edited."""
    evolution = facts.negative_prompt_evolution
    if evolution.edits == 0:
        return None
    last = evolution.versions[evolution.changes[-1].prompt - 1]
    added, removed = _gained_and_dropped(evolution.versions[0], last)
    parts = ["The negative prompt was edited along the way"]
    if added:
        parts.append(f"by the end it also kept out {_quoted_list(added[:MAX_QUOTED_TERMS])}")
    if removed:
        parts.append(
            f"{'and ' if added else 'by the end it '}no longer held "
            f"{_quoted_list(removed[:MAX_QUOTED_TERMS])}"
        )
    return ", ".join(parts) + "."


def _sweeps_within(facts: SessionFacts, phase: PhaseFacts) -> list[str]:
    """Numeric sweeps overlapping the phase, as "Steps swept 20–50"."""
    found: list[str] = []
    for name in ("cfg", "steps", "denoise"):
        trajectory = facts.parameter(name)
        if trajectory is None:
            continue
        for segment in trajectory.segments:
            overlaps = (
                segment.first_position <= phase.last_position
                and segment.last_position >= phase.first_position
            )
            if overlaps and not segment.is_hold:
                label = _PARAMETER_LABELS.get(name, name)
                found.append(f"{label} swept {_n(segment.low)}–{_n(segment.high)}")
                break
    return found


def _numeric_note(trajectory: ParameterTrajectory) -> str:
    label = _PARAMETER_LABELS.get(trajectory.name, trajectory.name)
    value, uses = trajectory.most_used
    sentence = (
        f"{label} ranged from {_n(trajectory.low)} to {_n(trajectory.high)}, changing "
        f"{_times(trajectory.changes)}; it was most often {_value(value)} ({_images(uses)})."
    )
    sweep = _widest_sweep(trajectory.segments)
    if sweep is not None:
        sentence += " " + _sweep_sentence(sweep)
    return sentence


def _sweep_sentence(sweep: TrajectorySegment) -> str:
    """The widest sweep in one sentence: "went back and forth between 4 and 8" when it changed at
    least twice as often as it has values (an A/B comparison, 4, 8, 4, 8 …); "went from 4 to 8" when
    it opened and closed at its ends, else its range with where it opened and closed ("moved between
    0.25 and 0.5 …, opening at 0.3 and closing at 0.35": said as one range "from 0.3 to 0.35", it read
    as a contradiction)."""
    where = f"across positions {sweep.first_position}–{sweep.last_position}"
    if sweep.changes >= 2 * sweep.distinct:  # back and forth (an A/B comparison), not a ramp
        return f"The widest sweep went back and forth between {_n(sweep.low)} and {_n(sweep.high)} {where}."
    ends = {float(sweep.first_value), float(sweep.last_value)} if _is_number(sweep.first_value) else set()
    if sweep.low is not None and sweep.high is not None and ends == {sweep.low, sweep.high}:
        return (
            f"The widest sweep went from {_value(sweep.first_value)} to {_value(sweep.last_value)} {where}."
        )
    return (
        f"The widest sweep moved between {_n(sweep.low)} and {_n(sweep.high)} {where}, opening at "
        f"{_value(sweep.first_value)} and closing at {_value(sweep.last_value)}."
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _switch_note(name: str, trajectory: ParameterTrajectory) -> str:
    holds = [segment for segment in trajectory.segments if segment.is_hold]
    if len(trajectory.segments) <= 3 and len(holds) == len(trajectory.segments):
        path = " to ".join(str(segment.first_value) for segment in holds)
        switches = _joined([str(segment.first_position) for segment in holds[1:]])
        where = f"position {switches}" if len(holds) == 2 else f"positions {switches}"
        return f"The {name} moved from {path}, switching at {where}."
    values = _joined([str(value) for value, _ in trajectory.values[:MAX_QUOTED_TERMS]])
    return f"The {name} changed {_times(trajectory.changes)}, between {values}."


def _widest_sweep(segments: Sequence[TrajectorySegment]) -> TrajectorySegment | None:
    sweeps = [segment for segment in segments if not segment.is_hold and segment.low is not None]
    if not sweeps:
        return None
    return max(sweeps, key=lambda segment: ((segment.high or 0.0) - (segment.low or 0.0), segment.count))


# --- shared wording ----------------------------------------------------------------------------------


def _core_terms(facts: SessionFacts) -> list[str]:
    versions = facts.prompt_evolution.versions
    if len(versions) < 2:
        return []
    counts = Counter(term.text for version in versions for term in version.terms)
    order = _ordered_unique(term.text for version in versions for term in version.terms)
    core = [text for text in order if counts[text] >= CORE_TERM_SHARE * len(versions)]
    core.sort(key=lambda text: -counts[text])
    return _quotable(core)[:MAX_QUOTED_TERMS]


def _quotable(terms: Iterable[str]) -> list[str]:
    return [term for term in terms if len(term) <= 60 and _QUOTABLE_TERM.fullmatch(term)]


def _ordered_unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _quoted_list(terms: Sequence[str]) -> str:
    return _joined([f"“{term}”" for term in terms])


def _joined(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _n(value: float | None) -> str:
    return "" if value is None else str(plain_number(value))


def _value(value: object) -> str:
    return _n(value) if isinstance(value, int | float) else str(value)


def _images(count: int) -> str:
    return "1 image" if count == 1 else f"{count} images"


def _in_tool(facts: SessionFacts) -> str:
    return "" if not facts.tool or facts.tool == UNKNOWN_TOOL else f" in {facts.tool}"


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _duration(minutes: float) -> str:
    """Minutes as a reader says them: ``40 minutes`` or ``about 2.5 hours`` (empty for none)."""
    if minutes <= 0:
        return ""
    if minutes < MINUTES_SHOWN_AS_HOURS:
        whole = round(minutes)
        return "under a minute" if whole == 0 else f"{whole} minute{'s' if whole != 1 else ''}"
    return f"about {_n(round(minutes / 60.0, 1))} hours"


def _intent(intent: str) -> str:
    return _INTENT_WORDS.get(intent, intent.replace("_", " "))


def _kind_word(kind: str, count: int) -> str:
    one, many = _KIND_WORDS.get(kind, (kind.replace("_", " "), kind.replace("_", " ")))
    return one if count == 1 else many


def _bounded(text: str, max_chars: int) -> str:
    """``text`` within ``max_chars``, dropping whole sentences from the end when it is longer."""
    if len(text) <= max_chars:
        return text
    kept = ""
    for sentence in re.split(r"(?<=\.) ", text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > max_chars:
            break
        kept = candidate
    return kept or cut_text(text, max_chars)


def _items(items: list[str]) -> list[str]:
    return [_bounded(item, ITEM_MAX_CHARS) for item in items if item][:ITEMS_MAX]
