"""``atelier inspect``: the normalised generation record of each file — the exiftool of AI images.

One JSON object per file (``--json`` prints JSON lines): the record in the interchange format plus
``path``, ``content_sha256``, ``image_format``, ``pixel_width``/``pixel_height`` and ``edited``; a
file that cannot be read gets ``path`` and ``error`` instead, and the rest still print. Folders are
walked like ``atelier import`` does. No database is touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from catalog.importing.discovery import FileKind, discover
from catalog.importing.file_reading import FileProblem, MetadataReader
from engine.metadata.copy_times import reject_copy_times
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
    """One document per image file under ``paths`` (non-image files are not listed)."""
    found = list(discover(paths))
    for item in found:
        if item.kind in (FileKind.MISSING, FileKind.PROBLEM):
            yield {"path": str(item.path), "error": item.reason}
    images = [item.path for item in found if item.kind is FileKind.IMAGE]
    with MetadataReader(len(images)) as reader:
        outcomes = list(reader.read(images, timezone))
    # Copy times are judged across the files read together (see engine.metadata.copy_times).
    reject_copy_times([outcome.record for _, outcome in outcomes if not isinstance(outcome, FileProblem)])
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


def print_summary(document: dict[str, Any], console: Console) -> None:
    """A readable card per file: the named fields first, ``extra`` keys listed by name."""
    table = Table(title=document["path"], show_header=False, title_justify="left", expand=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    if "error" in document:
        table.add_row("error", f"[red]{document['error']}[/red]")
    else:
        for name in (*_SUMMARY_FIELDS, "image_format", "pixel_width", "pixel_height", "edited"):
            if document.get(name) not in (None, [], ""):
                table.add_row(name, _show(document[name]))
        extra = document.get("extra") or {}
        if extra:
            table.add_row("extra", ", ".join(sorted(extra)))
    console.print(table)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(
            f"{item.get('name')} ({item.get('weight')})" if isinstance(item, dict) else str(item)
            for item in value
        )
    return str(value)
