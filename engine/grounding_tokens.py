"""The tokens and number forms the grounding check reads a sentence as (:mod:`engine.grounding` and
:mod:`engine.grounding_parameters` share them). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|[^\W_](?:[\w.+\-]*[^\W_]|[\w.\-]*\+)?%?")
NUMBER = r"\d+(?:\.\d+)?"
PLAIN_NUMBER = re.compile(rf"(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|{NUMBER})")
SUFFIXED_NUMBER = re.compile(rf"({NUMBER})(%|[a-z]+)", re.IGNORECASE)
HYPHEN_UNIT_NUMBER = re.compile(rf"({NUMBER})-([a-z]+)", re.IGNORECASE)
SIZE_FORM = re.compile(rf"({NUMBER})[x×]({NUMBER})", re.IGNORECASE)
RANGE = re.compile(rf"{NUMBER}(?:-{NUMBER})+")
STYLE_TERM = re.compile(r"(?:[23]d|\d{1,2}k|\d{3,4}p|\d+mm|(?:19|20)?\d0s)", re.IGNORECASE)

ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})
SECONDS_PER_UNIT = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
}
OTHER_UNIT_SUFFIXES = frozenset({"x", "px", "k", "step", "steps"})

SMALLEST_SPELLED_STEP_COUNT = 5


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int


def is_numeric_form(text: str) -> bool:
    if PLAIN_NUMBER.fullmatch(text.rstrip("%")) or SIZE_FORM.fullmatch(text) or RANGE.fullmatch(text):
        return True
    suffixed = SUFFIXED_NUMBER.fullmatch(text) or HYPHEN_UNIT_NUMBER.fullmatch(text)
    if suffixed is None:
        return False
    unit = suffixed.group(2).lower()
    hyphenated = HYPHEN_UNIT_NUMBER.fullmatch(text) is not None
    return hyphenated or unit in ORDINAL_SUFFIXES or unit in SECONDS_PER_UNIT or unit in OTHER_UNIT_SUFFIXES
