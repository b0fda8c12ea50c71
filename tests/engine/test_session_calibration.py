"""Learning the per-user threshold offset from corrections, and corrections that last."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.analysis import Analysis
from engine.calibration import (
    BoundaryCorrection,
    CalibrationSettings,
    CorrectionKind,
    correction_weight,
    learn_threshold_offset,
)
from engine.records import GenerationRecord
from engine.session_analysis import SessionConstraints, analyze_records

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SUBJECTS = [
    "neon alley at night",
    "old fisherman portrait",
    "snowy mountain lake",
    "red fox in the snow",
    "steampunk airship dock",
    "bowl of ramen on a wooden table",
    "gothic castle on a cliff",
    "coral reef with turtles",
]
STYLES = ["oil painting", "35mm photo", "watercolor", "3d render", "charcoal sketch", "ukiyo-e print"]


def _history(seed: int) -> list[GenerationRecord]:
    """A day-by-day history of contexts separated by gaps of very different lengths."""
    rng = random.Random(seed)
    records: list[GenerationRecord] = []
    time = T0
    for context in range(60):
        time += timedelta(minutes=rng.choice([4, 8, 15, 25, 40, 60, 90, 150]))
        subject = rng.choice(SUBJECTS)
        for _ in range(rng.randint(4, 12)):
            time += timedelta(seconds=60 * math.exp(rng.gauss(0.0, 0.5)))
            prompt = f"{subject}, {rng.choice(STYLES)}" if rng.random() < 0.4 else subject
            records.append(
                GenerationRecord(
                    id=f"g{len(records):05d}",
                    tool="comfyui",
                    user="ada",
                    created_at=time,
                    prompt=prompt,
                    seed=rng.randrange(2**32),
                    model="sdxl",
                )
            )
        _ = context
    return records


def _boundaries(analysis: Analysis) -> set[str]:
    return {session.asset_ids[0] for session in analysis.sessions[1:]}


def _simulate_corrections(user_threshold: float, rounds: int) -> tuple[int, int, set[str], set[str], float]:
    """A user who splits exactly where the default margin exceeds ``user_threshold`` corrects one
    disagreement per round. Returns (initial disagreements, final disagreements on uncorrected gaps,
    the user's boundaries, the final engine boundaries, the learned offset)."""
    records = _history(seed=7)
    baseline = analyze_records(records)
    margins = baseline.boundary_margins
    wanted = {asset for asset, margin in margins.items() if margin > user_threshold}
    previous_of = {records[i].id: records[i - 1].id for i in range(1, len(records))}
    must_link: list[tuple[str, str]] = []
    cannot_link: list[tuple[str, str]] = []
    corrections: list[BoundaryCorrection] = []
    corrected: set[str] = set()
    offset = 0.0
    initial = len(_boundaries(baseline) ^ wanted)
    analysis = baseline
    for _ in range(rounds):
        disagreements = sorted(_boundaries(analysis) ^ wanted)
        if not disagreements:
            break
        asset = disagreements[0]
        corrected.add(asset)
        if asset in wanted:
            cannot_link.append((previous_of[asset], asset))
            corrections.append(BoundaryCorrection(CorrectionKind.SPLIT, margins[asset]))
        else:
            must_link.append((previous_of[asset], asset))
            corrections.append(BoundaryCorrection(CorrectionKind.MERGE, margins[asset]))
        offset = learn_threshold_offset(corrections)
        analysis = analyze_records(
            records,
            constraints=SessionConstraints(must_link=must_link, cannot_link=cannot_link),
            threshold_offset=offset,
        )
        # A correction, once made, holds in every later run.
        found = _boundaries(analysis)
        assert all((a in found) == (a in wanted) for a in corrected)
    final = len((_boundaries(analysis) ^ wanted) - corrected)
    return initial, final, wanted, _boundaries(analysis), offset


@pytest.mark.parametrize(("user_threshold", "direction"), [(2.5, 1.0), (-2.0, -1.0)])
def test_a_coarser_or_finer_user_gets_measurably_closer_after_five_corrections(
    user_threshold: float, direction: float
) -> None:
    initial, final, _, _, offset = _simulate_corrections(user_threshold, rounds=5)
    assert initial >= 8, "the scenario must start with real disagreement"
    assert offset * direction > 0.3
    assert final <= 0.6 * initial


def test_learned_offset_is_the_default_without_corrections() -> None:
    assert learn_threshold_offset([]) == 0.0
    assert learn_threshold_offset([], CalibrationSettings(prior_offset=0.4)) == 0.4


def test_one_click_never_swings_everything() -> None:
    settings = CalibrationSettings()
    bound = settings.max_step_per_correction
    for margin in (0.5, 3.0, 40.0):
        merge = learn_threshold_offset([BoundaryCorrection(CorrectionKind.MERGE, margin)])
        split = learn_threshold_offset([BoundaryCorrection(CorrectionKind.SPLIT, -margin)])
        assert 0.0 < merge <= bound + 1e-9
        assert -bound - 1e-9 <= split < 0.0


def test_a_correction_far_from_the_threshold_barely_moves_it() -> None:
    settings = CalibrationSettings()
    near = learn_threshold_offset([BoundaryCorrection(CorrectionKind.SPLIT, -0.4)])
    far = learn_threshold_offset([BoundaryCorrection(CorrectionKind.SPLIT, -3.5)])
    beyond = learn_threshold_offset([BoundaryCorrection(CorrectionKind.SPLIT, -40.0)])
    assert correction_weight(-3.5, settings) < 0.5
    assert -settings.max_step_per_correction * correction_weight(-3.5, settings) - 1e-9 <= far < 0.0
    assert -settings.max_step_per_correction * settings.far_weight - 1e-9 <= beyond < 0.0
    assert near < far


@pytest.mark.parametrize("nth_closest", [0, 3, 10, 40])
def test_one_split_flips_only_gaps_within_its_step_of_the_threshold(nth_closest: int) -> None:
    """In a realistic stream, the artist splits one gap the engine kept closed (the nth closest to
    the threshold): that gap opens, the offset moves by at most one step, and every other gap keeps its
    decision unless its margin lay between the old and the new threshold."""
    records = _history(seed=11)
    baseline = analyze_records(records)
    margins = baseline.boundary_margins
    before = _boundaries(baseline)
    closed = sorted((a for a, m in margins.items() if m <= 0.0), key=lambda a: -margins[a])
    asset = closed[nth_closest]
    previous = records[[r.id for r in records].index(asset) - 1].id
    offset = learn_threshold_offset([BoundaryCorrection(CorrectionKind.SPLIT, margins[asset])])
    assert -CalibrationSettings().max_step_per_correction <= offset < 0.0

    after = _boundaries(
        analyze_records(
            records, constraints=SessionConstraints(cannot_link=[(previous, asset)]), threshold_offset=offset
        )
    )
    assert asset in after
    flipped = (before ^ after) - {asset}
    assert all(offset < margins[a] <= 0.0 for a in flipped)
    ambiguous = {a for a, m in margins.items() if offset < m <= 0.0} - {asset}
    assert flipped == ambiguous
    assert len(flipped) < 0.1 * len(margins)


def test_consistent_corrections_add_up_and_stay_bounded() -> None:
    one = learn_threshold_offset([BoundaryCorrection(CorrectionKind.MERGE, 1.5)])
    five = learn_threshold_offset([BoundaryCorrection(CorrectionKind.MERGE, 1.5)] * 5)
    many = learn_threshold_offset([BoundaryCorrection(CorrectionKind.MERGE, 50.0)] * 500)
    assert 0.0 < one < five < 1.5 + 1.0
    assert many == pytest.approx(CalibrationSettings().max_offset)


def test_contradicting_corrections_cancel_and_forced_boundaries_are_ignored() -> None:
    balanced = [BoundaryCorrection(CorrectionKind.MERGE, 1.0), BoundaryCorrection(CorrectionKind.SPLIT, -1.0)]
    assert learn_threshold_offset(balanced) == pytest.approx(0.0, abs=1e-6)
    assert learn_threshold_offset([BoundaryCorrection(CorrectionKind.MERGE, math.inf)]) == 0.0


def test_order_of_corrections_does_not_matter() -> None:
    history = [
        BoundaryCorrection(CorrectionKind.MERGE, 0.8),
        BoundaryCorrection(CorrectionKind.MERGE, 2.0),
        BoundaryCorrection(CorrectionKind.SPLIT, -0.3),
    ]
    assert learn_threshold_offset(history) == pytest.approx(learn_threshold_offset(list(reversed(history))))


_CORRECTIONS = st.builds(
    BoundaryCorrection,
    st.sampled_from(list(CorrectionKind)),
    st.floats(min_value=-6.0, max_value=6.0, allow_nan=False) | st.sampled_from([math.inf, -math.inf]),
)


@settings(max_examples=400, deadline=None)
@given(history=st.lists(_CORRECTIONS, max_size=12), added=_CORRECTIONS)
def test_one_added_correction_moves_the_offset_its_own_way_and_by_a_bounded_step(
    history: list[BoundaryCorrection], added: BoundaryCorrection
) -> None:
    """Whatever came before: a split never raises the offset, a merge never lowers it, and one moves it
    by at most ``weight × prior_scale² / noise_scale`` (at most ``max_step × weight`` as the first).
    Before, the estimate was clipped to ``prior ± step × Σ all weights``: an added split loosened a cap
    that merges pressed on and raised the offset (0.578 → 0.875 after four merges)."""
    calibration = CalibrationSettings()
    before = learn_threshold_offset(history)
    after = learn_threshold_offset([*history, added])
    moved = after - before
    if not math.isfinite(added.boundary_margin):
        assert moved == 0.0
        return
    margin = max(-calibration.margin_clip, min(calibration.margin_clip, added.boundary_margin))
    weight = correction_weight(margin, calibration)
    per_weight = calibration.prior_scale**2 / calibration.noise_scale
    if not any(math.isfinite(c.boundary_margin) for c in history):
        per_weight = calibration.max_step_per_correction
    bound = per_weight * weight + 1e-9
    if added.kind is CorrectionKind.SPLIT:
        assert -bound <= moved <= 1e-12
    else:
        assert -1e-12 <= moved <= bound
