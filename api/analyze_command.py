"""``atelier analyze``: the engine alone on files, folders or JSONL — no database, no services.

Images are read with the metadata readers (record id = content hash); JSONL lines are parsed with
the record codec. Duplicate record ids (the same image twice) are analysed once. An mtime shared as
a copy time by unrelated files is dropped across everything read (``engine.metadata.copy_times``).
Problems (corrupt files, bad lines) are returned as strings with path and reason; they never stop
the analysis.

Speed: the image readers (and their process pool) are imported only when there are images to read;
the cyclic garbage collector is paused while records are collected and analysed (a one-shot run
allocates millions of long-lived, acyclic objects, and every full collection would rescan all of them;
reference counting still frees everything) and restored afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

from catalog.importing.discovery import FileKind, discover
from engine.analysis import Analysis
from engine.gc_pause import cyclic_gc_paused
from engine.metadata.copy_times import reject_copy_times
from engine.record_codec import RecordLineError, read_records_jsonl
from engine.records import GenerationRecord
from engine.session_analysis import analyze_records


def collect_records(paths: Iterable[Path], *, timezone: str) -> tuple[list[GenerationRecord], list[str]]:
    records: dict[str, GenerationRecord] = {}
    problems: list[str] = []
    found = list(discover(paths))
    images = [item.path for item in found if item.kind is FileKind.IMAGE]
    if images:
        from catalog.importing.file_reading import FileProblem, MetadataReader

        with MetadataReader(len(images)) as reader:
            for _path, outcome in reader.read(images, timezone):
                if isinstance(outcome, FileProblem):
                    problems.append(f"{outcome.path}: {outcome.reason}")
                else:
                    records.setdefault(outcome.record.id, outcome.record)
    for item in found:
        if item.kind is FileKind.RECORDS:
            for line in read_records_jsonl(item.path, local_tz=ZoneInfo(timezone)):
                if isinstance(line, RecordLineError):
                    problems.append(f"{item.path}:{line.line_number}: {line.message}")
                else:
                    records.setdefault(line.id, line)
        elif item.kind in (FileKind.MISSING, FileKind.PROBLEM):
            problems.append(f"{item.path}: {item.reason}")
    collected = list(records.values())
    reject_copy_times(collected)
    return collected, problems


def analyze_paths(paths: Iterable[Path], *, timezone: str = "UTC") -> tuple[Analysis, list[str]]:
    with cyclic_gc_paused():
        records, problems = collect_records(paths, timezone=timezone)
        return analyze_records(records), problems
