"""``tests/process_cleanup.py``: what a failed test left running is found (and only that) and stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.process_cleanup import boot_ticks, kill_left_processes, started_and_left

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_process_started_during_the_test_and_its_children_are_found_and_killed() -> None:
    before = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.05)  # a tick (10 ms) later: started before the test "call" below
        since = boot_ticks()
        # a server-like process with a child of its own, as `atelier serve --workers 2` has
        server = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent("""
                import subprocess, sys, time
                child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
                print(child.pid, flush=True)
                time.sleep(60)
            """)],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert server.stdout is not None
        grandchild = int(server.stdout.readline())

        left = started_and_left(os.getpid(), since)
        assert left[:1] == [server.pid] and grandchild in left and before.pid not in left

        killed = kill_left_processes(os.getpid(), since)
        assert len(killed) == 2 and killed[0].startswith(f"{server.pid} {sys.executable}")
        assert server.wait(timeout=10) == -9
        deadline = time.monotonic() + 10
        while _alive(grandchild):
            assert time.monotonic() < deadline, "the server's child outlived the cleanup"
            time.sleep(0.02)
        assert _alive(before.pid)  # started before the test: never touched
        assert started_and_left(os.getpid(), since) == []
    finally:
        before.kill()
        before.wait()
