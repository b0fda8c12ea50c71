"""``Asset.promptPreview``: what lists and search results show of a prompt that may be megabytes."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import update

from api.context import LORA_ITEM_CHARS, MAX_RESPONSE_TEXT_CHARS
from api.graphql.types import PROMPT_PREVIEW_CHARS
from catalog.database import SessionFactory, unit_of_work
from catalog.models import Asset
from catalog.settings import AtelierSettings
from tests.api.conftest import GraphQLClient, make_user_with_token
from tests.billing.library_builder import user_with_session

ASSETS = """query($id: ID!) { session(id: $id) { assets(first: 3) { edges { node {
  id prompt promptPreview } } } } }"""


async def _set_prompt(factory: SessionFactory, asset_id: str, prompt: str | None) -> None:
    async with unit_of_work(factory) as db:
        key = uuid.UUID(asset_id.removeprefix("Asset:"))
        await db.execute(update(Asset).where(Asset.id == key).values(prompt=prompt))


async def test_a_long_prompt_is_previewed_cut_at_a_word_and_a_short_one_whole(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    _, session_id = await user_with_session(session_factory, settings, tmp_path, asset_count=50)
    token = await make_user_with_token(session_factory, "ada")
    nodes = await _nodes(client, token, session_id)
    long_prompt = " ".join(f"word{i}" for i in range(200_000))  # ~1.3 MB, as a wildcard file can make
    await _set_prompt(session_factory, nodes[0]["id"], long_prompt)
    await _set_prompt(session_factory, nodes[1]["id"], None)
    first, second, third = await _nodes(client, token, session_id)
    preview = first["promptPreview"]
    assert first["prompt"] == long_prompt
    assert len(preview) <= PROMPT_PREVIEW_CHARS and preview.endswith("…")
    assert long_prompt.startswith(preview.removesuffix("…")) and long_prompt[len(preview) - 1] == " "
    assert second["prompt"] is None and second["promptPreview"] is None
    assert third["promptPreview"] == third["prompt"] and len(third["prompt"]) < PROMPT_PREVIEW_CHARS


async def _nodes(client: GraphQLClient, token: str, session_id: uuid.UUID) -> list[dict[str, Any]]:
    body = await client.query(ASSETS, token, id=f"Session:{session_id}")
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["session"]["assets"]["edges"]]


NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Asset { prompt negativePrompt promptPreview } } }"


async def test_a_response_carries_a_bounded_amount_of_prompt_text(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """One image's 4-million-character prompt, its id asked for five times (cost ~6): the first four
    copies fit the 16 M characters a response may carry, the fifth is a RESPONSE_TOO_LARGE field
    error and the rest of the answer is kept. Before, nothing bounded it: a query costed at ~100
    returned 400 MB, and 30 aliases of it would have held gigabytes of the server's memory."""
    _, session_id = await user_with_session(session_factory, settings, tmp_path, asset_count=50)
    token = await make_user_with_token(session_factory, "ada")
    big = (await _nodes(client, token, session_id))[0]["id"]
    await _set_prompt(session_factory, big, "x" * (MAX_RESPONSE_TEXT_CHARS // 4 - 10_000))  # + its negative

    body = await client.query(NODES, token, ids=[big] * 5)
    answers = body["data"]["nodes"]
    assert [answer["prompt"] is not None for answer in answers] == [True] * 4 + [False]
    assert all(answer["promptPreview"] for answer in answers)  # the preview is not counted
    errors = body["errors"]
    assert {error["extensions"]["code"] for error in errors} == {"RESPONSE_TOO_LARGE"}
    assert [error["path"][:2] for error in errors] == [["nodes", 4]] * len(errors)
    assert errors[0]["path"] == ["nodes", 4, "prompt"] and "promptPreview" in errors[0]["message"]


LORAS = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Asset { loras { name weight } promptPreview } } }"


async def test_lora_lists_count_against_the_same_bound(
    client: GraphQLClient, session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """A file may name a thousand LoRAs, and the cost counts a list of them as 10 items: a query costed
    2,101 returned 100,000 LoRA objects, and aliases multiply it. Their names (and each item's
    LORA_ITEM_CHARS) are counted with the prompts: past the bound that list is null with
    RESPONSE_TOO_LARGE, the rest kept."""
    _, session_id = await user_with_session(session_factory, settings, tmp_path, asset_count=3)
    token = await make_user_with_token(session_factory, "ada")
    big = (await _nodes(client, token, session_id))[0]["id"]
    name = "n" * 4_000  # LoRA names are not cut (only a whole text value, at 8 MB)
    loras = [{"name": f"{index:04d}{name}", "weight": 0.5} for index in range(1_000)]
    per_copy = sum(len(item["name"]) + LORA_ITEM_CHARS for item in loras)
    async with unit_of_work(session_factory) as db:
        key = uuid.UUID(big.removeprefix("Asset:"))
        await db.execute(update(Asset).where(Asset.id == key).values(loras=loras))
    copies = MAX_RESPONSE_TEXT_CHARS // per_copy

    body = await client.query(LORAS, token, ids=[big] * (copies + 1))
    answers = body["data"]["nodes"]
    assert [answer is not None and answer["loras"] is not None for answer in answers] == [True] * copies + [
        False
    ]
    assert answers[0]["loras"][:2] == [
        {"name": loras[0]["name"], "weight": 0.5},
        {"name": loras[1]["name"], "weight": 0.5},
    ]
    errors = body["errors"]
    assert [(error["path"], error["extensions"]["code"]) for error in errors] == [
        (["nodes", copies, "loras"], "RESPONSE_TOO_LARGE")
    ]
