"""Session inputs of a reflection: representative images come from the configured thumbnail store, and
times are the artist's own."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from billing.pricing import OFFLINE_MODEL
from catalog.accounts.service import create_user
from catalog.database import SessionFactory, unit_of_work
from catalog.importing.service import import_paths
from catalog.models import Session, User
from catalog.settings import AtelierSettings
from catalog.storage import thumbnail_store
from reflection.offline_curator import write_offline_reflection
from reflection.prompt_builder import FACTS_INTRO
from reflection.runner import prepare_curator_input
from reflection.session_inputs import load_session_inputs, read_representative_images
from tests.billing.library_builder import refinement_evening
from tests.s3_loopback import S3Loopback, s3_loopback

WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 fake bytes for the store"
SHA = hashlib.sha256(WEBP).hexdigest()


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Loopback]:
    with s3_loopback() as server:
        yield server


def test_the_curator_reads_its_representative_images_from_the_bucket(s3: S3Loopback, tmp_path: Path) -> None:
    store = thumbnail_store(AtelierSettings(home=tmp_path, **s3.settings_update()))  # type: ignore[arg-type]
    store.put(SHA, WEBP)
    missing = hashlib.sha256(b"never stored").hexdigest()

    images = read_representative_images(store, ["a", "b", "c"], {"a": SHA, "b": missing})

    assert [(image.asset_id, image.data) for image in images] == [("a", WEBP)]
    assert not (tmp_path / "thumbnails").exists()  # nothing read from or written to a local folder


async def test_an_evening_in_los_angeles_is_dated_to_its_own_day(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Found by a reflection content probe: the facts kept the catalog's UTC times, so an artist in Los
    Angeles working on 3 March from 7 pm read "on 4 March 2026", and the language model was told
    "2026-03-04T03:00:00+00:00". Built as the worker builds it: import, catalog session, inputs, facts."""
    start = datetime(2026, 3, 3, 19, 0, tzinfo=timezone(timedelta(hours=-8)))
    log = tmp_path / "evening.jsonl"
    records = [
        {"id": f"la{i:03d}", "tool": "comfyui", "created_at": (start + timedelta(minutes=i)).isoformat(),
         "prompt": "neon alley at night, cinematic photo", "seed": 1000 + i}
        for i in range(60)
    ]  # fmt: skip
    log.write_text("".join(json.dumps(record) + "\n" for record in records))
    async with unit_of_work(session_factory) as db:
        await create_user(db, "lena", timezone="America/Los_Angeles")
    await import_paths(session_factory, settings, user_handle="lena", paths=[log], make_thumbnails=False)
    async with session_factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == "lena"))
        session_id = await db.scalar(select(Session.id).where(Session.user_id == user_id))
        assert user_id is not None and session_id is not None
        inputs = await load_session_inputs(db, user_id, session_id)
    assert inputs is not None
    prepared = prepare_curator_input(inputs, thumbnail_store(settings), quoted_model=OFFLINE_MODEL)

    assert "on 3 March 2026" in write_offline_reflection(prepared.facts).summary
    sent = prepared.request.messages[1]["content"][0]["text"].removeprefix(FACTS_INTRO)
    assert json.loads(sent)["session"]["started_at"] == "2026-03-03T19:00:00-08:00"


async def test_a_session_across_the_fall_back_hour_lasts_its_real_minutes(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Found by a time-semantics probe: 52 images 40 s apart from 01:40 EDT (05:40Z) to 01:14 EST
    (06:14Z) on 2026-11-01 in New York are 34 minutes of work. The inputs' times shared one ``ZoneInfo``,
    which Python compares and subtracts by wall clock: the session "started" at 01:14, "ended" at 01:40
    and lasted 0 minutes. Times keep the artist's wall clock and offsets (EDT, then EST)."""
    log = tmp_path / "fall-back.jsonl"
    records = refinement_evening(52, start=datetime(2026, 11, 1, 5, 40, tzinfo=UTC), prefix="fb")
    log.write_text("".join(json.dumps(record) + "\n" for record in records))
    async with unit_of_work(session_factory) as db:
        await create_user(db, "ny", timezone="America/New_York")
    await import_paths(session_factory, settings, user_handle="ny", paths=[log], make_thumbnails=False)
    async with session_factory() as db:
        user_id = await db.scalar(select(User.id).where(User.handle == "ny"))
        session_id = await db.scalar(select(Session.id).where(Session.user_id == user_id))
        assert user_id is not None and session_id is not None
        inputs = await load_session_inputs(db, user_id, session_id)
    assert inputs is not None
    times = [asset.created_at for asset in inputs.assets]
    assert [time.isoformat() for time in (times[0], times[-1])] == [  # type: ignore[union-attr]
        "2026-11-01T01:40:00-04:00",
        "2026-11-01T01:14:00-05:00",
    ]
    assert times == sorted(times)  # type: ignore[type-var]
    prepared = prepare_curator_input(inputs, thumbnail_store(settings), quoted_model=OFFLINE_MODEL)

    summary = write_offline_reflection(prepared.facts).summary
    assert summary.startswith("Over 34 minutes on 1 November 2026"), summary
    sent = json.loads(prepared.request.messages[1]["content"][0]["text"].removeprefix(FACTS_INTRO))
    assert (sent["session"]["started_at"], sent["session"]["ended_at"]) == (
        "2026-11-01T01:40:00-04:00",
        "2026-11-01T01:14:00-05:00",
    )
    assert sent["session"]["minutes"] == 34
