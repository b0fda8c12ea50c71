"""The error for a setting that cannot be used (kept apart from :mod:`catalog.settings`, so the CLI can
catch it without loading pydantic at start-up)."""

from __future__ import annotations


class SettingsError(ValueError):
    """An environment setting that cannot be used; the message names the variable and what is wrong."""
