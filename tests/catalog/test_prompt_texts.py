"""``prompt_texts``: one search vector per distinct prompt, made when the first asset using it is
inserted, by any statement, and never rewritten when assets are re-clustered."""

from __future__ import annotations

import hashlib
import json
import random
import string
from pathlib import Path

from sqlalchemy import select, text

from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import import_paths
from catalog.models import Asset
from catalog.search.candidates import prompts_matching_words
from catalog.settings import AtelierSettings


def _log(path: Path, prompts: list[str | None], first: int) -> Path:
    lines = [
        json.dumps(
            {"id": f"r{first + i}", "tool": "comfyui", "created_at": f"2026-01-01T10:{first + i:02d}:00Z"}
            | ({"prompt": prompt} if prompt is not None else {})
        )
        for i, prompt in enumerate(prompts)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


async def _texts(factory: SessionFactory) -> dict[str, tuple[str, str]]:
    """Prompt → (stored vector, its row version) for every row of ``prompt_texts``."""
    async with factory() as session:
        rows = await session.execute(
            text(
                "SELECT DISTINCT a.prompt, pt.document::text, pt.xmin::text FROM prompt_texts pt "
                "JOIN assets a ON a.prompt_sha256 = pt.prompt_sha256"
            )
        )
    return {prompt: (document, version) for prompt, document, version in rows.all()}


async def test_each_distinct_prompt_gets_one_vector_and_keeps_it(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    fox, castle = "a red fox in the snow", "ruined castles at dusk"
    first_log = _log(tmp_path / "one.jsonl", [fox, fox, fox, castle, None], first=0)
    await import_paths(session_factory, settings, user_handle="ada", paths=[first_log])

    texts = await _texts(session_factory)
    assert set(texts) == {fox, castle}
    assert texts[fox][0] == "'fox':3 'red':2 'snow':6"  # to_tsvector('english', prompt)

    await import_paths(
        session_factory, settings, user_handle="ada", paths=[_log(tmp_path / "two.jsonl", [fox, "koi"], 10)]
    )
    async with unit_of_work(session_factory) as session:  # what a re-clustering writes
        await session.execute(text("UPDATE assets SET session_id = NULL, phase_id = NULL"))
        await session.execute(  # any statement that inserts assets, not only the import's
            text(
                "INSERT INTO assets (id, user_id, record_id, tool, prompt, prompt_sha256) "
                "SELECT gen_random_uuid(), user_id, 'raw', 'comfyui', 'lone heron', sha256('lone heron') "
                "FROM assets LIMIT 1"
            )
        )

    after = await _texts(session_factory)
    assert set(after) == {fox, castle, "koi", "lone heron"}
    assert after[fox] == texts[fox] and after[castle] == texts[castle]  # not rewritten


async def test_a_prompt_too_long_for_a_search_vector_is_kept_and_searched_by_its_start(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """A crafted 2.7 MB prompt of distinct words made a vector over PostgreSQL's 1 MB limit, and its
    record was refused; only the first 100,000 characters are searched now."""
    rng = random.Random(5)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(8)) for _ in range(300_000)]
    huge = "lighthouse " + " ".join(words)
    report = await import_paths(
        session_factory, settings, user_handle="ada", paths=[_log(tmp_path / "huge.jsonl", [huge, "fox"], 0)]
    )
    assert (report.records_imported, report.problems) == (2, [])
    async with session_factory() as session:
        user_id = await session.scalar(select(Asset.user_id).where(Asset.record_id == "r0"))
        assert user_id is not None
        found = await prompts_matching_words(session, user_id, "lighthouse", limit=5)
    assert [hit.prompt_sha256 for hit in found] == [hashlib.sha256(huge.encode()).digest()]
