"""The curator's LLM client against a real OpenAI-speaking HTTP server on loopback (no mocks of openai):
retries and their limits, the deadline, structured-output fallback, the single repair, usage."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import pytest

from reflection.curator_output import curator_json_schema
from reflection.llm_client import CuratorLlm, LlmFailure, LlmSettings
from reflection.llm_retry import BackoffPolicy
from tests.reflection.openai_server import (
    DEFAULT_REFLECTION,
    Disconnect,
    Fail,
    Hang,
    RawResponse,
    Reply,
    ScriptedOpenAIServer,
    Stall,
)

FAST_BACKOFF = BackoffPolicy(initial_seconds=0.01, max_seconds=0.05, retry_after_cap_seconds=0.5)
MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "You are the Museum Curator."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Facts: 62 images, CFG 7.5."},
            {"type": "image_url", "image_url": {"url": "data:image/webp;base64,UklGRg==", "detail": "low"}},
        ],
    },
]


def settings_for(server: ScriptedOpenAIServer, **overrides: Any) -> LlmSettings:
    values: dict[str, Any] = {
        "base_url": server.base_url,
        "api_key": "sk-test",
        "model": "curator-test",
        "deadline_seconds": 5.0,
        "attempt_timeout_seconds": 0.5,
        "max_attempts": 8,
        "backoff": FAST_BACKOFF,
    }
    values.update(overrides)
    return LlmSettings(**values)


async def complete(server: ScriptedOpenAIServer, **overrides: Any) -> Any:
    async with CuratorLlm(settings_for(server, **overrides)) as llm:
        return await llm.complete(MESSAGES)


async def failure_of(server: ScriptedOpenAIServer, **overrides: Any) -> LlmFailure:
    with pytest.raises(LlmFailure) as caught:
        await complete(server, **overrides)
    return caught.value


async def test_asks_with_a_strict_json_schema_and_sends_images_and_messages_as_given(
    openai_server: ScriptedOpenAIServer,
) -> None:
    openai_server.script(
        Reply(DEFAULT_REFLECTION, prompt_tokens=812, completion_tokens=240, model="gpt-curator-2025")
    )

    answer = await complete(openai_server)

    assert answer.reflection.title == DEFAULT_REFLECTION["title"]
    assert answer.model == "gpt-curator-2025"  # as the server reports it
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens, answer.usage.total_tokens) == (
        812,
        240,
        1052,
    )
    assert answer.attempts == 1 and answer.response_format_mode == "json_schema"
    [request] = openai_server.chat_requests
    assert request.model == "curator-test"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "curator_reflection", "strict": True, "schema": curator_json_schema()},
    }
    assert request.messages == MESSAGES
    assert request.image_urls == ["data:image/webp;base64,UklGRg=="]


async def test_429_waits_as_long_as_the_server_asks(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.script(
        Fail.rate_limited(retry_after_seconds=0.3), Fail.rate_limited(retry_after_ms=150), Reply()
    )

    answer = await complete(openai_server)

    first, second, third = openai_server.chat_requests
    assert second.received_at - first.received_at >= 0.3
    assert third.received_at - second.received_at >= 0.15
    assert answer.attempts == 3
    assert answer.usage.total_tokens == 150  # only the answer that came back counts


async def test_a_long_retry_after_is_capped(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.script(Fail.rate_limited(retry_after_seconds=3))
    started = time.monotonic()

    await complete(openai_server, backoff=BackoffPolicy(0.01, 0.05, retry_after_cap_seconds=0.1))

    assert time.monotonic() - started < 2.5  # did not wait the 3 s the server asked for (slack for load)


async def test_a_retry_after_longer_than_the_time_left_fails_at_once(
    openai_server: ScriptedOpenAIServer,
) -> None:
    openai_server.script(Fail.rate_limited(retry_after_seconds=30))
    started = time.monotonic()

    failure = await failure_of(openai_server, deadline_seconds=3.0, backoff=BackoffPolicy(0.01, 0.05, 60.0))

    assert time.monotonic() - started < 2.9  # gave up before the 3 s deadline, let alone the 30 s
    assert len(openai_server.chat_requests) == 1
    assert failure.retryable and failure.kind == "rate_limited" and failure.status_code == 429
    assert "rate limited" in failure.reason


async def test_delivers_after_server_errors_timeouts_disconnects_and_garbled_bodies(
    openai_server: ScriptedOpenAIServer,
) -> None:
    openai_server.script(
        Fail.server_error(500),
        Fail.server_error(503),
        Stall(3.0),  # longer than the 0.3 s attempt timeout
        Disconnect(),
        RawResponse(b"<html>502 Bad Gateway</html>", content_type="text/html"),
        RawResponse(b'{"id": "chatcmpl-cut', content_type="application/json"),
        Reply(),
    )
    started = time.monotonic()

    answer = await complete(openai_server, attempt_timeout_seconds=0.3)

    assert answer.attempts == 7
    assert answer.reflection.title == DEFAULT_REFLECTION["title"]
    assert time.monotonic() - started < 2.9  # the 3 s stall was cut at the 0.3 s attempt timeout


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        (Fail.unauthorized(), "auth"),
        (Fail(403, "Project does not have access to model"), "forbidden"),
        (Fail(404, "The model `curator-test` does not exist"), "not_found"),
        (Fail.bad_request("'messages' must contain at least one message"), "rejected"),
        (Fail(422, "Unprocessable entity"), "rejected"),
    ],
)
async def test_refusals_fail_at_once_without_retrying(
    openai_server: ScriptedOpenAIServer, action: Fail, kind: str
) -> None:
    openai_server.script(action)

    failure = await failure_of(openai_server)

    assert len(openai_server.chat_requests) == 1
    assert not failure.retryable
    assert failure.kind == kind and failure.status_code == action.status
    assert f"HTTP {action.status}" in failure.reason


async def test_a_wrong_api_key_is_reported_as_such(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.required_api_key = "sk-right"

    failure = await failure_of(openai_server, api_key="sk-wrong")

    assert failure.kind == "auth" and not failure.retryable
    assert "API key" in failure.reason
    assert len(openai_server.chat_requests) == 1


async def test_persistent_server_errors_fail_within_the_deadline(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.default_action = Fail.server_error(500)
    started = time.monotonic()

    failure = await failure_of(openai_server, deadline_seconds=1.0, max_attempts=1000)

    elapsed = time.monotonic() - started
    assert elapsed < 6.0  # the 1 s deadline, with slack for a loaded machine
    assert failure.attempts < 1000  # stopped by the deadline, not by running out of attempts
    assert failure.retryable and failure.kind == "server_error" and failure.status_code == 500
    assert len(openai_server.chat_requests) >= 3
    assert "server error (HTTP 500)" in failure.reason
    assert f"{failure.attempts} attempts" in failure.reason


async def test_max_attempts_bounds_the_retries(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.default_action = Fail.server_error(502)

    failure = await failure_of(openai_server, max_attempts=3)

    assert len(openai_server.chat_requests) == 3
    assert failure.attempts == 3 and failure.retryable


async def test_a_hung_server_fails_at_the_deadline_not_after_the_attempt_timeout(
    openai_server: ScriptedOpenAIServer,
) -> None:
    openai_server.default_action = Hang()
    started = time.monotonic()

    failure = await failure_of(openai_server, deadline_seconds=0.6, attempt_timeout_seconds=30.0)

    assert 0.5 <= time.monotonic() - started < 10.0  # the deadline, far below the 30 s attempt timeout
    assert failure.retryable and failure.kind == "timeout"
    assert "did not answer in time" in failure.reason


async def test_an_unreachable_server_is_a_retryable_connection_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there
    settings = LlmSettings(
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key=None,
        model="m",
        deadline_seconds=0.5,
        backoff=FAST_BACKOFF,
    )

    async with CuratorLlm(settings) as llm:
        with pytest.raises(LlmFailure) as caught:
            await llm.complete(MESSAGES)

    assert caught.value.kind == "connection" and caught.value.retryable
    assert f"127.0.0.1:{port}" in caught.value.reason


async def test_rejected_json_schema_falls_back_to_json_object_and_is_remembered(
    openai_server: ScriptedOpenAIServer,
) -> None:
    openai_server.rejected_response_formats = {"json_schema"}

    async with CuratorLlm(settings_for(openai_server)) as llm:
        first = await llm.complete(MESSAGES)
        second = await llm.complete(MESSAGES)

    assert [r.response_format_type for r in openai_server.chat_requests] == [
        "json_schema",
        "json_object",
        "json_object",
    ]
    assert first.attempts == 2 and second.attempts == 1
    assert (
        first.response_format_mode == second.response_format_mode == llm.response_format_mode == "json_object"
    )
    fallback = openai_server.chat_requests[1]
    system = fallback.messages[0]["content"]
    assert system.startswith("You are the Museum Curator.") and "JSON schema" in system
    assert len([m for m in fallback.messages if m["role"] == "system"]) == 1


async def test_a_server_without_structured_output_gets_no_response_format(
    openai_server: ScriptedOpenAIServer,
) -> None:
    openai_server.rejected_response_formats = {"json_schema", "json_object"}

    async with CuratorLlm(settings_for(openai_server)) as llm:
        await llm.complete(MESSAGES)
        await llm.complete(MESSAGES)

    assert [r.response_format_type for r in openai_server.chat_requests] == [
        "json_schema",
        "json_object",
        None,
        None,
    ]
    assert llm.response_format_mode == "none"
    assert "JSON schema" in openai_server.chat_requests[-1].messages[0]["content"]


async def test_an_lm_studio_style_error_string_also_triggers_the_fallback(
    openai_server: ScriptedOpenAIServer,
) -> None:
    lm_studio = json.dumps({"error": "'response_format.type' must be 'json_schema' or 'text'"}).encode()
    openai_server.script(RawResponse(lm_studio, status=400), Reply())

    answer = await complete(openai_server, response_format_mode="json_object")

    assert [r.response_format_type for r in openai_server.chat_requests] == ["json_object", None]
    assert answer.response_format_mode == "none"


async def test_a_bad_request_not_about_response_format_does_not_fall_back(
    openai_server: ScriptedOpenAIServer,
) -> None:
    openai_server.script(Fail.bad_request("This model's maximum context length is 8192 tokens."))

    failure = await failure_of(openai_server)

    assert [r.response_format_type for r in openai_server.chat_requests] == ["json_schema"]
    assert "maximum context length" in failure.reason


async def test_malformed_json_is_repaired_once(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.script(
        Reply('{"title": "Neon", "summary": "cut off', prompt_tokens=900, completion_tokens=30),
        Reply(DEFAULT_REFLECTION, prompt_tokens=950, completion_tokens=200),
    )

    answer = await complete(openai_server)

    assert answer.reflection.summary == DEFAULT_REFLECTION["summary"]
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens, answer.usage.total_tokens) == (
        1850,
        230,
        2080,
    )
    assert answer.attempts == 2
    repair = openai_server.chat_requests[1]
    assert repair.messages[: len(MESSAGES)] == MESSAGES
    assert repair.messages[-2] == {"role": "assistant", "content": '{"title": "Neon", "summary": "cut off'}
    assert repair.messages[-1]["role"] == "user" and "not valid JSON" in repair.messages[-1]["content"]
    assert repair.response_format_type == "json_schema"


async def test_missing_fields_are_named_in_the_repair_request(openai_server: ScriptedOpenAIServer) -> None:
    openai_server.script(Reply({"title": "", "summary": "A rainy street."}), Reply())

    await complete(openai_server)

    assert "title" in openai_server.chat_requests[1].messages[-1]["content"]


async def test_a_second_unusable_answer_fails_without_a_third_request(
    openai_server: ScriptedOpenAIServer,
) -> None:
    openai_server.script(Reply("I would rather write a poem."), Reply("Still a poem."))

    failure = await failure_of(openai_server)

    assert len(openai_server.chat_requests) == 2
    assert failure.kind == "invalid_output" and not failure.retryable
    assert failure.usage.total_tokens == 300  # both answers came back and were billed by the provider


async def test_code_fences_and_chatter_around_the_json_need_no_repair(
    openai_server: ScriptedOpenAIServer,
) -> None:
    fenced = "```json\n" + json.dumps(DEFAULT_REFLECTION) + "\n```"
    chatty = "Here is the reflection:\n" + json.dumps(DEFAULT_REFLECTION) + "\nI hope it helps."
    openai_server.script(Reply(fenced), Reply(chatty))

    async with CuratorLlm(settings_for(openai_server)) as llm:
        assert (await llm.complete(MESSAGES)).attempts == 1
        assert (await llm.complete(MESSAGES)).attempts == 1


async def test_an_extra_user_message_is_sent_last(openai_server: ScriptedOpenAIServer) -> None:
    async with CuratorLlm(settings_for(openai_server)) as llm:
        await llm.complete(MESSAGES, extra_user_message="Mention the rain.")

    assert openai_server.chat_requests[0].messages == [
        *MESSAGES,
        {"role": "user", "content": "Mention the rain."},
    ]


async def test_the_http_client_is_closed_on_exit(openai_server: ScriptedOpenAIServer) -> None:
    async with CuratorLlm(settings_for(openai_server)) as llm:
        await llm.complete(MESSAGES)
        client = llm._client
        assert not client.is_closed()
    assert client.is_closed()


def test_a_client_in_another_process_can_be_held_mid_call_and_killed(
    openai_server: ScriptedOpenAIServer,
) -> None:
    """What the worker tests rely on: a real socket server that holds a call until told otherwise."""
    openai_server.script(Hang())
    caller = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, openai\n"
            "client = openai.OpenAI(base_url=os.environ['OPENAI_BASE_URL'], api_key='k', max_retries=0)\n"
            "client.chat.completions.create(model='m', messages=[{'role': 'user', 'content': 'hi'}])",
        ],
        env={**os.environ, "OPENAI_BASE_URL": openai_server.base_url},
    )
    try:
        [held] = openai_server.wait_for_requests(1, timeout_seconds=30)
        assert held.messages == [{"role": "user", "content": "hi"}]
        assert caller.poll() is None  # still waiting for its answer
        caller.send_signal(signal.SIGKILL)
        caller.wait(timeout=10)
    finally:
        if caller.poll() is None:
            caller.kill()
    started = time.monotonic()
    openai_server.stop()  # the held request is released and dropped, not waited for
    assert time.monotonic() - started < 5.0
