"""Processes a failed test started and left running, found and stopped so they outlive no test.

A test that starts a real process (``atelier serve``, a worker, an import) stops it in a ``finally``
block; a test that fails or times out mid-``await`` may never reach that block (pytest-timeout raises
wherever the event loop was, and the test's coroutine is left suspended), and its server then runs
on beside the rest of the suite — found once after a timed-out ``serve --workers`` test.

Linux only (``/proc``): elsewhere nothing is found. Process start times are compared in clock ticks
since boot (``/proc/PID/stat`` field 22, ``CLOCK_BOOTTIME``), so only processes the pytest process
started *during* the test count (with their descendants): servers of session- or module-scoped
fixtures, started before it, are never touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def boot_ticks() -> int:
    """Now, in the unit and origin of a process's start time in ``/proc/PID/stat``."""
    return int(time.clock_gettime(time.CLOCK_BOOTTIME) * _CLOCK_TICKS)


@dataclass(frozen=True)
class _Process:
    pid: int
    parent: int
    started: int
    """Clock ticks since boot."""
    zombie: bool


def _processes() -> list[_Process]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended meanwhile
            continue
        pid, _, rest = text.partition(" (")
        fields = rest.rsplit(") ", 1)[-1].split()  # the command name may hold spaces and parentheses
        # fields[0] is field 3 (state), so field N is fields[N - 3]
        found.append(_Process(int(pid), int(fields[1]), int(fields[19]), fields[0] == "Z"))
    return found


def started_and_left(parent: int, since: int) -> list[int]:
    """Live processes that ``parent`` started at or after ``since`` (:func:`boot_ticks`), and all
    their descendants (whenever those started), parents before their children."""
    processes = _processes()
    children: dict[int, list[_Process]] = {}
    for process in processes:
        children.setdefault(process.parent, []).append(process)
    left: list[int] = []
    queue = [process for process in children.get(parent, []) if process.started >= since]
    while queue:
        process = queue.pop(0)
        if not process.zombie:
            left.append(process.pid)
        queue.extend(children.get(process.pid, []))
    return left


def _command_line(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    return "?"


def kill_left_processes(parent: int, since: int) -> list[str]:
    """SIGKILL every process :func:`started_and_left` finds; their command lines, for the report."""
    killed = []
    for pid in started_and_left(parent, since):
        command = _command_line(pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            killed.append(f"{pid} {command[:200]}")
    return killed
