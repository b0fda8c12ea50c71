"""The cheap "already at head?" check before Alembic: it skips Alembic only when the database holds
exactly the scripts' one head, and otherwise migrates exactly as ``upgrade`` does."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from catalog.migration_check import DatabaseUnreachable, applied_revisions, migrate_to_head, script_head
from catalog.migration_runner import alembic_config, downgrade_async
from tests.conftest import REPO_ROOT, applied_versions


def _script(revision: str, down: str, *, extra: str = "") -> str:
    return (
        f'"""Revision ID: {revision}"""\n\nfrom __future__ import annotations\n\n'
        f"revision: str = {revision}\ndown_revision: str | None = {down}\n"
        f"branch_labels: str | None = None\ndepends_on: str | None = None\n{extra}\n\n"
        "def upgrade() -> None:\n    pass\n"
    )


def _versions(tmp_path: Path, scripts: dict[str, str]) -> Path:
    folder = tmp_path / "versions"
    folder.mkdir()
    for name, text in scripts.items():
        (folder / name).write_text(text)
    return folder


def test_the_head_read_from_the_scripts_is_alembics_head() -> None:
    alembic_heads = ScriptDirectory.from_config(alembic_config("postgresql://")).get_heads()

    assert len(alembic_heads) == 1
    assert script_head() == alembic_heads[0]


def test_a_chain_with_a_merge_has_one_head_and_only_alembics_files_count(tmp_path: Path) -> None:
    folder = _versions(
        tmp_path,
        {
            "0001_a.py": _script('"0001"', "None"),
            "0002_b.py": _script("'0002'", '"0001"'),
            "0003_c.py": _script('"0003"', '"0001"'),
            "0004_merge.py": _script('"0004"', '("0002", "0003")'),
            "__init__.py": _script('"9999"', '"0004"'),  # not a script to Alembic
            ".#0005_lock.py": _script('"9998"', '"0004"'),  # an editor's lock file, ignored too
            "notes.txt": "revision = '9997'\n",
        },
    )

    assert script_head(folder) == "0004"


@pytest.mark.parametrize(
    "scripts",
    [
        pytest.param(
            {"0001.py": _script('"0001"', "None"), "0002.py": _script('"0002"', "None")}, id="two-heads"
        ),
        pytest.param({"0001.py": _script('"0001"', '"0000"')}, id="dangling-down-revision"),
        pytest.param({"0001.py": _script("REVISION", "None", extra="REVISION = '0001'")}, id="not-a-literal"),
        pytest.param({"0001.py": _script('"0001"', "None", extra="revision = '0002'")}, id="assigned-twice"),
        pytest.param(
            {"0001.py": _script('"0001"', "None"), "0001b.py": _script('"0001"', "None")}, id="twice"
        ),
        pytest.param({"0001.py": "down_revision = None\n"}, id="no-revision"),
        pytest.param(
            {
                "0001.py": _script('"0001"', "None").replace(
                    "branch_labels: str | None = None", "branch_labels = ('x',)"
                )
            },
            id="branch-labels",
        ),
        pytest.param(
            {
                "0001.py": _script('"0001"', "None").replace(
                    "depends_on: str | None = None", "depends_on = '0000'"
                )
            },
            id="depends-on",
        ),
    ],
)
def test_scripts_that_do_not_plainly_declare_one_head_leave_the_decision_to_alembic(
    tmp_path: Path, scripts: dict[str, str]
) -> None:
    assert script_head(_versions(tmp_path, scripts)) is None


async def test_a_current_database_is_left_alone_without_loading_alembic(database_url: str) -> None:
    code = (
        "import sys; from catalog.migration_check import migrate_to_head; "
        f"migrate_to_head({database_url!r}); print(sorted(m for m in sys.modules if m.startswith('alembic')))"
    )
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        check=True,
    )

    assert result.stdout.strip() == "[]"
    assert await applied_revisions(database_url) == {script_head()}


async def test_a_database_behind_is_upgraded(database_url: str) -> None:
    await downgrade_async(database_url, "0008")
    assert await applied_revisions(database_url) == {"0008"}

    await asyncio.to_thread(migrate_to_head, database_url)

    assert await applied_versions(database_url) == [script_head()]


async def test_an_empty_database_is_migrated(empty_database_url: str) -> None:
    assert await applied_revisions(empty_database_url) is None  # no alembic_version table yet

    await asyncio.to_thread(migrate_to_head, empty_database_url)

    assert await applied_versions(empty_database_url) == [script_head()]


async def test_an_unreachable_server_is_named_not_read_as_unknown(tmp_path: Path) -> None:
    """No connection at all is not "no revisions": migrating would only fail later, in Alembic, with a
    traceback; the caller raises this one clear error instead."""
    found = await applied_revisions(f"postgresql://postgres@/atelier?host={tmp_path / 'no-server'}")
    assert isinstance(found, DatabaseUnreachable)
    assert str(found).startswith("cannot connect to the database at postgresql")
