"""LoRA references written inline in prompts: ``<lora:name:0.8>`` (also ``<lyco:…>``)."""

from __future__ import annotations

import re

from engine.metadata.values import as_float
from engine.records import LoraRef

_INLINE_LORA = re.compile(r"<(?:lora|lyco):([^:<>]+)(?::([^:<>]*))?(?::[^<>]*)?>", re.IGNORECASE)


def inline_loras(prompt: str | None) -> list[LoraRef]:
    """Every ``<lora:name[:weight]>`` tag in order of appearance; a missing weight is ``None``."""
    if not prompt or "<" not in prompt:
        return []
    return [LoraRef(name.strip(), as_float(weight)) for name, weight in _INLINE_LORA.findall(prompt)]


def dedupe(loras: list[LoraRef]) -> tuple[LoraRef, ...]:
    """Drop repeated names, keeping the first occurrence."""
    seen: set[str] = set()
    out: list[LoraRef] = []
    for lora in loras:
        if lora.name not in seen:
            seen.add(lora.name)
            out.append(lora)
    return tuple(out)
