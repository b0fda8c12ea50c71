"""What the Museum Curator writes: the reflection's text fields, validated.

This is the JSON object the LLM is asked for (its JSON schema is :func:`curator_json_schema`) and what
the offline curator produces. Invariants: ``title`` and ``summary`` are non-empty; lists hold
non-empty strings of at most :data:`ITEM_MAX_CHARS` (an item beyond it, or blank, makes the answer
invalid: the client asks once for a repair); lengths are bounded so one reflection never floods a
session card. Every text is storable: NUL characters and unpaired surrogates (which PostgreSQL's text
and JSONB refuse, and which a model or a proxy may emit) are removed before the other checks.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

TITLE_MAX_CHARS = 120
SUMMARY_MAX_CHARS = 2400
ITEM_MAX_CHARS = 600
ITEMS_MAX = 8


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL and surrogate code points: a ``str`` from :func:`json.loads` keeps a surrogate only unpaired."""


def storable(text: str) -> str:
    """``text`` without the characters PostgreSQL cannot store (NUL, unpaired surrogates)."""
    return _UNSTORABLE.sub("", text)


def storable_text(value: object) -> object:
    """:func:`storable` for a ``str``; anything else unchanged (the type check that follows reports it)."""
    return storable(value) if isinstance(value, str) else value


StorableText = Annotated[str, BeforeValidator(storable_text)]
ListItem = Annotated[StorableText, Field(min_length=1, max_length=ITEM_MAX_CHARS)]


class CuratorReflection(BaseModel):
    """The Curator's reflection on one session."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: StorableText = Field(min_length=1, max_length=TITLE_MAX_CHARS)
    summary: StorableText = Field(min_length=1, max_length=SUMMARY_MAX_CHARS)
    style_patterns: list[ListItem] = Field(default_factory=list, max_length=ITEMS_MAX)
    evolution_notes: list[ListItem] = Field(default_factory=list, max_length=ITEMS_MAX)


def curator_json_schema() -> dict[str, Any]:
    """A strict JSON schema for ``response_format={"type": "json_schema", ...}`` (all fields required,
    no additional properties, as OpenAI's strict mode demands)."""
    text_item = {"type": "string", "maxLength": ITEM_MAX_CHARS}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "summary", "style_patterns", "evolution_notes"],
        "properties": {
            "title": {"type": "string", "maxLength": TITLE_MAX_CHARS},
            "summary": {"type": "string", "maxLength": SUMMARY_MAX_CHARS},
            "style_patterns": {"type": "array", "items": text_item, "maxItems": ITEMS_MAX},
            "evolution_notes": {"type": "array", "items": text_item, "maxItems": ITEMS_MAX},
        },
    }
