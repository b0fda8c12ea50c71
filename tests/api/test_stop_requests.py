"""The first SIGINT/SIGTERM only asks for a stop (and says so); the next one insists."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from api.stop_requests import StopRequest
from catalog.database import SessionFactory
from catalog.models import Asset, User
from catalog.settings import AtelierSettings
from tests.api.conftest import CommandResult, atelier_env


@pytest.mark.parametrize("first", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
async def test_the_first_signal_asks_and_the_second_insists(first: signal.Signals) -> None:
    loop = asyncio.get_running_loop()
    stop = StopRequest()
    announced: list[str] = []
    insisted: list[int] = []
    stop.install(loop, insist=insisted.append, announce=announced.append)
    try:
        assert stop.exit_code is None and not stop.event.is_set()

        os.kill(os.getpid(), first)
        await asyncio.wait_for(stop.event.wait(), timeout=5)
        assert stop.signal_number == first and stop.exit_code == 128 + first
        assert len(announced) == 1 and "stopping after the work in progress is stored" in announced[0]
        assert insisted == []

        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(500):
            if insisted:
                break
            await asyncio.sleep(0.01)
        assert insisted == [signal.SIGINT]
        assert stop.exit_code == 128 + first  # the exit code stays the first signal's
        assert len(announced) == 1
    finally:
        stop.remove(loop)
    # removed: the process's own handlers are back (SIGINT raises KeyboardInterrupt again)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


STUCK_COMMAND = """
import asyncio, sys
import api.cli as cli
from api.stop_requests import StopRequest

cli.ABORT_GRACE_SECONDS = 0.5

async def work(factory, settings):
    print("ready", flush=True)
    while True:  # stands in for a task stuck on its connection: it never ends, cancelled or not
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            print("cancelled", flush=True)

cli._run_with_database(work, stop=StopRequest() if sys.argv[1] == "stoppable" else None)
"""


@pytest.mark.parametrize(
    ("mode", "signals", "exit_code"),
    [
        ("plain", [signal.SIGTERM], 128 + signal.SIGTERM),
        ("stoppable", [signal.SIGINT, signal.SIGINT], 128 + signal.SIGINT),
    ],
    ids=["sigterm-cancels", "second-ctrl-c-cancels"],
)
async def test_a_cancelled_command_that_does_not_end_is_ended_at_once(
    settings: AtelierSettings, mode: str, signals: list[signal.Signals], exit_code: int
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", STUCK_COMMAND, mode,
        env=atelier_env(settings), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None and process.stderr is not None
        assert await asyncio.wait_for(process.stdout.readline(), timeout=60) == b"ready\n"
        for signum in signals:
            process.send_signal(signum)
            await asyncio.sleep(0.2)
        await asyncio.wait_for(process.wait(), timeout=20)
        stdout, stderr = await process.stdout.read(), await process.stderr.read()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert b"cancelled" in stdout  # the cancel came first, and was not enough
    assert process.returncode == exit_code
    assert b"stopped at once" in stderr


def test_before_the_loop_the_first_signal_asks_and_the_second_raises() -> None:
    stop = StopRequest()
    announced: list[str] = []
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        stop.install_before_loop(announce=announced.append)
        os.kill(os.getpid(), signal.SIGTERM)  # handled here, at the next bytecode
        assert stop.event.is_set() and stop.exit_code == 128 + signal.SIGTERM
        assert len(announced) == 1 and "stopping after the work in progress is stored" in announced[0]
        with pytest.raises(SystemExit) as raised:
            os.kill(os.getpid(), signal.SIGINT)
        assert raised.value.code == 128 + signal.SIGINT
        assert stop.exit_code == 128 + signal.SIGTERM and len(announced) == 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


STOPPED_WHILE_SERVICES_START = """
import contextlib, os, sys
import api.runtime as runtime
from api.cli import app

starting = runtime.running_services

@contextlib.contextmanager
def running_services(settings, **options):
    for signum in map(int, sys.argv[1].split(",")):  # each arrives while the services start
        os.kill(os.getpid(), signum)
    with starting(settings, **options) as running:
        yield running

runtime.running_services = running_services
app(["import", "--json", sys.argv[2], "--user", sys.argv[3]])
"""


@pytest.mark.parametrize("first", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
async def test_an_import_stopped_while_its_services_start_reads_nothing_and_says_so(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path, first: signal.Signals
) -> None:
    """``atelier import --json`` asked to stop before its event loop runs still ends with its
    summary line (every file counted as not read) and exit code 128 + the signal, having stored
    nothing; before, the signal raised inside the services' start and the command printed nothing."""
    folder = tmp_path / "art"
    folder.mkdir()
    for index in range(3):
        Image.new("RGB", (8, 8), (index, 0, 0)).save(folder / f"gen_{index}.png")
    (folder / "notes.txt").write_text("not an image")
    handle = f"early-stop-{first.name.lower()}"
    result = await _run_python(settings, STOPPED_WHILE_SERVICES_START, str(int(first)), str(folder), handle)

    assert result.code == 128 + first, result.stderr
    *files, summary_line = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(file["path"], file["outcome"]) for file in files] == [(str(folder / "notes.txt"), "ignored")]
    summary = summary_line["summary"]
    assert summary["interrupted"] is True and summary["files_not_read"] == 3
    assert summary["imported"] == summary["known"] == summary["sessions_updated"] == 0
    assert "stopping after the work in progress is stored" in result.stderr
    assert "3 of 4 files were not read" in result.stderr
    async with session_factory() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Asset).join(User).where(User.handle == handle)
        )
    assert stored == 0


async def test_a_second_signal_while_the_services_start_stops_at_once(
    settings: AtelierSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "art"
    folder.mkdir()
    Image.new("RGB", (8, 8)).save(folder / "gen.png")
    signals = f"{int(signal.SIGINT)},{int(signal.SIGINT)}"
    result = await _run_python(settings, STOPPED_WHILE_SERVICES_START, signals, str(folder), "twice")
    assert result.code == 128 + signal.SIGINT, result.stderr
    assert result.stdout == ""
    assert "stopped at once" in result.stderr


async def _run_python(settings: AtelierSettings, script: str, *args: str) -> CommandResult:
    """``script`` in a Python process of the venv, with ``args`` after it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, *args,
        env=atelier_env(settings), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return CommandResult(process.returncode, stdout.decode(), stderr.decode())
