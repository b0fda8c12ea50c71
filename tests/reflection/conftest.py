"""Fixtures for the Museum Curator's tests: a real OpenAI-speaking HTTP server on loopback.

The server class lives in :mod:`tests.reflection.openai_server` so other test folders (and tests that
start an ``atelier worker`` process pointed at it through ``OPENAI_BASE_URL``) can use it directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reflection.openai_server import ScriptedOpenAIServer


@pytest.fixture
def openai_server() -> Iterator[ScriptedOpenAIServer]:
    """A started server (fresh per test, empty script, default answer: a valid reflection); stopped —
    hung requests released, connections closed — when the test ends."""
    with ScriptedOpenAIServer() as server:
        yield server
