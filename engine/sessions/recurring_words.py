"""An artist's recurring words: the words they write in most of their sittings — a template ("studio
product photo of {product}, seamless white background, softbox lighting, 85mm"), a style suffix
(artist names, a film stock), a character token — which say little about what a prompt is about.

In the prompt context (:mod:`engine.sessions.parameter_signal`) such a word counts with a factor below
1, so a new product in a client's template, or a new subject under an artist's usual style, reads as the
new subject it is; without it the shared template made two client jobs look like tweaks of one prompt.
(Eighth family H, templated client work: boundary F1 0.84 → 0.93; every other family's development
and held-out seeds the same or better, see BENCHMARKS.md.)

Share: the fraction of the artist's sittings — runs of their stream without a pause of
``sitting_seconds`` — whose prompts hold the word. Factor 1 up to ``share_start``, falling linearly to
``floor`` at ``share_full``. An artist with fewer than ``min_sittings`` sittings gets no factors (a
single project's own subject is in all of its prompts; it is not a template). Words are the lexical
similarity's content tokens (:func:`engine.features.prompt_text.prompt_token_weights`).

Invariants: pure; per user (one user's words never affect another's); a word's factor depends only on
the set of sittings it appears in, not on how often.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from engine.features.prompt_text import prompt_token_weights
from engine.records import GenerationRecord
from engine.sessions.record_stream import MISSING_CODE, RecordStream, build_record_stream

WordScales = dict[str, float]
"""Word → factor in (0, 1) for an artist's recurring words (words not listed count fully)."""


@dataclass(frozen=True, slots=True)
class RecurringWordSettings:
    sitting_seconds: float = 2 * 3600.0
    """A pause this long separates two sittings (1 h and 4 h measured within 0.003 boundary F1)."""
    min_sittings: int = 4
    share_start: float = 0.3
    share_full: float = 0.6
    floor: float = 0.1
    """Chosen on the eight families' development seeds at once: 0 / 0.25 and shares from 0.2 / 0.4
    moved mean boundary F1 by at most 0.003 (0.25 by −0.002)."""


def recurring_word_scales(
    stream: RecordStream, settings: RecurringWordSettings, *, known: Collection[str | None] = ()
) -> dict[str | None, WordScales]:
    """Per user name of ``stream``, the factors of their recurring words; users with fewer than
    ``min_sittings`` sittings, and the ``known`` users (whose words the caller has), are absent."""
    sittings = _sitting_words(stream, settings, known)
    return {user: _scales(words, settings) for user, words in sittings.items()}


@dataclass(frozen=True, slots=True)
class LearnedWords:
    """One user's recurring words and how many sittings they were learned from."""

    scales: WordScales
    sittings: int


def recurring_words_of(
    records: Sequence[GenerationRecord], settings: RecurringWordSettings | None = None
) -> dict[str | None, LearnedWords]:
    """Per user of the timed ``records``, the recurring words an analysis of them would use, with the
    number of sittings behind them (users with too few sittings are absent)."""
    settings = settings or RecurringWordSettings()
    stream = build_record_stream([r for r in records if r.created_at is not None])
    return {
        user: LearnedWords(_scales(words, settings), len(words))
        for user, words in _sitting_words(stream, settings).items()
    }


def _sitting_words(
    stream: RecordStream, settings: RecurringWordSettings, known: Collection[str | None] = ()
) -> dict[str | None, list[set[str]]]:
    """Per user with at least ``min_sittings`` sittings (the ``known`` ones left out), the set of words
    of each sitting."""
    count = len(stream)
    if count == 0:
        return {}
    users = stream.user_codes
    times = stream.time_seconds
    order = np.lexsort((times, users))  # by time within each user, day-precision rows included
    users, times, codes = users[order], times[order], stream.prompt_codes[order]
    new_sitting = np.ones(count, dtype=bool)
    if count > 1:
        with np.errstate(invalid="ignore"):
            new_sitting[1:] = (users[1:] != users[:-1]) | (
                (times[1:] - times[:-1]) >= settings.sitting_seconds
            )
    sitting = np.cumsum(new_sitting) - 1
    first_rows = np.flatnonzero(new_sitting)
    sitting_user = users[first_rows]
    per_user = np.bincount(sitting_user)
    eligible = per_user >= settings.min_sittings
    if known:
        for user_code, name in enumerate(stream.user_names):
            if name in known and user_code < len(eligible):
                eligible[user_code] = False
    keep = (codes != MISSING_CODE) & eligible[users]
    result: dict[str | None, list[set[str]]] = {}
    if not keep.any():
        return result
    pairs = np.unique(np.stack([sitting[keep], codes[keep]]), axis=1)
    prompts = stream.prompts
    words: dict[int, set[str]] = {}
    for sitting_id, code in pairs.T.tolist():
        words.setdefault(sitting_id, set()).update(prompt_token_weights(prompts[code]))
    for sitting_id in range(len(first_rows)):
        user_code = int(sitting_user[sitting_id])
        if eligible[user_code]:
            result.setdefault(stream.user_names[user_code], []).append(words.get(sitting_id, set()))
    return result


def _scales(sittings: list[set[str]], settings: RecurringWordSettings) -> WordScales:
    seen: dict[str, int] = {}
    for words in sittings:
        for word in words:
            seen[word] = seen.get(word, 0) + 1
    total = len(sittings)
    span = settings.share_full - settings.share_start
    scales: WordScales = {}
    for word, count in seen.items():
        share = count / total
        if share > settings.share_start:
            ramp = min(1.0, (share - settings.share_start) / span)
            scales[word] = 1.0 - ramp * (1.0 - settings.floor)
    return scales
