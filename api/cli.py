"""The ``atelier`` command line (typer). Each command is one unit of work and commits once.

Without ``DATABASE_URL`` / ``REDIS_URL`` the embedded servers under ``ATELIER_HOME`` are used and
stopped again when the command ends (``serve`` keeps them for its lifetime).

Start-up stays light: the database stack (SQLAlchemy, alembic, pydantic-settings, the services) is
imported inside the commands that use it, and the ``credits`` / ``import-export`` sub-apps are loaded
only when named (or listed by ``--help``), so ``atelier analyze`` and ``atelier inspect`` pay for none
of it (``python -X importtime "$(which atelier)" analyze …`` shows what a command imports).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
import typer.core
import typer.main
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from catalog.accounts.token_format import ALL_SCOPES, UnknownScope

if TYPE_CHECKING:
    from typer._click import Command, Context

    from catalog.accounts import service as accounts
    from catalog.database import SessionFactory
    from catalog.importing.service import ImportReport, ThumbnailMode
    from catalog.settings import AtelierSettings


LAZY_SUB_APPS: dict[str, tuple[str, str]] = {
    "import-export": ("api.cli_exports", "export_app"),
    "credits": ("api.cli_credits", "credits_app"),
}
"""Sub-app name → (module, attribute); the module imports the database stack, so it loads on demand."""


class _LazySubApps(typer.core.TyperGroup):
    """The top-level group; sub-apps in :data:`LAZY_SUB_APPS` are imported when first looked up."""

    def list_commands(self, ctx: Context) -> list[str]:
        listed = super().list_commands(ctx)
        return listed + [name for name in LAZY_SUB_APPS if name not in listed]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in LAZY_SUB_APPS and cmd_name not in self.commands:
            module_name, attribute = LAZY_SUB_APPS[cmd_name]
            sub_app: typer.Typer = getattr(importlib.import_module(module_name), attribute)
            command = typer.main.get_group(sub_app)
            command.name = cmd_name
            self.commands[cmd_name] = command
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=_LazySubApps,
    help="Atelier: AI-generated images, organised into creative sessions.",
    no_args_is_help=True,
)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")

console = Console(stderr=True, soft_wrap=True)  # problem lines stay whole for grep
DEFAULT_USER = "artist"
T = TypeVar("T")


def _run_with_database(work: Callable[[SessionFactory, AtelierSettings], Awaitable[T]]) -> T:
    """Start services, run ``work`` with a session factory, stop services."""
    from api.runtime import exit_on_sigterm, running_services
    from catalog.database import create_database_engine, create_session_factory
    from catalog.settings import load_settings

    exit_on_sigterm()
    with running_services(load_settings()) as settings:

        async def main() -> T:
            engine = create_database_engine(settings.database_url or "", pool_size=4)
            try:
                return await work(create_session_factory(engine), settings)
            finally:
                await engine.dispose()

        return asyncio.run(main())


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the latest revision."""
    from api.runtime import exit_on_sigterm, running_services
    from catalog.settings import load_settings

    exit_on_sigterm()
    with running_services(load_settings(), migrate=True):
        console.print("[green]database is at the latest revision[/green]")


@user_app.command("create")
def user_create(
    handle: str,
    display_name: Annotated[str | None, typer.Option(help="Name shown in apps")] = None,
    timezone: Annotated[str, typer.Option(help="IANA zone for naive tool times")] = "UTC",
) -> None:
    """Create a user."""
    from catalog.accounts import service as accounts
    from catalog.database import unit_of_work

    async def work(factory: SessionFactory, settings: AtelierSettings) -> None:
        async with unit_of_work(factory) as session:
            user = await accounts.create_user(session, handle, display_name=display_name, timezone=timezone)
        console.print(f"created user [bold]{user.handle}[/bold]")

    _guard(lambda: _run_with_database(work))


@token_app.command("create")
def token_create(
    handle: str,
    name: Annotated[str, typer.Option(help="What the token is for")] = "personal token",
    scope: Annotated[
        list[str] | None, typer.Option(help=f"Repeatable; default all: {', '.join(ALL_SCOPES)}")
    ] = None,
    expires_days: Annotated[int | None, typer.Option(help="Expire after this many days")] = None,
) -> None:
    """Create an API token for a user; the token is printed once (to stdout)."""
    from catalog.accounts import service as accounts
    from catalog.database import unit_of_work

    async def work(factory: SessionFactory, settings: AtelierSettings) -> accounts.IssuedToken:
        async with unit_of_work(factory) as session:
            return await accounts.issue_token(
                session,
                handle,
                name=name,
                scopes=scope or None,
                expires_in=timedelta(days=expires_days) if expires_days else None,
            )

    issued = _guard(lambda: _run_with_database(work))
    console.print(
        f"token [bold]{issued.prefix}[/bold] for {issued.user_handle}, scopes: {', '.join(issued.scopes)}"
    )
    print(issued.plaintext)


@token_app.command("revoke")
def token_revoke(prefix: str) -> None:
    """Revoke a token by its prefix (the part after ``atl_``)."""
    from catalog.accounts import service as accounts
    from catalog.database import unit_of_work

    async def work(factory: SessionFactory, settings: AtelierSettings) -> bool:
        async with unit_of_work(factory) as session:
            return await accounts.revoke_token(session, prefix)

    if not _guard(lambda: _run_with_database(work)):
        _fail(f"no active token with prefix {prefix!r}")
    console.print(f"revoked {prefix}")


@app.command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Folders, image files or .jsonl record files")],
    user: Annotated[
        str, typer.Option(help="Owner of the imported images (created if missing)")
    ] = DEFAULT_USER,
    thumbnails: Annotated[bool, typer.Option(help="Make thumbnails")] = True,
    background_thumbnails: Annotated[
        bool,
        typer.Option(
            help="Queue thumbnails for the worker (atelier serve / worker) instead of making them here"
        ),
    ] = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Then keep importing new files in the folders until Ctrl-C")
    ] = False,
) -> None:
    """Import images and generation records, then re-cluster the affected sessions."""
    from catalog.importing.service import ThumbnailMode, import_paths

    mode = ThumbnailMode.BACKGROUND if background_thumbnails else ThumbnailMode.INLINE
    folders = [path for path in paths if path.is_dir()]
    if watch and not folders:
        _fail("--watch needs at least one folder")

    async def work(factory: SessionFactory, settings: AtelierSettings) -> None:
        columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("import", total=None)
            report = await import_paths(
                factory,
                settings,
                user_handle=user,
                paths=paths,
                progress=lambda n: progress.update(task, advance=n),
                make_thumbnails=thumbnails,
                thumbnails=mode,
            )
        _print_import_report(report)
        if watch:
            await _watch_until_stopped(factory, settings, user, folders, mode if thumbnails else None)

    _guard(lambda: _run_with_database(work))


def _print_import_report(report: ImportReport) -> None:
    for problem in report.problems:
        console.print(f"[yellow]skipped[/yellow] {problem.path}: {problem.reason}")
    console.print(
        f"[green]{report.imported} images and {report.records_imported} records imported[/green], "
        f"{report.already_known} already known, {len(report.problems)} problems, "
        f"{len(report.skipped)} other files ignored; {report.sessions_touched} sessions updated"
    )


async def _watch_until_stopped(
    factory: SessionFactory,
    settings: AtelierSettings,
    user: str,
    folders: list[Path],
    mode: ThumbnailMode | None,
) -> None:
    """Watch ``folders`` until SIGINT/SIGTERM; the batch in progress is finished first."""
    from api.runtime import exit_on_sigterm
    from catalog.importing.service import ThumbnailMode
    from catalog.importing.watch import watch_folders

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    console.print(f"watching {', '.join(map(str, folders))} for new images (Ctrl-C to stop)")
    try:
        summary = await watch_folders(
            factory,
            settings,
            user,
            folders,
            stop_event=stop,
            thumbnails=mode or ThumbnailMode.SKIP,
            on_import=_print_import_report,
        )
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        exit_on_sigterm()
    console.print(f"stopped watching: {summary.imported} images imported in {summary.batches} batches")


@app.command()
def analyze(
    paths: Annotated[list[Path], typer.Argument(help="Folders, image files or .jsonl record files")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the analysis JSON")] = False,
    timezone: Annotated[str, typer.Option(help="IANA zone for naive times")] = "UTC",
) -> None:
    """Run the session engine on files, with no database."""
    from api.analyze_command import analyze_paths

    analysis, problems = analyze_paths(paths, timezone=timezone)
    for problem in problems:
        console.print(f"[yellow]skipped[/yellow] {problem}")
    if as_json:
        _write_stdout_bytes(analysis.to_json_bytes(), b"\n")
        return
    from rich.table import Table

    table = Table("started", "tool", "images", "intent", "label")
    for session in analysis.sessions:
        table.add_row(
            session.started_at.strftime("%Y-%m-%d %H:%M"),
            session.tool,
            str(len(session.asset_ids)),
            str(session.intent),
            session.label,
        )
    Console().print(table)
    if analysis.unclustered:
        console.print(f"{len(analysis.unclustered)} records without a usable time were not clustered")


def _write_stdout_bytes(*chunks: bytes) -> None:
    """Write UTF-8 ``chunks`` to stdout as they are: one ``write`` each, buffered or not (``-u``)."""
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:  # a text-only stream (an embedding test harness): decode once
        sys.stdout.write(b"".join(chunks).decode("utf-8"))
        return
    for chunk in chunks:
        binary.write(chunk)
    binary.flush()


@app.command()
def recluster(user: Annotated[str, typer.Option(help="Whose library")] = DEFAULT_USER) -> None:
    """Re-cluster a user's whole library (corrections and pinned labels are kept)."""
    from catalog.accounts import service as accounts
    from catalog.accounts.repository import user_by_handle
    from catalog.database import unit_of_work
    from catalog.sessions.reclustering import recluster_user

    async def work(factory: SessionFactory, settings: AtelierSettings) -> None:
        async with unit_of_work(factory) as session:
            owner = await user_by_handle(session, user)
            if owner is None:
                raise accounts.AccountError(f"no user named {user!r}")
            summary = await recluster_user(session, owner.id)
        console.print(
            f"{summary.sessions_written} sessions over {summary.assets_considered} images "
            f"({summary.sessions_created} new, {summary.sessions_deleted} removed)"
        )

    _guard(lambda: _run_with_database(work))


@app.command()
def demo(
    user: Annotated[str, typer.Option(help="Owner of the demo library")] = DEFAULT_USER,
    target: Annotated[Path | None, typer.Option(help="Where to write the images")] = None,
) -> None:
    """Write the bundled demo library (~390 real PNGs) and import it."""
    from catalog.demo_library import write_demo_library
    from catalog.importing.service import import_paths

    async def work(factory: SessionFactory, settings: AtelierSettings) -> None:
        folder = target or settings.home / "demo-library"
        library = write_demo_library(folder)
        report = await import_paths(factory, settings, user_handle=user, paths=[folder])
        console.print(
            f"demo library: {library.file_count} images in {folder}; imported {report.imported} "
            f"({report.already_known} already known) into {len(library.sessions)} expected sessions"
        )

    _guard(lambda: _run_with_database(work))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default ATELIER_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ATELIER_PORT)")] = None,
    with_demo: Annotated[
        bool, typer.Option(help="Import the demo library first if the user has none")
    ] = False,
) -> None:
    """Serve the GraphQL API (and, by default, the background worker)."""
    from api.serve_command import serve_forever
    from catalog.settings import load_settings

    _guard(lambda: serve_forever(load_settings(), host=host, port=port, with_demo=with_demo))


@app.command()
def worker() -> None:
    """Run the background worker alone (thumbnails, re-clustering, reflections)."""
    from api.runtime import exit_on_sigterm, running_services
    from api.worker import run_worker
    from catalog.settings import load_settings

    exit_on_sigterm()
    with running_services(load_settings()) as settings:
        run_worker(settings)


def _fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code=1)


def _guard(action: Callable[[], T]) -> T:
    """Turn expected, user-caused failures into one clear line and exit code 1."""
    from catalog.accounts import service as accounts
    from catalog.embedded_servers import EmbeddedServerError, ServeAlreadyRunning

    try:
        return action()
    except (accounts.AccountError, UnknownScope, ServeAlreadyRunning, EmbeddedServerError) as error:
        _fail(str(error))


@app.command()
def inspect(
    paths: Annotated[list[Path], typer.Argument(help="Images or folders")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one record per file")] = False,
    timezone: Annotated[str, typer.Option(help="IANA zone for naive tool times")] = "UTC",
) -> None:
    """Print the normalised generation record of each image (no database)."""
    from api.inspect_command import inspect_paths, print_summary

    out = Console()
    for document in inspect_paths(paths, timezone=timezone):
        if as_json:
            print(json.dumps(document, ensure_ascii=False), flush=True)
        else:
            print_summary(document, out)
