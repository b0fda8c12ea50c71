"""The Museum Curator's delivery check: ask the LLM, then make sure it cites only the session's facts.

Flow, within one deadline (the LLM settings' ``deadline_seconds``, shared by every call below):

1. ask for a reflection (:meth:`CuratorLlm.complete`); a :class:`LlmFailure` here propagates;
2. check grounding (:mod:`engine.grounding`); if anything is unsupported, **repair once**: the model
   sees its answer and is told exactly which numbers and names are not in the facts;
3. check the repaired answer again and drop every sentence still unsupported, noting it. If the
   repair request fails (time ran out, the service broke down), the first answer is used the same
   way — it is valid, and dropping sentences keeps it honest; the failure is noted.
4. if the summary lost every sentence, there is nothing to deliver: :class:`LlmFailure` (kind
   ``ungrounded``, not retryable) — the artist is not charged for a placeholder.

The delivered reflection therefore never cites a number or a name outside the vocabulary, except in
the caller's fallback title (which replaces a title that lost every sentence, and must be grounded and
valid — the fallbacks are checked against :class:`CuratorReflection` before any token is spent).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.grounding import (
    FieldClaim,
    GroundingVocabulary,
    ReflectionText,
    ground_reflection,
    unsupported_claims,
)
from reflection.curator_output import CuratorReflection
from reflection.llm_client import CuratorLlm, LlmAnswer, LlmFailure, TokenUsage

log = logging.getLogger(__name__)

UNGROUNDED_REASON = (
    "The Curator's answer cited numbers or names this session does not hold, even after being asked to "
    "correct them, so it was not delivered."
)


@dataclass(frozen=True, slots=True)
class GroundingReport:
    """How the delivered text was made to cite only facts (stored with the reflection, JSON-friendly).

    ``repaired``: a repair was requested. ``unsupported_first_pass``: what the first answer cited
    without support, as ``"summary: number '12' in “…”"``. ``dropped_sentences``: sentences removed from
    the final answer. ``repair_failure``: why the repair request failed, if it did.
    """

    repaired: bool
    dropped_sentences: list[str] = field(default_factory=list)
    unsupported_first_pass: list[str] = field(default_factory=list)
    repair_failure: str | None = None


@dataclass(frozen=True, slots=True)
class CuratedReflection:
    """A grounded reflection, the model that wrote it and the tokens spent on every call."""

    reflection: CuratorReflection
    model: str
    usage: TokenUsage
    grounding: GroundingReport


async def curate(
    llm: CuratorLlm,
    messages: Sequence[dict[str, Any]],
    vocabulary: GroundingVocabulary,
    *,
    fallback_title: str,
    fallback_summary: str,
) -> CuratedReflection:
    """Ask, check, repair once, drop what is still unsupported (see the module docstring)."""
    CuratorReflection(title=fallback_title, summary=fallback_summary)  # fallbacks must be deliverable
    deadline_at = llm.deadline_from_now()
    first = await llm.complete(messages, deadline_at=deadline_at)
    claims = unsupported_claims(reflection_text(first.reflection), vocabulary)
    if not claims:
        return CuratedReflection(first.reflection, first.model, first.usage, GroundingReport(repaired=False))

    final: LlmAnswer = first
    usage = first.usage
    repair_failure: str | None = None
    log.info("curator cited %d unsupported values; asking once for a repair", len(claims))
    try:
        final = await llm.complete(
            [*messages, {"role": "assistant", "content": first.content}],
            extra_user_message=grounding_repair_instruction(claims),
            deadline_at=deadline_at,
        )
        usage = usage + final.usage
    except LlmFailure as failure:
        usage = usage + failure.usage
        repair_failure = failure.reason
        log.warning("grounding repair failed (%s); dropping unsupported sentences instead", failure.reason)

    grounded = ground_reflection(
        reflection_text(final.reflection),
        vocabulary,
        fallback_title=fallback_title,
        fallback_summary=fallback_summary,
    )
    if grounded.used_fallback_summary:
        log.warning("every sentence of the curator's summary cited unsupported values; not delivered")
        raise LlmFailure(UNGROUNDED_REASON, retryable=False, kind="ungrounded", usage=usage)
    return CuratedReflection(
        reflection=CuratorReflection(
            title=grounded.text.title,
            summary=grounded.text.summary,
            style_patterns=list(grounded.text.style_patterns),
            evolution_notes=list(grounded.text.evolution_notes),
        ),
        model=final.model,
        usage=usage,
        grounding=GroundingReport(
            repaired=True,
            dropped_sentences=list(grounded.dropped_sentences),
            unsupported_first_pass=[describe_claim(claim) for claim in claims],
            repair_failure=repair_failure,
        ),
    )


def reflection_text(reflection: CuratorReflection) -> ReflectionText:
    """The pydantic reflection as the plain text fields :mod:`engine.grounding` checks."""
    return ReflectionText(
        title=reflection.title,
        summary=reflection.summary,
        style_patterns=tuple(reflection.style_patterns),
        evolution_notes=tuple(reflection.evolution_notes),
    )


def describe_claim(located: FieldClaim) -> str:
    """One unsupported claim for the audit trail: ``summary: number '12' in “The CFG rose to 12.”``."""
    claim = located.claim
    return f"{located.field}: {claim.kind} '{claim.token}' in “{claim.sentence}”"


def grounding_repair_instruction(claims: Sequence[FieldClaim]) -> str:
    """Tell the model exactly what it cited that the facts do not hold, and what to do instead."""
    numbers = _unique(claim.claim.token for claim in claims if claim.claim.kind == "number")
    names = _unique(claim.claim.token for claim in claims if claim.claim.kind == "name")
    problems = []
    if numbers:
        problems.append(
            "these numbers are not in the facts (a parameter's value must be one the facts give for that "
            "parameter): " + ", ".join(numbers)
        )
    if names:
        problems.append("these model or LoRA names are not in the facts: " + ", ".join(names))
    sentences = "\n".join(f"- {sentence}" for sentence in _unique(claim.claim.sentence for claim in claims))
    return (
        "Your reflection cites things the session's facts do not contain: "
        + "; ".join(problems)
        + f".\nThe sentences concerned:\n{sentences}\n"
        "Rewrite the reflection citing only numbers and names that appear in the facts above. Where you "
        "are not sure of a value, describe the change without a number. Reply with the complete "
        "corrected JSON object."
    )


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
