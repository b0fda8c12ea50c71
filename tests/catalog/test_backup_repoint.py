"""Repointing uploaded images from the old home's uploads folder to the restoring home's
(:func:`catalog.backup_transaction.repoint_sql`), on the two path columns of :mod:`catalog.stored_paths`.

The statement runs inside the restore's transaction, so it is checked here on its own: only paths
*under* the old folder move (not a sibling folder sharing its name as a prefix), a path that is not
UTF-8 keeps its exact bytes, and a new folder that is not UTF-8 gives its paths ``file_path_bytes``.
"""

from __future__ import annotations

import os

from catalog.backup_transaction import repoint_sql
from catalog.stored_paths import opened_path, stored_path
from tests.conftest import superuser_connection

OLD = "/old/home/uploads"
NEW = "/new/hóme/uploads"
NOT_UTF8 = os.fsdecode(b"/n\xffw/uploads")


async def _repointed(
    database_url: str, paths: list[str], old: str, new: str
) -> list[tuple[str, bytes | None]]:
    async with superuser_connection(database_url) as connection:
        await connection.execute(
            "CREATE TABLE public.assets (id serial, file_path text, file_path_bytes bytea)"
        )
        for path in paths:
            column_text, raw = stored_path(path)
            await connection.execute(
                "INSERT INTO public.assets (file_path, file_path_bytes) VALUES ($1, $2)", column_text, raw
            )
        await connection.execute(repoint_sql(old, new))
        rows = await connection.fetch("SELECT file_path, file_path_bytes FROM public.assets ORDER BY id")
        await connection.execute("DROP TABLE public.assets")
    return [(row["file_path"], row["file_path_bytes"]) for row in rows]


async def test_only_paths_under_the_old_folder_move_and_keep_their_bytes(empty_database_url: str) -> None:
    odd_name = os.fsdecode(b"/old/home/uploads/u/ab/\xffimage.png")
    paths = [
        f"{OLD}/u/ab/abcd/image.png",
        f"{OLD}-elsewhere/image.png",
        "/elsewhere/old/home/uploads/image.png",
        odd_name,
    ]
    rows = await _repointed(empty_database_url, paths, OLD, NEW)
    assert [opened_path(text, raw) for text, raw in rows] == [
        opened_path(*stored_path(f"{NEW}/u/ab/abcd/image.png")),
        opened_path(*stored_path(f"{OLD}-elsewhere/image.png")),
        opened_path(*stored_path("/elsewhere/old/home/uploads/image.png")),
        opened_path(*stored_path(os.fsdecode(b"/new/h\xc3\xb3me/uploads/u/ab/\xffimage.png"))),
    ]
    assert rows[0] == (f"{NEW}/u/ab/abcd/image.png", None)
    assert rows[3] == stored_path(os.fsdecode(b"/new/h\xc3\xb3me/uploads/u/ab/\xffimage.png"))
    assert rows[1][1] is None and rows[2][1] is None


async def test_a_new_folder_that_is_not_utf8_gives_its_paths_their_bytes(empty_database_url: str) -> None:
    rows = await _repointed(empty_database_url, [f"{NEW}/u/ab/abcd/image.png"], NEW, NOT_UTF8)
    assert rows == [stored_path(f"{NOT_UTF8}/u/ab/abcd/image.png")]
    assert rows[0][1] == b"/n\xffw/uploads/u/ab/abcd/image.png"
