"""``atelier backup PATH`` and ``atelier restore PATH [--force]`` (see :mod:`catalog.backup`).

Both use the home's servers like every command (the embedded ones, or ``DATABASE_URL``). ``backup``
works while ``atelier serve`` runs (the dump is one snapshot); ``restore`` holds the home's serve lock,
so it refuses to run beside ``atelier serve`` and ``serve`` cannot start during it. Neither migrates
first: a backup records the schema as it is, and a restore upgrades the restored schema itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from catalog.backup import BackupManifest

console = Console(stderr=True, soft_wrap=True)


def backup(
    path: Annotated[Path, typer.Argument(help="A new (or empty) folder to write the backup into")],
) -> None:
    """Back up the database, thumbnails and secret key of this home into PATH."""
    from api.runtime import exit_on_sigterm, running_services
    from catalog.backup import BackupError, create_backup
    from catalog.settings import load_settings

    exit_on_sigterm()
    try:
        with running_services(load_settings(), migrate=False) as settings:
            manifest = create_backup(settings, path)
    except BackupError as error:
        _fail(str(error))
    console.print(f"[green]backed up[/green] into {escape(str(path))}: {_summary(manifest)}")
    for note in manifest.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")


def restore(
    path: Annotated[Path, typer.Argument(help="A folder written by atelier backup")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a database that already has users")
    ] = False,
) -> None:
    """Restore a backup into this home (refuses a non-empty database unless --force)."""
    from api.runtime import exit_on_sigterm, running_services
    from catalog.backup import BackupError, restore_backup
    from catalog.embedded_servers import ServeAlreadyRunning, hold_serve_lock
    from catalog.settings import load_settings

    exit_on_sigterm()
    settings = load_settings()
    try:
        lock = hold_serve_lock(settings.home)
    except ServeAlreadyRunning as error:
        _fail(f"{error} A restore needs the home to itself.")
    try:
        with running_services(settings, migrate=False) as resolved:
            manifest = restore_backup(resolved, path, force=force)
    except BackupError as error:
        _fail(str(error))
    finally:
        lock.release()
    console.print(
        f"[green]restored[/green] {escape(str(path))} (made {manifest.created_at}): {_summary(manifest)}"
    )
    for note in manifest.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")


def register_backup_commands(app: typer.Typer) -> None:
    app.command()(backup)
    app.command()(restore)


def _summary(manifest: BackupManifest) -> str:
    counts = manifest.counts
    return (
        f"{counts.get('users', 0)} users, {counts.get('assets', 0)} images, {counts.get('sessions', 0)} "
        f"sessions, {manifest.thumbnail_files} thumbnail files, schema {manifest.alembic_revision}"
    )


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code=1)
