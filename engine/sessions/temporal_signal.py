"""Adaptive temporal evidence for a session break, one value per gap (the gap *before* each row).

A gap is judged against the artist's own pace around it, not against a fixed timeout:

- a *step* is a gap longer than ``batch_window_seconds`` and at least the timestamps' resolution; the
  images of one batch (same second, or the next second: a batch saved over a second boundary is
  truncated to two adjacent seconds; same minute for minute-precision times) are one step, not several;
- ``local_log_pace`` is the median log step of up to ``pace_window_steps`` steps on each side (the gap
  itself excluded, never across users or precision classes), shrunk toward ``prior_pace_seconds``
  when few neighbours exist;
- the pace is capped at ``max_pace_seconds`` (15 min): sparse streams (an image every few hours)
  are not judged against their own sparseness;
- ``local_log_spread`` is 1.4826 × the median absolute deviation of the same neighbours, floored
  (``min_log_spread``) so a metronomic queue does not turn every hiccup into a break;
- the evidence is the robust z-score ``(log gap − local_log_pace) / local_log_spread``, clipped to
  [``MIN_EVIDENCE``, ``MAX_EVIDENCE``]. 20 minutes after one image a minute scores ≈ +3 spreads
  higher than 20 minutes after one image every ten.

Batches get ``MIN_EVIDENCE``; day-precision rows and segment starts get 0 (no temporal information).
Everything is vectorised over all rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_EVIDENCE = -3.0
MAX_EVIDENCE = 6.0


@dataclass(frozen=True, slots=True)
class TemporalSettings:
    batch_window_seconds: float = 1.0
    pace_window_steps: int = 8
    prior_pace_seconds: float = 60.0
    prior_log_spread: float = 0.8
    prior_weight_steps: float = 1.0
    min_log_spread: float = 0.45
    max_pace_seconds: float = 900.0
    """The local pace is capped here: one image every few hours is not a working pace, and a gap of an
    hour in such a sparse stream is still a break (each image its own visit)."""


@dataclass(frozen=True, slots=True)
class TemporalSignal:
    gap_seconds: np.ndarray
    """Gap before each row; NaN at segment starts."""
    is_batch: np.ndarray
    """The row belongs to the same batch as the previous row (same second / same minute)."""
    local_pace_seconds: np.ndarray
    """The artist's local typical step around the gap (exp of ``local_log_pace``); NaN where undefined."""
    evidence: np.ndarray
    """Robust z-score of the log gap against the local pace (0 where undefined)."""


def temporal_signal(
    time_seconds: np.ndarray,
    resolution_seconds: np.ndarray,
    segment_codes: np.ndarray,
    day_precision: np.ndarray,
    settings: TemporalSettings,
) -> TemporalSignal:
    count = len(time_seconds)
    gap_seconds = np.full(count, np.nan)
    is_batch = np.zeros(count, dtype=bool)
    evidence = np.zeros(count)
    local_pace_seconds = np.full(count, np.nan)
    if count < 2:
        return TemporalSignal(gap_seconds, is_batch, local_pace_seconds, evidence)

    same_segment = np.zeros(count, dtype=bool)
    same_segment[1:] = segment_codes[1:] == segment_codes[:-1]
    gap_seconds[1:] = time_seconds[1:] - time_seconds[:-1]
    gap_seconds[~same_segment] = np.nan
    resolution = np.ones(count)
    resolution[1:] = np.maximum(resolution_seconds[1:], resolution_seconds[:-1])
    step_floor = np.maximum(resolution, settings.batch_window_seconds)

    timed = same_segment & ~day_precision
    is_batch = timed & ((gap_seconds < step_floor) | (gap_seconds <= settings.batch_window_seconds))
    is_step = timed & ~is_batch
    step_rows = np.flatnonzero(is_step)
    log_steps = np.log(np.maximum(gap_seconds[step_rows], step_floor[step_rows]))
    evidence[step_rows], pace = _paced_evidence(log_steps, segment_codes[step_rows], settings)
    evidence[is_batch] = MIN_EVIDENCE
    local_pace_seconds[step_rows] = np.exp(pace)
    return TemporalSignal(gap_seconds, is_batch, local_pace_seconds, evidence)


def evidence_among(
    gap_seconds: np.ndarray, rows: np.ndarray, segment_codes: np.ndarray, settings: TemporalSettings
) -> np.ndarray:
    """The evidence of the gaps before ``rows`` judged against the pace of those same rows only
    (their neighbours among ``rows``, same segment), as :func:`temporal_signal` judges every step
    against its neighbouring steps: e.g. each new prompt against the artist's pace of new prompts."""
    log_gaps = np.log(np.maximum(gap_seconds[rows], settings.batch_window_seconds))
    return _paced_evidence(log_gaps, segment_codes[rows], settings)[0]


def _paced_evidence(
    log_gaps: np.ndarray, segments: np.ndarray, settings: TemporalSettings
) -> tuple[np.ndarray, np.ndarray]:
    """(clipped robust z-score of each log gap against its neighbours, the capped local log pace)."""
    pace, spread = _local_pace(log_gaps, segments, settings)
    pace = np.minimum(pace, np.log(settings.max_pace_seconds))
    return np.clip((log_gaps - pace) / spread, MIN_EVIDENCE, MAX_EVIDENCE), pace


def _local_pace(
    log_steps: np.ndarray, step_segments: np.ndarray, settings: TemporalSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Median and robust spread of the neighbouring log steps (same segment, centre excluded)."""
    count = len(log_steps)
    prior_pace = np.log(settings.prior_pace_seconds)
    if count == 0:
        return np.empty(0), np.empty(0)
    half = settings.pace_window_steps
    padded = np.concatenate((np.full(half, np.nan), log_steps, np.full(half, np.nan)))
    padded_segments = np.concatenate((np.full(half, -1), step_segments, np.full(half, -1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1).copy()
    window_segments = np.lib.stride_tricks.sliding_window_view(padded_segments, 2 * half + 1)
    windows[window_segments != step_segments[:, None]] = np.nan
    windows[:, half] = np.nan
    neighbours = np.count_nonzero(~np.isnan(windows), axis=1)
    median = _row_median(windows, neighbours)
    spread = 1.4826 * _row_median(np.abs(windows - median[:, None]), neighbours)

    weight = settings.prior_weight_steps
    has = neighbours > 0
    median = np.where(has, median, prior_pace)
    spread = np.where(has, spread, settings.prior_log_spread)
    blended_median = (neighbours * median + weight * prior_pace) / (neighbours + weight)
    blended_spread = np.sqrt(
        (neighbours * spread**2 + weight * settings.prior_log_spread**2) / (neighbours + weight)
    )
    return blended_median, np.maximum(blended_spread, settings.min_log_spread)


def _row_median(windows: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Median of the non-NaN values of each row (NaN sorts last); NaN where a row has none."""
    ordered = np.sort(windows, axis=1)
    rows = np.arange(len(windows))
    low = np.maximum((counts - 1) // 2, 0)
    high = np.maximum(counts // 2, 0)
    median = 0.5 * (ordered[rows, low] + ordered[rows, np.minimum(high, windows.shape[1] - 1)])
    return np.where(counts > 0, median, np.nan)
