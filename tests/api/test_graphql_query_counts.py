"""A fixed number of SQL statements per request, whatever the page size (issue 9, "Speed"): the
sessions page (cards with thumbnails and phases) and a session's assets page, counted at the driver
(``before_cursor_execute``) over real HTTP against the demo library."""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from api.context import RequestContext
from catalog.database import SessionFactory, create_database_engine, create_session_factory
from catalog.demo_library import write_demo_library
from catalog.embedded_servers import ServiceUrls
from catalog.importing.service import import_paths
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.api.signed_urls import without_signatures
from tests.conftest import TEMPLATE_DATABASE, _admin_execute, _with_database

_clone_numbers = itertools.count()

CARDS = """query($first: Int!) { viewer { sessions(first: $first) { edges { cursor node {
    id label intent startedAt endedAt assetCount tool
    thumbnails { assetId url } phases { id intent label startedAt endedAt assetCount } } }
  pageInfo { hasNextPage endCursor } } } }"""
CARDS_WITH_TOTAL = CARDS.replace("pageInfo {", "totalCount pageInfo {")
ASSETS = """query($id: ID!, $first: Int!, $after: String) { session(id: $id) {
  assets(first: $first, after: $after) { edges { cursor node { id tool fileName createdAt prompt seed
    model loras { name weight } width height thumbnailUrl parent { parentId kind confidence } } }
  pageInfo { hasNextPage endCursor } } } }"""


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split())[:70])

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


@pytest.fixture(scope="module")
async def demo_database(
    service_urls: ServiceUrls, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A database holding the demo library, imported once for this module (files and thumbnails in a
    module temp folder that outlives every test here); tests get clones of it, not the database itself.
    Its engine is disposed before any clone: PostgreSQL copies a template only while nobody is on it."""
    name = f"atelier_query_counts_demo_{os.getpid()}"
    await asyncio.to_thread(_admin_execute, service_urls.database_url, f"DROP DATABASE IF EXISTS {name}")
    await asyncio.to_thread(
        _admin_execute, service_urls.database_url, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DATABASE}"
    )
    url = _with_database(service_urls.database_url, name)
    home = tmp_path_factory.mktemp("query-counts-demo")
    settings = AtelierSettings(home=home / "home", database_url=url, redis_url=service_urls.redis_url)
    engine = create_database_engine(url, pool_size=2)
    try:
        library = write_demo_library(home / "demo")
        await import_paths(
            create_session_factory(engine), settings, user_handle="artist", paths=[library.root]
        )
    finally:
        await engine.dispose()
    yield name
    await asyncio.to_thread(
        _admin_execute, service_urls.database_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )


@pytest.fixture
def database_url(service_urls: ServiceUrls, demo_database: str) -> Iterator[str]:
    """This module's tests run on a fresh clone of the imported demo library (overrides the conftest
    fixture, whose clone is of the empty template): the same rows a per-test import would make."""
    name = f"atelier_query_counts_{os.getpid()}_{next(_clone_numbers)}"
    _admin_execute(service_urls.database_url, f"CREATE DATABASE {name} TEMPLATE {demo_database}")
    yield _with_database(service_urls.database_url, name)
    _admin_execute(service_urls.database_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _demo_token(session_factory: SessionFactory) -> str:
    """The demo artist's token, on this test's clone of the imported demo library."""
    return await make_user_with_token(session_factory, "artist")


async def test_session_cards_take_four_statements_for_2_or_50_cards(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await _demo_token(session_factory)
    await client.query(CARDS, token, first=1)  # warm-up: the token's last_used_at is written once
    with counted() as statements:
        small = await client.query(CARDS, token, first=2)
        small_statements = Counter(statements)
        statements.clear()
        large = await client.query(CARDS, token, first=50)
        large_statements = Counter(statements)
        statements.clear()
        total = await client.query(CARDS_WITH_TOTAL, token, first=50)
        total_statements = Counter(statements)
    cards = large["data"]["viewer"]["sessions"]["edges"]
    assert len(small["data"]["viewer"]["sessions"]["edges"]) == 2 and len(cards) == 15
    assert all(card["node"]["thumbnails"] and card["node"]["phases"] for card in cards)
    # the token, the page of sessions, then one batch each for thumbnails and phases
    assert small_statements == large_statements, (small_statements, large_statements)
    assert large_statements.total() == 4, large_statements
    # totalCount is counted only when asked for: one statement more
    assert total["data"]["viewer"]["sessions"]["totalCount"] == 15
    assert total_statements.total() == 5, total_statements
    assert "totalCount" not in str(large) and "count(" not in " ".join(large_statements)


async def test_a_session_assets_page_takes_four_statements_for_2_or_50_assets(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    token = await _demo_token(session_factory)
    listing = await client.query(
        "{ viewer { sessions(first: 50) { edges { node { id assetCount } } } } }", token
    )
    biggest = max(listing["data"]["viewer"]["sessions"]["edges"], key=lambda edge: edge["node"]["assetCount"])
    session_id = biggest["node"]["id"]
    assert biggest["node"]["assetCount"] > 52
    with counted() as statements:
        pages = []
        for first, after in ((2, None), (50, None), (50, "from-the-first")):
            if after is not None:
                after = pages[0]["data"]["session"]["assets"]["pageInfo"]["endCursor"]
            statements.clear()
            pages.append(await client.query(ASSETS, token, id=session_id, first=first, after=after))
            pages[-1]["statements"] = Counter(statements)
    sizes = [len(page["data"]["session"]["assets"]["edges"]) for page in pages]
    assert sizes == [2, 50, 50]
    assert any(edge["node"]["parent"] for edge in pages[1]["data"]["session"]["assets"]["edges"])
    assert all(edge["node"]["thumbnailUrl"] for edge in pages[1]["data"]["session"]["assets"]["edges"])
    # the token, the session, its page of assets (first page batched, later pages by cursor), parents
    assert [page["statements"].total() for page in pages] == [4, 4, 4], [p["statements"] for p in pages]
    assert pages[0]["statements"] == pages[1]["statements"]


async def test_cards_are_the_same_through_fragments(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    """The page loads its cards' thumbnails and phases when they are selected, however fragments
    spread them; the cards say the same as when selected directly."""
    token = await _demo_token(session_factory)
    direct = """{ viewer { sessions(first: 50) { edges { node {
        id thumbnails(first: 4) { assetId url } phases { id label } } } } } }"""
    named = """{ viewer { sessions(first: 50) { ...Page } } }
        fragment Page on SessionConnection { edges { node { id ...Card } } }
        fragment Card on Session { thumbnails(first: 4) { assetId url } phases { id label } }"""
    inline = """{ viewer { sessions(first: 50) { ... on SessionConnection { edges { ... { node { id
        ... on Session { thumbnails(first: 4) { assetId url } } ... { phases { id label } } } } } } } } }"""
    await client.query(direct, token)  # warm-up: the token's last_used_at is written once
    answers = []
    for document in (direct, named, inline):
        with counted() as statements:
            body = await client.query(document, token)
        assert Counter(statements).total() == 4, statements
        answers.append(without_signatures(body["data"]["viewer"]["sessions"]["edges"]))
    assert answers[0] == answers[1] == answers[2]
    assert len(answers[0]) == 15 and all(len(edge["node"]["thumbnails"]) == 4 for edge in answers[0])


PARENT = "parent { parentId kind confidence crossSession explicit }"


async def test_asset_parents_load_with_the_page_only_when_selected(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    """A page of images loads every image's parent in one batch when ``parent`` is selected (through
    fragments too), and then says what each image's own ``parent`` says; not selected, not loaded."""
    token = await _demo_token(session_factory)
    listing = await client.query(
        "{ viewer { sessions(first: 50) { edges { node { id assetCount } } } } }", token
    )
    biggest = max(listing["data"]["viewer"]["sessions"]["edges"], key=lambda edge: edge["node"]["assetCount"])
    session_id = biggest["node"]["id"]
    page = "query($id: ID!) { session(id: $id) { assets(first: 50) { edges { node { id %s } } } } }"
    direct = page % PARENT
    named = (
        "query($id: ID!) { session(id: $id) { assets(first: 50) { edges { node { id ...P } } } } } "
        f"fragment P on Asset {{ {PARENT} }}"
    )
    without = page % ""
    answers, counts = [], []
    for document in (direct, named, without):
        with counted() as statements:
            body = await client.query(document, token, id=session_id)
        counts.append(Counter(statements).total())
        answers.append(body["data"]["session"]["assets"]["edges"])
    # the token, the session, its page of assets, and the parents only when selected
    assert counts == [4, 4, 3], counts
    assert answers[0] == answers[1] and len(answers[0]) == 50
    assert [edge["node"]["id"] for edge in answers[2]] == [edge["node"]["id"] for edge in answers[0]]
    with_parent = [edge["node"] for edge in answers[0] if edge["node"]["parent"]]
    assert with_parent and len(with_parent) < 50  # both kinds on the page
    for node in [*with_parent[:3], *[edge["node"] for edge in answers[0] if not edge["node"]["parent"]][:2]]:
        alone = await client.query(  # one image: its parent through the loader, not preloaded
            f"query($id: ID!) {{ node(id: $id) {{ ... on Asset {{ id {PARENT} }} }} }}", token, id=node["id"]
        )
        assert alone["data"]["node"] == node


async def test_a_request_leaves_nothing_for_the_cyclic_collector(
    client: GraphQLClient, session_factory: SessionFactory
) -> None:
    """When a request ends, reference counting frees its context, loaders and the rows they read at
    once. Two reference cycles kept every request's objects (~600 for a page of 20 cards) until the cyclic
    collector ran: each context's loaders held its bound methods, and graphql-core's resolver helpers
    held the executor's; collecting them cost ~7 % of a served page's CPU, in pauses every request in
    flight waited for."""
    token = await _demo_token(session_factory)
    listing = await client.query(CARDS, token, first=50)  # warm-up: plans, caches, last_used_at
    session_id = listing["data"]["viewer"]["sessions"]["edges"][0]["node"]["id"]
    await client.query(ASSETS, token, id=session_id, first=50, after=None)
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            cards = await client.query(CARDS, token, first=50)
            assert len(cards["data"]["viewer"]["sessions"]["edges"]) == 15
            assets = await client.query(ASSETS, token, id=session_id, first=50, after=None)
            assert assets["data"]["session"]["assets"]["edges"]
        contexts = [item for item in gc.get_objects() if isinstance(item, RequestContext)]
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert contexts == []  # every request's context already freed, with its loaders and rows
    assert unreachable < 10 * 60, unreachable  # the in-process HTTP client and ASGI: ~34 a request
