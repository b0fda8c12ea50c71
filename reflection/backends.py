"""The curators behind :class:`reflection.runner.CuratorBackend`.

- :class:`OfflineCurator` (model ``atelier-offline``): the built-in curator, used when no LLM is
  configured. It writes templated prose from the same facts, with no network; it is priced as such
  (:mod:`billing.pricing`).
- :class:`QuotedCurator` (what the worker runs): each reflection is written by the writer it was
  quoted for — the offline curator for an offline quote, even where a language model is configured
  now; the language model for a language-model quote, or no reflection at all (failed, hold voided,
  with a reason) when the worker has none configured: never a cheaper writer at the quoted price.
- :class:`LlmCurator`: any server speaking the OpenAI Chat Completions API (``OPENAI_BASE_URL``,
  ``OPENAI_API_KEY``, ``ATELIER_CURATOR_MODEL``), with retries, structured output and grounding
  (:mod:`reflection.curator`); its fallback title is the session's label cut to a title's length
  (:func:`reflection.offline_curator.session_title`: a label may be longer than a title). Its
  deadline is shorter than the run's lease, which is shorter than the credit hold's TTL, so a slow
  model fails the run before the hold could expire.
"""

from __future__ import annotations

from dataclasses import asdict

from billing.pricing import OFFLINE_MODEL
from catalog.settings import AtelierSettings
from engine.grounding import find_unsupported
from reflection.curator import curate
from reflection.llm_client import CuratorLlm, LlmFailure, LlmSettings
from reflection.offline_curator import session_title, write_offline_reflection
from reflection.runner import CuratorFailed, CuratorInput, CuratorOutcome

LLM_DEADLINE_SHARE = 0.8
"""The LLM call may use this share of the run's lease; the rest is for facts and the final write."""


class OfflineCurator:
    async def aclose(self) -> None:
        """Nothing to release (same interface as :class:`LlmCurator`)."""

    async def write(self, prepared: CuratorInput) -> CuratorOutcome:
        written = write_offline_reflection(prepared.facts)
        vocabulary = prepared.vocabulary
        texts = [written.title, written.summary, *written.style_patterns, *written.evolution_notes]
        unsupported = [claim for text in texts for claim in find_unsupported(text, vocabulary)]
        return CuratorOutcome(
            reflection=written,
            model=OFFLINE_MODEL,
            usage={},
            grounding={
                "repaired": False,
                "dropped_sentences": [],
                "unsupported": [claim.token for claim in unsupported],
            },
        )


class LlmCurator:
    def __init__(self, llm: CuratorLlm) -> None:
        self._llm = llm

    async def aclose(self) -> None:
        """Close the HTTP client (the worker does it on shutdown)."""
        await self._llm.aclose()

    async def write(self, prepared: CuratorInput) -> CuratorOutcome:
        facts = prepared.facts
        try:
            curated = await curate(
                self._llm,
                prepared.request.messages,
                prepared.vocabulary,
                fallback_title=session_title(facts),
                fallback_summary=f"A session of {facts.asset_count} images.",
            )
        except LlmFailure as failure:
            raise CuratorFailed(f"{failure.reason} Nothing was charged.") from failure
        return CuratorOutcome(
            reflection=curated.reflection,
            model=curated.model,
            usage=asdict(curated.usage),
            grounding=asdict(curated.grounding),
        )


class QuotedCurator:
    """Routes each reflection to the writer it was quoted for (see the module docstring)."""

    def __init__(self, llm: LlmCurator | None) -> None:
        self._llm = llm
        self._offline = OfflineCurator()

    async def aclose(self) -> None:
        if self._llm is not None:
            await self._llm.aclose()

    async def write(self, prepared: CuratorInput) -> CuratorOutcome:
        if prepared.quoted_model == OFFLINE_MODEL:
            return await self._offline.write(prepared)
        if self._llm is None:
            raise CuratorFailed(no_language_model_reason(prepared.quoted_model))
        return await self._llm.write(prepared)


def no_language_model_reason(quoted_model: str) -> str:
    """Why a reflection quoted for a language model fails where none is configured."""
    return (
        f"This reflection was quoted for the language model {quoted_model or '(unknown)'}, which this "
        "server no longer offers; nothing was charged. Ask for a new quote."
    )


def curator_for(settings: AtelierSettings) -> QuotedCurator:
    """The worker's curator: the configured LLM (if any) and the offline curator, each reflection
    written by the one it was quoted for."""
    if not settings.llm_configured:
        return QuotedCurator(None)
    llm = CuratorLlm(
        LlmSettings(
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key or "not-needed",
            model=settings.curator_model,
            deadline_seconds=settings.reflection_deadline_seconds * LLM_DEADLINE_SHARE,
        )
    )
    return QuotedCurator(LlmCurator(llm))
