"""One boundary score per gap, from the temporal and parameter signals, and the forced boundaries.

The score is a margin in logit-like units (positive = break), *before* the user's learned offset:

    margin = time_weight · min(T, time_evidence_cap) + long_pause_weight · P
           + context_weight · max(0, C′ − diversity_weight · D)
           + major_weight · M · (1 − churn_discount · c_M) · (1 − same_prompt_major_discount · S)
           + minor_weight · m + setup_weight · N − threshold

with T the adaptive temporal evidence (at a new prompt partly judged against the artist's pace of new
prompts, ``decision_pace_share``), C′ = max(0, C − context_floor) / (1 − context_floor) the prompt
context dissimilarity above what refinement tweaks produce, M the major (model / workflow / size) and m
the minor (seed, sampler, CFG, …) parameter change, N = 1 where the negative prompt changed (part of a
project's set-up, kept through a session; CFG, steps and sampler are knobs an exploration turns at every
concept and count only in m), S = 1 − C where the gap is under ``comparison_seconds`` (1 for the previous
row's prompt or a return to a recent one, a little less for a tweak, 0 for a new subject), else 0. The
weights are chosen so that (a) a pause with the same context is *not* a break, (b) a new subject after a
settled run is, even after a short gap, (c) a model / workflow change with a new prompt is a break even
after a short gap, while the same prompt — or the same prompt with a small tweak — tried on another
model, size or graph (an A/B comparison, a LoRA loader added) is not, and (d) a new subject in the
middle of an exploration, where every few minutes brings a new one, is not. A gap is a boundary when
``margin > threshold_offset``. The defaults were set on the development seeds of two independently
written simulator families at once (``bench/quality.py``, ``bench/cross_family.py``).

**A prompt change is judged against the local rate of subject change**, as a gap is judged against the
local pace. D is the stretch's recent prompt diversity: over the previous ``churn_window_steps`` steps
since the last hard break, the context change C′ of each step that changed the prompt, averaged with
a weight of 1 per prompt change and ``settled_step_weight`` per step that kept its prompt (so rerolls
of one subject do not hide that the subject changes every few minutes, while a long settled run
still drives D toward 0), shrunk toward ``churn_prior`` by ``churn_prior_steps`` pseudo-steps. Only
novelty beyond D counts: "dragon perched on castle ruins, oil painting" → "elven city in giant trees,
oil painting" two minutes into an exploration that has changed subject at every take adds little; the
same change after a run of one prompt counts in full.

**How settled a stretch is, is judged in time as well as in takes.** An exploration that queues several
images of each subject (a batch of 4–16 per idea, rendered seconds apart) has many steps that keep
their prompt, which drove D toward 0 although the subject still changed every minute or two. So D is
at least the mean C′ of the stretch's last ``churn_window_steps`` prompt changes (shrunk toward
``churn_prior`` as above), decayed by how long the prompt has stayed as it is before this gap:
``exp(−settled / settled_decay_seconds)``. A stretch is settled only when it is settled in both ways
(many takes *and* minutes of them); a new subject two minutes after the last one is judged against
the hopping, one after ten minutes of rerolls against a settled run.

**How long a pause is, is judged in absolute terms.** Relative to the artist's pace, every pause of more
than a few minutes is extreme (T saturates within minutes for a fast artist), so T counts up to
``time_evidence_cap`` spreads ("this is not a normal step") and the pause's length counts only through
P, which ramps from 0 at ``long_pause_start_seconds`` (45 min, beyond usual in-session pauses) to 1
at ``long_pause_full_seconds`` (90 min): such a pause ends a session even when the artist comes back
to the same prompt. A 20–40 minute pause inside a session (coffee, then new ideas in the same look)
therefore breaks only when what follows is a new context, not merely a new subject; there is no
context × time interaction that would turn every new idea after a coffee break into a new session.
Unlike forced boundaries P is finite, so a merge or the learned offset can keep an artist's long
breaks inside one session.

The major change is discounted by the stretch's set-up churn c_M (the mean raw set-up change — size,
model or negative prompt differs from the previous row — over the same window, shrunk toward
``churn_prior``): in an exploration that keeps changing aspect ratio, one more change does not split.
The negative prompt is counted since the ninth family (I, ``bench/simulate_family_i.py``): newcomers
pasting a different gallery prompt, with its own negative prompt, at every click and swapping the
checkpoint every few images were split at every swap (c_M 0.25–0.5 from the model alone); with the
negative prompt, boundary F1 on I 0.815 / 0.797 / 0.831 → 0.879 / 0.882 / 0.884 (seeds 81 / 82 / 83),
families A–H unchanged to three decimals on all three of their seeds but one (B 13: 0.994 → 0.993), as
an artist who keeps a project's set-up changes model and negative prompt together.

**An edit of the work in hand continues the session.** A row that names, as the image it was made from,
one of the rows shortly before it (``ParameterSignal.derives_recent``: within 45 minutes) keeps only the
time terms: its model, prompt, negative prompt or size may all change — Qwen-Image-Edit or Kontext run
on the image just made with an instruction for a prompt, an inpainting model — and none of it is a new
creative start. (Fifth family E, seeds 41 / 42: boundary F1 0.959 / 0.965 → 0.971 / 0.971; A–D
unchanged to three decimals.)

Forced boundaries (margin = +inf): the first row of a segment (new user / precision class), a tool switch,
a gap of at least ``max_pause_seconds``, and a change of calendar day between day-precision rows.
``confidence = sigmoid(confidence_slope · (margin − threshold_offset))`` for every gap, 1.0 when forced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.sessions.parameter_signal import ParameterSignal
from engine.sessions.record_stream import RecordStream
from engine.sessions.temporal_signal import TemporalSettings, TemporalSignal, evidence_among


@dataclass(frozen=True, slots=True)
class BoundarySettings:
    time_weight: float = 0.4
    time_evidence_cap: float = 4.0
    context_weight: float = 3.0
    diversity_weight: float = 1.0
    settled_step_weight: float = 0.5
    context_floor: float = 0.3
    major_weight: float = 4.0
    minor_weight: float = 0.6
    setup_weight: float = 1.0
    threshold: float = 3.0
    max_pause_seconds: float = 3 * 3600.0
    confidence_slope: float = 1.5
    churn_window_steps: int = 6
    churn_prior: float = 0.7
    churn_prior_steps: float = 1.0
    churn_discount: float = 0.9
    """Applies to the major change only; the context change is judged against D instead."""
    same_prompt_major_discount: float = 0.75
    """Share of the major change that does not count when the prompt is (nearly) the same and the gap is
    under ``comparison_seconds``, in proportion to the prompt's context similarity (S = 1 − C): the prompt
    is the creative intent, a model / size / graph change around it at once is a comparison. Neither
    development family ever changes the set-up under one prompt (their figures are the same with 0);
    the third family (``bench/simulate_field.py``) does: its false splits at an unchanged prompt went
    from 119 / 109 (seeds 21 / 22) to 5 / 6. Graded rather than for the identical prompt only, so that
    a Midjourney ``--v 6.1`` → ``--v 7`` switch made together with a one-phrase tweak is a comparison
    too (seeds 21 / 22 boundary F1 0.951 / 0.947 → 0.958 / 0.952; families A and B unchanged)."""
    comparison_seconds: float = 600.0
    """How soon after the previous image a set-up change under the same prompt is a comparison (the
    first result still on screen); after a longer pause it is a fresh start, as before."""
    decision_pace_share: float = 0.5
    """Share of a new prompt's time evidence taken from the artist's pace of new prompts when that is
    lower than the pace of images says (:func:`_with_decision_pace`). Chosen on the development seeds
    of A and B (0.5 changes their F1 by at most 0.001; the full share cost B 0.009 ARI); it was
    motivated by the third family, whose queues render every 5–20 s: F1 there 0.922 → 0.944."""
    settled_decay_seconds: float = 300.0
    """Time constant (seconds) over which a prompt kept unchanged stops counting as part of a hopping
    stretch (the time floor of D; 0 turns it off). Chosen on the development seeds of the three
    families at once (240–360 s give the same figures within 0.002); it was motivated by the third
    family, whose explorations queue several images per subject: seeds 21 / 22 boundary ARI 0.972 /
    0.957 → 0.986 / 0.970, families A and B within ±0.002."""
    long_pause_start_seconds: float = 45 * 60.0
    long_pause_full_seconds: float = 90 * 60.0
    long_pause_weight: float = 3.2


@dataclass(frozen=True, slots=True)
class BoundaryScores:
    margin: np.ndarray
    """Score minus threshold, before the user's offset; +inf where forced; row 0 of a segment is forced."""
    forced: np.ndarray


def boundary_scores(
    stream: RecordStream,
    temporal: TemporalSignal,
    parameters: ParameterSignal,
    settings: BoundarySettings,
    temporal_settings: TemporalSettings,
) -> BoundaryScores:
    count = len(stream)
    context = np.clip(
        (parameters.context_dissimilarity - settings.context_floor) / (1.0 - settings.context_floor), 0.0, 1.0
    )
    steps = ~temporal.is_batch & ~np.isnan(temporal.gap_seconds)
    time_evidence = _with_decision_pace(
        temporal, steps & ~parameters.same_prompt, stream, settings, temporal_settings
    )
    # churn never looks across a hard break: a tool switch or a pause of max_pause_seconds
    with np.errstate(invalid="ignore"):
        hard_break = parameters.tool_switch | (temporal.gap_seconds >= settings.max_pause_seconds)
    stretches = np.cumsum(np.r_[True, stream.segment_codes[1:] != stream.segment_codes[:-1]] | hard_break)
    prompt_changed = steps & ~parameters.same_prompt
    step_weight = np.where(prompt_changed, 1.0, settings.settled_step_weight)
    diversity = np.maximum(
        _recent_mean(context, stretches, steps, settings, weights=step_weight),
        _hopping_floor(context, prompt_changed, stretches, stream.time_seconds, settings),
    )
    major_churn = _recent_mean(_raw_setup_changes(stream, parameters), stretches, steps, settings)
    with np.errstate(invalid="ignore"):
        pause = np.clip(
            (np.nan_to_num(temporal.gap_seconds) - settings.long_pause_start_seconds)
            / (settings.long_pause_full_seconds - settings.long_pause_start_seconds),
            0.0,
            1.0,
        )
    novelty = np.maximum(context - settings.diversity_weight * diversity, 0.0)
    with np.errstate(invalid="ignore"):
        soon = temporal.gap_seconds < settings.comparison_seconds
    comparison = (1.0 - parameters.context_dissimilarity) * soon
    changes = (
        settings.context_weight * novelty
        + settings.major_weight
        * parameters.major_change
        * (1.0 - settings.churn_discount * major_churn)
        * (1.0 - settings.same_prompt_major_discount * comparison)
        + settings.minor_weight * parameters.minor_change
        + settings.setup_weight * parameters.negative_prompt_changed
    )
    margin = (
        settings.time_weight * np.minimum(time_evidence, settings.time_evidence_cap)
        + settings.long_pause_weight * pause
        + np.where(parameters.derives_recent, 0.0, changes)
        - settings.threshold
    )
    forced = np.ones(count, dtype=bool)
    if count > 1:
        same_segment = stream.segment_codes[1:] == stream.segment_codes[:-1]
        with np.errstate(invalid="ignore"):
            long_pause = temporal.gap_seconds[1:] >= settings.max_pause_seconds
        day_change = stream.day_precision[1:] & (stream.calendar_day[1:] != stream.calendar_day[:-1])
        forced[1:] = (
            ~same_segment | parameters.tool_switch[1:] | (long_pause & ~stream.day_precision[1:]) | day_change
        )
    margin = np.where(forced, np.inf, margin)
    return BoundaryScores(margin=margin, forced=forced)


def _with_decision_pace(
    temporal: TemporalSignal,
    decisions: np.ndarray,
    stream: RecordStream,
    settings: BoundarySettings,
    temporal_settings: TemporalSettings,
) -> np.ndarray:
    """T, where a new prompt's gap is also judged against the artist's pace of new prompts: when that
    says less, ``decision_pace_share`` of T comes from it. An artist whose queue renders an image every
    15 s and who types a new idea every minute or two is not pausing at each idea; judged against the
    render pace alone, every idea looked like a break."""
    rows = np.flatnonzero(decisions)
    if not len(rows) or settings.decision_pace_share <= 0:
        return temporal.evidence
    among = evidence_among(temporal.gap_seconds, rows, stream.segment_codes, temporal_settings)
    evidence = temporal.evidence.copy()
    lower = np.minimum(among, evidence[rows])
    evidence[rows] += settings.decision_pace_share * (lower - evidence[rows])
    return evidence


def _raw_setup_changes(stream: RecordStream, parameters: ParameterSignal) -> np.ndarray:
    """1.0 where the size, model or negative prompt differs from the previous row (even one used moments
    ago): how much this stretch of work keeps changing its set-up, the yardstick for a major change.

    The negative prompt counts as set-up here as it does in the margin (N): an artist who keeps one
    project's set-up changes model and negative prompt together, at the project's start, so a stretch
    whose negative prompt changes at every other click is turning it like a knob (a newcomer pasting a
    gallery prompt with its own negative each time), and a new checkpoint there is one more knob.
    """
    changed = np.zeros(len(stream))
    if len(stream) > 1:
        with np.errstate(invalid="ignore"):
            size = (stream.width[1:] != stream.width[:-1]) | (stream.height[1:] != stream.height[:-1])
        size &= ~np.isnan(stream.width[1:]) & ~np.isnan(stream.width[:-1])
        model = stream.model_codes[1:] != stream.model_codes[:-1]
        changed[1:] = (size | model) & (stream.segment_codes[1:] == stream.segment_codes[:-1])
    return np.maximum(changed, parameters.negative_prompt_changed)


def _hopping_floor(
    context: np.ndarray,
    prompt_changed: np.ndarray,
    stretches: np.ndarray,
    time_seconds: np.ndarray,
    settings: BoundarySettings,
) -> np.ndarray:
    """Per row, the time floor of D: the mean C′ of the stretch's last ``churn_window_steps`` prompt
    changes before the row (shrunk toward ``churn_prior`` by ``churn_prior_steps``), times
    ``exp(−settled / settled_decay_seconds)`` with ``settled`` the seconds from the last of those
    changes to the row before. 0 where the stretch has had no prompt change yet (D alone then).
    Vectorised over the change rows: prefix sums, window starts clipped at each stretch's first change."""
    count = len(context)
    floor = np.zeros(count)
    starts = np.r_[True, stretches[1:] != stretches[:-1]]
    changes = np.flatnonzero(prompt_changed | starts)
    context = np.where(starts, settings.churn_prior, context)
    if settings.settled_decay_seconds <= 0 or not len(changes) or count < 2:
        return floor
    rows = np.arange(1, count)
    last = np.searchsorted(changes, rows, side="left") - 1  # index (in changes) of the last change < row
    has_last = last >= 0
    rows, last = rows[has_last], last[has_last]
    same_stretch = stretches[changes[last]] == stretches[rows]
    rows, last = rows[same_stretch], last[same_stretch]
    change_stretch = stretches[changes]
    stretch_first = np.searchsorted(change_stretch, change_stretch[last], side="left")
    start = np.maximum(last + 1 - settings.churn_window_steps, stretch_first)
    prefix = np.concatenate(([0.0], np.cumsum(context[changes])))
    mean = (prefix[last + 1] - prefix[start] + settings.churn_prior * settings.churn_prior_steps) / (
        last + 1 - start + settings.churn_prior_steps
    )
    settled = np.maximum(time_seconds[rows - 1] - time_seconds[changes[last]], 0.0)
    floor[rows] = mean * np.exp(-settled / settings.settled_decay_seconds)
    return floor


def _recent_mean(
    values: np.ndarray,
    segment_codes: np.ndarray,
    informative: np.ndarray,
    settings: BoundarySettings,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Per row, the (``weights``-weighted) mean of ``values`` over the previous ``churn_window_steps``
    informative rows of the same segment, shrunk toward ``churn_prior`` by ``churn_prior_steps``
    pseudo-steps (so a session's first steps are judged with an open mind). Vectorised: prefix sums over
    the informative rows, window starts clipped at each segment's first informative row."""
    count = len(values)
    positions = np.flatnonzero(informative)
    row_weights = np.ones(len(positions)) if weights is None else weights[positions]
    prefix = np.concatenate(([0.0], np.cumsum(values[positions] * row_weights)))
    weight_prefix = np.concatenate(([0.0], np.cumsum(row_weights)))
    before = np.searchsorted(positions, np.arange(count), side="left")  # informative rows before i
    segment_start_rows = np.flatnonzero(np.r_[True, segment_codes[1:] != segment_codes[:-1]])
    segment_first = segment_start_rows[
        np.searchsorted(segment_start_rows, np.arange(count), side="right") - 1
    ]
    first_informative = np.searchsorted(positions, segment_first, side="left")
    start = np.maximum(before - settings.churn_window_steps, first_informative)
    start = np.minimum(start, before)
    taken = weight_prefix[before] - weight_prefix[start]
    total = prefix[before] - prefix[start]
    return (total + settings.churn_prior * settings.churn_prior_steps) / (taken + settings.churn_prior_steps)


def boundary_confidence(margin: np.ndarray, threshold_offset: float, slope: float) -> np.ndarray:
    """Probability-like confidence that a gap is a real break (1.0 for forced boundaries)."""
    with np.errstate(over="ignore", invalid="ignore"):
        confidence = 1.0 / (1.0 + np.exp(-slope * (margin - threshold_offset)))
    return np.where(np.isinf(margin) & (margin > 0), 1.0, confidence)
