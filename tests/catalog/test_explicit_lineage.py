"""Named parents across sessions and the whole library, through real imports and re-clustering."""

from __future__ import annotations

import importlib.util
import json
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select, text

from catalog.database import SessionFactory, unit_of_work
from catalog.demo_library import write_demo_library
from catalog.importing.service import import_paths
from catalog.models import Asset, LineageEdge, User
from catalog.sessions.explicit_lineage import FILE_STEM_SQL, REFERENCE_SQL, REFERENCE_STEM_SQL
from catalog.sessions.reclustering import recluster_user
from catalog.settings import AtelierSettings
from tests.generated_copies import copy_as_generated

EdgeSet = set[tuple[uuid.UUID, uuid.UUID, str, float]]


async def _user_id(factory: SessionFactory, handle: str) -> uuid.UUID:
    async with factory() as db:
        return (await db.scalars(select(User.id).where(User.handle == handle))).one()


async def _edges(factory: SessionFactory, user_id: uuid.UUID) -> EdgeSet:
    async with factory() as db:
        rows = await db.scalars(select(LineageEdge).where(LineageEdge.user_id == user_id))
        return {(e.parent_asset_id, e.child_asset_id, e.kind, e.confidence) for e in rows}


async def _assets(factory: SessionFactory, user_id: uuid.UUID) -> dict[uuid.UUID, Asset]:
    async with factory() as db:
        return {a.id: a for a in await db.scalars(select(Asset).where(Asset.user_id == user_id))}


async def _recluster(factory: SessionFactory, user_id: uuid.UUID) -> None:
    async with unit_of_work(factory) as db:
        await recluster_user(db, user_id)


async def test_demo_sources_in_other_sessions_are_linked_and_survive_reclustering(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    library = write_demo_library(tmp_path / "demo")
    await import_paths(
        session_factory, settings, user_handle="artist", paths=[library.root], make_thumbnails=False
    )
    user_id = await _user_id(session_factory, "artist")
    assets = await _assets(session_factory, user_id)
    by_name = {asset.file_name: asset for asset in assets.values()}
    edges = await _edges(session_factory, user_id)
    parent_of = {child: (parent, kind, confidence) for parent, child, kind, confidence in edges}

    # the images whose files name their source (ComfyUI LoadImage); A1111 hires passes name none
    named = [i for i in library.images if i.source_image and by_name[i.base_name].source_image]
    assert len(named) >= 10
    cross = 0
    for image in named:
        child, source = by_name[image.base_name], by_name[image.source_image or ""]
        assert parent_of[child.id][::2] == (source.id, 0.97), image.file_name
        assert parent_of[child.id][1] in {"img2img", "upscale"}
        cross += child.session_id != source.session_id
    assert cross >= 1  # the ComfyUI img2img of an A1111 image: the engine alone drops it

    await _recluster(session_factory, user_id)
    assert await _edges(session_factory, user_id) == edges
    await _recluster(session_factory, user_id)
    assert await _edges(session_factory, user_id) == edges


def _jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


async def _import_records(
    factory: SessionFactory,
    settings: AtelierSettings,
    folder: Path,
    name: str,
    records: list[dict[str, object]],
) -> None:
    """One import of ``records`` for the artist ``ada`` (a JSONL file ``name`` in ``folder``)."""
    await import_paths(factory, settings, user_handle="ada", paths=[_jsonl(folder / name, records)])


def _record(record_id: str, when: datetime, **fields: object) -> dict[str, object]:
    return {
        "id": record_id,
        "tool": "comfyui",
        "created_at": when.isoformat(),
        "prompt": "a lighthouse in a storm",
        "seed": 7,
        "cfg_scale": 7.0,
        "steps": 30,
        "model": "sdxl.safetensors",
        "width": 1024,
        "height": 1024,
        **fields,
    }


async def test_a_parent_named_days_earlier_is_linked_and_deleting_it_leaves_no_stale_edge(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    monday = datetime(2026, 3, 2, 20, tzinfo=UTC)
    friday = monday + timedelta(days=4)
    earlier = [
        _record(f"mon{i}", monday + timedelta(minutes=i), file_name=f"mon_{i:03d}.png") for i in range(4)
    ]
    later = [
        _record("fri0", friday, file_name="fri_000.png", prompt="a castle"),
        _record(
            "fri1", friday + timedelta(minutes=1), file_name="fri_001.png", source_image="input/mon_002.png"
        ),
        _record("fri2", friday + timedelta(minutes=2), file_name="fri_002.png", parent_job_id="mon3"),
        _record(
            "fri3", friday + timedelta(minutes=3), file_name="fri_003.png", source_image="never_seen.png"
        ),
    ]
    # two imports: the Friday span is re-clustered alone, its named parents are in Monday's session
    await _import_records(session_factory, settings, tmp_path, "a.jsonl", earlier)
    await _import_records(session_factory, settings, tmp_path, "b.jsonl", later)
    user_id = await _user_id(session_factory, "ada")
    by_record = {asset.record_id: asset for asset in (await _assets(session_factory, user_id)).values()}
    edges = await _edges(session_factory, user_id)
    parent_of = {child: (parent, kind) for parent, child, kind, _ in edges}

    assert by_record["fri1"].session_id != by_record["mon2"].session_id
    assert parent_of[by_record["fri1"].id] == (by_record["mon2"].id, "img2img")
    assert parent_of[by_record["fri2"].id] == (by_record["mon3"].id, "variation")
    assert parent_of.get(by_record["fri3"].id, (None,))[0] != by_record["fri3"].id
    assert all(by_record[name].id not in {p for p, _, _, _ in edges} for name in ("fri3",))

    await _recluster(session_factory, user_id)
    await _recluster(session_factory, user_id)
    assert await _edges(session_factory, user_id) == edges

    async with unit_of_work(session_factory) as db:
        await db.execute(delete(Asset).where(Asset.id == by_record["mon2"].id))
    await _recluster(session_factory, user_id)
    after = await _edges(session_factory, user_id)
    assert all(by_record["mon2"].id not in (parent, child) for parent, child, _, _ in after)
    assert (by_record["mon3"].id, by_record["fri2"].id, "variation", 0.97) in after


async def test_two_users_with_the_same_files_link_only_to_their_own_images(
    session_factory: SessionFactory, settings: AtelierSettings, fixtures_dir: Path, tmp_path: Path
) -> None:
    # a real ComfyUI img2img file whose LoadImage names "example.png", and a real image saved under
    # that name days earlier: both artists import byte-identical files
    comfy = fixtures_dir / "images" / "ComfyUI"
    child_file = comfy / "sdparsers__img2img_cropped.png"
    staging = tmp_path / "staging"
    staging.mkdir()
    source_file = shutil.copy(comfy / "sdparsers__unclip_2pass_cropped.png", staging / "example.png")
    start = datetime(2026, 3, 2, 20, tzinfo=UTC)
    for handle in ("ada", "bob"):
        folder = tmp_path / handle
        copy_as_generated([Path(source_file)], folder / "monday", start=start)
        copy_as_generated([child_file], folder / "friday", start=start + timedelta(days=4))
        report = await import_paths(
            session_factory, settings, user_handle=handle, paths=[folder], make_thumbnails=False
        )
        assert report.problems == []

    for handle in ("ada", "bob"):
        user_id = await _user_id(session_factory, handle)
        own = await _assets(session_factory, user_id)
        by_name = {asset.file_name: asset for asset in own.values()}
        edges = await _edges(session_factory, user_id)
        child, source = by_name[child_file.name], by_name["example.png"]
        assert child.session_id != source.session_id
        assert (source.id, child.id) in {(parent, c) for parent, c, _, _ in edges}
        assert all(parent in own and c in own for parent, c, _, _ in edges)


async def test_an_image_imported_before_the_parent_it_names_is_linked_when_the_parent_arrives(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    monday = datetime(2026, 3, 2, 20, tzinfo=UTC)
    friday = monday + timedelta(days=4)
    earlier = [
        _record(f"mon{i}", monday + timedelta(minutes=i), file_name=f"mon_{i:03d}.png") for i in range(4)
    ]
    later = [
        _record("fri0", friday, file_name="fri_000.png", prompt="a castle"),
        _record(
            "fri1", friday + timedelta(minutes=1), file_name="fri_001.png", source_image="C:\\in\\mon_002.png"
        ),
        _record("fri2", friday + timedelta(minutes=2), file_name="fri_002.png", parent_job_id="mon3"),
        _record(
            "fri3", friday + timedelta(minutes=3), file_name="fri_003.png", extra={"init_image": "mon_001"}
        ),
    ]
    # Friday's images first: Monday's span, re-clustered when it arrives, holds none of them
    await _import_records(session_factory, settings, tmp_path, "b.jsonl", later)
    user_id = await _user_id(session_factory, "ada")
    assert await _edges(session_factory, user_id) == set()
    await _import_records(session_factory, settings, tmp_path, "a.jsonl", earlier)
    by_record = {asset.record_id: asset.id for asset in (await _assets(session_factory, user_id)).values()}
    edges = await _edges(session_factory, user_id)
    links = {(parent, child) for parent, child, _, confidence in edges if confidence == 0.97}
    assert links == {
        (by_record["mon2"], by_record["fri1"]),
        (by_record["mon3"], by_record["fri2"]),
        (by_record["mon1"], by_record["fri3"]),
    }
    await _recluster(session_factory, user_id)
    assert await _edges(session_factory, user_id) == edges


async def test_an_upscale_days_later_links_to_the_grid_cell_it_names(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """Midjourney: four images of one job; the upscale, in a later session, names cell 2."""
    job = "d7e2a9c4-6b1f-4e83-a5d0-3c9b8f2e1a47"
    monday = datetime(2026, 3, 2, 20, tzinfo=UTC)
    grid = [
        _record(
            f"cell{i}",
            monday + timedelta(seconds=i),  # without the named cell, the latest (cell 3) would win
            tool="midjourney",
            seed=None,
            job_id=job,
            file_name=f"ada_lighthouse_{job}_{i}.png",
        )
        for i in range(4)
    ]
    upscale = _record(
        "up",
        monday + timedelta(days=3),
        tool="midjourney",
        seed=None,
        job_id="job-up",
        parent_job_id=job,
        width=2048,
        height=2048,
        extra={"parent_grid": 2},
    )
    await _import_records(session_factory, settings, tmp_path, "a.jsonl", grid)
    await _import_records(session_factory, settings, tmp_path, "b.jsonl", [upscale])
    user_id = await _user_id(session_factory, "ada")
    by_record = {asset.record_id: asset for asset in (await _assets(session_factory, user_id)).values()}
    assert by_record["up"].session_id != by_record["cell2"].session_id
    parent_of = {child: (parent, kind) for parent, child, kind, _ in await _edges(session_factory, user_id)}
    assert parent_of[by_record["up"].id] == (by_record["cell2"].id, "upscale")


def test_the_migration_stores_the_stems_of_the_expressions_the_lineage_defines() -> None:
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0013_stored_name_stems.py"
    spec = importlib.util.spec_from_file_location("migration_0013", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration._FILE_STEM_SQL == FILE_STEM_SQL
    assert migration._REFERENCE_SQL == REFERENCE_SQL
    assert migration._REFERENCE_STEM_SQL == REFERENCE_STEM_SQL


async def test_the_stored_stems_are_the_expressions_values_on_insert_and_on_a_rename(
    session_factory: SessionFactory,
) -> None:
    """The trigger stores exactly what the expressions give (paths either way, dots, no extension, no
    reference); moving an asset to another session re-evaluates nothing, renaming it does."""
    names = ["a/b\\c.final.png", "plain", ".hidden", "dir.v2/x", "x.png\nnext.png"]
    references: list[tuple[str | None, dict[str, str]]] = [
        ("input/mon_002.png", {}),
        (None, {"init_image": "C:\\art\\src.jpeg"}),
        (None, {"source_image_hash": "abc123"}),
        (None, {}),
        (None, {"unrelated": "x.png"}),
    ]
    async with unit_of_work(session_factory) as db:
        user_id = await db.scalar(
            text("INSERT INTO users (id, handle) VALUES (gen_random_uuid(), 'stems') RETURNING id")
        )
        for index, (name, (source, extra)) in enumerate(zip(names, references, strict=True)):
            await db.execute(
                text(
                    "INSERT INTO assets (id, user_id, record_id, tool, file_name, source_image, extra) "
                    "VALUES (gen_random_uuid(), :user_id, :record_id, 'comfyui', :name, :source, "
                    "CAST(:extra AS jsonb))"
                ),
                {
                    "user_id": user_id,
                    "record_id": f"r{index}",
                    "name": name,
                    "source": source,
                    "extra": json.dumps(extra),
                },
            )
    check = text(
        "SELECT count(*) FROM assets WHERE user_id = :user_id AND ("
        f"file_stem IS DISTINCT FROM {FILE_STEM_SQL} OR reference_stem IS DISTINCT FROM {REFERENCE_STEM_SQL} "
        f"OR (reference_stem IS NULL) <> ({REFERENCE_SQL} IS NULL))"
    )
    async with unit_of_work(session_factory) as db:
        assert await db.scalar(check, {"user_id": user_id}) == 0
        stems = dict(
            (
                await db.execute(
                    text("SELECT record_id, file_stem FROM assets WHERE user_id = :u"), {"u": user_id}
                )
            ).all()
        )
        assert stems["r0"] == "c.final" and stems["r1"] == "plain" and stems["r3"] == "x"
        await db.execute(
            text(
                "UPDATE assets SET file_name = 'renamed/z.webp', extra = CAST(:extra AS jsonb) "
                "WHERE record_id = 'r3' AND user_id = :u"
            ),
            {"u": user_id, "extra": json.dumps({"init_image": "q.png"})},
        )
        assert await db.scalar(check, {"user_id": user_id}) == 0
        renamed = (
            await db.execute(
                text("SELECT file_stem, reference_stem FROM assets WHERE record_id = 'r3' AND user_id = :u"),
                {"u": user_id},
            )
        ).one()
        assert tuple(renamed) == ("z", "q")


async def test_untimed_images_naming_a_parent_are_linked_by_a_whole_library_reclustering(
    session_factory: SessionFactory, settings: AtelierSettings, tmp_path: Path
) -> None:
    """A whole-library re-clustering has no asset outside its span but the untimed ones: those that
    name a parent and have none are resolved without matching the library's keys one by one."""
    monday = datetime(2026, 3, 2, 20, tzinfo=UTC)
    untimed = [
        {k: v for k, v in _record(f"u{i}", monday, **fields).items() if k != "created_at"}
        for i, fields in enumerate(
            [
                {"file_name": "u_000.png", "source_image": "input/mon_002.png"},
                {"file_name": "u_001.png", "parent_job_id": "no-such-job"},
                {"file_name": "u_002.png"},
            ]
        )
    ]
    timed = [
        _record(f"mon{i}", monday + timedelta(minutes=i), file_name=f"mon_{i:03d}.png") for i in range(4)
    ]
    await _import_records(session_factory, settings, tmp_path, "u.jsonl", untimed)
    await _import_records(session_factory, settings, tmp_path, "t.jsonl", timed)
    user_id = await _user_id(session_factory, "ada")
    by_record = {asset.record_id: asset for asset in (await _assets(session_factory, user_id)).values()}
    assert by_record["u0"].created_at is None and by_record["u0"].session_id is None
    expected = {(by_record["mon2"].id, by_record["u0"].id)}
    assert {(parent, child) for parent, child, _, _ in await _edges(session_factory, user_id)} == expected

    async with unit_of_work(session_factory) as db:
        await db.execute(delete(LineageEdge).where(LineageEdge.user_id == user_id))
    await _recluster(session_factory, user_id)
    assert {(parent, child) for parent, child, _, _ in await _edges(session_factory, user_id)} == expected
