"""Prompt evolution: the distinct prompts of a session in order of first use, and every change.

The asset stream is cut into *runs*: maximal stretches of consecutive assets with the same prompt
(``engine.features.prompt_text.normalise_prompt``: case and whitespace do not make a new prompt).
Assets without a prompt belong to no run and never end one. Each run after the first is a change
(a :class:`PromptChange`):

- the first use of a prompt is a ``new`` change, numbered in order of first use (prompt 1, 2, …), with
  the :class:`~engine.reflection_facts.weighted_terms.TermDiff` against the prompt of the run before it
  (what the artist was looking at when they edited);
- a prompt used before coming back is a ``return`` (no diff: the prompt is already known).

``changes`` also starts with the session's opening run (``new`` with ``from_prompt=None``,
:attr:`PromptChange.is_opening`): it says which prompt the session began on and how long it was
kept, but it is not an edit — counts of prompt changes leave it out (:attr:`PromptEvolution.edits`).

Units: positions are 1-based indexes into the session's asset stream; ``minutes`` of a run is the time
from its first asset to the first asset of the next run (the last run: to its own last asset), so it
says how long the artist kept that prompt; ``uses`` counts assets. Runs, changes and versions are in
stream order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.features.prompt_text import normalise_prompt
from engine.reflection_facts.number_format import minutes_between
from engine.reflection_facts.weighted_terms import PromptTerm, TermDiff, diff_terms, prompt_terms

NEW = "new"
RETURN = "return"


@dataclass(frozen=True, slots=True)
class PromptVersion:
    """One distinct prompt: ``number`` (1-based, order of first use), the text as first written, its
    terms, and how it was used over the whole session (``uses`` assets in ``runs`` stretches kept for
    ``minutes`` in total)."""

    number: int
    text: str
    terms: tuple[PromptTerm, ...]
    first_position: int
    uses: int
    runs: int
    minutes: float


@dataclass(frozen=True, slots=True)
class PromptChange:
    """A run of one prompt from ``position`` to ``last_position`` (assets without a prompt inside it
    included), starting in phase ``phase_ordinal`` (0-based).

    ``kind`` is :data:`NEW` (first use; ``diff`` against ``from_prompt``, or ``None`` with
    ``from_prompt=None`` for the session's first prompt) or :data:`RETURN` (``diff`` is ``None``).
    ``uses``/``minutes`` describe this run only."""

    position: int
    last_position: int
    phase_ordinal: int
    prompt: int
    from_prompt: int | None
    kind: str
    diff: TermDiff | None
    uses: int
    minutes: float

    @property
    def is_opening(self) -> bool:
        """The session's first run: where it began, not an edit."""
        return self.kind == NEW and self.from_prompt is None


@dataclass(frozen=True, slots=True)
class PromptEvolution:
    """All distinct prompts (``versions``, by number) and every run (``changes``), plus how many assets
    had no prompt."""

    versions: tuple[PromptVersion, ...]
    changes: tuple[PromptChange, ...]
    assets_without_prompt: int

    @property
    def edits(self) -> int:
        """How many times the prompt changed (every run but the opening one)."""
        return edit_count(self.changes)

    @property
    def return_count(self) -> int:
        return sum(1 for change in self.changes if change.kind == RETURN)


def edit_count(changes: Iterable[PromptChange]) -> int:
    """How many of ``changes`` are edits (the session's opening run is not)."""
    return sum(1 for change in changes if not change.is_opening)


@dataclass(slots=True)
class _Run:
    key: str
    text: str
    start: int
    end: int
    uses: int


def prompt_evolution(
    prompts: Sequence[str | None],
    times: Sequence[datetime | None],
    phase_ordinals: Sequence[int],
) -> PromptEvolution:
    """The evolution of ``prompts`` (one per asset, stream order; ``times`` and ``phase_ordinals`` are
    parallel to it)."""
    runs = _runs(prompts)
    number_of: dict[str, int] = {}
    terms_of: list[tuple[PromptTerm, ...]] = []
    texts: list[str] = []
    first_positions: list[int] = []
    changes: list[PromptChange] = []
    previous: int | None = None
    for index, run in enumerate(runs):
        minutes = _run_minutes(runs, index, times)
        known = number_of.get(run.key)
        if known is None:
            known = len(number_of) + 1
            number_of[run.key] = known
            terms_of.append(prompt_terms(run.text))
            texts.append(run.text)
            first_positions.append(run.start + 1)
            diff = None if previous is None else diff_terms(terms_of[previous - 1], terms_of[known - 1])
            kind = NEW
        else:
            diff, kind = None, RETURN
        changes.append(
            PromptChange(
                position=run.start + 1,
                last_position=run.end + 1,
                phase_ordinal=phase_ordinals[run.start],
                prompt=known,
                from_prompt=previous if kind == NEW else None,
                kind=kind,
                diff=diff,
                uses=run.uses,
                minutes=minutes,
            )
        )
        previous = known
    versions = _versions(texts, terms_of, first_positions, changes)
    without = sum(1 for prompt in prompts if not prompt or not prompt.strip())
    return PromptEvolution(versions, tuple(changes), without)


def _versions(
    texts: list[str],
    terms_of: list[tuple[PromptTerm, ...]],
    first_positions: list[int],
    changes: list[PromptChange],
) -> tuple[PromptVersion, ...]:
    """Per-version totals in one pass over the changes (linear, not versions × changes)."""
    count = len(texts)
    uses, runs, minutes = [0] * count, [0] * count, [0.0] * count
    for change in changes:
        uses[change.prompt - 1] += change.uses
        runs[change.prompt - 1] += 1
        minutes[change.prompt - 1] += change.minutes
    return tuple(
        PromptVersion(
            number=index + 1,
            text=texts[index],
            terms=terms_of[index],
            first_position=first_positions[index],
            uses=uses[index],
            runs=runs[index],
            minutes=round(minutes[index], 1),
        )
        for index in range(count)
    )


def _runs(prompts: Sequence[str | None]) -> list[_Run]:
    runs: list[_Run] = []
    keys: dict[str, str] = {}  # raw prompt → normalised: sessions repeat prompts verbatim
    for index, prompt in enumerate(prompts):
        if not prompt:
            continue
        key = keys.get(prompt)
        if key is None:
            key = keys[prompt] = normalise_prompt(prompt)
        if not key:
            continue
        if runs and runs[-1].key == key:
            runs[-1].end = index
            runs[-1].uses += 1
        else:
            runs.append(_Run(key, prompt, index, index, 1))
    return runs


def _run_minutes(runs: list[_Run], index: int, times: Sequence[datetime | None]) -> float:
    run = runs[index]
    end_time = times[runs[index + 1].start] if index + 1 < len(runs) else times[run.end]
    return minutes_between(times[run.start], end_time)
