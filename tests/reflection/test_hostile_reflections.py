"""A misbehaving LLM server and a misbehaving worker against the paid reflection path.

Real PostgreSQL, a real OpenAI-speaking server on loopback (raw bodies where the scripted actions do
not reach), the real runner and sweeper. Each test states what the artist sees (the reflection's
final state and reason) and what the ledger holds afterwards (captured once or voided once).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import update

from billing import ledger
from billing.models import CreditHold
from catalog.database import SessionFactory, unit_of_work
from catalog.sessions import corrections
from catalog.settings import AtelierSettings
from reflection.backends import OfflineCurator
from reflection.curator_output import ITEM_MAX_CHARS
from reflection.models import Reflection
from reflection.runner import CuratorInput, CuratorOutcome, run_reflection
from reflection.sweeper import sweep
from tests.reflection.openai_server import (
    DEFAULT_REFLECTION,
    Fail,
    Hang,
    RawResponse,
    Reply,
    ScriptedOpenAIServer,
)
from tests.reflection.test_reflection_runs import (
    GRANT,
    account_state,
    confirmed_reflection,
    llm_curator,
    reflection_row,
    run_settings,
)


def completion_body(
    *,
    content: str | None,
    finish_reason: str = "stop",
    refusal: str | None = None,
    usage: Any = None,
    model: str = "scripted-curator",
) -> bytes:
    """A Chat Completions answer, spelled out: for the shapes :class:`Reply` cannot send."""
    body: dict[str, Any] = {
        "id": f"chatcmpl-raw-{uuid.uuid4().hex[:8]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
    }
    if usage is not None:
        body["usage"] = usage
    return json.dumps(body).encode()


async def run_once(
    factory: SessionFactory, settings: AtelierSettings, reflection_id: uuid.UUID, server: ScriptedOpenAIServer
) -> str:
    return await run_reflection(factory, reflection_id, llm_curator(server), run_settings(settings))


def assert_charged_once(account: dict[str, Any], cost: int) -> None:
    assert account == {
        "balance": GRANT - cost,
        "held": 0,
        "captures": 1,
        "entries_sum": 0,
        "holds": ["captured"],
    }


def assert_nothing_charged(account: dict[str, Any]) -> None:
    assert account == {"balance": GRANT, "held": 0, "captures": 0, "entries_sum": 0, "holds": ["voided"]}


async def test_a_nul_character_in_the_answer_is_delivered_without_it(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """PostgreSQL refuses NUL (and unpaired surrogates) in text and JSONB: an answer carrying one must
    neither strand the reflection RUNNING until its lease runs out nor fail it."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    answer = {
        **DEFAULT_REFLECTION,
        "summary": "You explored a rainy street\u0000 at night.",
        "style_patterns": ["Cool teal\u0000 light\ud800."],
    }
    openai_server.script(Reply(answer))

    assert await run_once(session_factory, settings, reflection_id, openai_server) == "done"

    row = await reflection_row(session_factory, reflection_id)
    assert row.summary == "You explored a rainy street at night."
    assert row.style_patterns == ["Cool teal light."]
    assert_charged_once(await account_state(session_factory, user_id), row.cost)


async def test_a_model_name_longer_than_the_column_is_delivered_shortened(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    openai_server.script(Reply(model="m" * 5000))

    assert await run_once(session_factory, settings, reflection_id, openai_server) == "done"

    row = await reflection_row(session_factory, reflection_id)
    assert row.model is not None and 0 < len(row.model) <= 200 and row.model.startswith("mmm")
    assert_charged_once(await account_state(session_factory, user_id), row.cost)


async def test_usage_counts_that_are_not_numbers_are_ignored(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    usage = {"prompt_tokens": "lots", "completion_tokens": {"n": 1}, "total_tokens": None}
    openai_server.script(RawResponse(completion_body(content=json.dumps(DEFAULT_REFLECTION), usage=usage)))

    assert await run_once(session_factory, settings, reflection_id, openai_server) == "done"

    row = await reflection_row(session_factory, reflection_id)
    assert row.usage is not None and row.usage["total_tokens"] == 0
    assert_charged_once(await account_state(session_factory, user_id), row.cost)


async def test_list_items_beyond_their_bound_or_blank_are_repaired_not_delivered(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    flooding = {**DEFAULT_REFLECTION, "style_patterns": ["Teal light. " * 5000, "   "]}
    openai_server.script(Reply(flooding), Reply())

    assert await run_once(session_factory, settings, reflection_id, openai_server) == "done"

    row = await reflection_row(session_factory, reflection_id)
    assert row.style_patterns == DEFAULT_REFLECTION["style_patterns"]
    assert all(0 < len(item) <= ITEM_MAX_CHARS for item in [*row.style_patterns, *row.evolution_notes])
    assert len(openai_server.chat_requests) == 2
    assert "style_patterns" in openai_server.chat_requests[1].text()
    assert_charged_once(await account_state(session_factory, user_id), row.cost)


async def test_a_refusal_fails_at_once_saying_the_model_declined(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    openai_server.default_action = RawResponse(
        completion_body(content=None, refusal="I'm sorry, I can't help with that.")
    )

    assert await run_once(session_factory, settings, reflection_id, openai_server) == "failed"

    row = await reflection_row(session_factory, reflection_id)
    assert row.failure_reason is not None
    assert "declined" in row.failure_reason and "I'm sorry, I can't help with that." in row.failure_reason
    assert "Nothing was charged" in row.failure_reason
    assert len(openai_server.chat_requests) == 1  # a refusal is not asked again
    assert_nothing_charged(await account_state(session_factory, user_id))


async def test_a_content_filter_stop_fails_at_once_saying_so(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    openai_server.default_action = RawResponse(completion_body(content="", finish_reason="content_filter"))

    assert await run_once(session_factory, settings, reflection_id, openai_server) == "failed"

    row = await reflection_row(session_factory, reflection_id)
    assert row.failure_reason is not None and "content filter" in row.failure_reason
    assert len(openai_server.chat_requests) == 1
    assert_nothing_charged(await account_state(session_factory, user_id))


async def test_an_answer_cut_off_at_the_token_limit_is_named_as_such(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    cut = json.dumps(DEFAULT_REFLECTION)[:70]
    openai_server.default_action = RawResponse(completion_body(content=cut, finish_reason="length"))

    assert await run_once(session_factory, settings, reflection_id, openai_server) == "failed"

    row = await reflection_row(session_factory, reflection_id)
    assert row.failure_reason is not None and "cut off" in row.failure_reason
    requests = openai_server.chat_requests
    assert len(requests) == 2 and "cut off" in requests[1].text()  # the one repair asks for less
    assert_nothing_charged(await account_state(session_factory, user_id))


async def test_an_error_text_with_nul_still_fails_the_reflection_cleanly(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """A 400 (a context-length error, say) whose text carries a NUL: the reason shown is that text,
    storable, and the hold is voided at once (not left until the lease runs out)."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    openai_server.script(Fail.bad_request("This model's maximum context length is 8192 tokens.\u0000"))

    assert await run_once(session_factory, settings, reflection_id, openai_server) == "failed"

    row = await reflection_row(session_factory, reflection_id)
    assert row.failure_reason is not None and "\x00" not in row.failure_reason
    assert "HTTP 400" in row.failure_reason and "maximum context length" in row.failure_reason
    assert len(openai_server.chat_requests) == 1
    assert_nothing_charged(await account_state(session_factory, user_id))


class _UnstorableOutcome:
    """A curator whose outcome the database refuses (JSONB cannot hold NUL)."""

    async def write(self, prepared: CuratorInput) -> CuratorOutcome:
        written = await OfflineCurator().write(prepared)
        return CuratorOutcome(written.reflection, written.model, {}, {"note": "\x00"})

    async def aclose(self) -> None:
        """Nothing to release."""


async def test_a_delivery_the_database_refuses_fails_at_once_and_charges_nothing(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)

    state = await run_reflection(session_factory, reflection_id, _UnstorableOutcome(), run_settings(settings))

    assert state == "failed"
    row = await reflection_row(session_factory, reflection_id)
    assert row.state == "failed" and row.charged == 0 and row.lease_expires_at is None
    assert row.failure_reason is not None and "could not be stored" in row.failure_reason
    assert_nothing_charged(await account_state(session_factory, user_id))


class _HeldBackend:
    """A curator that answers (offline-style, from a scripted server) only once released."""

    def __init__(self, server: ScriptedOpenAIServer) -> None:
        self.inner = llm_curator(server)
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def write(self, prepared: CuratorInput) -> CuratorOutcome:
        self.started.set()
        await self.release.wait()
        return await self.inner.write(prepared)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_the_sweeper_leaves_a_live_run_whose_hold_passed_its_expiry_to_finish(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """A reflection that waited long in the queue starts close to its hold's expiry: while its run
    holds a live lease the sweeper must not void the hold under it (the artist would read "could not
    start in time" about a reflection that was running, and the provider's answer would be thrown away)."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    async with unit_of_work(session_factory) as db:
        row = await db.get(Reflection, reflection_id)
        assert row is not None
        await db.execute(
            update(CreditHold)
            .where(CreditHold.id == row.hold_id)
            .values(expires_at=datetime.now(UTC) + timedelta(seconds=5))
        )
    backend = _HeldBackend(openai_server)
    run = asyncio.create_task(
        run_reflection(session_factory, reflection_id, backend, run_settings(settings, deadline_seconds=120))
    )
    await asyncio.wait_for(backend.started.wait(), 30)

    report = await sweep(
        session_factory,
        enqueue=None,
        key_retention=timedelta(hours=48),
        now=datetime.now(UTC) + timedelta(seconds=30),  # the hold expired, the lease has not
    )
    backend.release.set()

    assert (report.failed_running, report.failed_queued, report.holds_voided) == (0, 0, 0)
    assert await run == "done"
    row = await reflection_row(session_factory, reflection_id)
    assert_charged_once(await account_state(session_factory, user_id), row.cost)


async def test_a_run_cancelled_mid_call_hands_the_reflection_back_to_its_redelivery(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """A worker stopped gracefully (SIGTERM: arq cancels the job and queues it again) while the model
    is thinking: the redelivered job must write the reflection, not find the dead run's lease, skip,
    and leave it RUNNING until the sweeper fails it a whole deadline later."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    openai_server.script(Hang())
    stopped = asyncio.create_task(run_once(session_factory, settings, reflection_id, openai_server))
    await asyncio.to_thread(openai_server.wait_for_requests, 1, 30.0)
    stopped.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stopped

    row = await reflection_row(session_factory, reflection_id)
    assert (row.state, row.run_id, row.lease_expires_at) == ("queued", None, None)
    assert (await account_state(session_factory, user_id))["held"] == row.cost

    assert await run_once(session_factory, settings, reflection_id, openai_server) == "done"
    row = await reflection_row(session_factory, reflection_id)
    assert row.runs == 2
    assert_charged_once(await account_state(session_factory, user_id), row.cost)


async def test_an_answer_far_too_large_is_not_read_nor_asked_again(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """A reflection is a few kilobytes; a server (or a proxy) sending megabytes must not have the
    worker hold them, parse them, echo them in a repair and store what fits."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    flood = {**DEFAULT_REFLECTION, "summary": "Rain. " * 1_000_000}
    openai_server.script(RawResponse(completion_body(content=json.dumps(flood))))

    assert await run_once(session_factory, settings, reflection_id, openai_server) == "failed"

    row = await reflection_row(session_factory, reflection_id)
    assert row.failure_reason is not None and "too large" in row.failure_reason
    assert len(openai_server.chat_requests) == 1
    assert_nothing_charged(await account_state(session_factory, user_id))


class _BodyBreaksOffOnce(BaseHTTPRequestHandler):
    """Chat Completions on loopback whose first answer promises 5,000 bytes, sends a few and resets
    the connection; later answers are whole."""

    protocol_version = "HTTP/1.1"
    answers = 0

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        type(self).answers += 1
        body = completion_body(content=json.dumps(DEFAULT_REFLECTION))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(5000 if self.answers == 1 else len(body)))
        self.end_headers()
        if self.answers == 1:
            self.wfile.write(body[:40])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.wfile.write(body)


async def test_a_connection_reset_mid_body_is_retried_and_delivered_once(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BodyBreaksOffOnce)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        backend = llm_curator(cast(ScriptedOpenAIServer, _Address(server.server_address[1])))
        state = await run_reflection(session_factory, reflection_id, backend, run_settings(settings))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    assert state == "done" and _BodyBreaksOffOnce.answers == 2
    row = await reflection_row(session_factory, reflection_id)
    assert_charged_once(await account_state(session_factory, user_id), row.cost)


@dataclass(frozen=True)
class _Address:
    """Where :func:`llm_curator` finds a server: its ``base_url``."""

    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


async def test_a_failing_enqueue_does_not_stop_the_sweeper_giving_credits_back(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Redis answering errors while a reflection waits to be queued again: the sweep still voids the
    holds past their expiry (and purges), and the reflection is queued by a later sweep."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    async with unit_of_work(session_factory) as db:
        orphan = await ledger.place_hold(db, user_id, 3, ttl=timedelta(seconds=1))
        assert isinstance(orphan, CreditHold)

    async def redis_down(found: uuid.UUID) -> bool:
        raise RedisConnectionError("Connection refused")

    later = datetime.now(UTC) + timedelta(seconds=40)
    report = await sweep(session_factory, enqueue=redis_down, key_retention=timedelta(hours=48), now=later)

    assert (report.requeued, report.holds_voided) == (0, 1)
    assert (await reflection_row(session_factory, reflection_id)).state == "queued"
    account = await account_state(session_factory, user_id)
    assert account["held"] == (await reflection_row(session_factory, reflection_id)).cost
    assert sorted(account["holds"]) == ["pending", "voided"]


async def test_a_session_label_longer_than_a_title_still_gets_its_reflection(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """``relabelSession`` takes up to 200 characters; a title holds 120. The label is the Curator's
    fallback title, checked before any request: a long label must not fail every reflection of the
    session as "an internal error" (credits held, then voided)."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    row = await reflection_row(session_factory, reflection_id)
    long_label = "Harbour portraits at dusk, " * 7
    async with unit_of_work(session_factory) as db:
        await corrections.relabel_session(db, user_id, row.session_id, long_label[:200])

    assert await run_once(session_factory, settings, reflection_id, openai_server) == "done"

    row = await reflection_row(session_factory, reflection_id)
    assert row.title == DEFAULT_REFLECTION["title"]
    assert_charged_once(await account_state(session_factory, user_id), row.cost)
