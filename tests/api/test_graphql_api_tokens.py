"""API tokens over GraphQL (issue 9, item 8): list, create (secret once), revoke, last use, scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from catalog.accounts.token_format import ALL_SCOPES
from catalog.database import SessionFactory, unit_of_work
from catalog.models import ApiToken
from tests.api.conftest import GraphQLClient, make_user_with_token

LIST = """{ viewer { apiTokens(first: 50) { edges { node {
  id name prefix scopes createdAt expiresAt lastUsedAt revokedAt active current } } } } }"""
CREATE = """mutation($name: String!, $scopes: [String!]!, $expiresAt: DateTime) {
  createApiToken(name: $name, scopes: $scopes, expiresAt: $expiresAt) {
    __typename
    ... on ApiTokenCreated { token apiToken { id name prefix scopes expiresAt lastUsedAt active current } }
    ... on UnknownTokenScope { message knownScopes }
    ... on ScopesNotHeld { message missingScopes }
    ... on InvalidTokenExpiry { message }
    ... on InvalidTokenName { message }
} }"""
REVOKE = """mutation($id: ID!) { revokeApiToken(id: $id) {
  __typename
  ... on ApiTokenRevoked { apiToken { id revokedAt active } }
  ... on NotFound { message }
  ... on ScopesNotHeld { message missingScopes }
} }"""
WHO = "{ viewer { handle } }"


def _tokens(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["viewer"]["apiTokens"]["edges"]]


def _code(body: dict[str, Any]) -> str:
    errors = body["errors"]
    assert len(errors) == 1, body
    code: str = errors[0]["extensions"]["code"]
    return code


async def _create(client: GraphQLClient, token: str, **variables: Any) -> dict[str, Any]:
    body = await client.query(CREATE, token, **({"expiresAt": None} | variables))
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["createApiToken"]
    return result


async def test_list_create_use_and_revoke_round_trip(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    full = await make_user_with_token(session_factory, "ada")
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)

    created = await _create(
        client, full, name="ci", scopes=["library:read", "library:write"], expiresAt=expires.isoformat()
    )
    assert created["__typename"] == "ApiTokenCreated"
    secret = created["token"]
    meta = created["apiToken"]
    assert secret.startswith(f"atl_{meta['prefix']}_")
    assert meta["name"] == "ci" and meta["scopes"] == ["library:read", "library:write"]
    assert datetime.fromisoformat(meta["expiresAt"]) == expires
    assert meta["active"] is True and meta["current"] is False and meta["lastUsedAt"] is None

    # the new token works, and the listing shows both tokens but never a secret
    assert (await client.query(WHO, secret))["data"]["viewer"]["handle"] == "ada"
    listing = await client.query(LIST, full)
    tokens = _tokens(listing)
    assert [token["name"] for token in tokens] == ["ci", "personal token"]
    assert [token["current"] for token in tokens] == [False, True]
    assert secret not in str(listing) and full not in str(listing)
    assert secret.removeprefix(f"atl_{meta['prefix']}_") not in str(listing)  # the key part (it may hold "_")

    revoked = (await client.query(REVOKE, full, id=meta["id"]))["data"]["revokeApiToken"]
    assert revoked["__typename"] == "ApiTokenRevoked"
    assert revoked["apiToken"]["active"] is False and revoked["apiToken"]["revokedAt"] is not None
    refused = await client.query(WHO, secret)
    assert _code(refused) == "UNAUTHENTICATED"
    # it sent a token: the message says a revoked one counts as none (it only said "send a token")
    assert "a revoked, expired or unknown token counts as none" in refused["errors"][0]["message"]
    again = (await client.query(REVOKE, full, id=meta["id"]))["data"]["revokeApiToken"]
    assert again["apiToken"]["revokedAt"] == revoked["apiToken"]["revokedAt"]  # idempotent
    [listed] = [token for token in _tokens(await client.query(LIST, full)) if token["id"] == meta["id"]]
    assert listed["active"] is False and listed["revokedAt"] == revoked["apiToken"]["revokedAt"]


async def test_last_used_at_is_set_when_a_token_is_used(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    full = await make_user_with_token(session_factory, "ada")
    created = await _create(client, full, name="watcher", scopes=["library:read"])
    assert created["apiToken"]["lastUsedAt"] is None
    before = datetime.now(UTC)
    await client.query(WHO, created["token"])
    [node] = [t for t in _tokens(await client.query(LIST, full)) if t["id"] == created["apiToken"]["id"]]
    assert node["lastUsedAt"] is not None
    assert datetime.fromisoformat(node["lastUsedAt"]) >= before - timedelta(seconds=1)


async def test_last_used_at_is_written_at_most_once_a_minute(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    full = await make_user_with_token(session_factory, "ada")

    async def set_last_used(when: datetime) -> None:
        async with unit_of_work(session_factory) as db:
            await db.execute(update(ApiToken).values(last_used_at=when))

    async def last_used() -> datetime | None:
        async with session_factory() as db:
            return await db.scalar(select(ApiToken.last_used_at))

    recent = datetime.now(UTC) - timedelta(seconds=30)
    await set_last_used(recent)
    await client.query(WHO, full)
    assert await last_used() == recent  # within the minute: no write

    stale = datetime.now(UTC) - timedelta(minutes=5)
    await set_last_used(stale)
    await client.query(WHO, full)
    refreshed = await last_used()
    assert refreshed is not None and refreshed > stale + timedelta(minutes=4)


async def test_another_users_token_is_not_found_and_untouched(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    ada = await make_user_with_token(session_factory, "ada")
    bob = await make_user_with_token(session_factory, "bob")
    [ada_token] = _tokens(await client.query(LIST, ada))

    result = (await client.query(REVOKE, bob, id=ada_token["id"]))["data"]["revokeApiToken"]
    assert result == {"__typename": "NotFound", "message": "no such API token"}
    for forged in ("ApiToken:00000000-0000-0000-0000-000000000000", "Session:" + ada_token["id"][9:], "x"):
        assert (await client.query(REVOKE, bob, id=forged))["data"]["revokeApiToken"][
            "__typename"
        ] == "NotFound"
    assert [token["name"] for token in _tokens(await client.query(LIST, bob))] == ["personal token"]
    assert (await client.query(WHO, ada))["data"]["viewer"]["handle"] == "ada"
    [still] = _tokens(await client.query(LIST, ada))
    assert still["active"] is True and still["revokedAt"] is None


async def test_read_only_tokens_can_neither_create_nor_revoke(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    full = await make_user_with_token(session_factory, "ada")
    read_only = await make_user_with_token(session_factory, "ada", scopes=["library:read", "credits:read"])
    [_, full_token] = _tokens(await client.query(LIST, full))
    assert full_token["current"] is True

    create = await client.query(CREATE, read_only, name="sneaky", scopes=["library:read"], expiresAt=None)
    assert _code(create) == "FORBIDDEN" and create["data"] is None
    revoke = await client.query(REVOKE, read_only, id=full_token["id"])
    assert _code(revoke) == "FORBIDDEN"
    assert _code(await client.query(CREATE, None, name="x", scopes=[], expiresAt=None)) == "UNAUTHENTICATED"
    assert _code(await client.query(LIST)) == "UNAUTHENTICATED"
    names = [token["name"] for token in _tokens(await client.query(LIST, read_only))]
    assert names == ["personal token", "personal token"]  # nothing created, nothing revoked
    assert all(token["active"] for token in _tokens(await client.query(LIST, full)))


async def test_a_token_cannot_grant_or_revoke_beyond_its_own_scopes(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    full = await make_user_with_token(session_factory, "ada")
    writer = await make_user_with_token(session_factory, "ada", scopes=["library:read", "library:write"])

    escalation = await _create(client, writer, name="more", scopes=["library:read", "reflections:write"])
    assert escalation["__typename"] == "ScopesNotHeld"
    assert escalation["missingScopes"] == ["reflections:write"]
    full_id = next(t["id"] for t in _tokens(await client.query(LIST, full)) if t["current"])
    refused = (await client.query(REVOKE, writer, id=full_id))["data"]["revokeApiToken"]
    assert refused["__typename"] == "ScopesNotHeld"
    assert sorted(refused["missingScopes"]) == sorted(set(ALL_SCOPES) - {"library:read", "library:write"})
    assert (await client.query(WHO, full))["data"]["viewer"]["handle"] == "ada"

    narrower = await _create(client, writer, name="reader", scopes=["library:read"])
    assert narrower["__typename"] == "ApiTokenCreated"
    done = (await client.query(REVOKE, writer, id=narrower["apiToken"]["id"]))["data"]["revokeApiToken"]
    assert done["__typename"] == "ApiTokenRevoked"
    assert len(_tokens(await client.query(LIST, full))) == 3  # the refused one was never stored

    unknown = await _create(client, full, name="x", scopes=["library:read", "admin:everything"])
    assert unknown["__typename"] == "UnknownTokenScope" and "admin:everything" in unknown["message"]
    assert unknown["knownScopes"] == list(ALL_SCOPES)


async def test_expiry_and_name_rules_are_the_clis(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    full = await make_user_with_token(session_factory, "ada")
    now = datetime.now(UTC)
    for bad in (now - timedelta(minutes=1), now + timedelta(days=3651), now - timedelta(days=3651)):
        result = await _create(client, full, name="x", scopes=["library:read"], expiresAt=bad.isoformat())
        assert result["__typename"] == "InvalidTokenExpiry", bad
    naive = await _create(client, full, name="x", scopes=["library:read"], expiresAt="2030-01-01T00:00:00")
    assert naive["__typename"] == "InvalidTokenExpiry"
    for name in ("", "   ", "n" * 101):
        result = await _create(client, full, name=name, scopes=["library:read"])
        assert result["__typename"] == "InvalidTokenName", name
    assert len(_tokens(await client.query(LIST, full))) == 1

    longest = await _create(
        client,
        full,
        name="n" * 100,
        scopes=["library:read"],
        expiresAt=(now + timedelta(days=3649)).isoformat(),
    )
    assert longest["__typename"] == "ApiTokenCreated"
    forever = await _create(client, full, name="forever", scopes=["library:read"])
    assert forever["__typename"] == "ApiTokenCreated" and forever["apiToken"]["expiresAt"] is None


async def test_a_token_may_not_create_one_that_outlives_it(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    full = await make_user_with_token(session_factory, "ada")
    short = await _create(
        client,
        full,
        name="short",
        scopes=list(ALL_SCOPES),
        expiresAt=(datetime.now(UTC) + timedelta(days=1)).isoformat(),
    )
    secret = short["token"]
    for expires in (None, (datetime.now(UTC) + timedelta(days=2)).isoformat()):
        result = await _create(client, secret, name="longer", scopes=["library:read"], expiresAt=expires)
        assert result["__typename"] == "InvalidTokenExpiry" and "outlive" in result["message"]
    inside = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await _create(client, secret, name="ok", scopes=["library:read"], expiresAt=inside))[
        "__typename"
    ] == "ApiTokenCreated"


async def test_revoking_a_token_revokes_the_tokens_it_created_and_theirs(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    """A thief holding a token mints a child with it (and a grandchild with that) before the owner
    revokes the stolen one. Before, the children kept working; now they are revoked with it — and a
    sibling the owner made with another token is untouched."""
    owner = await make_user_with_token(session_factory, "ada")
    scopes = ["library:read", "library:write"]
    stolen = await _create(client, owner, name="stolen", scopes=scopes)
    child = await _create(client, stolen["token"], name="child", scopes=scopes)
    grandchild = await _create(client, child["token"], name="grandchild", scopes=scopes)
    sibling = await _create(client, owner, name="sibling", scopes=scopes)

    revoked = (await client.query(REVOKE, owner, id=stolen["apiToken"]["id"]))["data"]["revokeApiToken"]
    assert revoked["__typename"] == "ApiTokenRevoked"
    for gone in (stolen, child, grandchild):
        assert _code(await client.query(WHO, gone["token"])) == "UNAUTHENTICATED", gone["apiToken"]["name"]
    assert (await client.query(WHO, sibling["token"]))["data"]["viewer"]["handle"] == "ada"
    assert (await client.query(WHO, owner))["data"]["viewer"]["handle"] == "ada"
    states = {token["name"]: token["active"] for token in _tokens(await client.query(LIST, owner))}
    assert states == {
        "stolen": False,
        "child": False,
        "grandchild": False,
        "sibling": True,
        "personal token": True,
    }
