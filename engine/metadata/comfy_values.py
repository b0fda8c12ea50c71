"""Pure helpers over the input values of one ComfyUI API node, for the graph walker
(:mod:`engine.metadata.comfygraph`): what a string node receives, which inputs carry a model, which
typed input a prompt styler outputs, whether a stack row is switched on. They never follow a link.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.metadata.comfy_nodes import CONDITIONING_PAIRS, STYLER_OUTPUTS, SWITCH_OFF
from engine.metadata.limits import MAX_TEXT_BYTES
from engine.records import LoraRef


def replaced(text: str, find: str, replacement: str) -> str | None:
    """``text`` with every ``find`` replaced by ``replacement``, or ``None`` when the result would
    exceed ``MAX_TEXT_BYTES`` characters."""
    if len(text) + text.count(find) * (len(replacement) - len(find)) > MAX_TEXT_BYTES:
        return None
    return text.replace(find, replacement)


def is_concatenation(class_type: str) -> bool:
    lowered = class_type.lower()
    return "concat" in lowered or "join" in lowered


def model_inputs(inputs: dict[str, Any]) -> list[tuple[str, Any]]:
    """Inputs that carry a model, ``model`` first (``model1`` of merges, ``opt_model``, …)."""
    keys = [key for key in inputs if "model" in key.lower() and "upscale" not in key.lower()]
    keys.sort(key=lambda key: (key != "model", key))
    return [(key, inputs[key]) for key in keys]


def in_application_order(applied: list[list[LoraRef]]) -> list[LoraRef]:
    """Flatten per-node LoRA lists met walking from the sampler to the checkpoint, nearest the
    checkpoint first (the order the LoRAs are applied)."""
    return [lora for node_loras in reversed(applied) for lora in node_loras]


def switched_on(value: Any) -> bool:
    """A stack row's switch: absent, ``True`` or "On" apply the row; ``False`` and "Off" do not."""
    if isinstance(value, bool):
        return value
    return not (isinstance(value, str) and value.strip().lower() in SWITCH_OFF)


def given_text(value: str | None) -> str:
    """A text input as a string node receives it: unresolved is empty, and so is the ``"undefined"``
    the UI sends for an unconnected converted input."""
    return "" if value is None or value == "undefined" else value


def styler_input(class_type: str, inputs: dict[str, Any], output: int) -> str | None:
    """The typed input behind output ``output`` of a prompt styler, or ``None`` for other nodes.

    Known stylers map each output (``STYLER_OUTPUTS``); any other ``*Styler*`` node with
    ``text_positive``/``text_negative`` inputs is taken to output them styled, in that order.
    """
    outputs = STYLER_OUTPUTS.get(class_type)
    if outputs is None and "styler" in class_type.lower():
        outputs = ("text_positive", "text_negative")
    if outputs is None or not 0 <= output < len(outputs) or outputs[output] not in inputs:
        return None
    return outputs[output]


def conditioning_pair(inputs: dict[str, Any], linked: Callable[[Any], bool]) -> tuple[str, str] | None:
    """The first ``CONDITIONING_PAIRS`` pair of inputs that are both ``linked``: the node hands on a
    positive and a negative conditioning; ``None`` for a node that does not."""
    return next(
        (pair for pair in CONDITIONING_PAIRS if linked(inputs.get(pair[0])) and linked(inputs.get(pair[1]))),
        None,
    )
