"""C2PA provenance (PNG ``caBX``, JPEG APP11 JUMBF, WEBP RIFF ``C2PA`` chunk): DALL·E / Designer,
ChatGPT, Gemini, Adobe Firefly.

A documented byte-level scan of the manifest store (see :mod:`engine.metadata.cbor_scan`), not a
validating C2PA parser: signatures are not verified. Read:

- ``claim_generator`` (v1 claims) and ``claim_generator_info.name`` (v2 claims);
- the ``c2pa.actions`` entries: ``action``, ``softwareAgent`` (text or ``{name, version}``), ``when``
  (text, or the schema's ``tdate``: CBOR tag 0 text as c2pa-rs writes it, or a tag 1 epoch time);
- the signature time: the RFC 3161 ``genTime`` (DER GeneralizedTime) of the time-stamp token of
  the manifest that records the ``c2pa.created`` action (else the active, last manifest). OCSP
  ``producedAt``/``thisUpdate``/``nextUpdate`` and certificate validity dates are never used: they
  are cached revocation data and certificate lifetimes, not the signing moment.

Times: Designer/DALL·E ``when`` is to the second and is used as is. ChatGPT truncates ``when`` to the
day, so its precise signature time is used, falling back to the day (combined with mtime by
:mod:`engine.metadata.timestamps`). Gemini and Firefly have no ``when``: the signature time is used.
Firefly is told by its claim generator (``Adobe_Firefly …``) only: Photoshop's generative fill names
Firefly as an action's software agent on an edited photo.

The model a software agent names decides before the signer (:func:`_tool_for`): Microsoft signs for
every model Bing Image Creator / Designer offers, and its manifests name a product
(``Image Creator from Designer``: DALL·E 3, ``dalle``) or the model itself. A file of Microsoft's own
``MAI-Image-…`` models, which Bing Image Creator and Copilot now run, is ``bing`` (Bing Image Creator)
with ``model`` = the agent's name, never ``dalle``. An agent naming ``GPT-4o`` / ``gpt-image`` is
``chatgpt``, one naming ``DALL·E`` is ``dalle``, whoever signed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from engine.metadata.a1111 import parse_iso_time
from engine.metadata.cbor_scan import dates_after_key, name_after_key, texts_after_key
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, ToolTime
from engine.records import TimePrecision

_GENERALIZED_TIME = re.compile(rb"\x18([\x0f-\x1a])(\d{14}(?:\.\d{1,6})?Z)")


_MAI_MODEL = "mai-image"
"""How Microsoft's own image models are named (``MAI-Image-1``, ``MAI-Image-2``…), in lower case."""


def _agent_model(agents: list[str]) -> str | None:
    """The first software agent that names one of Microsoft's own ``MAI-Image`` models, as written."""
    return next((agent.strip() for agent in agents if _MAI_MODEL in agent.lower()), None)


def _tool_for(generators: list[str], agents: list[str]) -> str | None:
    named = " ".join(agents).lower()
    if _MAI_MODEL in named:
        return "bing"
    if "gpt-4o" in named or "gpt-image" in named:
        return "chatgpt"
    if "dall" in named:
        return "dalle"
    joined = " ".join(generators + agents).lower()
    if "microsoft" in joined or "designer" in joined or "bing" in joined or "dall" in joined:
        return "dalle"
    if "openai" in joined or "gpt-image" in joined or "chatgpt" in joined:
        return "chatgpt"
    if "google" in joined or "gemini" in joined:
        return "gemini"
    # Adobe Firefly's own downloads claim "Adobe_Firefly …"; Photoshop's generative fill names Firefly
    # only as an action's software agent, on an edited photo, which is not a Firefly generation
    if "firefly" in " ".join(generators).lower():
        return "firefly"
    return None


def _manifests(store: bytes) -> list[bytes]:
    """The store split at each manifest box (JUMBF description label ``c2ma``), in order."""
    starts = [match.start() for match in re.finditer(rb"jumdc2ma", store)]
    if not starts:
        return [store]
    bounds = [*starts[1:], len(store)]
    return [store[start:end] for start, end in zip(starts, bounds, strict=True)]


def _gen_time(segment: bytes) -> tuple[datetime, TimePrecision] | None:
    anchor = segment.rfind(b"tstTokens")
    if anchor < 0:
        return None
    match = _GENERALIZED_TIME.search(segment, anchor, anchor + 4096)
    if match is None:
        return None
    base, _, fraction = match.group(2).decode("ascii").rstrip("Z").partition(".")
    try:
        value = datetime.strptime(base, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    if fraction:
        return value.replace(microsecond=int(fraction.ljust(6, "0"))), TimePrecision.MILLISECOND
    return value, TimePrecision.SECOND


def signature_time(store: bytes) -> tuple[datetime, TimePrecision] | None:
    """The time-stamp token ``genTime`` (UTC) of the manifest that records ``c2pa.created``.

    When a later manifest only watermarks/converts the image (Gemini signs such a second manifest
    a second later), the creating manifest's time is the generation time; without a ``c2pa.created``
    action, the active (last) manifest's time is used.
    """
    manifests = _manifests(store)
    creating = [segment for segment in manifests if b"c2pa.created" in segment]
    for segment in [*creating, *reversed(manifests)]:
        found = _gen_time(segment)
        if found is not None:
            return found
    return None


def read(raw: RawMetadata) -> ToolReading | None:
    store = raw.c2pa
    if not store:
        return None
    generators = [text for _, text in texts_after_key(store, "claim_generator")]
    generators += [text for _, text in name_after_key(store, "claim_generator_info")]
    agents = [text for _, text in texts_after_key(store, "softwareAgent")]
    agents += [text for _, text in name_after_key(store, "softwareAgent")]
    tool = _tool_for(generators, agents)
    if tool is None:
        return None
    reading = ToolReading()
    rec = reading.record
    rec.tool = tool
    actions = [text for _, text in texts_after_key(store, "action")]
    whens = [text for _, text in dates_after_key(store, "when")]
    info: dict[str, Any] = {
        "claim_generators": generators,
        "software_agents": agents,
        "actions": actions,
        "when": whens,
    }
    signed = signature_time(store)
    if signed is not None:
        info["signature_time"] = signed[0].isoformat()
    rec.extra["c2pa"] = info
    mai_model = _agent_model(agents)
    if mai_model is not None:
        rec.model = mai_model
    elif tool == "chatgpt":
        versions = [text for _, text in texts_after_key(store, "version")]
        if agents:
            rec.model = f"{agents[0]} {versions[0]}" if versions else agents[0]
    reading.time = _pick_time(tool, whens, signed)
    return reading


def _pick_time(tool: str, whens: list[str], signed: tuple[datetime, TimePrecision] | None) -> ToolTime | None:
    when = parse_iso_time(whens[0]) if whens else None
    day_only = when is not None and when[0].time() == datetime.min.time()
    if when is not None and not day_only:
        return ToolTime(when[0], "c2pa.actions.when", when[1])
    if signed is not None:
        return ToolTime(signed[0], "c2pa.signature.time", signed[1])
    if when is not None:
        return ToolTime(when[0], "c2pa.actions.when", TimePrecision.DAY)
    return None
