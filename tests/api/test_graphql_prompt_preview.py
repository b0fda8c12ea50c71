"""``Asset.promptPreview``: what lists and search results show of a prompt that may be megabytes."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import update

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
