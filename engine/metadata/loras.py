"""LoRA references written inline in prompts: ``<lora:name:0.8>`` (also ``<lyco:…>``)."""

from __future__ import annotations

import re

from engine.metadata.values import as_float
from engine.records import LoraRef

_INLINE_LORA = re.compile(r"<(?:lora|lyco):([^:<>]+)(?::([^:<>]*))?(?::[^<>]*)?>", re.IGNORECASE)


DEFAULT_TAG_WEIGHT = 1.0
"""The strength of a tag written without one: A1111's extra networks (``extra_networks_lora.py``) and
the ComfyUI nodes that read the same tags apply the LoRA at 1.0."""


def inline_loras(prompt: str | None) -> list[LoraRef]:
    """Every ``<lora:name[:weight]>`` tag in order of appearance; a tag without a weight has
    :data:`DEFAULT_TAG_WEIGHT`, one whose weight is not a number has ``None``."""
    if not prompt or "<" not in prompt:
        return []
    return [
        LoraRef(name.strip(), as_float(weight) if weight.strip() else DEFAULT_TAG_WEIGHT)
        for name, weight in _INLINE_LORA.findall(prompt)
    ]


def dedupe(loras: list[LoraRef]) -> tuple[LoraRef, ...]:
    """Drop repeated names, keeping the first occurrence."""
    seen: set[str] = set()
    out: list[LoraRef] = []
    for lora in loras:
        if lora.name not in seen:
            seen.add(lora.name)
            out.append(lora)
    return tuple(out)
