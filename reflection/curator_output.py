"""What the Museum Curator writes: the reflection's text fields, validated.

This is the JSON object the LLM is asked for (its JSON schema is :func:`curator_json_schema`) and what
the offline curator produces. Invariants: ``title`` and ``summary`` are non-empty; lists hold
non-empty strings; lengths are bounded so one reflection never floods a session card.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

TITLE_MAX_CHARS = 120
SUMMARY_MAX_CHARS = 2400
ITEM_MAX_CHARS = 600
ITEMS_MAX = 8


class CuratorReflection(BaseModel):
    """The Curator's reflection on one session."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=TITLE_MAX_CHARS)
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX_CHARS)
    style_patterns: list[str] = Field(default_factory=list, max_length=ITEMS_MAX)
    evolution_notes: list[str] = Field(default_factory=list, max_length=ITEMS_MAX)


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
