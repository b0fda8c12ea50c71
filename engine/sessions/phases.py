"""Phases inside a session — exploration, refinement, optimization — and the session's intent.

Each row is first reduced to one *step observation* relative to the previous row of its session:

- ``NEW``     the prompt changed a lot (similarity < ``tweak_similarity``)           → exploration
- ``TWEAK``   the prompt changed a little                                            → refinement
- ``RESEED``  same prompt, new seed; or a *rework*: a variation / img2img / inpaint naming the image
              it reworks (Midjourney's Vary has no seed), or an img2img / inpaint / edit under a new
              prompt that names none (a denoise below 1 without a hires pass: "把背景改成雪景",
              "fix the hands")                                                       → refinement
- ``PARAM``   same prompt and seed (or no seed on either row: Midjourney, hosted services), a
              generation parameter moved (CFG, steps, ``--stylize``, the model …)  → optimization
- ``NEUTRAL`` no evidence: the session's first row, a row of the same batch (saved at once, or
              queued: the previous seed plus one), an exact
              repeat, another derived image (an upscale, a hires pass), or a reroll or tweak in a
              short run of one subject — few steps or a few minutes — that a new idea ends (sampling
              an idea while exploring: ``PhaseSettings.sampling_run_steps``,
              ``sampling_run_seconds``).

A three-state hidden Markov model (sticky transitions) decodes the most likely phase per row with
Viterbi, so one odd step does not open a phase and batches do not look like refinement. When visual
embeddings exist for both rows, the cosine of the two images adds evidence (low → exploration,
high → refinement / optimization; thresholds in :class:`PhaseSettings`, meant for unit-normalised
CLIP-like or built-in descriptors). Phases shorter than ``min_phase_images`` are absorbed by a neighbour.

An optimization phase names its swept parameter and range (``detail["parameter"]``,
``detail["parameter_range"]`` such as ``"CFG 5→12"``; :mod:`engine.sessions.swept_parameters`). The
session intent is ``convergent_selection`` when an exploration phase is followed by a refinement phase
whose prompt is one of (or close to one of) the explored prompts; otherwise the intent covering most
rows.

Invariants: phases partition the session's rows in order; every phase has at least one row.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from engine.analysis import Intent
from engine.sessions.record_stream import MISSING_CODE, RecordStream
from engine.sessions.swept_parameters import swept_parameter

NEUTRAL, NEW, TWEAK, RESEED, PARAM = 0, 1, 2, 3, 4
_STATES = (Intent.EXPLORATION, Intent.REFINEMENT, Intent.OPTIMIZATION)
VISUAL_NONE, VISUAL_LOW, VISUAL_MID, VISUAL_HIGH = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class PhaseSettings:
    tweak_similarity: float = 0.55
    """Prompt similarity from which a prompt change counts as a tweak (refinement), not a new idea."""
    stay_probability: float = 0.90
    """Probability that the next informative row keeps the phase (with ``emission`` chosen on the
    development seeds of the four simulator families at once in the fourteenth session: 0.88–0.92 with
    an exploration TWEAK probability of 0.04–0.06 gave the same figures within 0.003)."""
    min_phase_images: int = 3
    rework_is_evidence: bool = True
    """A rework (:func:`_reworks_an_image`) is a reroll's evidence of refinement; else derived rows are
    none. Chosen on the development seeds of the five simulator families at once (fifteenth session:
    counting named reworks under a new prompt too, and unnamed edits, raised every family)."""
    sampling_run_steps: int = 3
    """A subject's run — a prompt and the tweaks made to it, up to the next new idea — of at most this
    many steps (rerolls, tweaks, parameter moves; batch rows are no steps) that ends in a new idea is
    one *sample* of that idea: none of its rerolls or tweaks is evidence (of refinement). An artist who
    explores with a few images per subject is exploring, not refining each subject; a refinement's runs
    are longer or stay with their subject. Until the nineteenth session the first reroll or tweak of
    such a run still counted; leaving it out too raised phase accuracy on the development seeds of the
    nine families (mean 0.8916 → 0.8954; F 0.846 → 0.875; none lower) and on held-out and unseen ones
    (0.8950 → 0.9001, 0.8959 → 0.8998; C 23 −0.001), and with the simulators' visual vectors more
    (F 0.792 → 0.884, I 0.838 → 0.870 on 81; held-out F 0.783 → 0.886, I 0.856 → 0.909; nothing lower
    but B 11 and D 33 by 0.001): an exploration's subject was labelled a refinement for its first
    reroll, and the sticky model then held refinement across the next subjects."""
    sampling_run_seconds: float = 540.0
    """A subject's run that a new idea ends within this many seconds of the run's first row is a sample
    of that idea too, however many rerolls and tweaks it holds: an exploration that queues 4–16 images
    of each subject moves on within a minute or two, one that tries a few seeds and a phrase or two per
    subject within a few minutes (a new subject every 1–8 minutes, as the independent evaluation of
    issue 11 describes); a refinement stays with its subject longer (ten minutes of rerolls of one
    prompt stay a refinement). 0 turns it off.
    History: 300 s for runs of one exact prompt (a tweak ended the run and was always evidence of
    refinement); in the sixteenth session runs were widened to the subject, tweaks included, and the
    window to nine minutes — chosen on the development seeds of six families at once (A 1, B 11, C 21,
    D 31, E 41, F 51: phases 0.957 / 0.971 / 0.946 / 0.972 / 0.928 / 0.635 → 0.959 / 0.968 / 0.951 /
    0.972 / 0.930 / 0.845; 600 s gave the same within 0.01, 450 s F 0.785); held-out seeds in
    BENCHMARKS.md."""
    queued_seconds: float = 30.0
    """A row of the same prompt whose seed is the previous row's plus one, at most this long after it, is
    the same queued batch (A1111's batch count, ComfyUI's seed "increment" over a queue): one decision
    rendered one image after another, so neither a reroll nor visual evidence, like the rows of a
    batch saved at once. Later, the same seed step is a reroll clicked after looking (ComfyUI's
    "increment" also numbers those)."""
    cycle_rows: int = 24
    """How far back a row whose prompt or seed changed looks for the same prompt on the same seed
    (:func:`_cycled_prompt_sweeps`): a parameter swept over several seeds (an X/Y plot of seed × CFG, a
    value tried on each keeper's seed) or over a set of test prompts cycled for every value of a knob,
    up to this many rows per value (e.g. 4 prompts × 6 seeds). It was 8 rows, and only within runs of
    one prompt, until the sixteenth session (family G's LoRA epoch tests)."""
    visual_low_similarity: float = 0.6
    visual_high_similarity: float = 0.8
    convergence_similarity: float = 0.6
    emission: tuple[tuple[float, float, float, float], ...] = (
        # P(NEW), P(TWEAK), P(RESEED), P(PARAM) given exploration / refinement / optimization. An
        # exploration rarely tweaks a prompt (0.05; it was 0.12 with stay 0.94): a few tweaks after one
        # try of another idea are a refinement, not more exploring.
        (0.65, 0.05, 0.27, 0.03),
        (0.06, 0.22, 0.64, 0.08),
        (0.02, 0.03, 0.05, 0.90),
    )
    visual_emission: tuple[tuple[float, float, float], ...] = (
        # P(low), P(mid), P(high) visual similarity given exploration / refinement / optimization
        (0.6, 0.3, 0.1),
        (0.15, 0.4, 0.45),
        (0.1, 0.3, 0.6),
    )


@dataclass(frozen=True, slots=True)
class PhaseSpan:
    intent: Intent
    start: int
    """First row (absolute, in the session stream)."""
    end: int
    """One past the last row."""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StepFeatures:
    """Per-row observations relative to the previous row of the same session."""

    session_start: np.ndarray
    observation: np.ndarray
    """One of NEUTRAL, NEW, TWEAK, RESEED, PARAM per row: the phase evidence (a sampled subject's
    rerolls and tweaks are NEUTRAL here)."""
    step_kind: np.ndarray
    """The same before sampling runs are discounted: what each step did (a reroll is a reroll in an
    exploration too), which lineage reads."""
    visual: np.ndarray
    """One of VISUAL_NONE, VISUAL_LOW, VISUAL_MID, VISUAL_HIGH per row."""
    same_prompt: np.ndarray
    prompt_similarity: np.ndarray


def _changed_number(values: np.ndarray) -> np.ndarray:
    changed = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN: unknown; ±1e308 apart: inf, a change
        difference = np.abs(values[1:] - values[:-1]) > 1e-9
    both_missing = np.isnan(values[1:]) & np.isnan(values[:-1])
    one_missing = np.isnan(values[1:]) ^ np.isnan(values[:-1])
    changed[1:] = (difference | one_missing) & ~both_missing
    return changed


def _changed_code(codes: np.ndarray) -> np.ndarray:
    changed = np.zeros(len(codes), dtype=bool)
    changed[1:] = codes[1:] != codes[:-1]
    return changed


def _parameters_differ(stream: RecordStream, rows: np.ndarray, back: int) -> np.ndarray:
    """For ``rows``, whether a generation parameter differs from the row ``back`` rows earlier."""
    earlier = rows - back
    moved = np.zeros(len(rows), dtype=bool)
    with np.errstate(invalid="ignore"):
        for values in (stream.cfg_scale, stream.steps, stream.denoise):
            now, then = values[rows], values[earlier]
            moved |= (np.abs(now - then) > 1e-9) | (np.isnan(now) ^ np.isnan(then))
    for codes in (stream.sampler_codes, stream.lora_codes, stream.model_codes, stream.knob_codes):
        moved |= codes[rows] != codes[earlier]
    return moved


def _cycled_prompt_sweeps(
    stream: RecordStream, session_codes: np.ndarray, candidates: np.ndarray, settings: PhaseSettings
) -> np.ndarray:
    """Rows of ``candidates`` (the prompt or the seed changed from the previous row) whose prompt and
    seed were rendered together a few rows earlier (``cycle_rows``, other prompts and seeds of the set
    between) under other parameters: a fixed set of prompts, each on its seeds, rendered again for
    every value of a knob — a LoRA's epochs and weights tested on the same test prompts, an X/Y/Z plot
    with prompt search-and-replace. Against that row only the knob moved: parameter optimization,
    although the prompt or the seed changes at every row. The nearest earlier row of the same prompt
    and seed decides (a reroll on a new seed never matches one)."""
    found = np.zeros(len(stream), dtype=bool)
    pending = np.flatnonzero(candidates & (stream.seed_codes >= 0) & (stream.prompt_codes >= 0))
    for back in range(2, settings.cycle_rows + 1):
        pending = pending[pending >= back]
        if not len(pending):
            break
        earlier = pending - back
        same_session = session_codes[earlier] == session_codes[pending]
        pending = pending[same_session]
        earlier = earlier[same_session]
        same_take = (stream.prompt_codes[earlier] == stream.prompt_codes[pending]) & (
            stream.seed_codes[earlier] == stream.seed_codes[pending]
        )
        hit = same_take & _parameters_differ(stream, pending, back)
        found[pending[hit]] = True
        pending = pending[~same_take]
    return found


def step_observations(
    stream: RecordStream,
    session_codes: np.ndarray,
    *,
    same_prompt: np.ndarray,
    same_seed: np.ndarray,
    prompt_similarity: np.ndarray,
    is_batch: np.ndarray,
    derived: np.ndarray,
    visual_embeddings: Mapping[str, np.ndarray] | None,
    settings: PhaseSettings,
) -> StepFeatures:
    """Vectorised step observations for every row of the session-ordered stream."""
    count = len(stream)
    session_start = np.ones(count, dtype=bool)
    session_start[1:] = session_codes[1:] != session_codes[:-1]
    within = ~session_start
    same_prompt = same_prompt & within
    same_seed = same_seed & within
    parameter_moved = (
        _changed_number(stream.cfg_scale)
        | _changed_number(stream.steps)
        | _changed_number(stream.denoise)
        | _changed_code(stream.sampler_codes)
        | _changed_code(stream.lora_codes)
        | _changed_code(stream.model_codes)
        | _changed_code(stream.knob_codes)
    )
    similarity = np.where(within, prompt_similarity, np.nan)
    observation = np.full(count, NEUTRAL, dtype=np.int8)
    prompt_changed = within & ~same_prompt & (stream.prompt_codes != MISSING_CODE)
    with np.errstate(invalid="ignore"):
        observation[prompt_changed & (similarity >= settings.tweak_similarity)] = TWEAK
        observation[prompt_changed & ~(similarity >= settings.tweak_similarity)] = NEW
    observation[same_prompt & ~same_seed] = RESEED
    observation[same_prompt & same_seed & parameter_moved] = PARAM
    # a tool that writes no seed (Midjourney, hosted services): a knob moved under one prompt is a sweep
    seedless = np.zeros(count, dtype=bool)
    seedless[1:] = (stream.seed_codes[1:] == MISSING_CODE) & (stream.seed_codes[:-1] == MISSING_CODE)
    observation[same_prompt & seedless & parameter_moved] = PARAM
    observation[
        _cycled_prompt_sweeps(stream, session_codes, prompt_changed | (same_prompt & ~same_seed), settings)
    ] = PARAM
    queued = np.zeros(count, dtype=bool)
    if settings.queued_seconds > 0 and count > 1:
        seeds = stream.seed_codes
        with np.errstate(invalid="ignore"):
            soon = np.diff(stream.time_seconds) <= settings.queued_seconds
        queued[1:] = (seeds[:-1] >= 0) & (seeds[1:] == seeds[:-1] + 1) & soon
    reworked = _reworks_an_image(stream, within, same_prompt)
    # the same image reworked again under the same prompt and seed with a knob moved (a denoise or CFG
    # sweep of img2img passes on one photo) is a sweep of that take: parameter optimization
    swept_source = _same_named_source(stream, reworked & same_prompt & same_seed & parameter_moved)
    reworked &= ~swept_source
    if settings.rework_is_evidence:
        observation[reworked] = RESEED
    else:
        reworked[:] = False
    observation[
        ((is_batch | queued) & same_prompt) | (derived & ~reworked & ~swept_source) | session_start
    ] = NEUTRAL
    step_kind = observation.copy()
    resampled = _count_sampling_once(
        observation,
        session_start,
        settings.sampling_run_steps,
        stream.time_seconds,
        settings.sampling_run_seconds,
    )

    visual = np.zeros(count, dtype=np.int8)
    if visual_embeddings:
        vectors = [visual_embeddings.get(asset_id) for asset_id in stream.ids]
        for row in np.flatnonzero(within & ~is_batch & ~queued & ~derived).tolist():
            current, previous = vectors[row], vectors[row - 1]
            if current is None or previous is None:
                continue
            norm = float(np.linalg.norm(current) * np.linalg.norm(previous)) or 1.0
            cosine = float(np.dot(current, previous)) / norm
            if cosine < settings.visual_low_similarity:
                visual[row] = VISUAL_LOW
            elif cosine >= settings.visual_high_similarity:
                visual[row] = VISUAL_HIGH
            else:
                visual[row] = VISUAL_MID
    visual[resampled] = VISUAL_NONE
    return StepFeatures(session_start, observation, step_kind, visual, same_prompt, similarity)


def _reworks_an_image(stream: RecordStream, within: np.ndarray, same_prompt: np.ndarray) -> np.ndarray:
    """Rows of the artist working on a kept image, at no larger a size than the previous row (an
    upscale, whose size grows, finishes one and is no evidence): those that name the image they were
    made from (a variation, remix, img2img or inpaint of it: ``stream.explicitly_derived``), whatever
    their prompt — an edit model's prompt is an instruction ("make her smile"), not a new idea — and,
    under a new prompt, img2img / inpaint / edit rows that name nothing (:func:`_unnamed_edits`). Under
    the same prompt an unnamed row with a lower denoise is a denoise sweep (optimization), not a rework."""
    area = stream.width * stream.height
    grew = np.zeros(len(stream), dtype=bool)
    with np.errstate(invalid="ignore"):
        grew[1:] = area[1:] > area[:-1] * 1.2
    edits = stream.explicitly_derived | (_unnamed_edits(stream) & ~same_prompt)
    return edits & within & ~grew


def _same_named_source(stream: RecordStream, candidates: np.ndarray) -> np.ndarray:
    """The rows of ``candidates`` that name the same input as the row before (source image and parent
    job), both naming one. Only the candidates' records are looked at (a Midjourney library names a
    parent job on most rows)."""
    same = np.zeros(len(stream), dtype=bool)
    records = stream.records
    named = stream.explicitly_derived
    for row in np.flatnonzero(candidates[1:] & named[1:] & named[:-1]).tolist():
        now, before = records[row + 1], records[row]
        same[row + 1] = (now.source_image, now.parent_job_id) == (before.source_image, before.parent_job_id)
    return same


_MULTI_PASS_KEYS = ("samplers", "hires_upscale", "hires_upscaler", "hires_steps")
"""``extra`` keys of a generation whose denoise belongs to a later pass of a txt2img (an A1111 / Forge
hires pass, a ComfyUI graph with several samplers): its denoise below 1 says nothing of a source image."""


def _unnamed_edits(stream: RecordStream) -> np.ndarray:
    """Rows with a denoise below 1 that is not a later pass of a txt2img (:data:`_MULTI_PASS_KEYS`):
    img2img / inpaint / instruction edits of an image the file does not name (A1111's img2img tab,
    hosted editors). Only the few rows with such a denoise have their ``extra`` looked at."""
    edits = np.zeros(len(stream), dtype=bool)
    with np.errstate(invalid="ignore"):
        candidates = np.flatnonzero(stream.denoise < 0.995)
    records = stream.records
    for row in candidates.tolist():
        extra = records[row].extra
        edits[row] = not extra or extra.keys().isdisjoint(_MULTI_PASS_KEYS)
    return edits


def _count_sampling_once(
    observation: np.ndarray,
    session_start: np.ndarray,
    max_steps: int,
    time_seconds: np.ndarray,
    max_seconds: float,
) -> np.ndarray:
    """In place: in a subject's run (from a new idea, ``NEW``, or the session's first row, up to the
    next new idea; tweaks stay in the run) that a new idea ends after at most ``max_steps`` steps or
    within ``max_seconds`` of the run's first row (0: no time rule), no ``RESEED`` or ``TWEAK`` is
    evidence: they become ``NEUTRAL``. Returns where they were."""
    resampled = np.zeros(len(observation), dtype=bool)
    if max_steps <= 0 or len(observation) < 2:
        return resampled
    new_idea = observation == NEW
    starts = session_start | new_idea
    run_of = np.cumsum(starts) - 1
    start_rows = np.flatnonzero(starts)
    runs = len(start_rows)
    ended_by_new = np.zeros(runs, dtype=bool)
    ended_by_new[:-1] = new_idea[start_rows[1:]] & ~session_start[start_rows[1:]]
    evidence = (observation == RESEED) | (observation == TWEAK)
    steps = np.bincount(run_of, weights=evidence | (observation == PARAM), minlength=runs)
    sampling = ended_by_new & (steps <= max_steps)
    if max_seconds > 0 and runs > 1:
        lasted = np.full(runs, np.inf)
        lasted[:-1] = time_seconds[start_rows[1:]] - time_seconds[start_rows[:-1]]
        sampling |= ended_by_new & (lasted <= max_seconds)
    resampled = evidence & sampling[run_of]
    observation[resampled] = NEUTRAL
    return resampled


@lru_cache(maxsize=16)
def _log_tables(settings: PhaseSettings) -> tuple[list[list[float]], list[list[float]], list[list[float]]]:
    emission = [[0.0] + [math.log(p) for p in row] for row in settings.emission]
    visual = [[0.0] + [math.log(p) for p in row] for row in settings.visual_emission]
    switch = (1.0 - settings.stay_probability) / 2.0
    transition = [
        [math.log(settings.stay_probability) if i == j else math.log(switch) for j in range(3)]
        for i in range(3)
    ]
    return emission, visual, transition


def decode_phases(observations: list[int], visual: list[int], settings: PhaseSettings) -> list[int]:
    """Most likely state per row (0 exploration, 1 refinement, 2 optimization) for one session.

    Viterbi over the informative rows only: a NEUTRAL row without visual evidence has the same
    likelihood in every state, so it takes the state of the informative row before it (or after it,
    at the start of a session).
    """
    informative = [i for i, (o, v) in enumerate(zip(observations, visual, strict=True)) if o or v]
    if not informative:
        return [1] * len(observations)
    emission, visual_emission, transition = _log_tables(settings)
    kinds = {(observations[i], visual[i]) for i in informative}
    if len(kinds) == 1:
        # One kind of evidence throughout: the best constant path (switching can only cost).
        obs, vis = kinds.pop()
        count = len(informative)
        initial = (math.log(0.4), math.log(0.4), math.log(0.2))
        totals = [initial[s] + count * (emission[s][obs] + visual_emission[s][vis]) for s in range(3)]
        return [max(range(3), key=lambda s: totals[s])] * len(observations)
    stay, switch = transition[0][0], transition[0][1]
    # Per (observation, visual) kind: (emission, visual emission) of states 0, 1, 2, looked up once.
    # Scores are still summed as (predecessor + emission) + visual emission, as the model reads.
    terms = {
        kind: (
            emission[0][kind[0]],
            visual_emission[0][kind[1]],
            emission[1][kind[0]],
            visual_emission[1][kind[1]],
            emission[2][kind[0]],
            visual_emission[2][kind[1]],
        )
        for kind in kinds
    }
    first = informative[0]
    e0, e1, e2 = (emission[s][observations[first]] + visual_emission[s][visual[first]] for s in range(3))
    s0, s1, s2 = math.log(0.4) + e0, math.log(0.4) + e1, math.log(0.2) + e2
    back: list[tuple[int, int, int]] = []
    for row in informative[1:]:
        em0, ve0, em1, ve1, em2, ve2 = terms[(observations[row], visual[row])]
        # Best predecessor of each state: staying is always at least as cheap as switching from
        # the same score, so compare "stay" with the best "switch".
        other0, other0_score = (1, s1) if s1 >= s2 else (2, s2)
        other1, other1_score = (0, s0) if s0 >= s2 else (2, s2)
        other2, other2_score = (0, s0) if s0 >= s1 else (1, s1)
        stay0, move0 = s0 + stay, other0_score + switch
        stay1, move1 = s1 + stay, other1_score + switch
        stay2, move2 = s2 + stay, other2_score + switch
        if stay0 >= move0:
            from0, s0 = 0, stay0
        else:
            from0, s0 = other0, move0
        if stay1 >= move1:
            from1, s1 = 1, stay1
        else:
            from1, s1 = other1, move1
        if stay2 >= move2:
            from2, s2 = 2, stay2
        else:
            from2, s2 = other2, move2
        back.append((from0, from1, from2))
        s0 = s0 + em0 + ve0
        s1 = s1 + em1 + ve1
        s2 = s2 + em2 + ve2
    state = 0 if s0 >= s1 and s0 >= s2 else (1 if s1 >= s2 else 2)
    informative_states = [state]
    for step_pointers in reversed(back):
        state = step_pointers[state]
        informative_states.append(state)
    informative_states.reverse()
    path = [informative_states[0]] * len(observations)
    ends = [*informative[1:], len(observations)]
    for row, next_row, informative_state in zip(informative, ends, informative_states, strict=True):
        path[row:next_row] = [informative_state] * (next_row - row)
    return path


def _runs(path: list[int]) -> list[tuple[int, int, int]]:
    """(state, start, end) runs of a path, relative to the session."""
    runs: list[tuple[int, int, int]] = []
    start = 0
    for index in range(1, len(path) + 1):
        if index == len(path) or path[index] != path[start]:
            runs.append((path[start], start, index))
            start = index
    return runs


def _absorb_short_runs(runs: list[tuple[int, int, int]], min_rows: int) -> list[tuple[int, int, int]]:
    """Merge runs shorter than ``min_rows`` into their longer neighbour (ties: the previous one)."""
    runs = list(runs)
    while len(runs) > 1:
        lengths = [end - start for _, start, end in runs]
        shortest = min(range(len(runs)), key=lambda i: (lengths[i], i))
        if lengths[shortest] >= min_rows:
            break
        _, start, end = runs[shortest]
        if shortest == 0:
            neighbour = 1
        elif shortest == len(runs) - 1:
            neighbour = shortest - 1
        else:
            neighbour = shortest - 1 if lengths[shortest - 1] >= lengths[shortest + 1] else shortest + 1
        n_state, n_start, n_end = runs[neighbour]
        runs[neighbour] = (n_state, min(start, n_start), max(end, n_end))
        del runs[shortest]
        merged: list[tuple[int, int, int]] = []
        for run in runs:
            if merged and merged[-1][0] == run[0]:
                merged[-1] = (run[0], merged[-1][1], run[2])
            else:
                merged.append(run)
        runs = merged
    return runs


def _snap_boundaries(
    runs: list[tuple[int, int, int]], prompts: list[int], seeds: list[int]
) -> list[tuple[int, int, int]]:
    """Move phase boundaries to where the work really changed.

    - exploration → refinement: the first take of the refined prompt is still "a new prompt" to the
      decoder; rows at the end of the exploration with the refinement's first prompt move into it;
    - → optimization: the sweep's starting image (same prompt and seed as the sweep) moves into it.
    """
    snapped = list(runs)
    for index in range(1, len(snapped)):
        state_before, start_before, _ = snapped[index - 1]
        state, start, end = snapped[index]
        new_start = start
        if state_before == 0 and state == 1:
            while new_start - 1 > start_before and prompts[new_start - 1] == prompts[start]:
                new_start -= 1
        elif state == 2 and state_before != 2:
            while (
                new_start - 1 > start_before
                and prompts[new_start - 1] == prompts[start]
                and seeds[new_start - 1] == seeds[start]
            ):
                new_start -= 1
        if new_start != start:
            snapped[index - 1] = (state_before, start_before, new_start)
            snapped[index] = (state, new_start, end)
    return snapped


@dataclass(frozen=True, slots=True)
class PhaseColumns:
    """The per-row values phase decoding reads, as plain lists over the whole session-ordered stream,
    so that taking one session's rows is a list slice rather than numpy calls per session."""

    observation: list[int]
    visual: list[int]
    prompt_codes: list[int]
    seed_codes: list[int]

    @classmethod
    def of(cls, steps: StepFeatures, stream: RecordStream) -> PhaseColumns:
        return cls(
            observation=steps.observation.tolist(),
            visual=steps.visual.tolist(),
            prompt_codes=stream.prompt_codes.tolist(),
            seed_codes=stream.seed_codes.tolist(),
        )


def session_phases(
    start: int,
    end: int,
    steps: StepFeatures,
    stream: RecordStream,
    settings: PhaseSettings,
    columns: PhaseColumns | None = None,
) -> list[PhaseSpan]:
    """Phases of the session at rows ``start:end``; ``columns`` (:meth:`PhaseColumns.of` of the same
    ``steps`` and ``stream``) only saves work when many sessions are decoded."""
    if columns is None:
        columns = PhaseColumns.of(steps, stream)
    count = end - start
    observations = columns.observation[start:end]
    if count == 1 or not any(observations):
        intent = Intent.REFINEMENT if count > 1 else Intent.EXPLORATION
        return [PhaseSpan(intent, start, end)]
    path = decode_phases(observations, columns.visual[start:end], settings)
    runs = _absorb_short_runs(_runs(path), settings.min_phase_images)
    runs = _snap_boundaries(runs, columns.prompt_codes[start:end], columns.seed_codes[start:end])
    phases: list[PhaseSpan] = []
    for state, run_start, run_end in runs:
        intent = _STATES[state]
        detail: dict[str, Any] = {}
        if intent is Intent.OPTIMIZATION:
            detail = swept_parameter(stream, start + run_start, start + run_end)
        phases.append(PhaseSpan(intent, start + run_start, start + run_end, detail))
    return phases


def session_intent(
    phases: list[PhaseSpan],
    stream: RecordStream,
    similarity: Callable[[str, str], float],
    settings: PhaseSettings,
) -> Intent:
    """``convergent_selection`` for exploration → refinement of an explored prompt; else the majority."""
    if len(phases) == 1:
        return phases[0].intent
    for index, phase in enumerate(phases):
        if phase.intent is not Intent.EXPLORATION:
            continue
        later_refinements = [p for p in phases[index + 1 :] if p.intent is Intent.REFINEMENT]
        if not later_refinements:
            break
        explored = set(stream.prompt_codes[phase.start : phase.end].tolist()) - {MISSING_CODE}
        for later in later_refinements:
            refined = _most_common_code(stream.prompt_codes[later.start : later.end])
            if refined is None:
                continue
            if refined in explored or any(
                similarity(stream.prompts[refined], stream.prompts[code]) >= settings.convergence_similarity
                for code in explored
            ):
                return Intent.CONVERGENT_SELECTION
    sizes: dict[Intent, int] = {}
    for phase in phases:
        sizes[phase.intent] = sizes.get(phase.intent, 0) + phase.end - phase.start
    return max(sizes, key=lambda intent: (sizes[intent], -_STATES.index(intent)))


def _most_common_code(codes: np.ndarray) -> int | None:
    known = codes[codes != MISSING_CODE]
    if not len(known):
        return None
    counts = Counter(known.tolist())
    return max(counts, key=lambda code: (counts[code], -code))
