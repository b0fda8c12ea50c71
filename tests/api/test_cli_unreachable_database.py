"""A ``DATABASE_URL`` that cannot be reached is one clear line and exit 1, never a traceback.

An unknown host, a closed port, a wrong password or database name: every command that touches the
database migrates first (:func:`catalog.migration_check.migrate_to_head`), and that first connection
names the database (password hidden) and the driver's reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.migration_check import DatabaseUnreachable, migrate_to_head

ATELIER = Path(sys.executable).with_name("atelier")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends: nothing listens there


def test_migrating_an_unreachable_database_says_which_and_why() -> None:
    url = f"postgresql+asyncpg://artist:hunter2@127.0.0.1:{_closed_port()}/atelier"
    with pytest.raises(DatabaseUnreachable) as raised:
        migrate_to_head(url)
    message = str(raised.value)
    assert message.startswith("cannot connect to the database at postgresql+asyncpg://artist:***@127.0.0.1:")
    assert "hunter2" not in message
    assert "Connect call failed" in message


@pytest.mark.parametrize("command", [["import", "."], ["worker"], ["recluster", "--user", "me"]])
def test_commands_report_an_unreachable_database_in_one_line(tmp_path: Path, command: list[str]) -> None:
    env = os.environ | {
        "DATABASE_URL": "postgresql://artist:hunter2@nowhere.invalid:5432/atelier",
        "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}",
        "ATELIER_HOME": str(tmp_path / "home"),
        "HF_HUB_OFFLINE": "1",
    }
    result = subprocess.run(
        [str(ATELIER), *command],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output and "hunter2" not in output
    assert "error: cannot connect to the database at postgresql" in output
    assert "nowhere.invalid" in output
