"""How many times one paid reflection is run, and a run waiting out a database that is briefly gone.

Real PostgreSQL, a real OpenAI-speaking server on loopback (its hung requests stand for a model that
outlives arq's job timeout), the real runner, sweeper and arq job function. A lost run is a cancelled
one (what arq's job timeout and a graceful worker stop do) or one whose lease ran out. Each test says
what the artist sees (state, reason) and what the ledger holds (charged once, or voided once).

The database outage is a real one: the run's engine reaches PostgreSQL through :class:`SeveredDatabase`,
a loopback TCP port in front of the server's Unix socket that the test cuts (every open connection
reset, new ones refused) and restores.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from catalog.database import SessionFactory, create_database_engine, create_session_factory
from catalog.settings import MAX_REFLECTION_RUNS, AtelierSettings, load_settings
from catalog.settings_error import SettingsError
from catalog.storage import thumbnail_store
from reflection.runner import (
    CuratorBackend,
    CuratorInput,
    CuratorOutcome,
    RunSettings,
    run_reflection,
    runs_exhausted_reason,
)
from reflection.sweeper import WORKER_LOST, sweep
from reflection.tasks import _run_reflection
from tests.reflection.openai_server import Fail, Hang, ScriptedOpenAIServer
from tests.reflection.test_hostile_reflections import assert_charged_once, assert_nothing_charged
from tests.reflection.test_reflection_runs import (
    account_state,
    confirmed_reflection,
    llm_curator,
    reflection_row,
)

THIRD_RUN_LOST = (
    "The Curator was stopped 3 times before finishing (timed out or the worker restarted); "
    "nothing was charged."
)


def capped(settings: AtelierSettings, *, max_runs: int = 3, deadline_seconds: float = 60) -> RunSettings:
    return RunSettings(
        thumbnails=thumbnail_store(settings),
        deadline=timedelta(seconds=deadline_seconds),
        max_runs=max_runs,
    )


async def lose_a_run(
    factory: SessionFactory,
    reflection_id: uuid.UUID,
    server: ScriptedOpenAIServer,
    run_settings: RunSettings,
) -> None:
    """Start a run, wait until its model call is in flight (the server hangs it), then cancel it — what
    arq's job timeout and a graceful worker stop do to a job in hand."""
    seen = len(server.chat_requests)
    run = asyncio.create_task(run_reflection(factory, reflection_id, llm_curator(server), run_settings))
    await asyncio.to_thread(server.wait_for_requests, seen + 1, 30.0)
    run.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await run


async def test_the_third_lost_run_fails_with_its_reason_and_voids_the_hold(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """Runs 1 and 2 are handed back as before (queued, lease dropped, credits still held); the third
    lost run ends it: failed with the reason, hold voided, balance as granted, nothing captured."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    openai_server.script(Hang(), Hang(), Hang())
    for lost in (1, 2):
        await lose_a_run(session_factory, reflection_id, openai_server, capped(settings))
        row = await reflection_row(session_factory, reflection_id)
        assert (row.state, row.runs, row.run_id, row.lease_expires_at) == ("queued", lost, None, None)
        assert (await account_state(session_factory, user_id))["held"] == row.cost

    await lose_a_run(session_factory, reflection_id, openai_server, capped(settings))

    row = await reflection_row(session_factory, reflection_id)
    assert (row.state, row.runs, row.charged, row.lease_expires_at) == ("failed", 3, 0, None)
    assert row.failure_reason == THIRD_RUN_LOST
    assert_nothing_charged(await account_state(session_factory, user_id))
    assert len(openai_server.chat_requests) == 3
    again = await run_reflection(session_factory, reflection_id, llm_curator(openai_server), capped(settings))
    assert again == "skipped" and len(openai_server.chat_requests) == 3


async def test_a_run_within_the_cap_still_delivers_and_charges_once(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """Two lost runs, then a third that finishes: delivered, charged exactly once."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    openai_server.script(Hang(), Hang())
    for _ in range(2):
        await lose_a_run(session_factory, reflection_id, openai_server, capped(settings))

    state = await run_reflection(session_factory, reflection_id, llm_curator(openai_server), capped(settings))

    assert state == "done"
    row = await reflection_row(session_factory, reflection_id)
    assert (row.runs, row.failure_reason) == (3, None)
    assert_charged_once(await account_state(session_factory, user_id), row.cost)


async def test_duplicate_deliveries_during_a_live_run_do_not_use_up_its_runs(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """With two runs allowed: while each run holds the lease, three more deliveries of the job arrive
    (all skipped, none counted, no model call); the first run's loss hands the reflection back, the
    second's fails it saying it was stopped twice."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    openai_server.script(Hang(), Hang())
    two_runs = capped(settings, max_runs=2)
    for expected_runs in (1, 2):
        held = asyncio.create_task(
            run_reflection(session_factory, reflection_id, llm_curator(openai_server), two_runs)
        )
        await asyncio.to_thread(openai_server.wait_for_requests, expected_runs, 30.0)
        duplicates = await asyncio.gather(
            *(
                run_reflection(session_factory, reflection_id, llm_curator(openai_server), two_runs)
                for _ in range(3)
            )
        )
        assert duplicates == ["skipped"] * 3
        assert (await reflection_row(session_factory, reflection_id)).runs == expected_runs
        held.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await held

    row = await reflection_row(session_factory, reflection_id)
    assert (row.state, row.runs) == ("failed", 2)
    assert row.failure_reason == runs_exhausted_reason(2)
    assert "stopped 2 times" in row.failure_reason
    assert len(openai_server.chat_requests) == 2
    assert_nothing_charged(await account_state(session_factory, user_id))


class _UntilCancelled:
    """A curator that never answers: its run holds the lease until it runs out (a hung worker)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def write(self, prepared: CuratorInput) -> CuratorOutcome:
        self.started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        """Nothing to release."""


async def _third_run_past_its_lease(
    factory: SessionFactory,
    settings: AtelierSettings,
    reflection_id: uuid.UUID,
    server: ScriptedOpenAIServer,
) -> asyncio.Task[str]:
    """Two lost runs, then a third whose lease (0.5 s) has run out while it hangs; returns its task."""
    server.script(Hang(), Hang())
    for _ in range(2):
        await lose_a_run(factory, reflection_id, server, capped(settings))
    hung = _UntilCancelled()
    third = asyncio.create_task(
        run_reflection(factory, reflection_id, hung, capped(settings, deadline_seconds=0.5))
    )
    await asyncio.wait_for(hung.started.wait(), 30)
    row = await reflection_row(factory, reflection_id)
    assert row.lease_expires_at is not None and row.runs == 3
    await asyncio.sleep(max(0.0, (row.lease_expires_at - datetime.now(UTC)).total_seconds()) + 0.1)
    return third


async def test_a_redelivery_after_the_last_run_lost_its_lease_fails_it_without_calling_the_model(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    third = await _third_run_past_its_lease(session_factory, settings, reflection_id, openai_server)
    try:
        fourth = await run_reflection(
            session_factory, reflection_id, llm_curator(openai_server), capped(settings)
        )
    finally:
        third.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await third

    assert fourth == "failed"
    row = await reflection_row(session_factory, reflection_id)
    assert (row.state, row.runs, row.failure_reason) == ("failed", 3, THIRD_RUN_LOST)
    assert len(openai_server.chat_requests) == 2  # the fourth run never called the model
    assert_nothing_charged(await account_state(session_factory, user_id))


async def test_the_sweeper_names_the_runs_when_the_last_one_is_past_its_lease(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    third = await _third_run_past_its_lease(session_factory, settings, reflection_id, openai_server)
    try:
        report = await sweep(session_factory, enqueue=None, key_retention=timedelta(hours=48), max_runs=3)
    finally:
        third.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await third

    assert report.failed_running == 1
    row = await reflection_row(session_factory, reflection_id)
    assert (row.state, row.failure_reason) == ("failed", THIRD_RUN_LOST)
    assert row.failure_reason != WORKER_LOST
    assert_nothing_charged(await account_state(session_factory, user_id))


async def test_the_arq_job_uses_the_configured_cap(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """``ATELIER_REFLECTION_MAX_RUNS=1`` reaches the job: its first cancelled run fails the reflection."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    openai_server.script(Hang())
    ctx: dict[str, Any] = {
        "session_factory": session_factory,
        "settings": settings.model_copy(update={"reflection_max_runs": 1}),
        "curator_backend": llm_curator(openai_server),
        "thumbnail_store": thumbnail_store(settings),
    }
    job = asyncio.create_task(_run_reflection(ctx, str(reflection_id)))
    await asyncio.to_thread(openai_server.wait_for_requests, 1, 30.0)
    job.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await job

    row = await reflection_row(session_factory, reflection_id)
    assert (row.state, row.runs) == ("failed", 1)
    assert row.failure_reason == (
        "The Curator was stopped once before finishing (timed out or the worker restarted); "
        "nothing was charged."
    )
    assert_nothing_charged(await account_state(session_factory, user_id))


def test_the_run_cap_setting_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    assert AtelierSettings().reflection_max_runs == 3
    assert AtelierSettings(reflection_max_runs=MAX_REFLECTION_RUNS).reflection_max_runs == 10
    for refused in (0, -1, MAX_REFLECTION_RUNS + 1):
        with pytest.raises(ValidationError):
            AtelierSettings(reflection_max_runs=refused)
    monkeypatch.setenv("ATELIER_REFLECTION_MAX_RUNS", "0")
    with pytest.raises(SettingsError, match="ATELIER_REFLECTION_MAX_RUNS"):
        load_settings()
    monkeypatch.setenv("ATELIER_REFLECTION_MAX_RUNS", "2")
    assert load_settings().reflection_max_runs == 2


# --- a database briefly unreachable while a run holds the lease ---------------------------------


class SeveredDatabase:
    """A loopback TCP port forwarding to PostgreSQL's Unix socket, which the test can :meth:`cut`
    (open connections reset, new ones refused) and :meth:`restore` (listening on the same port)."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        socket_dir = url.query["host"]
        assert isinstance(socket_dir, str)
        self.socket_path = f"{socket_dir}/.s.PGSQL.{url.port or 5432}"
        self.database = url.database
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{self.database}"

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _forward(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        try:
            server_reader, server_writer = await asyncio.open_unix_connection(self.socket_path)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.update((client_writer, server_writer))

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while chunk := await reader.read(65536):
                    writer.write(chunk)
                    await writer.drain()
            writer.transport.abort()

        await asyncio.gather(pump(client_reader, server_writer), pump(server_reader, client_writer))
        self._writers.difference_update((client_writer, server_writer))


@contextlib.asynccontextmanager
async def severable_factory(database_url: str) -> AsyncIterator[tuple[SessionFactory, SeveredDatabase]]:
    """A session factory whose connections go through a :class:`SeveredDatabase`."""
    database = SeveredDatabase(database_url)
    await database.restore()
    engine = create_database_engine(database.url, pool_size=2)
    try:
        yield create_session_factory(engine), database
    finally:
        if not database.listening:
            await database.restore()
        await engine.dispose()
        await database.cut()


class _CutsTheDatabase:
    """A curator that answers (through ``inner``) after cutting the database, restored ``outage``
    seconds later: the run's next write finds it gone."""

    def __init__(self, inner: CuratorBackend, database: SeveredDatabase, outage_seconds: float) -> None:
        self.inner = inner
        self.database = database
        self.outage_seconds = outage_seconds
        self.restored: asyncio.Task[None] | None = None

    async def write(self, prepared: CuratorInput) -> CuratorOutcome:
        await self.database.cut()

        async def restore_later() -> None:
            await asyncio.sleep(self.outage_seconds)
            await self.database.restore()

        self.restored = asyncio.create_task(restore_later())
        return await self.inner.write(prepared)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_delivery_waits_out_a_database_outage_and_is_charged_once(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    database_url: str,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """The model answered, then the database was gone for a second: the run that holds the lease
    delivers once it answers again, rather than leaving the reflection RUNNING (its job's retry would
    find the live lease and skip) until the lease runs out and the paid answer is thrown away."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    async with severable_factory(database_url) as (factory, database):
        backend = _CutsTheDatabase(llm_curator(openai_server), database, outage_seconds=1.0)
        state = await run_reflection(factory, reflection_id, backend, capped(settings))
        assert backend.restored is not None and backend.restored.done()

    assert state == "done"
    row = await reflection_row(session_factory, reflection_id)
    assert (row.state, row.runs, row.lease_expires_at) == ("done", 1, None)
    assert len(openai_server.chat_requests) == 1
    assert_charged_once(await account_state(session_factory, user_id), row.cost)


async def test_a_failure_waits_out_a_database_outage_and_voids_the_hold(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    database_url: str,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """The model refused while the database was gone: the failure (with the model's reason) is stored
    and the hold voided once the database is back, not a whole lease later under another reason."""
    user_id, reflection_id = await confirmed_reflection(session_factory, settings, tmp_path)
    openai_server.script(Fail.unauthorized())
    async with severable_factory(database_url) as (factory, database):
        backend = _CutsTheDatabase(llm_curator(openai_server), database, outage_seconds=1.0)
        state = await run_reflection(factory, reflection_id, backend, capped(settings))

    assert state == "failed"
    row = await reflection_row(session_factory, reflection_id)
    assert row.state == "failed" and row.failure_reason is not None
    assert row.failure_reason != WORKER_LOST and "nothing was charged" in row.failure_reason.lower()
    assert_nothing_charged(await account_state(session_factory, user_id))
