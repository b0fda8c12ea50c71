"""The ``atelier`` command line (typer). Each command is one unit of work and commits once.

Without ``DATABASE_URL`` / ``REDIS_URL`` the embedded servers under ``ATELIER_HOME`` are used and
stopped again when the command ends (``serve`` keeps them for its lifetime).

Start-up stays light: the database stack (SQLAlchemy, alembic, pydantic-settings, the services) is
imported inside the commands that use it, and the ``credits`` / ``import-export`` sub-apps are loaded
only when a command line names them (``--help`` lists them without loading), so ``atelier --help``,
``atelier analyze`` and ``atelier inspect`` pay for none of it (``python -X importtime "$(which
atelier)" analyze …`` shows what a command imports).
"""

from __future__ import annotations

import importlib
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
import typer.core
import typer.main
from rich.console import Console
from rich.markup import escape

from api.cli_backup import register_backup_commands
from api.console_lines import print_first
from api.counted import counted
from api.process_exit import skip_final_collection
from api.stop_requests import ABORT_GRACE_SECONDS, StopRequest, end_after, end_now
from catalog.accounts.token_format import ALL_SCOPES, TOKEN_LIFETIME_MAX, UnknownScope
from catalog.settings_error import SettingsError

if TYPE_CHECKING:
    import asyncio

    from typer._click import Command, Context

    from api.analyze_command import Skipped
    from catalog.accounts import service as accounts
    from catalog.database import SessionFactory
    from catalog.importing.service import ImportReport, ThumbnailMode
    from catalog.settings import AtelierSettings


LAZY_SUB_APPS: dict[str, tuple[str, str, str]] = {
    "import-export": (
        "api.cli_exports",
        "export_app",
        "Import a tool's own record of generation times (matched to images by file name or job id).",
    ),
    "credits": ("api.cli_credits", "credits_app", "Grant and inspect credits (admin)."),
}
"""Sub-app name → (module, attribute, help); the module imports the database stack, so it loads only
when the sub-app runs. ``atelier --help`` lists it from the help written here (a test holds it equal
to the sub-app's own), not by importing it (~1.5 s)."""


class _LazySubApps(typer.core.TyperGroup):
    """The top-level group; sub-apps in :data:`LAZY_SUB_APPS` are imported when a command line names
    them (:meth:`resolve_command`). Until then :meth:`get_command` answers listings (help, shell
    completion of the first word) with a stand-in group that carries only the name and help."""

    def list_commands(self, ctx: Context) -> list[str]:
        listed = super().list_commands(ctx)
        return listed + [name for name in LAZY_SUB_APPS if name not in listed]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in LAZY_SUB_APPS and cmd_name not in self.commands:
            return typer.core.TyperGroup(name=cmd_name, help=LAZY_SUB_APPS[cmd_name][2])
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        if args and args[0] in LAZY_SUB_APPS and args[0] not in self.commands:
            self.commands[args[0]] = load_sub_app(args[0])
        return super().resolve_command(ctx, args)


def load_sub_app(name: str) -> Command:
    """The click group of the lazy sub-app ``name`` (its module imported now)."""
    module_name, attribute, _ = LAZY_SUB_APPS[name]
    sub_app: typer.Typer = getattr(importlib.import_module(module_name), attribute)
    command = typer.main.get_group(sub_app)
    command.name = name
    return command


class _Atelier(typer.Typer):
    """The ``atelier`` app: a setting that cannot be used (``ATELIER_PORT=99999``) is one error line
    naming the variable and exit code 1, whichever command read the settings, not a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except SettingsError as error:  # outside click's own handling here: print and exit
            console.print(f"[red]error:[/red] invalid setting: {escape(str(error))}", highlight=False)
            raise SystemExit(1) from None


app = _Atelier(
    cls=_LazySubApps,
    help="Atelier: AI-generated images, organised into creative sessions.",
    no_args_is_help=True,
)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
register_backup_commands(app)  # light: the commands import the database stack when they run

console = Console(stderr=True, soft_wrap=True)  # problem lines stay whole for grep
skip_final_collection()  # a command's exit skips the interpreter's last GC (api.process_exit)
DEFAULT_USER = "artist"
T = TypeVar("T")


def _run_with_database(
    work: Callable[[SessionFactory, AtelierSettings], Awaitable[T]], *, stop: StopRequest | None = None
) -> T:
    """Start services, run ``work`` with a session factory, stop services.

    SIGTERM while ``work`` runs cancels it on the event loop (a loop signal handler, run between
    callbacks) rather than raising ``SystemExit`` wherever the main thread happens to be: an
    exception injected into asyncpg's protocol or a pool hand-off left the process hung or crashed
    with SIGSEGV. Its ``finally`` blocks and the services' shutdown then run; the exit code is 143.

    With ``stop`` (a long command that stops at safe points, :mod:`api.stop_requests`), the first
    SIGINT or SIGTERM only sets ``stop.event`` (also while the services start, before ``work``) and
    ``work`` returns what it finished (the caller exits with ``stop.exit_code``); a second one cancels
    ``work`` as above (exit code 128 + that signal). A cancelled ``work`` that has not ended after
    ``ABORT_GRACE_SECONDS`` (or another signal) ends the process at once
    (:func:`api.stop_requests.end_after`).
    """
    import asyncio

    from api.runtime import exit_on_sigterm, running_services
    from catalog.database import create_database_engine, create_session_factory
    from catalog.settings import load_settings

    if stop is None:
        exit_on_sigterm()
    else:  # a stop asked for while the servers start ends the command at its first safe point
        stop.install_before_loop(announce=_announce)
    cancelled_by: int | None = None
    with running_services(load_settings()) as settings:

        async def main() -> T:
            task = asyncio.current_task()
            assert task is not None

            def cancel(signum: int) -> None:
                nonlocal cancelled_by
                if cancelled_by is not None:  # asked again while the cancel runs: at once
                    end_now(128 + cancelled_by)
                cancelled_by = signum
                task.cancel()
                end_after(ABORT_GRACE_SECONDS, 128 + signum)  # a task stuck in a statement never ends

            loop = asyncio.get_running_loop()
            if stop is None:
                loop.add_signal_handler(signal.SIGTERM, cancel, signal.SIGTERM)
            else:
                stop.install(loop, insist=cancel, announce=_announce)
            engine = create_database_engine(settings.database_url or "", pool_size=4)
            try:
                return await work(create_session_factory(engine), settings)
            finally:
                if stop is None:
                    loop.remove_signal_handler(signal.SIGTERM)
                else:
                    stop.remove(loop)
                exit_on_sigterm()  # the services' shutdown below stays interruptible the old way
                await engine.dispose()

        try:
            return asyncio.run(main())
        except asyncio.CancelledError:
            if cancelled_by is not None:
                raise SystemExit(128 + cancelled_by) from None
            raise


def _announce(line: str) -> None:
    console.print(f"[yellow]{escape(line)}[/yellow]", highlight=False)


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
    timezone: Annotated[
        str | None, typer.Option(help="IANA zone for naive tool times (default: ATELIER_TIMEZONE, else UTC)")
    ] = None,
) -> None:
    """Create a user."""
    from catalog.accounts import service as accounts
    from catalog.database import unit_of_work

    async def work(factory: SessionFactory, settings: AtelierSettings) -> None:
        async with unit_of_work(factory) as session:
            user = await accounts.create_user(
                session, handle, display_name=display_name, timezone=timezone or settings.timezone
            )
        console.print(f"created user [bold]{escape(user.handle)}[/bold]")

    _guard(lambda: _run_with_database(work))


@token_app.command("create")
def token_create(
    handle: str,
    name: Annotated[str, typer.Option(help="What the token is for")] = "personal token",
    scope: Annotated[
        list[str] | None, typer.Option(help=f"Repeatable; default all: {', '.join(ALL_SCOPES)}")
    ] = None,
    expires_days: Annotated[
        int | None,
        typer.Option(help=f"Expire after this many days (1–{TOKEN_LIFETIME_MAX.days}); omit for no expiry"),
    ] = None,
    no_expiry: Annotated[
        bool, typer.Option("--no-expiry", help="Say explicitly that the token never expires")
    ] = False,
) -> None:
    """Create an API token for a user; the token is printed once (to stdout).

    Without ``--expires-days`` (or with ``--no-expiry``) the token never expires; a lifetime of 0 or
    less is refused before anything is stored, never taken to mean "no expiry".
    """
    if no_expiry and expires_days is not None:
        _fail("--expires-days and --no-expiry contradict each other; pass one of them")
    if expires_days is not None and not 1 <= expires_days <= TOKEN_LIFETIME_MAX.days:
        _fail(
            f"--expires-days must be between 1 and {TOKEN_LIFETIME_MAX.days}, got {expires_days}; "
            "omit it (or pass --no-expiry) for a token that never expires"
        )
    from catalog.accounts import service as accounts
    from catalog.database import unit_of_work

    lifetime = None if expires_days is None else timedelta(days=expires_days)

    async def work(factory: SessionFactory, settings: AtelierSettings) -> accounts.IssuedToken:
        async with unit_of_work(factory) as session:
            return await accounts.issue_token(
                session, handle, name=name, scopes=scope or None, expires_in=lifetime
            )

    issued = _guard(lambda: _run_with_database(work))
    expiry = (
        "never expires" if issued.expires_at is None else f"expires {issued.expires_at:%Y-%m-%d %H:%M} UTC"
    )
    console.print(
        f"token [bold]{escape(issued.prefix)}[/bold] for {escape(issued.user_handle)}, "
        f"scopes: {', '.join(issued.scopes)}; "
        f"{expiry}"
    )
    print(issued.plaintext)


TOKENS_LISTED_MAX = 200
"""Most tokens ``atelier token list`` prints (newest first); it says when there are more."""


@token_app.command("list")
def token_list(
    handle: str,
    all_tokens: Annotated[bool, typer.Option("--all", help="Also the revoked and expired ones")] = False,
) -> None:
    """A user's API tokens, newest first: prefix, name, scopes, created, expires, last used. Never a
    secret (only its SHA-256 is stored); the prefix is what ``atelier token revoke`` takes."""
    from catalog.accounts import service as accounts
    from catalog.accounts.repository import user_by_handle
    from catalog.database import unit_of_work
    from catalog.models import ApiToken

    async def work(factory: SessionFactory, settings: AtelierSettings) -> list[ApiToken]:
        async with unit_of_work(factory) as session:
            owner = await user_by_handle(session, handle)
            if owner is None:
                raise accounts.AccountError(f"no user named {handle!r}")
            return await accounts.user_tokens_page(session, owner.id, limit=TOKENS_LISTED_MAX, after=None)

    tokens = _guard(lambda: _run_with_database(work))
    more = len(tokens) > TOKENS_LISTED_MAX
    now = datetime.now(UTC)
    shown = [
        token
        for token in tokens[:TOKENS_LISTED_MAX]
        if all_tokens or (token.revoked_at is None and (token.expires_at is None or token.expires_at > now))
    ]
    for token in shown:
        state = (
            f"revoked {token.revoked_at:%Y-%m-%d}"
            if token.revoked_at is not None
            else "never expires"
            if token.expires_at is None
            else f"{'expired' if token.expires_at <= now else 'expires'} {token.expires_at:%Y-%m-%d}"
        )
        used = (
            "never used" if token.last_used_at is None else f"last used {token.last_used_at:%Y-%m-%d %H:%M}"
        )
        print(
            f"{token.prefix}  {token.name}  [{', '.join(token.scopes)}]  "
            f"created {token.created_at:%Y-%m-%d}  {state}  {used}"
        )
    hidden = len(tokens[:TOKENS_LISTED_MAX]) - len(shown)
    summary = f"{len(shown)} token{'s' if len(shown) != 1 else ''} of {handle}"
    if hidden:
        summary += f" ({hidden} revoked or expired not shown: --all)"
    if more:
        summary += f"; only the newest {TOKENS_LISTED_MAX} were read"
    console.print(summary, markup=False, highlight=False)


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
    console.print(f"revoked {prefix}", markup=False)


def _non_empty_path(value: str) -> Path:
    """A path argument as given; ``""`` is refused (click's usage error, exit 2). ``Path("")`` would be
    the current folder: an unset shell variable (``atelier import "$FOLDER"``) must not import, read
    or inspect whatever folder the shell is in. ``.`` still names it."""
    if not value:
        raise typer.BadParameter("an empty path was given (did a shell variable expand to nothing?)")
    return Path(value)


PATHS_HELP = "Folders, image files or .jsonl record files"

IMPORT_EXIT_PROBLEMS = 3
"""``atelier import`` exit code when the import finished but some files were problems."""
MAX_PROBLEM_LINES = 200


@app.command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(help=PATHS_HELP, parser=_non_empty_path)],
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
    inline_thumbnails: Annotated[
        bool,
        typer.Option(
            help="Make thumbnails in this process before the sessions are stored (the slower path "
            "of earlier versions; by default sessions are stored first, then thumbnails are made "
            "on a process pool)"
        ),
    ] = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Then keep importing new files in the folders until Ctrl-C")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="One JSON line per file on stdout (path, outcome, reason, asset_id), then a summary line",
        ),
    ] = False,
    include_removed: Annotated[
        bool,
        typer.Option(
            "--include-removed",
            help="Also import images removed from the library earlier (atelier remove), bringing them back",
        ),
    ] = False,
) -> None:
    """Import images and generation records, then re-cluster the affected sessions.

    Every file is accounted for as imported, known, problem or ignored
    (images removed from the library earlier are ignored unless --include-removed).

    Exit codes: 0 when every file was imported, known or ignored;
    3 when the import finished but some files were problems;
    130 (Ctrl-C) or 143 (SIGTERM) when it was stopped (what was stored is kept);
    any other means the import could not run.

    By default the sessions are stored first (browsable at once),
    then the thumbnails are made on a process pool, one worker per core, with their progress on stderr.
    Interrupted then, the missing thumbnails are made by the next import
    or by the worker (atelier serve / atelier worker).
    """
    stop = StopRequest()
    stop.install_before_loop(announce=_announce)  # before the database stack's imports (~0.5 s)
    from api.import_progress import ImportProgress
    from catalog.importing.service import ThumbnailMode, import_paths

    if background_thumbnails and inline_thumbnails:
        _fail("choose one of --background-thumbnails and --inline-thumbnails")
    mode = ThumbnailMode.AFTER_SESSIONS
    if background_thumbnails:
        mode = ThumbnailMode.BACKGROUND
    elif inline_thumbnails:
        mode = ThumbnailMode.INLINE
    folders = [path for path in paths if path.is_dir()]
    if watch and not folders:
        missing = [path for path in paths if not path.exists()]
        if missing:
            _fail(f"--watch: no such folder: {missing[0]}")
        _fail("--watch needs at least one folder (the paths given are files)")

    def show(report: ImportReport) -> None:
        if as_json:
            _print_import_json(report)
        else:
            _print_import_report(report, frozenset(map(str, paths)))

    async def work(factory: SessionFactory, settings: AtelierSettings) -> ImportReport:
        with ImportProgress(console) as progress:
            report = await import_paths(
                factory,
                settings,
                user_handle=user,
                paths=paths,
                progress=progress.files,
                make_thumbnails=thumbnails,
                thumbnails=mode,
                thumbnail_progress=progress.thumbnails,
                stop=stop.event,
                include_removed=include_removed,
            )
        show(report)
        if report.interrupted:
            _print_interrupted(report)
        elif watch:
            # a watched folder's batches are small: one re-clustering after inline thumbnails
            watch_mode = ThumbnailMode.INLINE if mode is ThumbnailMode.AFTER_SESSIONS else mode
            await _watch_until_stopped(
                factory, settings, user, folders, watch_mode if thumbnails else None, show, stop.event
            )
        return report

    report = _guard(lambda: _run_with_database(work, stop=stop))
    if report.interrupted:
        raise typer.Exit(code=stop.exit_code or 130)
    if report.has_problems:
        raise typer.Exit(code=IMPORT_EXIT_PROBLEMS)


def _print_interrupted(report: ImportReport) -> None:
    """What an import stopped at a safe point kept, and how it is completed."""
    if report.files_not_read:
        unread = (
            f"{report.files_not_read} of {report.files_seen} files were not read "
            "(run the same import again to read them)."
        )
    else:
        unread = "every file was read and stored."
    console.print(
        f"[yellow]interrupted:[/yellow] {unread} What was stored is kept; the next import for this "
        "user, or the worker (atelier serve / atelier worker), completes its sessions and thumbnails.",
        highlight=False,
    )


def _print_import_json(report: ImportReport) -> None:
    """One line per file, then ``{"summary": {...}}``; flushed so a pipe sees whole lines."""
    for outcome in report.files:
        sys.stdout.write(json.dumps(outcome.to_json(), ensure_ascii=False) + "\n")
    sys.stdout.write(json.dumps({"summary": report.summary_json()}, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _print_import_report(report: ImportReport, named: frozenset[str] = frozenset()) -> None:
    """Every file by outcome: problems one per line (and thumbnail warnings), the files among ``named``
    (paths as given on the command line) that were ignored, with why, then the counts."""
    from catalog.importing.outcomes import Outcome

    print_first(
        console,
        report.problems,
        MAX_PROBLEM_LINES,
        lambda problem: f"[red]problem[/red] {escape(problem.path)}: {escape(problem.reason)}",
        "… and {} more problems (see --json)",
    )
    print_first(
        console,
        report.thumbnail_problems,
        MAX_PROBLEM_LINES,
        lambda problem: (
            f"[yellow]imported without a thumbnail[/yellow] {escape(problem.path)}: {escape(problem.reason)}"
        ),
        "… and {} more thumbnail warnings",
    )
    # a file named on the command line that is not read says why (a shell glob can name many)
    print_first(
        console,
        [item for item in report.files if item.outcome is Outcome.IGNORED and item.path in named],
        MAX_PROBLEM_LINES,
        lambda item: f"[yellow]ignored[/yellow] {escape(item.path)}: {escape(item.reason or '')}",
        "… and {} more ignored (see --json)",
    )
    counts = report.outcome_counts()
    console.print(
        f"{counted(len(report.files), 'file')}: [green]{counts['imported']} imported[/green], "
        f"{counts['known']} already known, {counted(counts['problem'], 'problem')}, "
        f"{counts['ignored']} ignored ({counted(report.records_imported, 'record')} imported, "
        f"{len(report.thumbnail_problems)} without a thumbnail); "
        f"{counted(report.sessions_touched, 'session')} updated"
        + (
            f"; {counted(report.overwritten, 'earlier image')} gone (file overwritten with another)"
            if report.overwritten
            else ""
        )
    )


async def _watch_until_stopped(
    factory: SessionFactory,
    settings: AtelierSettings,
    user: str,
    folders: list[Path],
    mode: ThumbnailMode | None,
    show: Callable[[ImportReport], None],
    stop: asyncio.Event,
) -> None:
    """Watch ``folders`` until ``stop`` is set (SIGINT/SIGTERM); the batch in progress is finished
    first. A watched folder that goes away ends it with one ``error:`` line and exit code 1."""
    from catalog.importing.service import ThumbnailMode
    from catalog.importing.watch import WatchError, watch_folders

    console.print(f"watching {', '.join(map(str, folders))} for new images (Ctrl-C to stop)", markup=False)
    try:
        summary = await watch_folders(
            factory,
            settings,
            user,
            folders,
            stop_event=stop,
            thumbnails=mode or ThumbnailMode.SKIP,
            on_import=show,
        )
    except WatchError as error:
        _fail(str(error))
    console.print(
        f"stopped watching: {counted(summary.imported, 'image')} imported "
        f"in {counted(summary.batches, 'batch', 'batches')}"
    )


def _time_zone(name: str) -> str:
    """``--timezone`` (default: ``ATELIER_TIMEZONE``, else UTC): an IANA zone name this machine knows,
    or a usage error saying so (not a traceback, nor one error per file read), from either source."""
    from catalog.accounts.time_zones import InvalidTimeZone, checked_time_zone  # no database stack

    try:
        return checked_time_zone(name)
    except InvalidTimeZone as error:  # the same names as ATELIER_TIMEZONE and updateViewer take
        raise typer.BadParameter(str(error)) from error


TIMEZONE_ENV = "ATELIER_TIMEZONE"
"""The setting ``--timezone`` defaults to: read by click from the environment, so ``analyze`` and
``inspect`` stay free of the settings module (their start-up imports are kept lean)."""


def _timezone_option(what: str) -> Any:
    return typer.Option(
        help=f"IANA zone for {what}; defaults to {TIMEZONE_ENV} when set, else UTC",
        callback=_time_zone,
        envvar=TIMEZONE_ENV,
    )


@app.command()
def analyze(
    paths: Annotated[list[Path], typer.Argument(help=PATHS_HELP, parser=_non_empty_path)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the analysis JSON")] = False,
    timezone: Annotated[str, _timezone_option("naive times")] = "UTC",
) -> None:
    """Run the session engine on files, with no database."""
    from engine.gc_pause import cyclic_gc_paused

    # the records, the analysis and its output all live to the end: no collection can free anything
    # (encoding 319k records' analysis: 0.80 s with the collector running, 0.35 s paused)
    with cyclic_gc_paused():
        _analyze_and_print(paths, as_json=as_json, timezone=timezone)


def _analyze_and_print(paths: list[Path], *, as_json: bool, timezone: str) -> None:
    """Print the analysis; exit :data:`~api.analyze_command.ANALYZE_EXIT_UNREAD` after it when a file
    or named path could not be read."""
    from api.analyze_command import ANALYZE_EXIT_UNREAD, analyze_paths_json

    if as_json:
        document, problems = analyze_paths_json(paths, timezone=timezone)
        _print_analyze_problems(problems)
        _write_stdout_bytes(document, b"\n")
    else:
        problems = _print_analyze_table(paths, timezone)
    if any(problem.unread_file for problem in problems):
        raise typer.Exit(code=ANALYZE_EXIT_UNREAD)


def _print_analyze_table(paths: list[Path], timezone: str) -> list[Skipped]:
    """Print the sessions table (and how many records were not clustered); return what was skipped."""
    from api.analyze_command import analyze_paths_table
    from api.analyze_output import plain_table, use_rich_table

    table_rows, problems = analyze_paths_table(paths, timezone=timezone)
    _print_analyze_problems(problems)
    out = Console()
    if use_rich_table(len(table_rows.sessions), is_terminal=out.is_terminal):
        from rich.table import Table
        from rich.text import Text

        table = Table("started", "tool", "images", "intent", "label")
        for row in table_rows.sessions:
            table.add_row(*map(Text, (row.started_at, row.tool, str(row.images), row.intent, row.label)))
        out.print(table)
    else:
        _write_stdout_bytes(output_bytes(plain_table(table_rows.sessions)))
    if table_rows.unclustered:
        verb = "was" if table_rows.unclustered == 1 else "were"
        console.print(
            f"{counted(table_rows.unclustered, 'record')} without a usable time {verb} not clustered"
        )
    return problems


def _print_analyze_problems(problems: list[Skipped]) -> None:
    """What was skipped, one per line, at most :data:`MAX_PROBLEM_LINES` of them, then how many more:
    a broken or misnamed file can hold millions of bad lines, and the first ones say what is wrong."""
    print_first(
        console,
        problems,
        MAX_PROBLEM_LINES,
        lambda problem: f"[yellow]skipped[/yellow] {escape(problem.text)}",
        "… and {:,} more skipped",
    )


def output_bytes(text: str) -> bytes:
    """``text`` as UTF-8 for stdout. A file name's bytes that are not UTF-8 (held as surrogate escapes
    since Python read the name) are written back as those bytes, like ``print`` does; any other lone
    surrogate (a ``\\ud800`` escape in a file's own JSON) becomes that escape's text, which inside a
    JSON string reads back as the same string, so one hostile file cannot stop the output."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


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
def schema(
    output: Annotated[
        Path | None,
        typer.Option(help="Write the SDL to this file instead of stdout (UTF-8, one final newline)"),
    ] = None,
) -> None:
    """Print the GraphQL schema (SDL) the server serves; schema.graphql in the repository is its output."""
    from api.graphql.schema import build_schema

    sdl = build_schema().as_str().rstrip("\n") + "\n"
    if output is None:
        _write_stdout_bytes(sdl.encode("utf-8"))
        return
    output.write_text(sdl, encoding="utf-8")


@app.command()
def remove(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help=(
                "Image files or folders: every image imported from them "
                "(a file: also the image with its bytes)"
            ),
            parser=_non_empty_path,
        ),
    ],
    user: Annotated[str, typer.Option(help="Whose library")] = DEFAULT_USER,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say how many images and sessions it would touch")
    ] = False,
) -> None:
    """Remove the images imported from these files or folders from the library.

    The files themselves are not touched. The sessions around the removed images are re-clustered;
    later imports of these folders leave the same images out (atelier import --include-removed takes
    them back). Thumbnails no image uses any more are deleted. --dry-run changes nothing.
    """
    from catalog.accounts import service as accounts
    from catalog.accounts.repository import user_by_handle
    from catalog.assets.removal import assets_read_from, discard_unused_files, remove_assets, sessions_holding
    from catalog.database import unit_of_work

    async def work(factory: SessionFactory, settings: AtelierSettings) -> tuple[int, int, int]:
        async with unit_of_work(factory) as session:  # one transaction: one re-clustering of the span
            owner = await user_by_handle(session, user)
            if owner is None:
                raise accounts.AccountError(f"no user named {user!r}")
            owner_id = owner.id
            asset_ids = await assets_read_from(session, owner_id, paths)
            if dry_run:
                return len(asset_ids), await sessions_holding(session, owner_id, asset_ids), 0
            removal = await remove_assets(session, owner_id, asset_ids)
        await discard_unused_files(factory, settings, owner_id, removal)
        return len(removal.removed), removal.sessions_changed, removal.sessions_deleted

    removed, changed, deleted = _guard(lambda: _run_with_database(work))
    if not removed:
        console.print(
            f"no images of {user!r} were imported from {', '.join(map(str, paths))}: nothing removed"
        )
        return
    if dry_run:
        sessions = "1 session" if changed == 1 else f"{changed} sessions"
        console.print(
            f"{removed} images in {sessions} would be removed (dry run: nothing changed; the files are "
            "never touched)"
        )
        return
    console.print(
        f"{removed} images removed ({changed} sessions re-clustered, {deleted} removed); the files are "
        "untouched, and `atelier import --include-removed` brings them back"
    )


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
            f"{counted(summary.assets_considered, 'image')} re-clustered: "
            f"{counted(summary.sessions_written, 'session')} new or changed "
            f"({summary.sessions_created} new), {summary.sessions_deleted} removed"
        )

    _guard(lambda: _run_with_database(work))


@app.command()
def demo(
    user: Annotated[str, typer.Option(help="Owner of the demo library")] = DEFAULT_USER,
    target: Annotated[Path | None, typer.Option(help="Where to write the images")] = None,
) -> None:
    """Write the bundled demo library (~390 real PNGs) and import it."""
    from catalog.accounts.repository import user_by_handle
    from catalog.demo_library import write_demo_library
    from catalog.importing.service import import_paths
    from catalog.sessions.queries import session_count

    async def work(factory: SessionFactory, settings: AtelierSettings) -> None:
        folder = target or settings.home / "demo-library"
        library = write_demo_library(folder)
        report = await import_paths(factory, settings, user_handle=user, paths=[folder])
        async with factory() as session:
            owner = await user_by_handle(session, user)
            sessions = 0 if owner is None else await session_count(session, owner.id)
        console.print(
            f"demo library: {library.file_count} images in {escape(str(folder))}; imported {report.imported} "
            f"({report.already_known} already known), {counted(report.sessions_touched, 'session')} new or "
            f"changed; {escape(user)} has {counted(sessions, 'session')} (the demo was made as "
            f"{len(library.sessions)})"
        )

    _guard(lambda: _run_with_database(work))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default ATELIER_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ATELIER_PORT)", min=0, max=65535)] = None,
    with_demo: Annotated[
        bool, typer.Option(help="Import the demo library first if the user has none")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="HTTP worker processes sharing the port (e.g. one per core); the background worker "
            "and embedded servers still run once",
        ),
    ] = 1,
) -> None:
    """Serve the GraphQL API (and, by default, the background worker)."""
    from api.serve_command import serve_forever
    from catalog.settings import load_settings

    _guard(lambda: serve_forever(load_settings(), host=host, port=port, with_demo=with_demo, workers=workers))


@app.command()
def worker(
    check: Annotated[
        bool,
        typer.Option("--check", help="Exit 0 if a worker on this Redis reported healthy recently, else 1"),
    ] = False,
) -> None:
    """Run the background worker alone (thumbnails, re-clustering, healing owed work, reflections).

    SIGTERM/SIGINT stop it gracefully: jobs in hand finish (up to 20 s) before it exits."""
    from api.runtime import exit_on_sigterm, running_services
    from api.worker import check_worker_health, run_worker
    from catalog.settings import load_settings

    exit_on_sigterm()
    if check:
        settings = load_settings()
        if not settings.redis_url:
            from catalog.embedded_servers import EmbeddedRedis

            embedded = EmbeddedRedis(settings.embedded_redis_dir)
            running = embedded.running_url()
            if running is None:
                _fail(
                    f"no REDIS_URL and no embedded Redis running on {embedded.socket_path} "
                    "(started by `make run` or `atelier serve` with this ATELIER_HOME): no worker to check"
                )
            settings = settings.model_copy(update={"redis_url": running})
        raise typer.Exit(code=check_worker_health(settings))

    def run() -> None:
        with running_services(load_settings()) as settings:
            run_worker(settings)

    _guard(run)


def _fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code=1)


def _guard(action: Callable[[], T]) -> T:
    """Turn expected, user-caused failures into one clear line and exit code 1."""
    from catalog.accounts import service as accounts
    from catalog.embedded_servers import EmbeddedServerError, ServeAlreadyRunning
    from catalog.migration_check import DatabaseUnreachable

    try:
        return action()
    except (
        accounts.AccountError,
        UnknownScope,
        ServeAlreadyRunning,
        EmbeddedServerError,
        DatabaseUnreachable,
    ) as error:
        _fail(str(error))


@app.command()
def inspect(
    paths: Annotated[list[Path], typer.Argument(help="Images or folders", parser=_non_empty_path)],
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one record per file")] = False,
    timezone: Annotated[str, _timezone_option("naive tool times")] = "UTC",
) -> None:
    """Print the normalised generation record of each image (no database)."""
    from api.inspect_command import exit_code, inspect_paths, plain_summary, print_summary, use_rich_cards

    documents = list(inspect_paths(paths, timezone=timezone))
    out = Console()
    if as_json:
        lines = (json.dumps(document, ensure_ascii=False) + "\n" for document in documents)
        _write_stdout_bytes(*map(output_bytes, lines))
    elif use_rich_cards(len(documents), is_terminal=out.is_terminal):
        for document in documents:
            print_summary(document, out)
    else:
        _write_stdout_bytes(output_bytes("".join(map(plain_summary, documents))))
    if code := exit_code(documents):
        raise typer.Exit(code=code)


if __name__ == "__main__":  # `python -m api.cli …` behaves like the `atelier` script
    app()
