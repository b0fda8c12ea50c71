"""The Museum Curator's runs against real PostgreSQL and a real OpenAI-speaking server on loopback:
delivered after transient failures, failed with every credit restored after persistent ones, charged
exactly once however often the job runs, and never citing what the facts do not hold."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update

from billing import ledger, quotes
from billing.models import CreditEntry, CreditHold, CreditTransfer
from catalog.database import SessionFactory, unit_of_work
from catalog.models import Asset, Phase, Session
from catalog.settings import AtelierSettings
from catalog.storage import thumbnail_store
from reflection import service
from reflection.backends import LlmCurator, OfflineCurator
from reflection.llm_client import CuratorLlm, LlmSettings
from reflection.llm_retry import BackoffPolicy
from reflection.models import Reflection
from reflection.runner import CuratorBackend, RunSettings, run_reflection
from reflection.sweeper import sweep
from tests.billing.library_builder import user_with_session
from tests.reflection.openai_server import Fail, Reply, ScriptedOpenAIServer

FAST = BackoffPolicy(initial_seconds=0.05, max_seconds=0.2, retry_after_cap_seconds=0.2)
GRANT = 50


def llm_curator(server: ScriptedOpenAIServer, *, deadline_seconds: float = 20.0) -> LlmCurator:
    return LlmCurator(
        CuratorLlm(
            LlmSettings(
                base_url=server.base_url,
                api_key="test-key",
                model="scripted-curator",
                deadline_seconds=deadline_seconds,
                attempt_timeout_seconds=5.0,
                backoff=FAST,
            )
        )
    )


async def confirmed_reflection(
    factory: SessionFactory, settings: AtelierSettings, folder: Path, *, asset_count: int = 54
) -> tuple[uuid.UUID, uuid.UUID]:
    """A user with a session, credits, and one confirmed (queued) reflection; ``(user, reflection)``."""
    user_id, session_id = await user_with_session(factory, settings, folder, asset_count=asset_count)
    llm_settings = settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1"})
    terms = quotes.ReflectionTerms.from_settings(llm_settings)
    async with unit_of_work(factory) as db:
        await ledger.grant(db, user_id, GRANT)
        created = await quotes.create_quote(db, user_id, session_id, terms)
        assert isinstance(created, quotes.QuoteCreated)
        started = await service.start_reflection(db, user_id, created.quote.id, "key-1", terms)
    return user_id, started.reflection.id


def run_settings(settings: AtelierSettings, deadline_seconds: float = 60) -> RunSettings:
    return RunSettings(thumbnails=thumbnail_store(settings), deadline=timedelta(seconds=deadline_seconds))


async def account_state(factory: SessionFactory, user_id: uuid.UUID) -> dict[str, Any]:
    async with factory() as db:
        balance = await ledger.balance_of(db, user_id)
        captures = await db.scalar(
            select(func.count()).select_from(CreditTransfer).where(CreditTransfer.kind == "capture")
        )
        entries = await db.scalar(select(func.coalesce(func.sum(CreditEntry.amount), 0)))
        holds = list(await db.scalars(select(CreditHold.state)))
    return {
        "balance": balance.balance,
        "held": balance.held,
        "captures": captures,
        "entries_sum": entries,
        "holds": holds,
    }


async def reflection_row(factory: SessionFactory, reflection_id: uuid.UUID) -> Reflection:
    async with factory() as db:
        row = await db.get(Reflection, reflection_id)
    assert row is not None
    return row


async def test_delivered_after_rate_limits_and_server_errors(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    openai_server.script(
        Fail.rate_limited(retry_after_seconds=0.1), Fail.server_error(500), Fail.server_error(503)
    )
    state = await run_reflection(
        session_factory, reflection_id, llm_curator(openai_server), run_settings(settings)
    )
    assert state == "done"
    row = await reflection_row(session_factory, reflection_id)
    assert (row.state, row.charged, row.model) == ("done", row.cost, "scripted-curator")
    assert row.title and row.summary and row.prompt_version and row.request_audit
    assert row.usage and row.usage["total_tokens"] > 0
    assert len(openai_server.requests) == 4
    request_text = openai_server.requests[-1].text()
    assert "juggernautXL_v9" in request_text and "weathered skin" in request_text
    assert openai_server.requests[-1].response_format_type == "json_schema"
    account = await account_state(session_factory, user_id)
    assert account == {
        "balance": GRANT - row.cost,
        "held": 0,
        "captures": 1,
        "entries_sum": 0,
        "holds": ["captured"],
    }


async def test_persistent_failure_fails_and_restores_every_credit(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    with ScriptedOpenAIServer(default_action=Fail.server_error(500)) as server:
        state = await run_reflection(
            session_factory, reflection_id, llm_curator(server, deadline_seconds=1.5), run_settings(settings)
        )
    assert state == "failed"
    row = await reflection_row(session_factory, reflection_id)
    assert row.state == "failed" and row.charged == 0
    assert row.failure_reason and "Nothing was charged" in row.failure_reason
    account = await account_state(session_factory, user_id)
    assert account == {"balance": GRANT, "held": 0, "captures": 0, "entries_sum": 0, "holds": ["voided"]}


async def test_refused_request_fails_without_retrying(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    openai_server.script(Fail.unauthorized())
    assert (
        await run_reflection(
            session_factory, reflection_id, llm_curator(openai_server), run_settings(settings)
        )
        == "failed"
    )
    assert len(openai_server.requests) == 1
    assert (await account_state(session_factory, user_id))["held"] == 0


async def test_a_job_run_twice_at_once_charges_exactly_once(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    backend = llm_curator(openai_server)
    states = await asyncio.gather(
        *(run_reflection(session_factory, reflection_id, backend, run_settings(settings)) for _ in range(3))
    )
    assert sorted(states) == ["done", "skipped", "skipped"]
    again = await run_reflection(session_factory, reflection_id, backend, run_settings(settings))
    assert again == "skipped"
    account = await account_state(session_factory, user_id)
    assert account["captures"] == 1 and account["held"] == 0 and account["holds"] == ["captured"]


async def _until_its_lease_has_expired(factory: SessionFactory, reflection_id: uuid.UUID) -> None:
    """Wait for a run to take the lease, then until just past its expiry (a fixed sleep raced a run
    that started late on a loaded machine)."""
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        row = await reflection_row(factory, reflection_id)
        if row.state == "running" and row.lease_expires_at is not None:
            await asyncio.sleep(max(0.0, (row.lease_expires_at - datetime.now(UTC)).total_seconds()) + 0.1)
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the slow run never took the lease")


async def test_an_expired_lease_is_taken_over_and_the_stale_run_changes_nothing(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """A run that outlives its lease (a hung worker) must not capture after another run took over."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)

    class SlowBackend:
        def __init__(self, inner: CuratorBackend) -> None:
            self.inner = inner

        async def write(self, prepared: Any) -> Any:
            await asyncio.sleep(1.5)
            return await self.inner.write(prepared)

        async def aclose(self) -> None:
            await self.inner.aclose()

    slow = asyncio.create_task(
        run_reflection(
            session_factory, reflection_id, SlowBackend(OfflineCurator()), run_settings(settings, 0.5)
        )
    )
    await _until_its_lease_has_expired(session_factory, reflection_id)
    fresh = await run_reflection(
        session_factory, reflection_id, llm_curator(openai_server), run_settings(settings)
    )
    assert fresh == "done"
    assert await slow == "superseded"
    row = await reflection_row(session_factory, reflection_id)
    assert row.model == "scripted-curator" and row.runs == 2
    assert (await account_state(session_factory, user_id))["captures"] == 1


async def test_invented_cfg_and_model_never_reach_the_artist(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    _, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    invented = {
        "title": "A fisherman in warm light",
        "summary": (
            "You refined one portrait of an old fisherman across the evening. "
            "You settled on CFG 11.5 with the dreamshaper_8 checkpoint."
        ),
        "style_patterns": ["Warm light on weathered skin.", "Rendered with realisticVision_v51 throughout."],
        "evolution_notes": ["The prompt gained sea spray and a stronger weight on weathered skin."],
    }
    openai_server.script(Reply(invented), Reply(invented))  # the repair invents again
    assert (
        await run_reflection(
            session_factory, reflection_id, llm_curator(openai_server), run_settings(settings)
        )
        == "done"
    )
    row = await reflection_row(session_factory, reflection_id)
    delivered = " ".join([row.title or "", row.summary or "", *row.style_patterns, *row.evolution_notes])
    for invention in ("11.5", "dreamshaper", "realisticVision"):
        assert invention not in delivered
    assert "old fisherman" in delivered and "sea spray" in delivered
    assert row.grounding and row.grounding["repaired"] and row.grounding["dropped_sentences"]
    assert len(openai_server.requests) == 2
    assert "11.5" in openai_server.requests[1].text()  # the repair request named what was wrong


async def test_the_sweeper_requeues_lost_jobs_and_fails_dead_runs(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    enqueued: list[uuid.UUID] = []

    async def enqueue(found: uuid.UUID) -> bool:
        enqueued.append(found)
        return True

    retention = timedelta(hours=48)
    now = datetime.now(UTC)
    report = await sweep(
        session_factory, enqueue=enqueue, key_retention=retention, now=now + timedelta(seconds=40)
    )
    assert enqueued == [reflection_id] and report.requeued == 1
    async with unit_of_work(session_factory) as db:  # a worker took it, then died (lease left behind)
        row = await db.get(Reflection, reflection_id)
        assert row is not None
        row.state, row.run_id, row.lease_expires_at = "running", uuid.uuid4(), now + timedelta(seconds=60)
    early = await sweep(
        session_factory, enqueue=enqueue, key_retention=retention, now=now + timedelta(seconds=30)
    )
    assert early.failed_running == 0
    late = await sweep(
        session_factory, enqueue=enqueue, key_retention=retention, now=now + timedelta(seconds=61)
    )
    assert late.failed_running == 1
    row = await reflection_row(session_factory, reflection_id)
    assert row.state == "failed" and row.failure_reason and "nothing was charged" in row.failure_reason
    account = await account_state(session_factory, user_id)
    assert account == {"balance": GRANT, "held": 0, "captures": 0, "entries_sum": 0, "holds": ["voided"]}
    assert (
        await run_reflection(session_factory, reflection_id, OfflineCurator(), run_settings(settings))
        == "skipped"
    )


async def test_a_queued_reflection_whose_hold_expired_is_failed_and_voided(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """A process killed between the hold and the enqueue: the hold never leaks."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    later = datetime.now(UTC) + timedelta(seconds=settings.hold_ttl_seconds + 1)
    report = await sweep(session_factory, enqueue=None, key_retention=timedelta(hours=48), now=later)
    assert report.failed_queued == 1
    assert (await reflection_row(session_factory, reflection_id)).state == "failed"
    assert (await account_state(session_factory, user_id))["holds"] == ["voided"]


async def test_the_session_vanishing_fails_cleanly(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path, asset_count=50)
    row = await reflection_row(session_factory, reflection_id)
    async with unit_of_work(session_factory) as db:  # re-clustering removed the session
        await db.execute(
            update(Asset).where(Asset.session_id == row.session_id).values(session_id=None, phase_id=None)
        )
        await db.execute(delete(Phase).where(Phase.session_id == row.session_id))
        await db.execute(delete(Session).where(Session.id == row.session_id))
    assert (
        await run_reflection(session_factory, reflection_id, OfflineCurator(), run_settings(settings))
        == "failed"
    )
    assert (await account_state(session_factory, user_id))["held"] == 0
