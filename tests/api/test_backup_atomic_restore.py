"""``atelier restore`` replaces the library atomically, ``atelier backup`` counts what it dumps, and both
say what a SIGINT/SIGTERM left (the installed command against the test database).

What failed before (backup/restore QA probe):

- a restore emptied the ``public`` schema in a transaction of its own, then ran ``pg_restore``: a dump
  that broke off (its manifest made to match) or a signal during ``pg_restore`` left an empty
  database — every user's data gone — and the message did not say so;
- a backup counted rows in another transaction than ``pg_dump``'s snapshot: taken while rows were
  written, its counts were not its dump's, and its own restore failed the count check;
- a SIGINT/SIGTERM during a backup or a restore printed nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import signal
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from catalog.backup import dump_revisions, postgres_tool
from catalog.database import SessionFactory, unit_of_work
from catalog.models import User
from catalog.settings import AtelierSettings
from tests.api.conftest import ATELIER, CommandResult, atelier_env, make_user_with_token, run_atelier

BULK_USERS = 300_000
"""Enough rows that restoring (or dumping) them takes a good part of a second."""


async def _add_bulk_users(factory: SessionFactory, count: int = BULK_USERS) -> None:
    async with unit_of_work(factory) as db:
        await db.execute(
            text("INSERT INTO users (handle) SELECT 'bulk-' || g FROM generate_series(1, :count) g"),
            {"count": count},
        )


async def _users(factory: SessionFactory) -> tuple[int, list[str]]:
    async with factory() as db:
        count = int(await db.scalar(select(func.count()).select_from(User)) or 0)
        named = sorted(await db.scalars(select(User.handle).where(~User.handle.like("bulk-%"))))
        return count, named


def _one_error_line(result: CommandResult) -> str:
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return line


def _dumped_rows(dump: Path, table: str) -> int:
    """Rows of ``table`` in a custom-format dump (its COPY block, read by pg_restore)."""
    script = subprocess.run(
        [str(postgres_tool("pg_restore")), "--data-only", f"--table={table}", "--file=-", str(dump)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = script.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(f"COPY public.{table} "))
    return lines.index("\\.", start) - start - 1


def _children(pid: int) -> list[list[str]]:
    """The command lines of ``pid``'s child processes."""
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    commands = []
    for child in listed:
        try:
            commands.append(Path(f"/proc/{child}/cmdline").read_bytes().decode().split("\0"))
        except OSError:
            continue
    return commands


async def _signal_when(
    settings: AtelierSettings, args: list[str], ready: Callable[[int], Awaitable[bool]], signum: int
) -> CommandResult:
    """Run ``atelier *args``, send ``signum`` to it (only to it) as soon as ``ready(its pid)``; its result."""
    process = await asyncio.create_subprocess_exec(
        str(ATELIER),
        *args,
        env=atelier_env(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    communicating = asyncio.ensure_future(process.communicate())
    for _ in range(6000):
        if communicating.done() or await ready(process.pid):
            break
        await asyncio.sleep(0.01)
    assert not communicating.done(), "the command ended before it could be signalled"
    process.send_signal(signum)
    stdout, stderr = await asyncio.wait_for(communicating, timeout=120)
    assert process.returncode is not None
    return CommandResult(process.returncode, stdout.decode(), stderr.decode())


async def _restore_copying_users(factory: SessionFactory) -> bool:
    """Whether a restore is copying the users' rows right now (in its own session)."""
    async with factory() as db:
        return bool(
            await db.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY public.users %' "
                    "AND pid <> pg_backend_pid()"
                )
            )
        )


async def test_a_restore_whose_dump_breaks_off_changes_nothing(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    await make_user_with_token(session_factory, "artist")
    await _add_bulk_users(session_factory, 20_000)
    good = tmp_path / "good"
    made = await run_atelier(settings, "backup", str(good))
    assert made.code == 0, made.stderr
    await make_user_with_token(session_factory, "made-after-the-backup")
    before = await _users(session_factory)

    broken = tmp_path / "broken"
    shutil.copytree(good, broken)
    dump = broken / "database.dump"
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size * 4 // 5])
    manifest = json.loads((good / "manifest.json").read_text())
    manifest |= {"database_dump_sha256": hashlib.sha256(dump.read_bytes()).hexdigest()}
    (broken / "manifest.json").write_text(json.dumps(manifest | {"database_dump_bytes": dump.stat().st_size}))
    assert dump_revisions(dump) == {manifest["alembic_revision"]}  # it passes every check beforehand

    result = await run_atelier(settings, "restore", "--force", str(broken))
    assert await _users(session_factory) == before  # before: an empty database, every user's data gone
    line = _one_error_line(result)
    assert line.startswith("error: pg_restore failed"), line
    assert line.endswith("the restore was rolled back, nothing was changed: the library is as it was"), line
    assert await _users(session_factory) == before


async def test_a_dump_whose_rows_are_not_the_manifests_counts_is_rolled_back(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    await make_user_with_token(session_factory, "artist")
    good = tmp_path / "good"
    made = await run_atelier(settings, "backup", str(good))
    assert made.code == 0, made.stderr
    await make_user_with_token(session_factory, "made-after-the-backup")
    before = await _users(session_factory)
    miscounted = tmp_path / "miscounted"
    shutil.copytree(good, miscounted)
    manifest = json.loads((good / "manifest.json").read_text())
    counts = manifest["counts"] | {"users": manifest["counts"]["users"] + 1}
    (miscounted / "manifest.json").write_text(json.dumps(manifest | {"counts": counts}))

    result = await run_atelier(settings, "restore", "--force", str(miscounted))
    assert await _users(session_factory) == before  # before: restored, then "the counts differ"
    line = _one_error_line(result)
    assert "the restored rows are not the ones the manifest counts" in line, line
    assert "users: 2 in the backup, 1 restored;" in line, line
    assert line.endswith("the restore was rolled back, nothing was changed: the library is as it was"), line


# Both signals take the same path (catalog.backup_signals); one of each test runs in make test, the
# other in make fuzz, to keep the suite within its time budget.
@pytest.mark.parametrize(
    "signum",
    [pytest.param(signal.SIGINT, marks=pytest.mark.slow), signal.SIGTERM],
    ids=["SIGINT", "SIGTERM"],
)
async def test_a_signal_during_the_restore_changes_nothing_and_says_so(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path, signum: int
) -> None:
    await make_user_with_token(session_factory, "artist")
    await _add_bulk_users(session_factory)
    backup = tmp_path / "backup"
    made = await run_atelier(settings, "backup", str(backup))
    assert made.code == 0, made.stderr
    await make_user_with_token(session_factory, "made-after-the-backup")
    before = await _users(session_factory)

    async def copying_users(pid: int) -> bool:
        return await _restore_copying_users(session_factory)

    result = await _signal_when(settings, ["restore", "--force", str(backup)], copying_users, signum)
    assert await _users(session_factory) == before  # before: an empty database, every user's data gone
    assert result.code == 128 + signum, result.stderr
    name = signal.Signals(signum).name
    assert (
        f"interrupted ({name}): the restore was stopped and rolled back: nothing was changed: "
        "the library is as it was"
    ) in result.stderr, result.stderr


async def test_a_backup_taken_while_rows_are_written_counts_what_it_dumped(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    await make_user_with_token(session_factory, "artist")
    writing = True
    written = 0

    async def write() -> None:
        nonlocal written
        while writing:
            async with unit_of_work(session_factory) as db:
                await db.execute(
                    text("INSERT INTO users (handle) VALUES (:handle)"), {"handle": f"w-{written}"}
                )
            written += 1

    writer = asyncio.create_task(write())
    backup = tmp_path / "backup"
    try:
        made = await run_atelier(settings, "backup", str(backup))
    finally:
        writing = False
        await writer
    assert made.code == 0, made.stderr
    assert written > 50  # rows were written all through the backup
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["counts"]["users"] == _dumped_rows(backup / "database.dump", "users")

    restored = await run_atelier(settings, "restore", "--force", str(backup))
    assert restored.code == 0, restored.stderr
    assert (await _users(session_factory))[0] == manifest["counts"]["users"]


@pytest.mark.parametrize(
    "signum",
    [signal.SIGINT, pytest.param(signal.SIGTERM, marks=pytest.mark.slow)],
    ids=["SIGINT", "SIGTERM"],
)
async def test_a_signal_during_a_backup_says_no_backup_was_written(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path, signum: int
) -> None:
    await make_user_with_token(session_factory, "artist")
    await _add_bulk_users(session_factory)
    target = tmp_path / "backup"

    async def dumping(pid: int) -> bool:
        return any(Path(command[0]).name == "pg_dump" for command in _children(pid))

    result = await _signal_when(settings, ["backup", str(target)], dumping, signum)
    assert result.code == 128 + signum, result.stderr
    name = signal.Signals(signum).name
    assert (
        f"interrupted ({name}): no backup was written (what it had written into {target} was removed)"
    ) in result.stderr, result.stderr
    assert not target.exists()
