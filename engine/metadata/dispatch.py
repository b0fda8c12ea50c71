"""Which tool reader handles a file: tool-specific markers first, generic formats last.

Order matters because several tools embed ComfyUI graphs or A1111-style infotext: SwarmUI,
StabilityMatrix, TensorArt, NovelAI, InvokeAI, Fooocus, HF Spaces, Draw Things, Mochi Diffusion,
Midjourney and Easy Diffusion are checked before the A1111 infotext family, which is checked before a bare
ComfyUI graph (a ComfyUI saver's infotext next to its API graph is read from the graph,
:func:`engine.metadata.comfyui.read_saver`); C2PA provenance and Civitai's bare EXIF come next, and
the bare provenance stamps of hosted services (Gemini's IPTC credit, Ideogram's and Grok's EXIF) and
a PNG ``Software`` text naming ComfyUI without its graph (:mod:`engine.metadata.provenance`) last, so
that any tool-specific data in the same file wins. A file no reader claims is ``unknown`` with its
texts/EXIF/XMP in ``extra``.

A reader that raises anything is a bug; as a last line of defence the exception is caught here and
recorded as ``extra["metadata_errors"] = ["reader bug in <name>: …"]`` with the file still
imported as ``unknown`` (the fuzz tests assert this never happens).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.metadata import (
    a1111,
    c2pa,
    civitai,
    comfyui,
    drawthings,
    easydiffusion,
    fooocus,
    huggingface,
    invokeai,
    mflux,
    midjourney,
    mochidiffusion,
    novelai,
    provenance,
    stabilitymatrix,
    swarmui,
    tensorart,
)
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, note_error

Reader = Callable[[RawMetadata], ToolReading | None]

_NOVELAI_KEYS = frozenset({"Title", "Description", "Software", "Source", "Generation time", "Comment"})

READERS: tuple[tuple[str, Reader, frozenset[str]], ...] = (
    ("swarmui", swarmui.read, frozenset({"parameters", "Parameters", "prompt", "workflow"})),
    (
        "stabilitymatrix",
        stabilitymatrix.read,
        frozenset({"parameters", "parameters-json", "smproj", "prompt", "workflow"}),
    ),
    ("tensorart", tensorart.read, frozenset({"generation_data", "prompt", "workflow"})),
    ("novelai", novelai.read, _NOVELAI_KEYS),
    ("invokeai", invokeai.read, frozenset({"invokeai_metadata", "invokeai_graph", "sd-metadata", "Dream"})),
    ("fooocus", fooocus.read, frozenset({"parameters", "fooocus_scheme"})),
    ("huggingface", huggingface.read, frozenset({"parameters"})),
    ("drawthings", drawthings.read, frozenset()),
    ("mochidiffusion", mochidiffusion.read, frozenset()),
    ("midjourney", midjourney.read, frozenset({"Description", "Author", "Creation Time"})),
    ("easydiffusion", easydiffusion.read, frozenset()),
    ("mflux", mflux.read, frozenset()),
    ("comfyui", comfyui.read_saver, frozenset({"parameters", "prompt", "workflow"})),
    ("a1111", a1111.read, frozenset({"parameters"})),
    ("comfyui", comfyui.read, frozenset({"prompt", "workflow"})),
    ("c2pa", c2pa.read, frozenset()),
    ("civitai", civitai.read, frozenset()),
    ("provenance", provenance.read, frozenset()),
)
"""``(name, reader, PNG text keys the reader turns into fields)`` in detection order."""


def read_tool(raw: RawMetadata) -> ToolReading:
    """Run the readers in order; the first that claims the file wins."""
    for name, reader, consumed in READERS:
        try:
            reading = reader(raw)
        except Exception as exc:  # a reader bug must not lose the file; see module docstring
            reading = ToolReading()
            note_error(reading, f"reader bug in {name}: {type(exc).__name__}: {str(exc)[:120]}")
            _attach_raw(reading, raw, consumed=frozenset())
            return reading
        if reading is not None:
            _attach_raw(reading, raw, consumed)
            return reading
    reading = ToolReading()
    _attach_raw(reading, raw, consumed=frozenset())
    return reading


def _attach_raw(reading: ToolReading, raw: RawMetadata, consumed: frozenset[str]) -> None:
    extra: dict[str, Any] = reading.record.extra
    texts = {
        key: value for key, value in raw.texts.items() if key not in consumed and not key.startswith("jpeg:")
    }
    if texts:
        extra.setdefault("texts", texts)
    if raw.exif:
        extra.setdefault("exif", dict(raw.exif))
    if raw.xmp and "xmp" not in extra:
        extra["xmp"] = raw.xmp
    if raw.comments:
        extra.setdefault("comments", list(raw.comments))
    if raw.editor_time:
        extra.setdefault("png_time", raw.editor_time)
    for message in raw.errors:
        note_error(reading, message)
