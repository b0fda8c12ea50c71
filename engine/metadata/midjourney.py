"""Midjourney web downloads: PNG text ``Creation Time``, ``Author`` (user id), ``Description``
(prompt + `` Job ID: <uuid>``), XMP ``iptcExt:DigImageGUID`` (the job id).

``Creation Time`` is the generation time (exiftool shows ``2025:06:30 08:28:07+00:00``; ISO 8601
and RFC 1123 forms are accepted too), at second precision — or millisecond precision when the text
carries a fraction of a second (the web app's ISO form ``2025-07-21T18:44:09.512Z``).
The prompt keeps Midjourney's
``--parameters``; they are also split into ``extra["mj_params"]`` (the first
:data:`~engine.metadata.limits.MAX_TEXT_FIELDS` of them; of a parameter given twice, the later value),
and the model is the one they select (``--v 7`` → ``v7``, ``--niji 6`` → ``niji 6``; see
:func:`model_from_params`).
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from itertools import islice

from engine.metadata.a1111 import parse_iso_time
from engine.metadata.limits import MAX_TEXT_FIELDS
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, ToolTime, note_error
from engine.metadata.timestamps import parse_utc_offset
from engine.metadata.xmp import xmp_value
from engine.records import TimePrecision

_JOB_ID = re.compile(r"Job ID:[ \t]*([0-9a-fA-F-]{36})\s*$")
_EXIF_STYLE = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:?\d{2})?$")
_FRACTION = re.compile(r"\d{2}:\d{2}:\d{2}[.,]\d")
_MJ_PARAM = re.compile(r"--(\w+)(?:\s+([^-\s][^\s]*))?")


def read(raw: RawMetadata) -> ToolReading | None:
    description = raw.texts.get("Description", "")
    job = _JOB_ID.search(description)
    guid = xmp_value(raw.xmp, "iptcExt:DigImageGUID") or xmp_value(raw.xmp, "Iptc4xmpExt:DigImageGUID")
    if job is None and not (guid and "Author" in raw.texts):
        return None
    reading = ToolReading()
    rec = reading.record
    rec.tool = "midjourney"
    rec.prompt = description[: job.start()].rstrip() if job else description or None
    rec.job_id = job.group(1) if job else guid
    rec.user = raw.texts.get("Author") or None
    if rec.prompt:
        found_params = islice(_MJ_PARAM.finditer(rec.prompt), MAX_TEXT_FIELDS)
        params = {found[1]: found[2] or True for found in found_params}
        if params:
            rec.extra["mj_params"] = params
            rec.model = model_from_params(params)
    created = raw.texts.get("Creation Time")
    if created:
        parsed = parse_creation_time(created)
        if parsed is None:
            note_error(reading, f"midjourney: unparseable Creation Time {created[:40]!r}")
        else:
            precision = TimePrecision.MILLISECOND if _FRACTION.search(created) else TimePrecision.SECOND
            reading.time = ToolTime(parsed, "Creation Time", precision)
    return reading


def model_from_params(params: dict[str, str | bool]) -> str | None:
    """The model the prompt's parameters select: ``--v 7`` → ``v7``, ``--niji 6`` → ``niji 6``.

    ``--v``/``--version`` and ``--niji`` are Midjourney's two model selectors (Niji is its separate anime
    model line, versioned on its own). A bare ``--niji`` names the line without a version (``niji``). Without
    either, the model is the account's default, which the file does not record: ``None``.
    """
    version = params.get("v") or params.get("version")
    if isinstance(version, str):
        return f"v{version}"
    niji = params.get("niji")
    if isinstance(niji, str):
        return f"niji {niji}"
    if niji is True:
        return "niji"
    return None


def parse_creation_time(text: str) -> datetime | None:
    text = text.strip()
    match = _EXIF_STYLE.match(text)
    if match:
        year, month, day, hour, minute, second, zone = match.groups()
        try:
            value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
        except ValueError:
            return None
        if zone:
            offset = parse_utc_offset(zone)
            if offset is None:
                return None
            value = value.replace(tzinfo=offset)
        return value
    iso = parse_iso_time(text)
    if iso is not None:
        return iso[0]
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
