"""Which generation time wins: the one ranking of ``created_at_source`` values in the catalog.

Rank, best first (``shared/docs/metadata-sources.md``):

====  ====================  ==========================================================
rank  source                example
====  ====================  ==========================================================
6     ``metadata:<field>``  the tool wrote the time into the file (``metadata:Created Date``)
5     ``export:<tool>``     the tool's own record (``export:comfyui_history``, ``export:invokeai_db``)
4     ``exif:<field>``      EXIF ``DateTimeOriginal`` (with its offset when present)
3     ``filename``          a date-time in the file name
2     ``folder``            the date that names the folder holding the file (a day)
1     ``file:mtime``        the file's modification time (changes on copy)
0     anything else         ``import``, a JSONL record's own label, ``None``
====  ====================  ==========================================================

Choices (invariants):

- A compound source (``metadata:date+file:mtime``: the tool gave the day, the mtime the time of day)
  ranks as its **weakest** part: the time of day — what clustering uses — came from that part.
- Between equal ranks, the finer precision wins (``millisecond`` > ``second`` > ``minute`` > ``day``);
  equal rank and equal precision never replaces a time, so applying the same evidence twice is a no-op.
- A day-precision time only names the day: any finer time from a tool's own record (rank ≥ export)
  replaces it, even a ``metadata:`` day (ChatGPT's C2PA ``when``, SwarmUI's ``date``), because a day
  can never place an image inside a session.

Everything here is pure: no I/O, no database; the same answer for the same arguments.
"""

from __future__ import annotations

from enum import IntEnum

from engine.records import TimePrecision


class SourceRank(IntEnum):
    """Ranks are compared, never stored: renumbering them is safe."""

    UNKNOWN = 0
    FILE_MTIME = 1
    FOLDER = 2
    FILENAME = 3
    EXIF = 4
    EXPORT = 5
    METADATA = 6


_PRECISION_ORDER: dict[str, int] = {
    TimePrecision.DAY: 1,
    TimePrecision.MINUTE: 2,
    TimePrecision.SECOND: 3,
    TimePrecision.MILLISECOND: 4,
}


def time_source_rank(source: str | None) -> SourceRank:
    """The rank of a ``created_at_source`` value (see the module docstring)."""
    if not source:
        return SourceRank.UNKNOWN
    if "+" in source:
        return min(time_source_rank(part) for part in source.split("+"))
    if source.startswith("metadata:"):
        return SourceRank.METADATA
    if source.startswith("export:"):
        return SourceRank.EXPORT
    if source.startswith("exif:"):
        return SourceRank.EXIF
    if source == "filename":
        return SourceRank.FILENAME
    if source == "folder":
        return SourceRank.FOLDER
    if source == "file:mtime":
        return SourceRank.FILE_MTIME
    return SourceRank.UNKNOWN


def precision_rank(precision: str | None) -> int:
    """0 for unknown, then day < minute < second < millisecond."""
    return _PRECISION_ORDER.get(precision or "", 0)


def time_beats(
    new_source: str | None,
    new_precision: str | None,
    current_source: str | None,
    current_precision: str | None,
    *,
    current_has_time: bool = True,
) -> bool:
    """Whether a time from ``new_source`` should replace the current one (module docstring rules).

    An asset without any time (``current_has_time=False``) takes any new time.
    """
    if not current_has_time:
        return True
    new_rank, current_rank = time_source_rank(new_source), time_source_rank(current_source)
    if new_rank != current_rank:
        if new_rank < current_rank and current_precision == TimePrecision.DAY:
            return new_rank >= SourceRank.EXPORT and precision_rank(new_precision) > precision_rank(
                TimePrecision.DAY
            )
        return new_rank > current_rank
    return precision_rank(new_precision) > precision_rank(current_precision)
