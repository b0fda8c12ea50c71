"""What parsing a tool's own export yields: time evidence to match to image files, and problems.

A tool's export (ComfyUI ``/history``, InvokeAI's database, a Midjourney archive) knows when an image
was generated far better than the image file does (``shared/docs/metadata-sources.md``). Parsers in
this package turn one export into :class:`ExportTimeEvidence` entries keyed by the output's file name
or by the tool's job id; the importer matches them to assets.

Invariants:

- ``created_at`` is always timezone-aware and in UTC; ``precision`` says how much of it is real
  (all three tools record at least milliseconds, except exports that only carry whole seconds);
- a whole export that cannot be read raises :class:`ExportFormatError` naming the source and the
  problem; a single bad entry (or a bad field in it) is skipped and listed in
  :attr:`ExportParseResult.problems`, and every other entry is still parsed. A JSON export in which
  *no* entry is usable is not that tool's export at all: that raises :class:`ExportFormatError` too;
- parsing is pure and deterministic: the same export gives the same result, in the same order
  (time, then key);
- every key and id in the result is text a database can hold and a file system could name: no NUL,
  no unpaired surrogate (JSON's ``\\ud800`` escapes), at most :data:`MAX_KEY_CHARS` characters
  (:func:`key_text`); an entry whose key is not is skipped and reported, like any bad entry;
- a JSON export is read only from a regular file (a FIFO or a device would block the reader forever
  or never end), and a document Python's JSON reader cannot take (nesting deeper than its recursion
  limit, an integer of more than 4,300 digits) is an :class:`ExportFormatError`, never a crash.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from engine.byte_order_marks import wide_encoding
from engine.records import TimePrecision
from engine.text_checks import text_problem

KeyKind = Literal["file_name", "job_id"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PLAUSIBLE_FROM = datetime(2015, 1, 1, tzinfo=UTC)
"""Earliest time accepted from an export: AI image tools postdate it; earlier values are unit bugs."""
PLAUSIBLE_UNTIL = datetime(2100, 1, 1, tzinfo=UTC)
MAX_KEY_CHARS = 255
"""The longest file name or job id taken from an export: file systems name files in at most 255
bytes and tools' job ids are far shorter; a longer value is no key (and would not fit an index)."""


class ExportError(ValueError):
    """A tool export could not be used at all; ``source`` is the file path or URL."""

    def __init__(self, source: Path | str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = str(source)
        self.reason = reason


class ExportFormatError(ExportError):
    """The export is missing, unreadable, or not in the tool's documented shape."""


class ExportFetchError(ExportError):
    """A running tool could not be asked for its export (connection, HTTP status)."""


@dataclass(frozen=True, slots=True)
class ExportTimeEvidence:
    """When one output (or one job) was generated, according to the tool's own record.

    ``key`` is a bare file name (``key_kind == "file_name"``, e.g. ``ComfyUI_00042_.png``) or the
    tool's job id (``key_kind == "job_id"``). ``source`` names the export kind
    (``export:comfyui_history``, ``export:invokeai_db``, ``export:midjourney_archive``) and
    ``time_field`` the field of that export the time came from (e.g. ``execution_success``).
    ``parent_grid`` says which image (0-based, at most ``engine.sessions.lineage.MAX_GRID_POSITION``)
    of the parent job's grid this job was made from (Midjourney's ``parent_grid``: U3 of a grid → 2);
    it is only set together with ``parent_job_id``.
    ``job_type`` is the tool's own word for what kind of job made the output (Midjourney's
    ``job_type``: ``v7_diffusion``, ``v7_upsample``, ``v6_upscale_creative``, ``v7_variation`` …),
    verbatim; ``engine.sessions.lineage`` reads a record's ``extra["job_type"]`` for the kind of its
    link to a parent job.
    ``graph`` is the ComfyUI API graph that produced the file, when the export has one.
    ``extra`` keeps the entry's other useful fields verbatim (JSON-ready values).
    """

    key_kind: KeyKind
    key: str
    created_at: datetime
    source: str
    precision: TimePrecision
    time_field: str
    job_id: str | None = None
    parent_job_id: str | None = None
    parent_grid: int | None = None
    job_type: str | None = None
    prompt: str | None = None
    graph: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExportProblem:
    """One entry (or one field of it) that could not be used; ``entry`` identifies it in the export
    (a prompt id, an image name, a job id or ``#<index>``)."""

    source: str
    entry: str
    reason: str
    skipped: bool = True
    """``False`` when the entry was still used and only the named detail was dropped."""


@dataclass(frozen=True, slots=True)
class ExportParseResult:
    source: str
    evidence: tuple[ExportTimeEvidence, ...]
    problems: tuple[ExportProblem, ...] = ()

    def by_key(self) -> dict[tuple[KeyKind, str], list[ExportTimeEvidence]]:
        """Evidence grouped by ``(key_kind, key)``; a key can occur more than once (re-runs)."""
        grouped: dict[tuple[KeyKind, str], list[ExportTimeEvidence]] = {}
        for item in self.evidence:
            grouped.setdefault((item.key_kind, item.key), []).append(item)
        return grouped


class EntryError(ValueError):
    """Raised inside a parser for one bad entry; the parser turns it into an :class:`ExportProblem`."""


def sorted_evidence(items: Iterable[ExportTimeEvidence]) -> tuple[ExportTimeEvidence, ...]:
    return tuple(sorted(items, key=lambda e: (e.created_at, e.key_kind, e.key)))


def load_json_export(path: Path | str) -> Any:
    """Read a UTF-8 JSON file, or raise :class:`ExportFormatError` saying why it cannot be read.

    Only a regular file is read: the path is opened without blocking and checked on the open
    descriptor, so a FIFO (which would wait for a writer forever), a device or a folder is refused
    with its kind, even when it replaces the file between a check and the read.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise ExportFormatError(path, f"cannot be read ({error.strerror or error})") from error
    try:
        kind = _file_kind(os.fstat(descriptor).st_mode)
        if kind is not None:
            raise ExportFormatError(path, f"is {kind}, not a file")
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            raw = handle.read()
    except OSError as error:
        raise ExportFormatError(path, f"cannot be read ({error.strerror or error})") from error
    finally:
        os.close(descriptor)
    wide = wide_encoding(raw[:4])  # UTF-16/32 with its byte order mark: PowerShell's `>`
    bom, encoding = wide if wide is not None else (b"", "utf-8-sig")
    try:
        return json.loads(raw[len(bom) :].decode(encoding))
    except UnicodeDecodeError as error:
        name = "UTF-8" if wide is None else encoding.upper()
        raise ExportFormatError(path, f"is not {name} text (byte {error.start + len(bom)})") from error
    except json.JSONDecodeError as error:
        raise ExportFormatError(path, f"is not valid JSON ({error.msg} at line {error.lineno})") from error
    except RecursionError:
        raise ExportFormatError(path, "nests arrays or objects too deeply to be read") from None
    except ValueError as error:  # an integer literal beyond Python's digit limit
        raise ExportFormatError(path, f"holds a value that cannot be read ({error})") from error


def _file_kind(mode: int) -> str | None:
    """``None`` for a regular file; else what the path is, in words."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def key_text(value: str, what: str) -> str:
    """``value`` when it can be a key (see the module invariants); else an :class:`EntryError`
    naming ``what`` (``"job id"``, ``"image_name"`` …) and the reason."""
    problem = text_problem(value)
    if problem is not None:
        raise EntryError(f"{what} {problem}")
    if len(value) > MAX_KEY_CHARS:
        raise EntryError(f"{what} has {len(value)} characters; at most {MAX_KEY_CHARS} are a file name or id")
    return value


def _check_plausible(moment: datetime, raw: object) -> datetime:
    if not PLAUSIBLE_FROM <= moment < PLAUSIBLE_UNTIL:
        raise EntryError(f"time {raw!r} is {moment.isoformat()}, outside {PLAUSIBLE_FROM.year}-2099")
    return moment


def datetime_from_epoch_ms(value: object) -> datetime:
    """Epoch **milliseconds** (int, or a float that is finite) -> aware UTC datetime, ms precision.

    Raises :class:`EntryError` for other types and for values outside 2015-2099 — which also
    catches epoch *seconds* passed by mistake (they land in January 1970).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EntryError(f"timestamp {value!r} is not a number of epoch milliseconds")
    if isinstance(value, float) and not math.isfinite(value):
        raise EntryError(f"timestamp {value!r} is not finite")
    milliseconds = round(value)
    if abs(milliseconds) > 10**15:
        raise EntryError(f"timestamp {value!r} is out of range for epoch milliseconds")
    moment = _EPOCH + timedelta(milliseconds=milliseconds)
    if (
        moment < PLAUSIBLE_FROM
        and PLAUSIBLE_FROM <= _EPOCH + timedelta(seconds=milliseconds) < PLAUSIBLE_UNTIL
    ):
        raise EntryError(f"timestamp {value!r} looks like epoch seconds, expected milliseconds")
    return _check_plausible(moment, value)


_UTC_TEXT = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<offset>Z|[+-]\d{2}:?\d{2})?"
)


def parse_utc_text(value: object) -> tuple[datetime, TimePrecision]:
    """``'YYYY-MM-DD HH:MM:SS[.fff…]'`` (a ``T`` separator and a ``Z``/offset suffix are accepted)
    -> aware UTC datetime and its precision. Text without an offset **is UTC**: the tools write UTC.

    Fractions finer than microseconds are truncated; any fraction gives ``MILLISECOND`` precision
    (the finest :class:`TimePrecision`), none gives ``SECOND``.
    """
    if not isinstance(value, str):
        raise EntryError(f"time {value!r} is not text")
    match = _UTC_TEXT.fullmatch(value.strip())
    if match is None:
        raise EntryError(f"time {value!r} is not 'YYYY-MM-DD HH:MM:SS[.fff]'")
    fraction = match["fraction"] or ""
    offset = match["offset"] or "+00:00"
    if offset == "Z":
        offset = "+00:00"
    elif ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    text = f"{match['date']}T{match['time']}{'.' + fraction[:6].ljust(6, '0') if fraction else ''}{offset}"
    try:
        moment = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError as error:
        raise EntryError(f"time {value!r} is not a valid date/time ({error})") from error
    precision = TimePrecision.MILLISECOND if fraction else TimePrecision.SECOND
    return _check_plausible(moment, value), precision


def optional_text(entry: dict[str, Any], name: str) -> str | None:
    """A string field, ``None`` when absent/null/empty; another type is an :class:`EntryError`."""
    value = entry.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise EntryError(f"field {name!r} is {type(value).__name__}, expected text")
    return value
