"""The worker's curator (:func:`reflection.backends.curator_for`) writes each reflection with the
writer it was quoted for, and never delivers (nor charges for) a placeholder; real PostgreSQL, a real
OpenAI-speaking server on loopback."""

from __future__ import annotations

import uuid
from pathlib import Path

from billing import ledger, quotes
from billing.pricing import OFFLINE_MODEL
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings
from reflection import service
from reflection.backends import curator_for
from reflection.runner import run_reflection
from tests.billing.library_builder import user_with_session
from tests.reflection.openai_server import Reply, ScriptedOpenAIServer
from tests.reflection.test_reflection_runs import GRANT, account_state, reflection_row, run_settings


async def _confirmed(
    factory: SessionFactory, settings: AtelierSettings, folder: Path, quoted_with: AtelierSettings
) -> tuple[uuid.UUID, uuid.UUID, int]:
    """A queued reflection quoted under ``quoted_with`` (an API process's settings); ``(user,
    reflection, its cost)``."""
    user_id, session_id = await user_with_session(factory, settings, folder, asset_count=54)
    terms = quotes.ReflectionTerms.from_settings(quoted_with)
    async with unit_of_work(factory) as db:
        await ledger.grant(db, user_id, GRANT)
        created = await quotes.create_quote(db, user_id, session_id, terms)
        assert isinstance(created, quotes.QuoteCreated)
        started = await service.start_reflection(db, user_id, created.quote.id, "key-1", terms)
    return user_id, started.reflection.id, started.reflection.cost


async def _run_on_worker(
    factory: SessionFactory, reflection_id: uuid.UUID, worker: AtelierSettings, settings: AtelierSettings
) -> str:
    """The reflection run as a worker configured with ``worker`` runs it (its ``curator_for``)."""
    curator = curator_for(worker)
    try:
        return await run_reflection(factory, reflection_id, curator, run_settings(settings))
    finally:
        await curator.aclose()


def _with_llm(settings: AtelierSettings, server: ScriptedOpenAIServer) -> AtelierSettings:
    return settings.model_copy(
        update={"openai_base_url": server.base_url, "openai_api_key": "test-key", "curator_model": "scripted"}
    )


async def test_an_offline_quote_is_written_offline_where_a_language_model_is_configured_now(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    assert not settings.llm_configured
    user_id, reflection_id, cost = await _confirmed(session_factory, settings, tmp_path, settings)
    state = await _run_on_worker(session_factory, reflection_id, _with_llm(settings, openai_server), settings)

    assert state == "done"
    row = await reflection_row(session_factory, reflection_id)
    assert (row.model, row.charged, row.cost) == (OFFLINE_MODEL, cost, cost)
    assert openai_server.chat_requests == []
    assert (await account_state(session_factory, user_id))["balance"] == GRANT - cost


async def test_a_language_model_quote_fails_uncharged_where_none_is_configured_now(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """Before, the worker's own choice wrote it: the offline curator (a quarter of the price) charged
    the language model's price, with ``model: atelier-offline``."""
    quoted_with = _with_llm(settings, openai_server)
    user_id, reflection_id, _ = await _confirmed(session_factory, settings, tmp_path, quoted_with)
    state = await _run_on_worker(session_factory, reflection_id, settings, settings)

    assert state == "failed"
    row = await reflection_row(session_factory, reflection_id)
    assert row.charged == 0 and row.model == "scripted" and row.summary is None
    assert row.failure_reason is not None
    assert "quoted for the language model scripted" in row.failure_reason
    assert "nothing was charged" in row.failure_reason
    account = await account_state(session_factory, user_id)
    assert (account["balance"], account["held"], account["captures"]) == (GRANT, 0, 0)


async def test_an_answer_whose_summary_is_all_inventions_is_not_delivered_nor_charged(
    session_factory: SessionFactory,
    settings: AtelierSettings,
    tmp_path: Path,
    openai_server: ScriptedOpenAIServer,
) -> None:
    """The model cites a model the session never used, twice (the answer and its repair): every
    summary sentence is dropped. Before, the placeholder "A session of 54 images." was delivered,
    shown on the session card, and charged in full."""
    with_llm = _with_llm(settings, openai_server)
    user_id, reflection_id, _ = await _confirmed(session_factory, settings, tmp_path, with_llm)
    invented = {
        "title": "Night market",
        "summary": "Everything ran on dreamshaper_8.",
        "style_patterns": ["Teal light against warm signage."],
        "evolution_notes": [],
    }
    openai_server.script(Reply(invented), Reply(invented))
    state = await _run_on_worker(session_factory, reflection_id, with_llm, settings)

    assert state == "failed"
    row = await reflection_row(session_factory, reflection_id)
    assert row.charged == 0 and row.summary is None
    assert row.failure_reason is not None and "not delivered" in row.failure_reason
    assert len(openai_server.chat_requests) == 2
    account = await account_state(session_factory, user_id)
    assert (account["balance"], account["held"], account["captures"]) == (GRANT, 0, 0)
