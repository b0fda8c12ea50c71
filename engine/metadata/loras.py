"""LoRA references written inline in prompts: ``<lora:name:0.8>`` (also ``<lyco:…>``)."""

from __future__ import annotations

import re
from itertools import islice

from engine.metadata.limits import MAX_LORAS
from engine.metadata.values import as_float, leading_parts
from engine.records import LoraRef

_INLINE_LORA = re.compile(r"<(?:lora|lyco):([^:<>]++)((?::[^<>]*+)?)>", re.IGNORECASE)
"""A tag: its name, then its arguments (empty, or a colon and anything but ``<>``: the ``:a:b:key=value``
that :func:`_model_weight` splits), each a possessive run: repeated ``:…`` groups matched the same text
but kept the regex engine's backtracking state for each colon (a tag of 4 million colons, a zTXt of
8 kB, held 800 MB), and no character a run gives back could be the ``:`` or ``>`` that follows it."""


def listed_items(text: str) -> list[str]:
    """The first :data:`~engine.metadata.limits.MAX_LORAS` items of a comma-separated list of LoRA
    names or weights, as written (not stripped); the rest of the text is never split (a list of a
    million names would be a million strings)."""
    return leading_parts(text, ",", MAX_LORAS)


MAX_TAG_ARGUMENTS = 16
"""Most ``:``-separated arguments read from one tag after its name; the text after them is never split.
A1111 (``extra_networks_lora.py``) uses at most three positional ones (text encoder, model, dyn) and
the named ``te=``, ``unet=`` and ``dyn=``, but one tag can hold 8 MB of ``:a`` (a zTXt of a few kB): a
list of its 4 million arguments took 0.6 s and 90 MB."""

DEFAULT_TAG_WEIGHT = 1.0
"""The strength of a tag written without one: A1111's extra networks (``extra_networks_lora.py``) and
the ComfyUI nodes that read the same tags apply the LoRA at 1.0."""


def inline_loras(prompt: str | None, *, text_encoder_first: bool = False) -> list[LoraRef]:
    """Every ``<lora:name[:weight…]>`` tag in order of appearance, at its model weight; a tag without
    one has :data:`DEFAULT_TAG_WEIGHT`, one whose weight is not a number has ``None``. At most the
    first :data:`~engine.metadata.limits.MAX_LORAS` tags are read, and of each the first
    :data:`MAX_TAG_ARGUMENTS` arguments.

    The two numbers of ``<lora:name:a:b>`` are read in their tool's order. ComfyUI's tag loaders
    (Impact's wildcard encoders, the LoRA tag loader nodes) and Stability Matrix write
    ``model:clip``: the model weight is a named ``unet=`` value, else the first number, else a named
    ``te=``. AUTOMATIC1111 and its forks (``extra_networks_lora.py``; ``text_encoder_first``) write
    ``te:unet``: the model weight is a named ``unet=``, else the second number, else the text encoder's
    (a named ``te=``, else the first number), which A1111 applies to the model too."""
    if not prompt or "<" not in prompt:
        return []
    tags = islice(_INLINE_LORA.finditer(prompt), MAX_LORAS)
    return [LoraRef(tag[1].strip(), _model_weight(tag[2], text_encoder_first)) for tag in tags]


def _model_weight(arguments: str, text_encoder_first: bool) -> float | None:
    """The model weight of a tag's ``:a:b:key=value`` arguments (see :func:`inline_loras`), of the first
    :data:`MAX_TAG_ARGUMENTS` of them."""
    positional: list[str] = []
    named: dict[str, str] = {}
    for argument in leading_parts(arguments, ":", MAX_TAG_ARGUMENTS + 1)[1:]:  # [0]: before the first ":"
        key, equals, value = argument.partition("=")
        if equals:
            named[key.strip().lower()] = value
        else:
            positional.append(argument)
    first = positional[0] if positional else None
    if text_encoder_first:
        second = positional[1] if len(positional) > 1 else None
        chosen = named.get("unet", second if second is not None else named.get("te", first))
    else:
        chosen = named.get("unet", first if first is not None else named.get("te"))
    if chosen is None or not chosen.strip():
        return DEFAULT_TAG_WEIGHT
    return as_float(chosen)


def dedupe(loras: list[LoraRef]) -> tuple[LoraRef, ...]:
    """Drop repeated names, keeping the first occurrence."""
    seen: set[str] = set()
    out: list[LoraRef] = []
    for lora in loras:
        if lora.name not in seen:
            seen.add(lora.name)
            out.append(lora)
    return tuple(out)
