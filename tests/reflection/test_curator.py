"""Curation against a real OpenAI-speaking server on loopback: a reflection citing a CFG value or a model
name the facts do not hold is repaired once, and what stays unsupported never reaches the artist."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from engine.grounding import GroundingVocabulary
from reflection.curator import curate
from reflection.llm_client import CuratorLlm, LlmFailure, LlmSettings
from reflection.llm_retry import BackoffPolicy
from tests.reflection.openai_server import Fail, Reply, ScriptedOpenAIServer

MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "You are the Museum Curator."},
    {"role": "user", "content": "Facts: 62 images over 113 minutes, CFG 7.5, 30 steps, juggernautXL_v9."},
]
VOCABULARY = GroundingVocabulary(
    numbers=frozenset({62.0, 113.0, 2.0, 7.5, 30.0, 1024.0, 1536.0, 0.8, 3.0}),
    names=frozenset({"juggernautXL_v9.safetensors", "add_detail", "dpmpp_2m", "karras"}),
)
FALLBACK_TITLE = "An evening session"
FALLBACK_SUMMARY = "A session of 62 images."

GROUNDED = {
    "title": "Neon rain, slowly focused",
    "summary": "Across 62 images you stayed with juggernautXL_v9 at CFG 7.5. The street grew wetter.",
    "style_patterns": ["Teal light against warm signage, framed at 1024x1536."],
    "evolution_notes": ["The add_detail LoRA arrived at 0.8 once the composition settled."],
}
INVENTED = {
    "title": "Neon rain, slowly focused",
    "summary": (
        "Across 62 images you stayed with juggernautXL_v9 at CFG 7.5. "
        "Late in the evening the CFG climbed to 12. The street grew wetter."
    ),
    "style_patterns": ["Teal light against warm signage, framed at 1024x1536."],
    "evolution_notes": [
        "You switched to dreamshaper_8 for the final pass.",
        "The add_detail LoRA arrived at 0.8 once the composition settled.",
    ],
}


def llm_for(server: ScriptedOpenAIServer, **overrides: Any) -> CuratorLlm:
    values: dict[str, Any] = {
        "base_url": server.base_url,
        "api_key": "sk-test",
        "model": "curator-test",
        "deadline_seconds": 5.0,
        "attempt_timeout_seconds": 0.5,
        "backoff": BackoffPolicy(0.01, 0.05, 0.2),
    }
    values.update(overrides)
    return CuratorLlm(LlmSettings(**values))


async def curate_with(server: ScriptedOpenAIServer, **overrides: Any) -> Any:
    async with llm_for(server, **overrides) as llm:
        return await curate(
            llm, MESSAGES, VOCABULARY, fallback_title=FALLBACK_TITLE, fallback_summary=FALLBACK_SUMMARY
        )


def delivered_text(curated: Any) -> str:
    reflection = curated.reflection
    return " ".join(
        [reflection.title, reflection.summary, *reflection.style_patterns, *reflection.evolution_notes]
    )


def assert_cites_neither_invention(text: str) -> None:
    assert re.search(r"\b12\b", text) is None
    assert "dreamshaper" not in text.lower()


async def test_a_grounded_reflection_is_delivered_as_written(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.script(Reply(GROUNDED))

    curated = await curate_with(openai_server)

    assert curated.reflection.model_dump() == GROUNDED
    assert len(openai_server.chat_requests) == 1
    assert not curated.grounding.repaired and curated.grounding.dropped_sentences == []
    assert curated.model == "curator-test"


async def test_an_invented_cfg_value_and_model_name_are_repaired_once(
    openai_server: ScriptedOpenAIServer,
) -> None:
    openai_server.script(
        Reply(INVENTED, prompt_tokens=1000, completion_tokens=300),
        Reply(GROUNDED, prompt_tokens=1400, completion_tokens=280, model="curator-test-0611"),
    )

    curated = await curate_with(openai_server)

    assert_cites_neither_invention(delivered_text(curated))
    assert curated.reflection.model_dump() == GROUNDED
    _, repair = openai_server.chat_requests
    assert repair.messages[: len(MESSAGES)] == MESSAGES
    assert repair.messages[len(MESSAGES)]["role"] == "assistant"
    assert "dreamshaper_8" in repair.messages[len(MESSAGES)]["content"]  # the model sees what it wrote
    told = repair.messages[-1]["content"]
    assert repair.messages[-1]["role"] == "user"
    assert (
        "numbers are not in the facts (a parameter's value must be one the facts give for that parameter): 12"
        in told
    )
    assert "names are not in the facts: dreamshaper_8" in told
    assert curated.grounding.repaired and curated.grounding.dropped_sentences == []
    assert any("'12'" in note for note in curated.grounding.unsupported_first_pass)
    assert any("'dreamshaper_8'" in note for note in curated.grounding.unsupported_first_pass)
    assert curated.usage.total_tokens == 1300 + 1680  # both calls are counted
    assert curated.model == "curator-test-0611"


async def test_inventions_that_survive_the_repair_are_dropped_and_noted(
    openai_server: ScriptedOpenAIServer,
) -> None:
    openai_server.script(Reply(INVENTED), Reply(INVENTED))

    curated = await curate_with(openai_server)

    assert_cites_neither_invention(delivered_text(curated))
    assert len(openai_server.chat_requests) == 2  # one repair, never a second
    assert curated.grounding.repaired
    assert curated.grounding.dropped_sentences == [
        "Late in the evening the CFG climbed to 12.",
        "You switched to dreamshaper_8 for the final pass.",
    ]
    assert curated.reflection.summary == (
        "Across 62 images you stayed with juggernautXL_v9 at CFG 7.5. The street grew wetter."
    )
    assert curated.reflection.evolution_notes == INVENTED["evolution_notes"][1:]


async def test_an_unsupported_title_gives_way_to_the_fallback(openai_server: ScriptedOpenAIServer) -> None:
    invented = {**GROUNDED, "title": "CFG 12 nights"}
    openai_server.script(Reply(invented), Reply(invented))

    curated = await curate_with(openai_server)

    assert curated.reflection.title == FALLBACK_TITLE
    assert curated.reflection.summary == GROUNDED["summary"]
    assert curated.reflection.style_patterns == GROUNDED["style_patterns"]


async def test_a_summary_left_with_no_supported_sentence_is_not_delivered(
    openai_server: ScriptedOpenAIServer,
) -> None:
    """A reflection whose whole summary cited inventions, twice, is a placeholder ("A session of N
    images."): it fails (the run voids the hold) instead of being delivered and charged."""
    invented = {**GROUNDED, "title": "CFG 12 nights", "summary": "Everything ran on dreamshaper_8."}
    openai_server.script(Reply(invented), Reply(invented))

    with pytest.raises(LlmFailure) as caught:
        await curate_with(openai_server)

    assert caught.value.kind == "ungrounded" and not caught.value.retryable
    assert "not delivered" in caught.value.reason
    assert caught.value.usage.total_tokens == 300  # both calls were paid for
    assert len(openai_server.chat_requests) == 2


async def test_a_failed_repair_still_delivers_the_first_answer_without_its_inventions(
    openai_server: ScriptedOpenAIServer,
) -> None:
    openai_server.script(Reply(INVENTED))
    openai_server.default_action = Fail.server_error(503)

    curated = await curate_with(openai_server, deadline_seconds=1.0)

    assert_cites_neither_invention(delivered_text(curated))
    assert curated.grounding.repair_failure is not None and "HTTP 503" in curated.grounding.repair_failure
    assert len(curated.grounding.dropped_sentences) == 2
    assert curated.usage.total_tokens == 150


async def test_a_failing_service_propagates_llm_failure(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.script(Fail.unauthorized())

    with pytest.raises(LlmFailure) as caught:
        await curate_with(openai_server)

    assert caught.value.kind == "auth" and not caught.value.retryable


async def test_undeliverable_fallbacks_are_refused_before_any_request(
    openai_server: ScriptedOpenAIServer,
) -> None:
    async with llm_for(openai_server) as llm:
        with pytest.raises(ValidationError):
            await curate(llm, MESSAGES, VOCABULARY, fallback_title="", fallback_summary=FALLBACK_SUMMARY)

    assert openai_server.chat_requests == []
