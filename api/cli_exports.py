"""``atelier import-export …``: tool exports that know when images were really generated.

    atelier import-export comfyui-history history.json        (or http://127.0.0.1:8188)
    atelier import-export invokeai-db ~/invokeai/databases/invokeai.db
    atelier import-export midjourney-archive archive.json

Each command is one unit of work (:func:`catalog.importing.export_import.import_export`) and prints
a summary; re-running it changes nothing. An export that cannot be used at all (missing file, not
JSON, not SQLite, server unreachable) is one ``error:`` line and exit code 1; single bad entries are
listed as skipped and the rest is imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from api.console_lines import print_first
from api.counted import counted
from catalog.database import SessionFactory
from catalog.importing.export_import import ExportImportReport, ExportKind, import_export, is_url
from catalog.settings import AtelierSettings

export_app = typer.Typer(
    help="Import a tool's own record of generation times (matched to images by file name or job id).",
    no_args_is_help=True,
)
console = Console(stderr=True, soft_wrap=True)
DEFAULT_USER = "artist"
MAX_PROBLEM_LINES = 20

UserOption = Annotated[str, typer.Option(help="Whose catalog (created if missing)")]


@export_app.command("comfyui-history")
def comfyui_history(
    file_or_url: Annotated[
        str, typer.Argument(help="A saved /history JSON file, or a running ComfyUI's address")
    ],
    user: UserOption = DEFAULT_USER,
) -> None:
    """ComfyUI's /history: execution times per prompt, matched to output files by name."""
    _import(user, file_or_url if is_url(file_or_url) else Path(file_or_url), "comfyui-history")


@export_app.command("invokeai-db")
def invokeai_db(
    file: Annotated[Path, typer.Argument(help="InvokeAI's databases/invokeai.db (read-only)")],
    user: UserOption = DEFAULT_USER,
) -> None:
    """InvokeAI's database: images.created_at, matched by image name."""
    _import(user, file, "invokeai-db")


@export_app.command("midjourney-archive")
def midjourney_archive(
    file: Annotated[Path, typer.Argument(help="Archive / job JSON (a list of jobs or {'jobs': [...]})")],
    user: UserOption = DEFAULT_USER,
) -> None:
    """Midjourney archive: enqueue_time, job and parent job ids, matched by job id."""
    _import(user, file, "midjourney-archive")


def _import(user: str, source: Path | str, kind: ExportKind) -> None:
    from api.cli import _fail, _guard, _run_with_database  # api.cli registers this module
    from engine.exports import ExportError

    async def work(factory: SessionFactory, settings: AtelierSettings) -> ExportImportReport:
        return await import_export(factory, settings, user_handle=user, source=source, kind=kind)

    try:
        report = _guard(lambda: _run_with_database(work))
    except ExportError as error:
        _fail(str(error))
        return
    _print_report(report)


def _print_report(report: ExportImportReport) -> None:
    print_first(
        console,
        report.problems,
        MAX_PROBLEM_LINES,
        lambda problem: (
            f"[yellow]{'skipped' if problem.skipped else 'note'}[/yellow] "
            + escape(f"{problem.source} entry {problem.entry}: {problem.reason}")
        ),
        "… and {} more problems",
    )
    console.print(
        f"[green]{report.kind}[/green] {escape(str(report.location))}: "
        f"{counted(report.entries, 'entry', 'entries')} "
        f"({report.newly_stored} new, {report.already_stored} already imported"
        + (f", {report.conflicting} kept from an earlier export" if report.conflicting else "")
        + (f", {report.contradictory} contradictory dropped" if report.contradictory else "")
        + f"), {counted(len(report.problems), 'problem')}"
    )
    sessions = report.reclustering.sessions_written if report.reclustering else 0
    console.print(
        f"matched {report.matched}, ambiguous {report.ambiguous} (file name shared by several images), "
        f"not matched yet {report.unmatched} (applied when those files are imported); "
        f"{counted(report.assets_moved, 'image')} re-timed, {report.assets_updated} updated, "
        f"{counted(sessions, 'session')} updated"
    )
