"""Permission answers depend on the request alone, never on earlier ones (issue 10, item 13)."""

from __future__ import annotations

from catalog.database import SessionFactory
from tests.api.conftest import GraphQLClient, make_user_with_token

SESSION = "Session:00000000-0000-0000-0000-000000000000"
QUOTE = "ReflectionQuote:00000000-0000-0000-0000-000000000000"
WRITES = {
    "mergeSessions": f'mutation {{ mergeSessions(sessionIds: ["{SESSION}"]) {{ __typename }} }}',
    "splitSession": (
        f'mutation {{ splitSession(sessionId: "{SESSION}", atAssetId: "Asset:x") {{ __typename }} }}'
    ),
    "moveAssets": (
        f'mutation {{ moveAssets(assetIds: ["Asset:x"], toSessionId: "{SESSION}") {{ __typename }} }}'
    ),
    "relabelSession": f'mutation {{ relabelSession(sessionId: "{SESSION}", label: "x") {{ __typename }} }}',
    "quoteReflection": f'mutation {{ quoteReflection(sessionId: "{SESSION}") {{ __typename }} }}',
    "confirmReflection": (
        f'mutation {{ confirmReflection(quoteId: "{QUOTE}", idempotencyKey: "k") {{ __typename }} }}'
    ),
    "startCreditPurchase": 'mutation { startCreditPurchase(packId: "p") { __typename } }',
    "updateViewer": 'mutation { updateViewer(timezone: "Europe/Paris") { timezone } }',
}
READS = {
    "sessions": "{ viewer { sessions(first: 1) { totalCount } } }",
    "credits": "{ viewer { credits { balance } } }",
    "session": f'{{ session(id: "{SESSION}") {{ id }} }}',
    "sessionGroups": "{ viewer { sessionGroups { period } } }",
    "lanes": "{ viewer { lanes(first: 1) { pageInfo { hasNextPage } } } }",
    "assets": "{ viewer { assets(first: 1) { pageInfo { hasNextPage } } } }",
}


def _code(body: dict[str, object]) -> str:
    errors = body["errors"]
    assert isinstance(errors, list) and len(errors) == 1, body
    code: str = errors[0]["extensions"]["code"]
    return code


async def test_scope_failures_stay_forbidden_after_unauthenticated_requests(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    read_only = await make_user_with_token(session_factory, "ada", scopes=["library:read"])
    credits_only = await make_user_with_token(session_factory, "bob", scopes=["credits:read"])

    for _round in range(3):
        for name, mutation in WRITES.items():
            assert _code(await client.query(mutation)) == "UNAUTHENTICATED", name
            body = await client.query(mutation, read_only)
            assert _code(body) == "FORBIDDEN", name
            assert "lacks the" in body["errors"][0]["message"], name
        for name, query in READS.items():
            assert _code(await client.query(query)) == "UNAUTHENTICATED", name
            assert _code(await client.query(query, "atl_0000000000_wrong")) == "UNAUTHENTICATED", name
        assert _code(await client.query(READS["sessions"], credits_only)) == "FORBIDDEN"
        assert _code(await client.query(READS["credits"], read_only)) == "FORBIDDEN"
        assert "errors" not in await client.query(READS["credits"], credits_only)
