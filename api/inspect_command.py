"""``atelier inspect``: the normalised generation record of each file — the exiftool of AI images.

One JSON object per file (``--json`` prints JSON lines): the record in the interchange format plus
``path``, ``content_sha256``, ``image_format``, ``pixel_width``/``pixel_height`` and ``edited``; a
file that cannot be read gets ``path`` and ``error`` instead, and the rest still print. So does a file
named on the command line that is not a supported image (a ``.heic``, a ``.gif``, a log): a file
the user asked about is never passed over in silence. Folders are walked like ``atelier import``
does (their other files are not listed). No database is touched. Exit code (:func:`exit_code`), as
``atelier analyze``'s: 0 when every file was read — a named file that is not an image Atelier reads
does not count —, :data:`UNREADABLE_EXIT_CODE` when some path or image could not be (missing, corrupt).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from rich.text import Text

from catalog.importing.discovery import IMAGE_SUFFIX_TEXT, NOT_A_REGULAR_FILE, FileKind, FoundFile, discover
from catalog.importing.file_reading import FileProblem, MetadataReader
from engine.copy_times import reject_copy_times
from engine.record_codec import record_to_json

_SUMMARY_FIELDS = (
    "tool",
    "created_at",
    "created_at_source",
    "created_at_precision",
    "prompt",
    "negative_prompt",
    "seed",
    "steps",
    "cfg_scale",
    "sampler",
    "scheduler",
    "model",
    "loras",
    "width",
    "height",
    "denoise",
    "source_image",
    "job_id",
    "workflow_hash",
)


def inspect_paths(paths: Iterable[Path], *, timezone: str = "UTC") -> Iterator[dict[str, Any]]:
    """One document per image file under ``paths`` and per other file named in ``paths`` (with its
    ``error``); other files met inside folders are not listed."""
    paths = list(paths)
    named = set(paths)
    found = list(discover(paths))
    for item in found:
        if item.kind in (FileKind.MISSING, FileKind.PROBLEM):
            yield {"path": str(item.path), "error": item.reason}
        elif item.kind in (FileKind.SKIPPED, FileKind.RECORDS) and item.path in named:
            yield {"path": str(item.path), "error": _not_an_image(item)}
    images = [item.path for item in found if item.kind is FileKind.IMAGE]
    with MetadataReader(len(images)) as reader:
        outcomes = list(reader.read(images, timezone))
    # Copy times are judged across the files read together (see engine.copy_times).
    reject_copy_times(
        [outcome.record for _, outcome in outcomes if not isinstance(outcome, FileProblem)],
        local_tz=ZoneInfo(timezone),
    )
    for path, outcome in outcomes:
        if isinstance(outcome, FileProblem):
            yield {"path": str(path), "error": outcome.reason}
            continue
        document = {"path": str(path)} | record_to_json(outcome.record)
        document |= {
            "content_sha256": outcome.content_sha256,
            "image_format": outcome.image_format,
            "pixel_width": outcome.pixel_width,
            "pixel_height": outcome.pixel_height,
            "edited": outcome.edited,
        }
        yield document


UNREADABLE_EXIT_CODE = 3
NOT_READ = "not read: "
"""How the error of a named file that is not an image Atelier reads begins (it is not a failure)."""


def exit_code(documents: Iterable[dict[str, Any]]) -> int:
    """0, or :data:`UNREADABLE_EXIT_CODE` when a path or an image could not be read."""
    unreadable = any(
        "error" in document and not str(document["error"]).startswith(NOT_READ) for document in documents
    )
    return UNREADABLE_EXIT_CODE if unreadable else 0


def _not_an_image(item: FoundFile) -> str:
    """Why a named file is not read: a special file keeps discovery's reason (``not a regular file:
    FIFO``); a record log is for ``analyze``; any other file is not an image type Atelier reads."""
    if item.kind is FileKind.RECORDS:
        return f"{NOT_READ}a record log, not an image (atelier analyze reads it)"
    if item.reason and item.reason.startswith(NOT_A_REGULAR_FILE):
        return f"{NOT_READ}{item.reason}"
    kind = f"{item.path.suffix.lower()} files are" if item.path.suffix else "a file without an extension is"
    return f"{NOT_READ}{kind} not supported (inspect reads {IMAGE_SUFFIX_TEXT} images)"


RICH_CARDS_MAX_FILES = 50
"""Most files shown as rich cards on a terminal; beyond, or into a pipe, :func:`plain_summary`."""


def use_rich_cards(files: int, *, is_terminal: bool) -> bool:
    return is_terminal and files <= RICH_CARDS_MAX_FILES


def _summary_rows(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, shown value) pairs of a file's card: the named fields first, ``extra`` keys by name."""
    if "error" in document:
        return [("error", str(document["error"]))]
    rows = [
        (name, _show(document[name]))
        for name in (*_SUMMARY_FIELDS, "image_format", "pixel_width", "pixel_height", "edited")
        if document.get(name) not in (None, [], "")
    ]
    extra = document.get("extra") or {}
    if extra:
        rows.append(("extra", ", ".join(sorted(extra))))
    return rows


def print_summary(document: dict[str, Any], console: Console) -> None:
    """A readable card per file. Every value is text, never markup: prompts are full of brackets
    (``[from:to:0.5]``, NovelAI's ``[[weaker]]``, even ``[/b]``) that rich would eat or choke on."""
    table = Table(
        title=Text(_printable(document["path"])), show_header=False, title_justify="left", expand=False
    )
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in _summary_rows(document):
        table.add_row(name, Text(_printable(value), style="red" if name == "error" else ""))
    console.print(table)


def _printable(text: str) -> str:
    """``text`` with each lone surrogate (a file name's undecodable byte, a ``\\ud800`` escape in a
    file's JSON) shown as its escape, which a terminal can print."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def plain_summary(document: dict[str, Any]) -> str:
    """The same card as plain text: the path, then one indented ``field  value`` line per field."""
    lines = [document["path"]]
    lines += [f"  {name:<21}{value}" for name, value in _summary_rows(document)]
    return "\n".join(lines) + "\n\n"


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(
            f"{item.get('name')} ({item.get('weight')})" if isinstance(item, dict) else str(item)
            for item in value
        )
    return str(value)
