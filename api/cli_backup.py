"""``atelier backup PATH`` and ``atelier restore PATH [--force]`` (see :mod:`catalog.backup`).

Both use the home's servers like every command (the embedded ones, or ``DATABASE_URL``). ``backup``
works while ``atelier serve`` runs (the dump and its counts are one snapshot); ``restore`` holds the
home's serve lock, so it refuses to run beside ``atelier serve`` and ``serve`` cannot start during it.
Neither migrates first: a backup records the schema as it is, and a restore upgrades the restored
schema itself.

Output (stderr): one ``error:`` line and exit code 1 when it fails (saying whether anything was
changed); one ``interrupted (SIGINT|SIGTERM):`` line saying what was left, and exit code 130/143, when
a signal stopped it; ``warning:`` lines for what a backup could not include or where it lies, and
``note:`` lines for what the user should know after it.
"""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from api.counted import counted

if TYPE_CHECKING:
    from catalog.backup import BackupManifest, RestoredBackup, WrittenBackup

console = Console(stderr=True, soft_wrap=True)


def backup(
    path: Annotated[Path, typer.Argument(help="A new (or empty) folder to write the backup into")],
) -> None:
    """Back up the database, thumbnails, uploaded images and secret key of this home into PATH."""
    _exit_on_sigterm()
    written: WrittenBackup | None = None
    try:
        from api.runtime import running_services
        from catalog.backup import create_backup
        from catalog.settings import load_settings

        with running_services(load_settings(), migrate=False) as settings:
            written = create_backup(settings, path)
    except BaseException as error:
        if written is not None and isinstance(error, KeyboardInterrupt | SystemExit):
            _report_backup(path, written)  # stopped while the services stopped: the backup is whole
        _answer(error, "no backup was written" if written is None else f"the backup in {path} is complete")
    _report_backup(path, written)


def restore(
    path: Annotated[Path, typer.Argument(help="A folder written by atelier backup")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a database that already has users")
    ] = False,
) -> None:
    """Restore a backup into this home (refuses a non-empty database unless --force)."""
    _exit_on_sigterm()
    restored: RestoredBackup | None = None
    lock = None
    try:
        from api.runtime import running_services
        from catalog.backup import restore_backup
        from catalog.embedded_servers import ServeAlreadyRunning, hold_serve_lock
        from catalog.settings import load_settings

        settings = load_settings()
        try:
            lock = hold_serve_lock(settings.home)
        except ServeAlreadyRunning as error:
            _fail(f"{error} A restore needs the home to itself.")
        with running_services(settings, migrate=False) as resolved:
            restored = restore_backup(resolved, path, force=force)
    except BaseException as error:
        if restored is not None and isinstance(error, KeyboardInterrupt | SystemExit):
            _report_restore(path, restored)  # stopped while the services stopped: the restore is done
        _answer(
            error,
            "the restore had not started: nothing was changed"
            if restored is None
            else "the restore had finished",
        )
    finally:
        if lock is not None:
            lock.release()
    _report_restore(path, restored)


def register_backup_commands(app: typer.Typer) -> None:
    app.command()(backup)
    app.command()(restore)


def _report_backup(path: Path, written: WrittenBackup | None) -> None:
    assert written is not None
    console.print(f"[green]backed up[/green] into {escape(str(path))}: {_summary(written.manifest)}")
    for warning in written.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    for note in written.manifest.notes:
        if note not in written.warnings:
            console.print(f"[yellow]note:[/yellow] {escape(note)}")


def _report_restore(path: Path, restored: RestoredBackup | None) -> None:
    assert restored is not None
    manifest = restored.manifest
    console.print(
        f"[green]restored[/green] {escape(str(path))} (made {manifest.created_at}): {_summary(manifest)}"
    )
    for note in restored.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")


def _summary(manifest: BackupManifest) -> str:
    counts = manifest.counts
    return (
        f"{counted(counts.get('users', 0), 'user')}, {counted(counts.get('assets', 0), 'image')}, "
        f"{counted(counts.get('sessions', 0), 'session')}, "
        f"{counted(manifest.thumbnail_files, 'thumbnail file')}, "
        f"{counted(manifest.upload_files, 'uploaded file')}, schema {manifest.alembic_revision}"
    )


def _exit_on_sigterm() -> None:
    """SIGTERM raises ``SystemExit(143)`` from now on, as :func:`api.runtime.exit_on_sigterm` does, but
    set before the command's imports (a second or so), so that a SIGTERM then is answered too."""

    def raise_exit(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, raise_exit)


def _answer(error: BaseException, state: str) -> NoReturn:
    """Turn what stopped a command into its one line and exit code: a failure (``error:``, 1), a signal
    inside :mod:`catalog.backup` (which says what it left) or outside it (``state``: the command
    had not begun, or had finished, its work), 130/143. Anything else goes on its way."""
    if isinstance(error, KeyboardInterrupt):
        _interrupted(signal.SIGINT, state)
    if isinstance(error, SystemExit) and error.code == 128 + signal.SIGTERM:
        _interrupted(signal.SIGTERM, state)
    from catalog.backup_manifest import BackupError
    from catalog.backup_signals import Interrupted

    if isinstance(error, Interrupted):
        _interrupted(error.signum, error.state)
    if isinstance(error, BackupError):
        _fail(str(error))
    raise error


def _interrupted(signum: int, state: str) -> NoReturn:
    name = signal.Signals(signum).name
    console.print(f"[red]interrupted ({name}):[/red] {escape(state)}", highlight=False)
    raise typer.Exit(code=128 + signum)


def _fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code=1)
