"""Parser for the A1111 "infotext" (the ``parameters`` text shared by the A1111 family).

Layout::

    <prompt, any number of lines>
    Negative prompt: <negative, any number of lines>
    Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x768, Key: "quoted, value", ...

The last line is the parameter line when it holds at least three ``Key: value`` pairs (as in A1111's
own ``parse_generation_parameters``). The prompt and negative prompt keep their text exactly, minus
surrounding whitespace. Quoted values are unquoted (JSON string rules). Nothing here is a time except
what the caller picks (``Created Date``); ``Time taken`` is a duration.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_KEY = re.compile(r"\w[\w \-/]*")
_NEGATIVE = "Negative prompt:"


@dataclass(slots=True)
class Infotext:
    prompt: str | None
    negative_prompt: str | None
    params: dict[str, str] = field(default_factory=dict)


def _scan_quoted(line: str, pos: int) -> int:
    """Index just past the closing quote of the string starting at ``pos`` (or the line end)."""
    index = pos + 1
    end = len(line)
    while index < end:
        char = line[index]
        if char == "\\":
            index += 2
            continue
        if char == '"':
            return index + 1
        index += 1
    return end


def _scan_balanced(line: str, pos: int) -> int | None:
    """Index just past the bracket closing the JSON value at ``pos``; ``None`` if it never closes."""
    depth = 0
    index = pos
    end = len(line)
    while index < end:
        char = line[index]
        if char == '"':
            index = _scan_quoted(line, index)
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return None


def parse_params_line(line: str) -> dict[str, str]:
    """``Key: value, Key2: "quoted, value", Key3: {"json": "object, with commas"}`` → dict.

    Values that open with ``[`` or ``{`` run to their balanced closing bracket (A1111's own regex cuts
    them at the first comma); quoted values are unquoted. The first occurrence of a key wins; pairs
    whose key is not word characters/spaces/``-``/``/`` are skipped.
    """
    params: dict[str, str] = {}
    pos = 0
    end = len(line)
    while pos < end:
        while pos < end and line[pos] in " ,":
            pos += 1
        colon = line.find(":", pos)
        if colon < 0:
            break
        key = line[pos:colon].strip()
        pos = colon + 1
        while pos < end and line[pos] == " ":
            pos += 1
        value_end: int | None
        if pos < end and line[pos] == '"':
            value_end = _scan_quoted(line, pos)
            value = _unquote(line[pos:value_end])
        else:
            value_end = _scan_balanced(line, pos) if pos < end and line[pos] in "[{" else None
            if value_end is None:
                comma = line.find(",", pos)
                value_end = end if comma < 0 else comma
            value = line[pos:value_end].strip()
        pos = value_end
        if _KEY.fullmatch(key):
            params.setdefault(key, value)
    return params


def _unquote(quoted: str) -> str:
    try:
        decoded = json.loads(quoted)
    except ValueError:
        return quoted.strip('"')
    return decoded if isinstance(decoded, str) else quoted.strip('"')


def looks_like_infotext(text: str) -> bool:
    """Cheap check: a ``Steps:`` parameter line (all A1111-family writers put ``Steps`` first or early)."""
    return "Steps: " in text and ("Sampler: " in text or "Seed: " in text or "CFG scale: " in text)


def parse_infotext(text: str) -> Infotext:
    """Split an infotext into prompt, negative prompt and the parameter dict."""
    body = text.replace("\r\n", "\n").strip()
    lines = body.split("\n")
    params: dict[str, str] = {}
    if lines:
        last = lines[-1]
        candidate = parse_params_line(last)
        if len(candidate) >= 3:
            params = candidate
            lines = lines[:-1]
    rest = "\n".join(lines)
    negative: str | None = None
    if rest.startswith(_NEGATIVE):
        prompt_part, negative = "", rest[len(_NEGATIVE) :]
    else:
        index = rest.find("\n" + _NEGATIVE)
        if index >= 0:
            prompt_part, negative = rest[:index], rest[index + 1 + len(_NEGATIVE) :]
        else:
            prompt_part = rest
    prompt = prompt_part.strip() or None
    negative_prompt = negative.strip() if negative is not None else None
    return Infotext(prompt, negative_prompt or None, params)
