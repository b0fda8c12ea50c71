"""Golden test of the Curator's request for the demo library's big refinement evening, built from the
real database (imported PNGs, thumbnails, phases, lineage) exactly as a worker builds it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.demo_library import DemoLibrary, write_demo_library
from catalog.importing.service import import_paths
from catalog.models import Session, User
from catalog.settings import AtelierSettings
from catalog.storage import thumbnail_store
from reflection.prompt_builder import PROMPT_VERSION
from reflection.runner import prepare_curator_input
from reflection.session_inputs import load_session_inputs


@pytest.fixture
async def demo_big_session(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> tuple[DemoLibrary, Session]:
    library = write_demo_library(tmp_path / "demo")
    await import_paths(session_factory, settings, user_handle="artist", paths=[library.root])
    async with session_factory() as db:
        sessions = list(await db.scalars(select(Session).order_by(Session.asset_count.desc())))
    assert sessions[0].asset_count >= 50 and 40 <= sessions[1].asset_count <= 49
    return library, sessions[0]


async def test_the_request_for_the_demo_refinement_evening(
    session_factory: SessionFactory, settings: AtelierSettings, demo_big_session: tuple[DemoLibrary, Session]
) -> None:
    library, session = demo_big_session
    async with session_factory() as db:
        owner = await db.scalar(select(User.id).where(User.handle == "artist"))
        assert owner is not None
        inputs = await load_session_inputs(db, owner, session.id)
    assert inputs is not None and len(inputs.assets) == session.asset_count
    assert inputs.lineage, "the evening's img2img and upscale children are linked"

    prepared = prepare_curator_input(inputs, thumbnail_store(settings), quoted_model="gpt-4o-mini")
    facts, request = prepared.facts, prepared.request

    system, user = request.messages[0], request.messages[-1]
    assert system["role"] == "system" and "Museum Curator" in system["content"]
    text_parts = [part["text"] for part in user["content"] if part["type"] == "text"]
    image_parts = [part for part in user["content"] if part["type"] == "image_url"]
    facts_text = "\n".join(text_parts)

    truth = next(s for s in library.sessions if len(s.file_names) == session.asset_count)
    images = {image.file_name: image for image in library.images}
    evening = [images[name] for name in truth.file_names]
    prompts = list(dict.fromkeys(image.prompt for image in evening))
    assert len(prompts) >= 5
    assert "piercing blue eyes" in facts_text  # a reweighted term of the prompt edits
    cfgs = sorted({image.cfg_scale for image in evening if image.cfg_scale is not None})
    steps = sorted({image.steps for image in evening if image.steps is not None})
    assert len(cfgs) > 1 and len(steps) > 1
    for value in (cfgs[0], cfgs[-1], steps[0], steps[-1]):
        assert f"{value:g}" in facts_text, value
    assert "juggernaut" in facts_text.lower() and "weathered_skin_xl" in facts_text

    assert 6 <= len(image_parts) <= 8
    for part in image_parts:
        url = part["image_url"]["url"]
        assert url.startswith("data:image/webp;base64,")
        assert base64.b64decode(url.split(",", 1)[1])[:4] == b"RIFF"
    audit = json.dumps(request.audit)
    assert "base64," not in audit and request.prompt_version == PROMPT_VERSION
    assert request.estimated_prompt_tokens < 8000

    vocabulary = facts.grounding_vocabulary()
    assert float(cfgs[-1]) in vocabulary.numbers and float(session.asset_count) in vocabulary.numbers
