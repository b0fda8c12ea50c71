"""Parser for the A1111 "infotext" (the ``parameters`` text shared by the A1111 family).

Layout::

    <prompt, any number of lines>
    Negative prompt: <negative, any number of lines>
    Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x768, Key: "quoted, value", ...

The last line is the parameter line when it holds at least three ``Key: value`` pairs (as in A1111's own
``parse_generation_parameters``). The one exception is what the Dynamic Prompts extension appends after
it (``Template: <raw prompt>`` and ``Negative Template: <raw negative>``, possibly several lines, with or
without a space after the colon): then the parameter line is the last one starting with ``Steps:``
followed by such a trailer, and the trailer's two values join the parameters. A parameter line may
also span several physical lines when a quoted value holds raw newlines (A1111's ``quote()`` before
2023 escaped only ``\\`` and ``"``, so e.g. a multi-line ``Wildcard prompt`` was written verbatim): then
it is the last block that starts with ``Steps:`` and whose every newline lies inside a quoted value.
The Extras tab's postprocess pairs (``Postprocess upscale by: 2, Postprocess upscaler: R-ESRGAN 4x+``,
face-restore ``GFPGAN``/``CodeFormer`` keys) may follow as a last line of their own — forks that append the
Extras text to the original, or the PNG Info display copied whole, with a ``postprocessing`` / ``extras``
section-name line before it, and then a ``parameters`` line heads the text, which is dropped too — or be
the whole text (an Extras JPEG of A1111 keeps only them): such a line
is never the parameter line; its pairs join the parameters (the generation's own keys win).
The prompt and negative prompt keep their text exactly, minus surrounding whitespace. Quoted values are
unquoted (JSON string rules, raw control characters allowed). Nothing here is a time except what the
caller picks (``Created Date``); ``Time taken`` is a duration.
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
    params_truncated: bool = False
    """The parameter line was longer than :data:`MAX_PARAMS_LINE_CHARS` and was cut."""


_STRUCTURE = re.compile(r'\\.|["\[\]{}]', re.DOTALL)
MAX_PARAMS_LINE_CHARS = 1024 * 1024
"""Longest parameter line parsed (real ones are a few kB); the rest is ignored and flagged."""


def _scan_quoted(line: str, pos: int) -> int:
    """Index just past the closing quote of the string starting at ``pos`` (or the line end)."""
    index = pos + 1
    while True:
        close = line.find('"', index)
        if close < 0:
            return len(line)
        backslashes = 0
        before = close - 1
        while before > pos and line[before] == "\\":
            backslashes += 1
            before -= 1
        if backslashes % 2 == 0:
            return close + 1
        index = close + 1


def _bracket_ends(line: str) -> dict[int, int]:
    """Opening bracket index -> index just past its closing bracket, brackets in strings ignored.

    One linear pass over the structural characters only, so a line of many unclosed ``[`` costs
    no more than one scan (a per-value scan would be quadratic).
    """
    ends: dict[int, int] = {}
    stack: list[int] = []
    in_string = False
    for match in _STRUCTURE.finditer(line):
        token = match.group()
        if token[0] == "\\":
            continue
        if token == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif token in "[{":
            stack.append(match.start())
        elif stack:
            ends[stack.pop()] = match.end()
    return ends


def parse_params_line(line: str) -> dict[str, str]:
    """``Key: value, Key2: "quoted, value", Key3: {"json": "object, with commas"}`` → dict.

    Values that open with ``[`` or ``{`` run to their balanced closing bracket (A1111's own regex cuts
    them at the first comma); quoted values are unquoted. The first occurrence of a key wins; pairs
    whose key is not word characters/spaces/``-``/``/`` are skipped.
    """
    params: dict[str, str] = {}
    bracket_ends: dict[int, int] | None = None
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
        value_end: int | None = None
        value = ""
        if pos < end and line[pos] == '"':
            value_end = _ends_value(line, _scan_quoted(line, pos))
            if value_end is not None:
                value = _unquote(line[pos:value_end])
        elif pos < end and line[pos] in "[{":
            if bracket_ends is None:
                bracket_ends = _bracket_ends(line)
            value_end = _ends_value(line, bracket_ends.get(pos))
            if value_end is not None:
                value = line[pos:value_end].strip()
        if value_end is None:
            comma = line.find(",", pos)
            value_end = end if comma < 0 else comma
            value = line[pos:value_end].strip()
        pos = value_end
        if _KEY.fullmatch(key):
            params.setdefault(key, value)
    return params


def _ends_value(line: str, index: int | None) -> int | None:
    """``index`` when a quoted or bracketed value closing there ends its pair (only spaces, then a comma or
    the line end, follow), else ``None``.

    A1111's ``quote()`` (``infotext_utils.py``) quotes a value only when it holds a comma, a colon or a
    newline, so a value that merely STARTS with ``"``, ``[`` or ``{`` is written bare: a ``Hires prompt``
    of ``[cat|dog] hybrid`` (A1111's alternating-words syntax), ``{red|blue} hair`` or ``"best" quality``.
    Such a value runs to the next comma like any bare value; cutting it at its closing bracket or quote
    would glue its remaining words onto the next key and lose that pair (``Hires upscale``)."""
    if index is None:
        return None
    rest = index
    while rest < len(line) and line[rest] == " ":
        rest += 1
    return index if rest == len(line) or line[rest] == "," else None


def _unquote(quoted: str) -> str:
    try:
        decoded = json.loads(quoted, strict=False)
    except ValueError:
        return quoted.strip('"')
    return decoded if isinstance(decoded, str) else quoted.strip('"')


def looks_like_infotext(text: str) -> bool:
    """Cheap check: a ``Steps:`` parameter line (all A1111-family writers put ``Steps`` first or early)."""
    return "Steps: " in text and ("Sampler: " in text or "Seed: " in text or "CFG scale: " in text)


_POSTPROCESS_PREFIX = "Postprocess "
_FACE_RESTORE_KEYS = frozenset({"GFPGAN visibility", "CodeFormer visibility", "CodeFormer weight"})
_PAIR = r'\w[\w \-/]*: ?(?:"(?:[^"\\]|\\.)*"|[^,"]*)'
_PAIRS_ONLY = re.compile(rf" *{_PAIR}(?:, *{_PAIR})*", re.DOTALL)
"""A line that is nothing but ``Key: value`` pairs (quoted values may hold commas)."""
_SECTION_NAMES = frozenset({"postprocessing", "extras"})
"""The PNG Info tab's names of the Extras text sections, shown as lines of their own."""


def postprocess_pairs(line: str) -> dict[str, str]:
    """The pairs of an Extras-tab postprocess line, or ``{}`` when ``line`` is not one.

    Invariant: non-empty only when the line is nothing but pairs, every key is an Extras key
    (``Postprocess …`` or a face-restore key) and at least one is ``Postprocess …``, so no generation
    parameter line, and no prompt line with other words after a pair, ever qualifies."""
    if not line.startswith(_POSTPROCESS_PREFIX) and not line.startswith(tuple(_FACE_RESTORE_KEYS)):
        return {}
    if len(line) > MAX_PARAMS_LINE_CHARS or not _PAIRS_ONLY.fullmatch(line):
        return {}
    pairs = parse_params_line(line)
    keys = pairs.keys()
    if not any(key.startswith(_POSTPROCESS_PREFIX) for key in keys):
        return {}
    if all(key.startswith(_POSTPROCESS_PREFIX) or key in _FACE_RESTORE_KEYS for key in keys):
        return pairs
    return {}


def looks_like_postprocess_text(text: str) -> bool:
    """True when the whole text is one Extras postprocess line (what an A1111 Extras JPEG keeps)."""
    body = text.strip()
    return "\n" not in body and bool(postprocess_pairs(body))


def _split_postprocess_trailer(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """``lines`` without a last Extras postprocess line (and the ``postprocessing`` / ``extras`` section
    name just before it, when a line precedes that name), and the line's pairs; unchanged and ``{}``
    when the last line is not a postprocess line."""
    if not lines:
        return lines, {}
    pairs = postprocess_pairs(lines[-1].strip())
    if not pairs:
        return lines, {}
    rest = lines[:-1]
    if len(rest) >= 2 and rest[-1].strip().lower() in _SECTION_NAMES:
        rest = _without_head_section_name(rest[:-1])
    return rest, pairs


_PARAMETERS_SECTION = "parameters"


def _without_head_section_name(lines: list[str]) -> list[str]:
    """``lines`` of a copied PNG Info display without its first line when that is the ``parameters``
    section name. Only called once a later section name was found, so a prompt whose first line is
    the word ``parameters`` is kept everywhere else."""
    if len(lines) >= 2 and lines[0].strip().lower() == _PARAMETERS_SECTION:
        return lines[1:]
    return lines


def parse_infotext(text: str) -> Infotext:
    """Split an infotext into prompt, negative prompt and the parameter dict."""
    body = text.replace("\r\n", "\n").strip()
    lines = body.split("\n")
    params: dict[str, str] = {}
    truncated = False
    lines, postprocess = _split_postprocess_trailer(lines)
    lines, trailer = _split_template_trailer(lines)
    if lines:
        last = lines[-1]
        truncated = len(last) > MAX_PARAMS_LINE_CHARS
        candidate = parse_params_line(last[:MAX_PARAMS_LINE_CHARS])
        if len(candidate) >= 3:
            params = candidate
            lines = lines[:-1]
        else:
            truncated = False
            block = _multiline_params(lines)
            if block is not None:
                start, params = block
                lines = lines[:start]
    if params:
        params.update(trailer)
    for key, value in postprocess.items():
        params.setdefault(key, value)
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
    return Infotext(prompt, negative_prompt or None, params, truncated)


_STEPS = "Steps:"
_MAX_MULTILINE_TRIES = 4
"""How many ``Steps:`` lines (from the end) are tried as the start of a multi-line parameter block."""
_LINE_STRUCTURE = re.compile(r'\\.|["\n]', re.DOTALL)


def _one_logical_line(block: str) -> bool:
    """True when every newline of ``block`` lies inside a double-quoted value (backslash escapes honoured
    inside quotes) and no quote is left open: the block is one parameter line whose values hold newlines."""
    in_string = False
    for match in _LINE_STRUCTURE.finditer(block):
        token = match.group()
        if token[0] == "\\":
            if not in_string and token[1:] == "\n":
                return False
        elif token == '"':
            in_string = not in_string
        elif not in_string:
            return False
    return not in_string


def _multiline_params(lines: list[str]) -> tuple[int, dict[str, str]] | None:
    """``(start, params)`` of a parameter line spread over ``lines[start:]`` by raw newlines inside quoted
    values, or ``None``. Only the last few lines starting with ``Steps:`` are tried (each try is one
    linear scan), and the block must parse to at least three pairs, like a one-line parameter line."""
    tries = 0
    for start in range(len(lines) - 2, -1, -1):
        if not lines[start].startswith(_STEPS):
            continue
        tries += 1
        if tries > _MAX_MULTILINE_TRIES:
            return None
        block = "\n".join(lines[start:])
        if len(block) > MAX_PARAMS_LINE_CHARS or not _one_logical_line(block):
            continue
        params = parse_params_line(block)
        if len(params) >= 3:
            return start, params
    return None


_TEMPLATE = "Template:"
_NEGATIVE_TEMPLATE = "Negative Template:"


def _split_template_trailer(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """``lines`` without a Dynamic Prompts trailer after the parameter line, and the trailer's values
    (``Template``, ``Negative Template``); ``lines`` unchanged and no values when there is none."""
    for index in range(len(lines) - 2, -1, -1):
        following = lines[index + 1]
        if not (following.startswith((_TEMPLATE, _NEGATIVE_TEMPLATE)) and lines[index].startswith("Steps:")):
            continue
        trailer = "\n".join(lines[index + 1 :])
        if trailer.startswith(_NEGATIVE_TEMPLATE):
            return lines[: index + 1], {"Negative Template": trailer[len(_NEGATIVE_TEMPLATE) :].strip()}
        template, found, negative = trailer[len(_TEMPLATE) :].partition("\n" + _NEGATIVE_TEMPLATE)
        values = {"Template": template.strip()}
        if found:
            values["Negative Template"] = negative.strip()
        return lines[: index + 1], values
    return lines, {}
