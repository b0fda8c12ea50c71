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
from collections.abc import Iterator
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
_PAIR = r'\w[\w \-/]*:(?: ?"(?:[^"\\]|\\.)*"|[^,"]*)'
_PAIRS_ONLY = re.compile(rf" *{_PAIR}(?:, *{_PAIR})*", re.DOTALL)
"""A line that is nothing but ``Key: value`` pairs (quoted values may hold commas). Each pair matches
in one way only: the space after a colon belongs to a bare value (``[^,"]*`` holds spaces) or stands
before a quote, never either (``: ?`` before ``[^,"]*`` gave every pair two ways to match a space, and
a line of 24 pairs that failed at its end took 40 s of backtracking)."""
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


def _split_postprocess_trailer(text: str) -> tuple[str, dict[str, str]]:
    """``text`` without a last Extras postprocess line (and the ``postprocessing`` / ``extras`` section
    name just before it, when a line precedes that name), and the line's pairs; unchanged and ``{}``
    when the last line is not a postprocess line."""
    rest, _, last = text.rpartition("\n")
    pairs = postprocess_pairs(last.strip())
    if not pairs:
        return text, {}
    before, newline, section = rest.rpartition("\n")
    if newline and section.strip().lower() in _SECTION_NAMES:
        rest = _without_head_section_name(before)
    return rest, pairs


_PARAMETERS_SECTION = "parameters"


def _without_head_section_name(text: str) -> str:
    """``text`` of a copied PNG Info display without its first line when that is the ``parameters``
    section name (and another line follows). Only called once a later section name was found, so a
    prompt whose first line is the word ``parameters`` is kept everywhere else."""
    first, newline, rest = text.partition("\n")
    return rest if newline and first.strip().lower() == _PARAMETERS_SECTION else text


def parse_infotext(text: str) -> Infotext:
    """Split an infotext into prompt, negative prompt and the parameter dict.

    The text is cut from its end by ``str`` methods (``rpartition``, ``rfind``) and one regex scan,
    never split into a list of its lines: 8 million empty lines (a zTXt of 8 kB) took 2.5 s of loops
    over such a list."""
    body = text.replace("\r\n", "\n").strip()
    params: dict[str, str] = {}
    rest, postprocess = _split_postprocess_trailer(body)
    rest, trailer = _split_template_trailer(rest)
    head, _, last = rest.rpartition("\n")
    truncated = len(last) > MAX_PARAMS_LINE_CHARS
    candidate = parse_params_line(last[:MAX_PARAMS_LINE_CHARS])
    if len(candidate) >= 3:
        params = candidate
        rest = head
    else:
        truncated = False
        block = _multiline_params(rest)
        if block is not None:
            start, params = block
            rest = rest[: max(start - 1, 0)]
    if params:
        params.update(trailer)
    for key, value in postprocess.items():
        params.setdefault(key, value)
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


def _multiline_params(text: str) -> tuple[int, dict[str, str]] | None:
    """``(start, params)`` of a parameter line spread over ``text[start:]`` (``start`` where a line starts)
    by raw newlines inside quoted values, or ``None``. Only the last few lines starting with ``Steps:``
    are tried (each try is one linear scan), and the block must parse to at least three pairs, like a
    one-line parameter line."""
    last_line = text.rfind("\n") + 1
    for tries, start in enumerate(_steps_line_starts(text, last_line)):
        if tries == _MAX_MULTILINE_TRIES:
            return None
        block = text[start:]
        if len(block) > MAX_PARAMS_LINE_CHARS or not _one_logical_line(block):
            continue
        params = parse_params_line(block)
        if len(params) >= 3:
            return start, params
    return None


def _steps_line_starts(text: str, last_line: int) -> Iterator[int]:
    """Where the lines of ``text`` that start with ``Steps:`` start, the last first, of those before the
    line at ``last_line``."""
    end = last_line
    while (found := text.rfind("\n" + _STEPS, 0, end)) >= 0:
        yield found + 1
        end = found
    if last_line > 0 and text.startswith(_STEPS):
        yield 0


_TEMPLATE = "Template:"
_NEGATIVE_TEMPLATE = "Negative Template:"


_STEPS_BEFORE_TEMPLATE = re.compile(r"^Steps:[^\n]*\n(?=Template:|Negative Template:)", re.MULTILINE)
"""A line starting with ``Steps:`` (with its newline) followed by a line starting with a Dynamic Prompts
trailer key."""


def _split_template_trailer(text: str) -> tuple[str, dict[str, str]]:
    """``text`` without a Dynamic Prompts trailer after the parameter line, and the trailer's values
    (``Template``, ``Negative Template``); ``text`` unchanged and no values when there is none. The
    parameter line is the last ``Steps:`` line followed by a trailer line."""
    if _TEMPLATE not in text:  # also in "Negative Template:"
        return text, {}
    last: re.Match[str] | None = None
    for match in _STEPS_BEFORE_TEMPLATE.finditer(text):
        last = match
    if last is None:
        return text, {}
    kept, trailer = text[: last.end() - 1], text[last.end() :]
    if trailer.startswith(_NEGATIVE_TEMPLATE):
        return kept, {"Negative Template": trailer[len(_NEGATIVE_TEMPLATE) :].strip()}
    template, found, negative = trailer[len(_TEMPLATE) :].partition("\n" + _NEGATIVE_TEMPLATE)
    values = {"Template": template.strip()}
    if found:
        values["Negative Template"] = negative.strip()
    return kept, values
