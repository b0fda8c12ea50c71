"""Fooocus and RuinedFooocus: JSON in PNG ``parameters``.

- Fooocus: ``fooocus_scheme`` text chunk; scheme ``fooocus`` is JSON (``prompt``, ``negative_prompt``,
  ``base_model``, ``resolution`` "(w, h)", ``guidance_scale``, ``loras`` [[name, weight]], …); scheme
  ``a1111`` is infotext (read by the A1111 parser, tool kept ``fooocus``). JPEG and WEBP files carry
  the same text in EXIF ``UserComment``, with ``Software`` "Fooocus v…" (``modules/meta_parser.py``
  ``get_exif``; the scheme, in ``MakerNote``, is told here by the text: JSON or infotext).
- Both schemes give the same record: the prompt is the one the artist typed (JSON ``prompt``, infotext
  ``Raw prompt``; the style-expanded prompts stay in ``extra``), the infotext's ``Lora weights``
  are its LoRAs and its ``Scheduler`` (JSON ``scheduler``) is the scheduler.
- SimpleSDXL / FooocusPlus, scheme ``simple`` (``meta_parser.SIMPLEMetadataParser.to_string``): JSON keyed
  by the log's DISPLAY labels (``Prompt``, ``Negative Prompt``, ``Base Model``, ``Resolution``, ``Guidance
  Scale``, ``Seed``, ``LoRA 1`` = ``"name : weight"``, ``LoRAs`` = [[name, weight, hash]], ``Full Prompt``
  …). ``private_logger.log`` puts it in a PNG ``Comment`` text (not ``parameters``), or in EXIF
  ``UserComment`` (JPEG/WEBP, ``MakerNote`` "simple"). Told apart from other display-label JSON (Easy
  Diffusion's ``txt`` keys) by ``Base Model`` together with ``Resolution`` or ``Full Prompt``.
- RuinedFooocus: JSON with ``"software": "RuinedFooocus"`` (``Prompt``, ``Negative``, ``cfg``, …). Its
  ``loras`` is a list of ``[hash, "weight - name"]`` rows (2024-), or, in 2023 builds, ONE string
  ``"Loras:<name:weight>,<name:weight>,…"`` with empty slots written ``<None:weight>`` and names that may
  carry the UI's keyword-file marker after the extension (``"Objects\\x.safetensors 🗒️"``).

Neither writes a time into the image.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from engine.metadata import a1111
from engine.metadata.jsontext import try_json_object
from engine.metadata.limits import MAX_LORAS
from engine.metadata.loras import dedupe, listed_items
from engine.metadata.raw import RawMetadata
from engine.metadata.reading import ToolReading, note_error
from engine.metadata.values import as_float, as_int, as_list, as_text
from engine.records import LoraRef

_RESOLUTION = re.compile(r"^\(?\s*(\d{1,6})\s*[,x×]\s*(\d{1,6})\s*\)?$")


def read(raw: RawMetadata) -> ToolReading | None:
    mre = _mre_document(raw)
    if mre is not None:
        return _mre(mre)
    simple = _simple_document(raw)
    if simple is not None:
        return _simple(simple)
    text = raw.texts.get("parameters")
    scheme = raw.texts.get("fooocus_scheme")
    if text is None and str(raw.exif.get("Software", "")).startswith("Fooocus"):
        comment = raw.exif.get("UserComment")
        text = comment if isinstance(comment, str) and comment.strip() else None
        scheme = "exif"
    if text is None:
        return None
    document = try_json_object(text) if text.lstrip().startswith("{") else None
    if document is not None and str(document.get("software", "")).lower() == "ruinedfooocus":
        return _ruined(document)
    json_scheme = document is not None and document.get("metadata_scheme") == "fooocus"
    text_scheme = document is None and "Version: Fooocus" in text
    if scheme is None and not json_scheme and not text_scheme:
        return None
    if document is None:
        reading = a1111.reading_from_infotext(text)
        _typed_by_the_artist(reading)
        if text.lstrip().startswith("{"):
            note_error(reading, "fooocus: parameters JSON is invalid")
        return reading
    return _fooocus(document)


_WEIGHT = re.compile(r"\s*(-?[\d.]+)\s*")


def _name_and_weight(text: str) -> tuple[str, str] | None:
    """``"name : 0.5"`` → ``("name", "0.5")``: the text before the last colon, stripped (one line, not
    blank), and the number after it; ``None`` when it is not that shape.

    What the regex ``\\s*(.+?)\\s*:\\s*(-?[\\d.]+)\\s*$`` matched (a weight holds no colon, so its colon is
    the last one), in linear time: that regex backtracked over every split of a run of spaces, and a
    ``Lora weights`` item or ``LoRA 1`` value of 3,000 spaces took over 30 s."""
    name, colon, weight = text.rpartition(":")
    number = _WEIGHT.fullmatch(weight) if colon else None
    name = name.strip()
    if number is None or not name or "\n" in name:
        return None
    return name, number.group(1)


def _typed_by_the_artist(reading: ToolReading) -> None:
    """Fooocus' infotext: the raw prompts for the prompt and negative, ``Lora weights`` (``"name:
    0.1, other: 0.5"``) for the LoRAs, and ``Scheduler`` for the scheduler (``A1111MetadataParser.to_string``
    writes the JSON scheme's ``scheduler`` under that key, e.g. ``Scheduler: karras``; A1111's own key is
    ``Schedule type``)."""
    rec = reading.record
    rec.tool = "fooocus"
    params: dict[str, str] = rec.extra.get("parameters", {})
    if rec.scheduler is None:
        rec.scheduler = as_text(params.get("Scheduler"))
    if "Raw prompt" in params:
        rec.prompt = params["Raw prompt"].strip() or None
    if "Raw negative prompt" in params:
        rec.negative_prompt = params["Raw negative prompt"].strip() or None
    items = listed_items(params.get("Lora weights", ""))
    weights = [_name_and_weight(item) for item in items]
    loras = [LoraRef(name, as_float(weight)) for name, weight in filter(None, weights)]
    if loras:
        rec.loras = dedupe([*loras, *rec.loras])


def _resolution(value: Any) -> tuple[int | None, int | None]:
    match = _RESOLUTION.match(str(value).strip()) if value is not None else None
    return (int(match.group(1)), int(match.group(2))) if match else (None, None)


def _fooocus(doc: dict[str, Any]) -> ToolReading:
    reading = ToolReading()
    rec = reading.record
    rec.tool = "fooocus"
    rec.prompt = as_text(doc.get("prompt"))
    rec.negative_prompt = as_text(doc.get("negative_prompt"))
    rec.steps = as_int(doc.get("steps"))
    rec.cfg_scale = as_float(doc.get("guidance_scale"))
    rec.seed = as_int(doc.get("seed"))
    rec.sampler = as_text(doc.get("sampler"))
    rec.scheduler = as_text(doc.get("scheduler"))
    rec.model = as_text(doc.get("base_model"))
    rec.width, rec.height = _resolution(doc.get("resolution"))
    loras: list[LoraRef] = []
    for item in as_list(doc.get("loras")):
        if isinstance(item, list | tuple) and item and isinstance(item[0], str):
            loras.append(LoraRef(item[0], as_float(item[1]) if len(item) > 1 else None))
    rec.loras = dedupe(loras)
    rec.extra["fooocus"] = doc
    return reading


def _mre_document(raw: RawMetadata) -> dict[str, Any] | None:
    """Fooocus-MRE's metadata: JSON with ``"software": "Fooocus … MRE"`` in a PNG ``Comment`` text or a
    JPEG comment (``modules/private_logger.py``)."""
    for text in (raw.texts.get("Comment"), *raw.comments):
        if isinstance(text, str) and '"software"' in text and "Fooocus" in text:
            document = try_json_object(text)
            if document is not None and str(document.get("software", "")).startswith("Fooocus"):
                return document
    return None


def _mre(doc: dict[str, Any]) -> ToolReading:
    """Fooocus-MRE: ``prompt``, ``negative_prompt``, ``seed``, ``width``/``height``, ``sampler``,
    ``scheduler``, ``steps``, ``cfg``, ``base_model``, LoRAs ``l1``…``l5`` at ``w1``…``w5`` ("None" is
    no LoRA); ``real_prompt`` (the style-expanded prompts) stays in ``extra``. The first MRE builds
    (``modules/async_worker.py``) wrote ``sampler_name`` and ``base_model_name`` instead. Later builds'
    Image-2-Image: with ``img2img`` true and a gallery image, ``denoise`` is the denoise and ``input_image``
    (the image's base name) the source image (``null`` both when no image was used); read only when
    ``img2img`` is true."""
    reading = ToolReading()
    rec = reading.record
    rec.tool = "fooocus"
    rec.prompt = as_text(doc.get("prompt"))
    rec.negative_prompt = as_text(doc.get("negative_prompt"))
    rec.seed = as_int(doc.get("seed"))
    rec.width, rec.height = as_int(doc.get("width")), as_int(doc.get("height"))
    rec.sampler = as_text(doc.get("sampler")) or as_text(doc.get("sampler_name"))
    rec.scheduler = as_text(doc.get("scheduler"))
    rec.steps = as_int(doc.get("steps"))
    rec.cfg_scale = as_float(doc.get("cfg"))
    rec.model = as_text(doc.get("base_model")) or as_text(doc.get("base_model_name"))
    if doc.get("img2img") is True:
        rec.denoise = as_float(doc.get("denoise"))
        rec.source_image = as_text(doc.get("input_image"))
    names = [(as_text(doc.get(f"l{index}")), doc.get(f"w{index}")) for index in range(1, 6)]
    rec.loras = dedupe([LoraRef(name, as_float(weight)) for name, weight in names if name and name != "None"])
    rec.extra["fooocus_mre"] = doc
    return reading


_SIMPLE_MARKERS = ("Resolution", "Full Prompt")
"""With ``Base Model``, the display labels only the ``simple`` scheme writes (see the module docstring)."""


def _simple_document(raw: RawMetadata) -> dict[str, Any] | None:
    """The ``simple`` scheme's JSON from a PNG ``Comment`` / ``parameters`` text or EXIF ``UserComment``."""
    for text in (raw.texts.get("Comment"), raw.texts.get("parameters"), raw.exif.get("UserComment")):
        if isinstance(text, str) and '"Base Model"' in text:
            document = try_json_object(text)
            if document is not None and any(key in document for key in _SIMPLE_MARKERS):
                return document
    return None


_BRACKETED_LORA = re.compile(r"^LoRA \[(.+)\] weight$")
"""Early SimpleSDXL's ``"LoRA [name] weight": w`` key (its ``meta_parser.params_lora_fixed`` converts it)."""
_NUMBERED_LORA = re.compile(r"^LoRA \d{1,3}$")
"""``LoRA i`` = ``"name : weight"``; ``i`` is the UI slot, so numbers can skip the empty (``None``) slots."""


def _simple_lora_key(key: str, value: Any) -> LoraRef | None:
    """One ``LoRA [name] weight`` or ``LoRA i`` entry, or ``None`` for any other key or an empty slot."""
    bracketed = _BRACKETED_LORA.match(key)
    if bracketed:
        name = bracketed.group(1).strip()
        return LoraRef(name, as_float(value)) if name not in ("", "None") else None
    if _NUMBERED_LORA.match(key) and isinstance(value, str):
        named = _name_and_weight(value)
        if named is not None and named[0] != "None":
            return LoraRef(named[0], as_float(named[1]))
    return None


def _simple_lora_rows(rows: Any) -> list[LoraRef]:
    """The ``LoRAs`` list: rows ``[name, weight, hash]``; malformed rows are skipped."""
    refs: list[LoraRef] = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, list) and row and isinstance(row[0], str) and row[0].strip():
            refs.append(LoraRef(row[0].strip(), as_float(row[1]) if len(row) > 1 else None))
    return refs


def _simple_loras(doc: dict[str, Any]) -> tuple[LoraRef, ...]:
    """All LoRA spellings of the ``simple`` scheme in key order (``LoRAs`` rows and ``LoRA i`` name the same
    LoRAs; early builds wrote ``LoRA [name] weight``); the first spelling of a name wins."""
    refs: list[LoraRef] = []
    for key, value in doc.items():
        if key == "LoRAs":
            refs.extend(_simple_lora_rows(value))
            continue
        ref = _simple_lora_key(key, value)
        if ref is not None:
            refs.append(ref)
    return dedupe(refs)


def _simple(doc: dict[str, Any]) -> ToolReading:
    """SimpleSDXL / FooocusPlus ``simple`` scheme: the artist's ``Prompt`` / ``Negative Prompt`` (the
    style-expanded ``Full Prompt`` stays in ``extra``), ``Base Model`` as written (no extension)."""
    reading = ToolReading()
    rec = reading.record
    rec.tool = "fooocus"
    rec.prompt = as_text(doc.get("Prompt"))
    rec.negative_prompt = as_text(doc.get("Negative Prompt"))
    rec.steps = as_int(doc.get("Steps"))
    rec.cfg_scale = as_float(doc.get("Guidance Scale"))
    rec.seed = as_int(doc.get("Seed"))
    rec.sampler = as_text(doc.get("Sampler"))
    rec.scheduler = as_text(doc.get("Scheduler"))
    model = as_text(doc.get("Base Model"))
    rec.model = model if model != "None" else None
    rec.width, rec.height = _resolution(doc.get("Resolution"))
    rec.loras = _simple_loras(doc)
    rec.extra["fooocus"] = doc
    return reading


_WEIGHT_DASH = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s+-\s+")


def _weight_and_name(text: str) -> tuple[str, str] | None:
    """RuinedFooocus' ``"0.6 - steampunk_xl.safetensors"`` (``modules/async_worker.py``) → ``("0.6",
    "steampunk_xl.safetensors")``: weight, then the name (stripped, one line, not blank); else ``None``.
    What ``^\\s*(-?\\d+(?:\\.\\d+)?)\\s+-\\s+(.+?)\\s*$`` matched, without its backtracking (quadratic in
    a run of spaces inside the name: 30,000 took 7 s)."""
    weight = _WEIGHT_DASH.match(text)
    name = text[weight.end() :].rstrip() if weight is not None else ""
    if weight is None or not name or "\n" in name:
        return None
    return weight.group(1), name


def _ruined_lora(item: list[Any] | tuple[Any, ...]) -> LoraRef:
    """A ``loras`` row: ``[hash, "weight - name"]`` (RuinedFooocus writes the file's SHA-256 first), or
    ``[name, weight]``."""
    second = item[1] if len(item) > 1 else None
    weighted = _weight_and_name(second) if isinstance(second, str) else None
    if weighted is not None:
        return LoraRef(weighted[1], as_float(weighted[0]))
    return LoraRef(item[0], as_float(second))


_LORA_SLOT = re.compile(r"<([^<>]*):\s*(-?\d+(?:\.\d+)?)\s*>")
"""One ``<name:weight>`` slot of RuinedFooocus' 2023 ``"Loras:<…>,<…>"`` string (weight after the last
colon)."""
_UI_MARKER = re.compile(r"(\.(?:safetensors|ckpt|pt|pth|bin))\s+\S{1,4}$", re.IGNORECASE)
"""A short decoration after the file extension (the LoRA menu's keyword-file emoji), not part of the name."""


def _ruined_lora_string(text: str) -> list[LoraRef]:
    """The LoRAs of a 2023 ``"Loras:<name:weight>,…"`` string; ``None`` slots are empty and skipped."""
    refs: list[LoraRef] = []
    for slot in islice(_LORA_SLOT.finditer(text), MAX_LORAS):
        name = _UI_MARKER.sub(r"\1", slot[1].strip())
        if name and name != "None":
            refs.append(LoraRef(name, as_float(slot[2])))
    return refs


def _ruined(doc: dict[str, Any]) -> ToolReading:
    reading = ToolReading()
    rec = reading.record
    rec.tool = "ruinedfooocus"
    rec.prompt = as_text(doc.get("Prompt"))
    rec.negative_prompt = as_text(doc.get("Negative"))
    rec.steps = as_int(doc.get("steps"))
    rec.cfg_scale = as_float(doc.get("cfg"))
    rec.width = as_int(doc.get("width"))
    rec.height = as_int(doc.get("height"))
    rec.seed = as_int(doc.get("seed"))
    rec.sampler = as_text(doc.get("sampler_name"))
    rec.scheduler = as_text(doc.get("scheduler"))
    rec.model = as_text(doc.get("base_model_name"))
    rec.denoise = as_float(doc.get("denoise"))
    loras: list[LoraRef] = []
    value = doc.get("loras")
    items: list[Any] = _ruined_lora_string(value) if isinstance(value, str) else as_list(value)
    for item in items:
        if isinstance(item, LoraRef):
            loras.append(item)
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            loras.append(LoraRef(item["name"], as_float(item.get("weight"))))
        elif isinstance(item, list | tuple) and item and isinstance(item[0], str):
            loras.append(_ruined_lora(item))
    rec.loras = dedupe(loras)
    rec.extra["ruinedfooocus"] = doc
    return reading
