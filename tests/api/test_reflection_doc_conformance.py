"""The served API against ``../shared/docs/reflections-and-credits.md``, the contract clients rely on
(written by a probe that built its client from the document alone: the schema diffed with the
document's SDL, then every rule it states, against a real database, Redis, arq worker and a loopback
LLM). Each test quotes the document line it holds the server to; the one defect found (a confirm
retried after the sweeper forgot its key) failed before its fix.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import build_client_schema, build_schema, get_introspection_query, parse, print_ast
from graphql.language import ast as gast
from sqlalchemy import update

from api.app import create_app
from billing import ledger
from billing.models import ReflectionQuote as QuoteRow
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings
from reflection.sweeper import sweep
from reflection.tasks import REFLECTION_FUNCTIONS
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.arq_worker import run_worker_burst
from tests.billing.library_builder import user_with_session
from tests.reflection.openai_server import Fail, ScriptedOpenAIServer

REPO = Path(__file__).resolve().parents[2]
DOC = REPO.parent / "shared" / "docs" / "reflections-and-credits.md"

QUOTE = """mutation($id: ID!) { quoteReflection(sessionId: $id) { __typename
  ... on ReflectionQuote { id cost expiresAt available }
  ... on BelowReflectionThreshold { message assetCount requiredAssets }
  ... on NotFound { message } } }"""
CONFIRM = """mutation($q: ID!, $k: String!) { confirmReflection(quoteId: $q, idempotencyKey: $k) { __typename
  ... on ReflectionStarted { reflection { id state cost charged model createdAt } }
  ... on InsufficientCredits { message required available }
  ... on QuoteExpired { message } ... on QuoteStale { message }
  ... on BelowReflectionThreshold { message assetCount requiredAssets }
  ... on IdempotencyKeyReused { message }
  ... on NotFound { message } } }"""
CARD = """query($id: ID!) { session(id: $id) {
  summary reflectionEligibility { eligible assetCount requiredAssets }
  reflection {
    id state title summary stylePatterns evolutionNotes model cost charged completedAt failureReason
  }
} }"""
CREDITS = """{ viewer { credits { balance held available }
  creditLedger { edges { node { id kind amount balanceAfter createdAt reference } } } } }"""


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"]


@asynccontextmanager
async def _client(settings: AtelierSettings) -> AsyncIterator[GraphQLClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://atelier.test") as http:
            yield GraphQLClient(http)


async def _grant(factory: SessionFactory, user_id: uuid.UUID, amount: int) -> None:
    async with unit_of_work(factory) as db:
        await ledger.grant(db, user_id, amount, reference="probe grant")


async def _credits(client: GraphQLClient, token: str) -> dict[str, int]:
    return _data(await client.query("{ viewer { credits { balance held available } } }", token))["viewer"][
        "credits"
    ]


# ---------------------------------------------------------------- the SDL


def _doc_sdl() -> str:
    match = re.search(r"```graphql\n(.*?)```", DOC.read_text(), re.S)
    assert match
    return match.group(1)


def _type_str(node: gast.TypeNode) -> str:
    if isinstance(node, gast.NonNullTypeNode):
        return _type_str(node.type) + "!"
    if isinstance(node, gast.ListTypeNode):
        return "[" + _type_str(node.type) + "]"
    assert isinstance(node, gast.NamedTypeNode)
    return node.name.value


def _served_default(served_arg: Any) -> str | None:
    """The argument's default as GraphQL text (graphql-core 3.3 keeps it in ``default``)."""
    default = getattr(served_arg, "default", None)
    if default is not None:
        if getattr(default, "literal", None) is not None:
            return print_ast(default.literal)
        value = getattr(default, "value", None)
        return None if value is None else repr(value)
    node = served_arg.ast_node
    if node is not None and node.default_value is not None:
        return print_ast(node.default_value)
    return None


def _diff_against(served: Any) -> list[str]:
    """Everything the document's (partial) SDL states that ``served`` does not hold."""
    problems: list[str] = []
    for definition in parse(_doc_sdl()).definitions:
        name = definition.name.value  # type: ignore[attr-defined]
        served_type = served.type_map.get(name)
        if served_type is None:
            problems.append(f"missing type {name}")
            continue
        if isinstance(definition, gast.ObjectTypeDefinitionNode):
            for field in definition.fields or ():
                served_field = served_type.fields.get(field.name.value)
                if served_field is None:
                    problems.append(f"missing field {name}.{field.name.value}")
                    continue
                if str(served_field.type) != _type_str(field.type):
                    problems.append(
                        f"{name}.{field.name.value}: doc {_type_str(field.type)}, served {served_field.type}"
                    )
                stated = {argument.name.value for argument in field.arguments or ()}
                for argument in field.arguments or ():
                    served_arg = served_field.args.get(argument.name.value)
                    if served_arg is None:
                        problems.append(f"missing argument {name}.{field.name.value}({argument.name.value})")
                        continue
                    if str(served_arg.type) != _type_str(argument.type):
                        problems.append(
                            f"{name}.{field.name.value}({argument.name.value}): doc "
                            f"{_type_str(argument.type)}, served {served_arg.type}"
                        )
                    if argument.default_value is not None:
                        served_default = _served_default(served_arg)
                        if served_default != print_ast(argument.default_value):
                            problems.append(
                                f"{name}.{field.name.value}({argument.name.value}) default: doc "
                                f"{print_ast(argument.default_value)}, served {served_default}"
                            )
                for extra, served_arg in served_field.args.items():
                    if extra in stated:
                        continue
                    required = str(served_arg.type).endswith("!") and _served_default(served_arg) is None
                    if required:
                        problems.append(f"extra required argument {name}.{field.name.value}({extra})")
        elif isinstance(definition, gast.UnionTypeDefinitionNode):
            stated_members = {member.name.value for member in definition.types or ()}
            served_members = {member.name for member in served_type.types}
            if stated_members != served_members:
                problems.append(
                    f"union {name}: missing {sorted(stated_members - served_members)}, "
                    f"extra {sorted(served_members - stated_members)}"
                )
        elif isinstance(definition, gast.EnumTypeDefinitionNode):
            stated_values = {value.name.value for value in definition.values or ()}
            if stated_values != set(served_type.values):
                problems.append(
                    f"enum {name}: doc {sorted(stated_values)}, served {sorted(served_type.values)}"
                )
    return problems


def test_committed_schema_holds_every_name_of_the_document() -> None:
    """Doc: "Front-end apps and third-party integrations call these exact names ... do not rename or
    drop these." (types, fields, arguments, nullability, defaults, union members, enum values)"""
    served = build_schema((REPO / "schema.graphql").read_text())
    assert _diff_against(served) == []


async def test_live_introspection_holds_every_name_of_the_document(settings: AtelierSettings) -> None:
    """Same check against what the running app answers to introspection (not the committed file)."""
    async with _client(settings) as client:
        body = await client.query(get_introspection_query())
    served = build_client_schema(_data(body))  # type: ignore[arg-type]
    assert _diff_against(served) == []


# ---------------------------------------------------------------- scopes


async def test_a_credits_read_only_token_reads_credits_and_ledger(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    """Doc: `credits: CreditBalance!  # scope credits:read` and `creditLedger(first: Int! = 20, ...)`
    (a client calls it without `first`)."""
    token = await make_user_with_token(session_factory, "ada", scopes=["credits:read"])
    async with _client(settings) as client:
        viewer = _data(await client.query(CREDITS, token))["viewer"]
    assert viewer["credits"] == {"balance": 0, "held": 0, "available": 0}
    assert viewer["creditLedger"]["edges"] == []


async def test_a_reflections_write_only_token_quotes_and_confirms(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: `quoteReflection(sessionId: ID!): QuoteReflectionPayload!  # scope reflections:write`."""
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    await _grant(session_factory, user_id, 20)
    token = await make_user_with_token(session_factory, "ada", scopes=["reflections:write"])
    async with _client(queue_settings) as client:
        quote = _data(await client.query(QUOTE, token, id=f"Session:{session_id}"))["quoteReflection"]
        assert quote["__typename"] == "ReflectionQuote", quote
        started = _data(await client.query(CONFIRM, token, q=quote["id"], k="k1"))["confirmReflection"]
    assert started["__typename"] == "ReflectionStarted", started
    assert started["reflection"]["state"] == "QUEUED" and started["reflection"]["cost"] == quote["cost"]
    assert started["reflection"]["charged"] is None


async def test_spending_needs_reflections_write(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: scope reflections:write on the paid-reflection mutations (FORBIDDEN otherwise), and an
    anonymous request is UNAUTHENTICATED."""
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    await _grant(session_factory, user_id, 20)
    full = await make_user_with_token(session_factory, "ada")
    reader = await make_user_with_token(session_factory, "ada", scopes=["library:read", "credits:read"])
    async with _client(queue_settings) as client:
        quote = _data(await client.query(QUOTE, full, id=f"Session:{session_id}"))["quoteReflection"]
        denied = await client.query(CONFIRM, reader, q=quote["id"], k="k1")
        anonymous = await client.query(CONFIRM, None, q=quote["id"], k="k1")
        assert await _credits(client, full) == {"balance": 20, "held": 0, "available": 20}
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# ---------------------------------------------------------------- quotes, threshold, expiry


async def test_quote_has_whole_credit_price_and_15_minute_expiry_and_exact_threshold(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: "Only sessions with at least 50 assets can be reflected on (... default 50)"; "A quote has a
    price in whole credits and an expiry"; README: "a quote is valid for 15 minutes"."""
    _, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    token = await make_user_with_token(session_factory, "ada")
    async with _client(queue_settings) as client:
        card = _data(await client.query(CARD, token, id=f"Session:{session_id}"))["session"]
        before = datetime.now(UTC)
        quote = _data(await client.query(QUOTE, token, id=f"Session:{session_id}"))["quoteReflection"]
    assert card["reflectionEligibility"] == {"eligible": True, "assetCount": 50, "requiredAssets": 50}
    assert quote["__typename"] == "ReflectionQuote" and isinstance(quote["cost"], int) and quote["cost"] >= 1
    expires = datetime.fromisoformat(quote["expiresAt"])
    assert timedelta(minutes=14) < expires - before <= timedelta(minutes=15, seconds=5)


async def test_min_assets_setting_is_the_threshold(
    queue_settings: AtelierSettings,
    session_factory: SessionFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Doc: "(`ATELIER_REFLECTION_MIN_ASSETS`, default 50)"."""
    monkeypatch.setenv("ATELIER_REFLECTION_MIN_ASSETS", "60")
    assert AtelierSettings().reflection_min_assets == 60
    settings = queue_settings.model_copy(update={"reflection_min_assets": 60})
    _, session_id = await user_with_session(session_factory, settings, tmp_path, asset_count=56)
    token = await make_user_with_token(session_factory, "ada")
    async with _client(settings) as client:
        card = _data(await client.query(CARD, token, id=f"Session:{session_id}"))["session"]
        quote = _data(await client.query(QUOTE, token, id=f"Session:{session_id}"))["quoteReflection"]
    assert card["reflectionEligibility"] == {"eligible": False, "assetCount": 56, "requiredAssets": 60}
    assert quote["__typename"] == "BelowReflectionThreshold"
    assert (quote["assetCount"], quote["requiredAssets"]) == (56, 60)


async def _asset_ids(client: GraphQLClient, token: str, session_id: uuid.UUID) -> list[str]:
    body = await client.query(
        "query($id: ID!) { session(id: $id) { assets(first: 100) { edges { node { id } } } } }",
        token,
        id=f"Session:{session_id}",
    )
    return [edge["node"]["id"] for edge in _data(body)["session"]["assets"]["edges"]]


MOVE = """mutation($ids: [ID!]!, $to: ID!) { moveAssets(assetIds: $ids, toSessionId: $to) { __typename
  ... on InvalidCorrection { message } ... on NotFound { message } } }"""


async def test_confirm_refuses_a_session_moved_below_the_threshold(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: "Billing enforces it at quote time **and** at confirm time (a session can shrink between the
    two through a split or a move)." → BelowReflectionThreshold, nothing held."""
    user_id, big = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    _, other = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=10, day=3)
    await _grant(session_factory, user_id, 20)
    token = await make_user_with_token(session_factory, "ada")
    async with _client(queue_settings) as client:
        quote = _data(await client.query(QUOTE, token, id=f"Session:{big}"))["quoteReflection"]
        assets = await _asset_ids(client, token, big)
        moved = _data(await client.query(MOVE, token, ids=[assets[-1]], to=f"Session:{other}"))
        assert moved["moveAssets"]["__typename"] == "CorrectionApplied", moved
        card = _data(await client.query(CARD, token, id=f"Session:{big}"))["session"]
        refused = _data(await client.query(CONFIRM, token, q=quote["id"], k="k1"))["confirmReflection"]
        after = await _credits(client, token)
    assert card is not None and card["reflectionEligibility"]["assetCount"] == 49
    assert refused["__typename"] == "BelowReflectionThreshold", refused
    assert (refused["assetCount"], refused["requiredAssets"]) == (49, 50)
    assert after == {"balance": 20, "held": 0, "available": 20}


async def test_confirm_refuses_a_changed_session_as_stale(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: `type QuoteStale { message: String! }  # the session changed since the quote`."""
    user_id, big = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=52)
    _, other = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=10, day=3)
    await _grant(session_factory, user_id, 20)
    token = await make_user_with_token(session_factory, "ada")
    async with _client(queue_settings) as client:
        quote = _data(await client.query(QUOTE, token, id=f"Session:{big}"))["quoteReflection"]
        assets = await _asset_ids(client, token, big)
        _data(await client.query(MOVE, token, ids=[assets[-1]], to=f"Session:{other}"))
        refused = _data(await client.query(CONFIRM, token, q=quote["id"], k="k1"))["confirmReflection"]
        after = await _credits(client, token)
    assert refused["__typename"] == "QuoteStale", refused
    assert after == {"balance": 20, "held": 0, "available": 20}


async def test_eligibility_and_quote_agree_after_images_are_removed(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: `type ReflectionEligibility { eligible: Boolean!  assetCount: Int!  requiredAssets: Int! }`
    and the ≥ 50 rule: what the card says and what billing says must be the same count."""
    _, big = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    token = await make_user_with_token(session_factory, "ada")
    async with _client(queue_settings) as client:
        assets = await _asset_ids(client, token, big)
        removed = await client.query(
            "mutation($ids: [ID!]!) { removeAssets(assetIds: $ids) { removedIds } }", token, ids=[assets[-1]]
        )
        assert len(_data(removed)["removeAssets"]["removedIds"]) == 1
        card = _data(await client.query(CARD, token, id=f"Session:{big}"))["session"]
        quote = _data(await client.query(QUOTE, token, id=f"Session:{big}"))["quoteReflection"]
    if card is None:
        assert quote["__typename"] == "NotFound"
        return
    assert card["reflectionEligibility"] == {"eligible": False, "assetCount": 49, "requiredAssets": 50}
    assert quote["__typename"] == "BelowReflectionThreshold" and quote["assetCount"] == 49


async def test_an_expired_quote_is_refused_and_holds_nothing(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: "A quote has a price in whole credits and an expiry"; `QuoteExpired  # expired, ...`."""
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    await _grant(session_factory, user_id, 20)
    token = await make_user_with_token(session_factory, "ada")
    async with _client(queue_settings) as client:
        quote = _data(await client.query(QUOTE, token, id=f"Session:{session_id}"))["quoteReflection"]
        quote_id = uuid.UUID(quote["id"].split(":", 1)[1])
        async with unit_of_work(session_factory) as db:
            await db.execute(
                update(QuoteRow)
                .where(QuoteRow.id == quote_id)
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        refused = _data(await client.query(CONFIRM, token, q=quote["id"], k="k1"))["confirmReflection"]
        after = await _credits(client, token)
    assert refused["__typename"] == "QuoteExpired", refused
    assert after == {"balance": 20, "held": 0, "available": 20}


# ---------------------------------------------------------------- confirm once, idempotency, holds


async def test_confirm_once_idempotent_and_key_reuse(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: "it can be confirmed once"; "Same `idempotencyKey` and same quote → the same
    `ReflectionStarted` (same reflection id), no second hold, however many times and however
    concurrently it is sent"; `IdempotencyKeyReused  # same key, different quote`;
    `QuoteExpired  # expired, or already confirmed under another key`; "Confirming **holds** the credits"."""
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    await _grant(session_factory, user_id, 30)
    token = await make_user_with_token(session_factory, "ada")
    sid = f"Session:{session_id}"
    async with _client(queue_settings) as client:
        first = _data(await client.query(QUOTE, token, id=sid))["quoteReflection"]
        second = _data(await client.query(QUOTE, token, id=sid))["quoteReflection"]
        cost = first["cost"]
        answers = await asyncio.gather(
            *(client.query(CONFIRM, token, q=first["id"], k="same") for _ in range(8))
        )
        started = [_data(answer)["confirmReflection"] for answer in answers]
        assert {item["__typename"] for item in started} == {"ReflectionStarted"}, started
        assert len({item["reflection"]["id"] for item in started}) == 1
        assert await _credits(client, token) == {"balance": 30, "held": cost, "available": 30 - cost}
        reused = _data(await client.query(CONFIRM, token, q=second["id"], k="same"))["confirmReflection"]
        assert reused["__typename"] == "IdempotencyKeyReused", reused
        again = _data(await client.query(CONFIRM, token, q=first["id"], k="other"))["confirmReflection"]
        assert again["__typename"] == "QuoteExpired", again
        # the second quote is still usable after the refused reuse of the key
        ok = _data(await client.query(CONFIRM, token, q=second["id"], k="fresh"))["confirmReflection"]
        assert ok["__typename"] == "ReflectionStarted", ok
        assert await _credits(client, token) == {
            "balance": 30,
            "held": cost + second["cost"],
            "available": 30 - cost - second["cost"],
        }


async def test_available_never_goes_below_zero_under_concurrent_confirms(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: "The available balance (balance − held) never goes below zero."; `InsufficientCredits`."""
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    token = await make_user_with_token(session_factory, "ada")
    sid = f"Session:{session_id}"
    async with _client(queue_settings) as client:
        quotes = [_data(await client.query(QUOTE, token, id=sid))["quoteReflection"] for _ in range(4)]
        cost = quotes[0]["cost"]
        await _grant(session_factory, user_id, cost)
        answers = await asyncio.gather(
            *(client.query(CONFIRM, token, q=q["id"], k=f"k{i}") for i, q in enumerate(quotes))
        )
        kinds = sorted(_data(answer)["confirmReflection"]["__typename"] for answer in answers)
        credits = await _credits(client, token)
    assert kinds == ["InsufficientCredits"] * 3 + ["ReflectionStarted"], kinds
    assert credits == {"balance": cost, "held": cost, "available": 0}
    short = next(
        _data(a)["confirmReflection"]
        for a in answers
        if _data(a)["confirmReflection"]["__typename"] != "ReflectionStarted"
    )
    assert short["required"] == cost and short["available"] == 0


async def test_abandoned_reflection_gives_every_credit_back(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: "the hold is ... **voided** (credits back, in full) when it fails, times out or is abandoned"."""
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    await _grant(session_factory, user_id, 20)
    token = await make_user_with_token(session_factory, "ada")
    async with _client(queue_settings) as client:
        quote = _data(await client.query(QUOTE, token, id=f"Session:{session_id}"))["quoteReflection"]
        started = _data(await client.query(CONFIRM, token, q=quote["id"], k="k"))["confirmReflection"]
        assert started["__typename"] == "ReflectionStarted"
        await sweep(
            session_factory,
            enqueue=None,
            key_retention=timedelta(hours=48),
            now=datetime.now(UTC) + timedelta(hours=2),
        )
        card = _data(await client.query(CARD, token, id=f"Session:{session_id}"))["session"]
        credits = await _credits(client, token)
        ledger_kinds = [
            e["node"]["kind"]
            for e in _data(await client.query(CREDITS, token))["viewer"]["creditLedger"]["edges"]
        ]
    assert card["reflection"]["state"] == "FAILED" and card["reflection"]["charged"] == 0
    assert card["summary"] is None
    assert credits == {"balance": 20, "held": 0, "available": 20}
    assert "capture" not in ledger_kinds


async def test_a_retried_confirm_days_later_still_answers_the_same_reflection(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: "Same `idempotencyKey` and same quote → the same `ReflectionStarted` (same reflection id), no
    second hold, however many times and however concurrently it is sent." (no time limit is stated; the
    sweeper forgets keys after ATELIER_IDEMPOTENCY_KEY_RETENTION_HOURS = 48)."""
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    await _grant(session_factory, user_id, 20)
    token = await make_user_with_token(session_factory, "ada")
    async with _client(queue_settings) as client:
        quote = _data(await client.query(QUOTE, token, id=f"Session:{session_id}"))["quoteReflection"]
        first = _data(await client.query(CONFIRM, token, q=quote["id"], k="k"))["confirmReflection"]
        await sweep(
            session_factory,
            enqueue=None,
            key_retention=timedelta(hours=48),
            now=datetime.now(UTC) + timedelta(hours=49),
        )
        retried = _data(await client.query(CONFIRM, token, q=quote["id"], k="k"))["confirmReflection"]
    assert retried["__typename"] == "ReflectionStarted", retried
    assert retried["reflection"]["id"] == first["reflection"]["id"]


# ---------------------------------------------------------------- a real LLM on loopback


async def test_llm_delivery_charges_once_and_failure_charges_nothing(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: "LLM: `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `ATELIER_CURATOR_MODEL`; any server that speaks the
    OpenAI Chat Completions API"; "the hold is **captured** when the reflection is delivered and **voided**
    (credits back, in full) when it fails"; "Nothing is ever charged for a reflection that was not
    delivered; a retried confirm never charges twice"; "`session.reflection` is the latest reflection of
    the session; `session.summary` is the delivered reflection's summary"; "creditLedger ... # newest
    first"."""
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=60)
    await _grant(session_factory, user_id, 50)
    token = await make_user_with_token(session_factory, "ada")
    sid = f"Session:{session_id}"
    with ScriptedOpenAIServer() as server:
        settings = queue_settings.model_copy(
            update={"openai_base_url": server.base_url, "curator_model": "probe-curator"}
        )
        async with _client(settings) as client:
            quote = _data(await client.query(QUOTE, token, id=sid))["quoteReflection"]
            cost = quote["cost"]
            assert quote["available"] == 50
            started = _data(await client.query(CONFIRM, token, q=quote["id"], k="k1"))["confirmReflection"]
            await run_worker_burst(session_factory, settings, REFLECTION_FUNCTIONS)
            card = _data(await client.query(CARD, token, id=sid))["session"]
            assert card["reflection"]["id"] == started["reflection"]["id"]
            assert card["reflection"]["state"] == "DONE", card
            assert card["reflection"]["model"] == "probe-curator"
            assert card["reflection"]["charged"] == cost and card["reflection"]["cost"] == cost
            assert card["summary"] == card["reflection"]["summary"] and card["summary"]
            assert card["reflection"]["completedAt"] is not None
            assert await _credits(client, token) == {"balance": 50 - cost, "held": 0, "available": 50 - cost}
            # retried confirm after delivery: same reflection, nothing more held or charged
            again = _data(await client.query(CONFIRM, token, q=quote["id"], k="k1"))["confirmReflection"]
            assert again["__typename"] == "ReflectionStarted"
            assert again["reflection"]["id"] == started["reflection"]["id"]
            assert await _credits(client, token) == {"balance": 50 - cost, "held": 0, "available": 50 - cost}
            delivered_summary = card["summary"]

            server.default_action = Fail.unauthorized()
            quote2 = _data(await client.query(QUOTE, token, id=sid))["quoteReflection"]
            started2 = _data(await client.query(CONFIRM, token, q=quote2["id"], k="k2"))["confirmReflection"]
            assert started2["__typename"] == "ReflectionStarted"
            await run_worker_burst(session_factory, settings, REFLECTION_FUNCTIONS)
            card = _data(await client.query(CARD, token, id=sid))["session"]
            credits = _data(await client.query(CREDITS, token))["viewer"]
    assert card["reflection"]["id"] == started2["reflection"]["id"]
    assert card["reflection"]["state"] == "FAILED" and card["reflection"]["charged"] == 0
    assert card["reflection"]["failureReason"]
    assert card["summary"] == delivered_summary
    assert credits["credits"] == {"balance": 50 - cost, "held": 0, "available": 50 - cost}
    kinds = [(e["node"]["kind"], e["node"]["amount"]) for e in credits["creditLedger"]["edges"]]
    assert kinds == [("capture", -cost), ("grant", 50)]


async def test_without_llm_the_offline_curator_answers(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: "With no LLM configured the built-in offline curator answers (model name `atelier-offline`)"."""
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    await _grant(session_factory, user_id, 20)
    token = await make_user_with_token(session_factory, "ada")
    settings = queue_settings.model_copy(update={"openai_base_url": None, "openai_api_key": None})
    async with _client(settings) as client:
        quote = _data(await client.query(QUOTE, token, id=f"Session:{session_id}"))["quoteReflection"]
        _data(await client.query(CONFIRM, token, q=quote["id"], k="k"))
        await run_worker_burst(session_factory, settings, REFLECTION_FUNCTIONS)
        card = _data(await client.query(CARD, token, id=f"Session:{session_id}"))["session"]
    assert card["reflection"]["state"] == "DONE" and card["reflection"]["model"] == "atelier-offline"
    assert (
        card["reflection"]["stylePatterns"] is not None and card["reflection"]["evolutionNotes"] is not None
    )


# ---------------------------------------------------------------- accounts


async def test_new_users_start_with_signup_credits(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    """Doc: "New users start at 0 credits unless `ATELIER_SIGNUP_CREDITS` says otherwise"."""
    token = await make_user_with_token(session_factory, "zoe")
    async with _client(settings.model_copy(update={"signup_credits": 7})) as client:
        viewer = _data(await client.query(CREDITS, token))["viewer"]
    assert viewer["credits"] == {"balance": 7, "held": 0, "available": 7}
    assert [e["node"]["amount"] for e in viewer["creditLedger"]["edges"]] == [7]


async def test_query_reflection_and_credit_packs_exist(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: `type Query  { reflection(id: ID!): Reflection  creditPacks: [CreditPack!]! }`;
    `startCreditPurchase(packId: ID!): StartCreditPurchasePayload!`."""
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    await _grant(session_factory, user_id, 20)
    token = await make_user_with_token(session_factory, "ada")
    async with _client(queue_settings) as client:
        quote = _data(await client.query(QUOTE, token, id=f"Session:{session_id}"))["quoteReflection"]
        started = _data(await client.query(CONFIRM, token, q=quote["id"], k="k"))["confirmReflection"]
        rid = started["reflection"]["id"]
        got = _data(
            await client.query(
                "query($id: ID!) { reflection(id: $id) {"
                " id state cost stylePatterns evolutionNotes createdAt } }",
                token,
                id=rid,
            )
        )["reflection"]
        packs = _data(await client.query("{ creditPacks { __typename } }", token))["creditPacks"]
        missing = _data(
            await client.query(
                "query($id: ID!) { reflection(id: $id) { id } }", token, id=f"Reflection:{uuid.uuid4()}"
            )
        )["reflection"]
        purchase = await client.query('mutation { startCreditPurchase(packId: "x") { __typename } }', token)
    assert got["id"] == rid and got["state"] == "QUEUED" and got["stylePatterns"] == []
    assert isinstance(packs, list) and missing is None
    assert "errors" not in purchase, purchase


# ---------------------------------------------------------------- more rules


async def test_idempotency_keys_are_per_user_and_one_key_starts_one_quote(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: "Everything below is per authenticated user."; `IdempotencyKeyReused  # same key, different
    quote` — also when the two confirms race."""
    ada_id, ada_session = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    bob_id, bob_session = await user_with_session(
        session_factory, queue_settings, tmp_path, handle="bob", asset_count=50
    )
    await _grant(session_factory, ada_id, 30)
    await _grant(session_factory, bob_id, 30)
    ada = await make_user_with_token(session_factory, "ada")
    bob = await make_user_with_token(session_factory, "bob")
    async with _client(queue_settings) as client:
        qa1 = _data(await client.query(QUOTE, ada, id=f"Session:{ada_session}"))["quoteReflection"]
        qa2 = _data(await client.query(QUOTE, ada, id=f"Session:{ada_session}"))["quoteReflection"]
        qb = _data(await client.query(QUOTE, bob, id=f"Session:{bob_session}"))["quoteReflection"]
        raced = await asyncio.gather(
            client.query(CONFIRM, ada, q=qa1["id"], k="shared"),
            client.query(CONFIRM, ada, q=qa2["id"], k="shared"),
        )
        kinds = sorted(_data(answer)["confirmReflection"]["__typename"] for answer in raced)
        bobs = _data(await client.query(CONFIRM, bob, q=qb["id"], k="shared"))["confirmReflection"]
        ada_credits = await _credits(client, ada)
    assert kinds == ["IdempotencyKeyReused", "ReflectionStarted"], kinds
    assert bobs["__typename"] == "ReflectionStarted", bobs
    assert ada_credits["held"] == qa1["cost"]


async def test_malformed_ids_are_typed_not_found(
    queue_settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    """Doc: `union QuoteReflectionPayload = ReflectionQuote | BelowReflectionThreshold | NotFound`,
    `ConfirmReflectionPayload = ... | NotFound`, `reflection(id: ID!): Reflection` (nullable)."""
    token = await make_user_with_token(session_factory, "ada")
    async with _client(queue_settings) as client:
        for bad in ("garbage", f"Session:{uuid.uuid4()}", f"Reflection:{uuid.uuid4()}", ""):
            quote = _data(await client.query(QUOTE, token, id=bad))["quoteReflection"]
            assert quote["__typename"] == "NotFound", (bad, quote)
            confirm = _data(await client.query(CONFIRM, token, q=bad, k="k"))["confirmReflection"]
            assert confirm["__typename"] == "NotFound", (bad, confirm)
            peek = _data(await client.query("query($id: ID!) { reflection(id: $id) { id } }", token, id=bad))
            assert peek == {"reflection": None}


async def test_credit_ledger_pages_newest_first_with_default_20(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    """Doc: `creditLedger(first: Int! = 20, after: String): CreditLedgerConnection!   # newest first`."""
    token = await make_user_with_token(session_factory, "ada")
    from catalog.accounts.repository import user_by_handle

    async with unit_of_work(session_factory) as db:
        user = await user_by_handle(db, "ada")
        assert user is not None
        user_id = user.id
    for amount in range(1, 23):
        await _grant(session_factory, user_id, amount)
    page = """query($after: String) { viewer { creditLedger(after: $after) {
      edges { node { amount balanceAfter } } pageInfo { hasNextPage endCursor } } } }"""
    async with _client(settings) as client:
        first = _data(await client.query(page, token))["viewer"]["creditLedger"]
        second = _data(await client.query(page, token, after=first["pageInfo"]["endCursor"]))["viewer"][
            "creditLedger"
        ]
    amounts = [e["node"]["amount"] for e in first["edges"] + second["edges"]]
    assert len(first["edges"]) == 20 and first["pageInfo"]["hasNextPage"] is True
    assert amounts == list(range(22, 0, -1))
    assert first["edges"][0]["node"]["balanceAfter"] == sum(range(1, 23))


async def test_any_chat_completions_server_with_key_and_without_structured_output(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: "LLM: `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `ATELIER_CURATOR_MODEL`; any server that speaks the
    OpenAI Chat Completions API (OpenAI, Ollama, vLLM, LM Studio)"."""
    user_id, session_id = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=50)
    await _grant(session_factory, user_id, 50)
    token = await make_user_with_token(session_factory, "ada")
    with ScriptedOpenAIServer(
        required_api_key="sk-probe", rejected_response_formats={"json_schema", "json_object"}
    ) as server:
        settings = queue_settings.model_copy(
            update={"openai_base_url": server.base_url, "openai_api_key": "sk-probe", "curator_model": "m1"}
        )
        async with _client(settings) as client:
            quote = _data(await client.query(QUOTE, token, id=f"Session:{session_id}"))["quoteReflection"]
            _data(await client.query(CONFIRM, token, q=quote["id"], k="k"))
            await run_worker_burst(session_factory, settings, REFLECTION_FUNCTIONS)
            card = _data(await client.query(CARD, token, id=f"Session:{session_id}"))["session"]
    assert card["reflection"]["state"] == "DONE", card
    assert card["reflection"]["model"] == "m1" and card["reflection"]["charged"] == quote["cost"]


SPLIT = """mutation($s: ID!, $a: ID!) { splitSession(sessionId: $s, atAssetId: $a) { __typename
  ... on CorrectionApplied { sessions { id assetCount } } ... on InvalidCorrection { message } } }"""


async def test_confirm_refuses_a_session_split_below_the_threshold(
    queue_settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    """Doc: "Billing enforces it at quote time **and** at confirm time (a session can shrink between the
    two through a split or a move)." Nothing may be held for the split session's old quote."""
    user_id, big = await user_with_session(session_factory, queue_settings, tmp_path, asset_count=60)
    await _grant(session_factory, user_id, 20)
    token = await make_user_with_token(session_factory, "ada")
    async with _client(queue_settings) as client:
        quote = _data(await client.query(QUOTE, token, id=f"Session:{big}"))["quoteReflection"]
        assets = await _asset_ids(client, token, big)
        split = _data(await client.query(SPLIT, token, s=f"Session:{big}", a=assets[30]))["splitSession"]
        assert split["__typename"] == "CorrectionApplied", split
        refused = _data(await client.query(CONFIRM, token, q=quote["id"], k="k1"))["confirmReflection"]
        after = await _credits(client, token)
    assert sorted(s["assetCount"] for s in split["sessions"]) == [30, 30]
    assert refused["__typename"] in ("BelowReflectionThreshold", "QuoteStale"), refused
    if f"Session:{big}" in {s["id"] for s in split["sessions"]}:
        assert refused["__typename"] == "BelowReflectionThreshold", refused
    assert after == {"balance": 20, "held": 0, "available": 20}
