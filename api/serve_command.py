"""``atelier serve``: API (uvicorn) and, by default, the worker in one process.

Start-up: unless both ``DATABASE_URL`` and ``REDIS_URL`` are set, take the home's serve lock (a second
``serve`` on the same home is refused with a clear message) and start the embedded servers the
settings leave unset; migrate (under the migration lock: replicas may start together), optionally
import the demo library, then serve until SIGINT/SIGTERM; uvicorn handles both (answering requests in
flight), after which the worker finishes its jobs in hand and is closed (both bounded:
:mod:`api.graceful_shutdown`) and the servers are stopped. The in-process worker
(``ATELIER_EMBED_WORKER``, on by default) heals owed work at its start-up and every 30 s, so assets
imported with ``--no-thumbnails`` (or interrupted imports) get their thumbnails.

Watched folders (``ATELIER_WATCH_FOLDERS``): a background task on the server's loop imports new
images for the default user as they appear (:mod:`catalog.importing.watch`, with catch-up of files
added while the server was down); their thumbnails are queued for the worker. On shutdown the batch
in progress is finished before the servers stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import uvicorn
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.graceful_shutdown import finish_jobs_in_hand, uvicorn_options
from api.observability.json_logs import configure_json_logging
from api.observability.metrics import record_import_outcome
from api.runtime import exit_on_sigterm, running_services
from api.served_loop import run_served
from api.worker import build_worker
from api.worker_start import run_worker_when_redis_answers
from catalog.accounts import service as accounts
from catalog.accounts.repository import user_by_handle
from catalog.database import create_database_engine, create_session_factory, unit_of_work
from catalog.embedded_servers import hold_serve_lock
from catalog.settings import AtelierSettings

if TYPE_CHECKING:
    from catalog.importing.service import ImportReport

DEMO_USER = "artist"

"""Owner of files found in ``ATELIER_WATCH_FOLDERS`` (the default user of ``atelier import``)."""
WATCH_STOP_TIMEOUT_SECONDS = 30
console = Console(stderr=True)

EXAMPLE_QUERY = "{ viewer { sessions(first: 5) { edges { node { label assetCount startedAt tool } } } } }"


def serve_forever(
    settings: AtelierSettings, *, host: str | None, port: int | None, with_demo: bool, workers: int = 1
) -> None:
    # uvicorn captures SIGINT/SIGTERM while serving and re-raises them afterwards with the handler it
    # found installed: ours turns that into SystemExit, so the finally blocks below stop the servers.
    exit_on_sigterm()
    # the lock guards the embedded servers only: with both URLs set, replicas share the home freely
    lock = None if settings.shares_services else hold_serve_lock(settings.home)
    try:
        with running_services(settings) as resolved:
            token = asyncio.run(_prepare_demo(resolved)) if with_demo else None
            if workers > 1:  # api.serve_workers: N processes serve, this one runs the jobs
                _serve_with_workers(resolved, host or resolved.host, port or resolved.port, token, workers)
            else:
                run_served(_serve(resolved, host or resolved.host, port or resolved.port, token))
    finally:
        if lock is not None:
            lock.release()


def _count_files(report: ImportReport) -> None:
    """Count in ``atelier_import_files_total`` the files an import of this process met."""
    for outcome in report.files:
        record_import_outcome(str(outcome.outcome))


async def _prepare_demo(settings: AtelierSettings) -> str:
    """Import the demo library when it is missing files and return a token for the demo user (made
    once, kept on disk); the demo user's credits are granted once."""
    from catalog.demo_library import plan_demo_library, write_demo_library
    from catalog.importing.service import import_paths

    engine = create_database_engine(settings.database_url or "", pool_size=4)
    factory = create_session_factory(engine)
    token_file = settings.home / "demo-token"
    try:
        # Written and imported unless every planned file is already there and the token (written after
        # a completed import) exists: a restart skips rendering ~400 PNGs (~3 s), while a home made by
        # an older version gets the sessions the demo gained since.
        folder = settings.home / "demo-library"
        planned = plan_demo_library(folder)
        if not token_file.exists() or not all(
            (folder / image.file_name).is_file() for image in planned.images
        ):
            write_demo_library(folder)
            report = await import_paths(factory, settings, user_handle=DEMO_USER, paths=[folder])
            _count_files(report)
            console.print(
                f"demo library imported: {report.imported} images, {report.sessions_touched} sessions"
            )
        if not token_file.exists():
            async with unit_of_work(factory) as session:
                issued = await accounts.issue_token(
                    session, DEMO_USER, name="demo token (atelier serve --with-demo)"
                )
            token_file.write_text(issued.plaintext + "\n")
            os.chmod(token_file, 0o600)
        async with unit_of_work(factory) as session:  # once per user (keyed), also for older demo homes
            await _grant_demo_credits(session, settings)
        return token_file.read_text().strip()
    finally:
        await engine.dispose()


async def _grant_demo_credits(session: AsyncSession, settings: AtelierSettings) -> None:
    """The demo user's credits for a few reflections, granted once (idempotency key per user)."""
    from billing import ledger

    owner = await user_by_handle(session, DEMO_USER)
    if owner is not None and settings.demo_credits > 0:
        await ledger.grant(
            session,
            owner.id,
            settings.demo_credits,
            reference="demo credits (atelier serve --with-demo)",
            idempotency_key=f"demo:{owner.id}",
        )


async def _serve(settings: AtelierSettings, host: str, port: int, token: str | None) -> None:
    configure_json_logging()  # uvicorn's, arq's and our logs: JSON lines on stderr
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, **uvicorn_options())  # type: ignore[arg-type]
    )
    worker = build_worker(settings) if settings.embed_worker else None
    # the worker's healing cron runs at its start-up: thumbnails, embeddings and clustering owed from
    # earlier runs (imports with --no-thumbnails, interrupted imports, lost jobs) are made then
    # started again while Redis cannot be reached (api.worker_start): the API serves meanwhile
    worker_task = asyncio.create_task(run_worker_when_redis_answers(worker)) if worker is not None else None
    # the banner says "ready" only once the port is bound (a port in use ends serve() first). serve()
    # itself stays in this coroutine: uvicorn re-raises the captured SIGTERM when it returns, and the
    # SystemExit must unwind through the finally below, which lets the worker finish its jobs
    banner = asyncio.create_task(_banner_once_started(server, host, port, token))
    try:
        async with _watching_folders(settings):
            await server.serve()
    finally:
        banner.cancel()
        if worker is not None and worker_task is not None:
            await finish_jobs_in_hand(worker, worker_task)  # bounded: api.graceful_shutdown
            await worker.close()


async def _banner_once_started(server: uvicorn.Server, host: str, port: int, token: str | None) -> None:
    """Print the banner as soon as ``server`` has bound its socket and started."""
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, no event)
        await asyncio.sleep(0.02)
    _print_banner(host, port, token)


def _serve_with_workers(
    settings: AtelierSettings, host: str, port: int, token: str | None, workers: int
) -> None:
    from api.serve_workers import serve_with_workers

    configure_json_logging()

    async def jobs(stop: asyncio.Event) -> None:
        """The in-process worker and the watched folders, once, beside the serving processes."""
        worker = build_worker(settings) if settings.embed_worker else None
        worker_task = (
            asyncio.create_task(run_worker_when_redis_answers(worker)) if worker is not None else None
        )
        try:
            async with _watching_folders(settings):
                await stop.wait()
        finally:
            if worker is not None and worker_task is not None:
                await finish_jobs_in_hand(worker, worker_task)
                await worker.close()

    _print_banner(host, port, token)
    serve_with_workers(settings, host, port, workers, jobs)


@contextlib.asynccontextmanager
async def _watching_folders(settings: AtelierSettings) -> AsyncIterator[None]:
    """Watch ``ATELIER_WATCH_FOLDERS`` for the default user while the block runs (a background task
    on the server's loop; thumbnails go to the worker). A missing folder is a warning, not fatal."""
    from catalog.importing.service import ThumbnailMode
    from catalog.importing.watch import watch_folders

    folders = [folder for folder in settings.watch_folders if folder.is_dir()]
    for folder in settings.watch_folders:
        if not folder.is_dir():
            console.print(f"[yellow]not watching {escape(str(folder))}: not a folder[/yellow]")
    if not folders:
        yield
        return

    def log_batch(report: ImportReport) -> None:
        _count_files(report)
        for problem in report.problems:
            console.print(f"[yellow]watch: skipped[/yellow] {escape(f'{problem.path}: {problem.reason}')}")
        console.print(f"watch: {report.imported} new images, {report.sessions_touched} sessions updated")

    def log_failure(task: asyncio.Task[object]) -> None:
        if not task.cancelled() and task.exception() is not None:
            console.print(f"[red]watching stopped:[/red] {task.exception()}")

    engine = create_database_engine(settings.database_url or "", pool_size=2)
    stop = asyncio.Event()
    task = asyncio.create_task(
        watch_folders(
            create_session_factory(engine),
            settings,
            settings.watch_user,
            folders,
            stop_event=stop,
            thumbnails=ThumbnailMode.BACKGROUND,
            on_import=log_batch,
        )
    )
    task.add_done_callback(log_failure)
    console.print(f"watching {', '.join(map(str, folders))} for new images of {settings.watch_user!r}")
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=WATCH_STOP_TIMEOUT_SECONDS)
        await engine.dispose()


def _print_banner(host: str, port: int, token: str | None) -> None:
    base = f"http://{host}:{port}"
    lines = [
        f"Web app: [bold]{base}/[/bold] · GraphQL API: [bold]{base}/graphql[/bold] (GraphiQL in a browser)"
    ]
    if token is not None:
        lines += [
            "",
            f"Demo token:  [bold]{token}[/bold]",
            "",
            "Try it:",
            f"curl -s {base}/graphql -H 'Authorization: Bearer {token}' \\",
            "  -H 'Content-Type: application/json' \\",
            f'  -d \'{{"query": "{EXAMPLE_QUERY}"}}\'',
        ]
    console.print(
        Panel("\n".join(lines[:1] + (lines[1:3] if token else [])), title="Atelier is ready", expand=False)
    )
    if token is not None:
        # plain print, not the panel: the command must survive copy and paste without wrapping
        print("\n".join(lines[3:]), flush=True)
