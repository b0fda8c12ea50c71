"""Pure helpers over the input values of one ComfyUI API node, for the graph walker
(:mod:`engine.metadata.comfygraph`): what a string node receives, which inputs carry a model, which
typed input a prompt styler outputs, whether a stack row is switched on. They never follow a link.
"""

from __future__ import annotations

import ast
import math
import operator
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


_MAX_EXPRESSION = 200
"""Longest arithmetic expression evaluated (characters); a math node's expression is a short formula."""
_MAX_MAGNITUDE = 1e15
"""Largest number an evaluated expression may make at any step: far above any size, step count or
seed a graph holds, so a hostile expression (``9**9**9``) stops before Python's numbers grow."""
_MAX_DIGITS = 15
"""Most digits ``round`` may keep or drop (``round(x, n)``, ``|n|``): more says nothing about a size or a
step count, and a huge negative ``n`` makes Python build ``10**|n|``."""
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {"min": min, "max": max, "round": round}
Number = int | float


def arithmetic(expression: str, variables: dict[str, Number | None]) -> Number | None:
    """The number ``expression`` makes from numbers and ``variables`` (a ``None`` one: unknown), with
    ``+ - * / // % **``, unary ``-`` / ``+`` and ``min`` / ``max`` / ``round``; ``None`` for anything
    else (an unknown or missing variable, another name or call, a comparison, a division by zero, a
    number beyond ``_MAX_MAGNITUDE``, an expression over ``_MAX_EXPRESSION`` characters)."""
    if len(expression) > _MAX_EXPRESSION:
        return None
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None
    try:
        return _evaluated(tree.body, variables)
    except (ArithmeticError, ValueError, TypeError):
        return None


def _evaluated(node: ast.expr, variables: dict[str, Number | None]) -> Number | None:
    value: Any
    if isinstance(node, ast.Constant):
        value = node.value
    elif isinstance(node, ast.Name):
        value = variables.get(node.id)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluated(node.operand, variables)
        if value is not None and isinstance(node.op, ast.USub):
            value = -value
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluated(node.left, variables), _evaluated(node.right, variables)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Pow) and abs(left) > 1 and abs(right) * math.log10(abs(left)) > 15:
            return None
        value = _BINARY[type(node.op)](left, right)
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and node.args
        and not node.keywords
    ):
        args = [_evaluated(arg, variables) for arg in node.args]
        if any(arg is None for arg in args):
            return None
        if node.func.id == "round" and (
            len(args) > 2 or (len(args) == 2 and (not isinstance(args[1], int) or abs(args[1]) > _MAX_DIGITS))
        ):
            return None  # round(5, -10**15) would build 10**(10**15): the digits are bounded
        value = _FUNCTIONS[node.func.id](*args)
    else:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or abs(value) > _MAX_MAGNITUDE:
        return None
    return value
