"""What the real-browser tests share: where Chromium is, the marks that skip them without it, and one
way to launch it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser

CHROMIUM = Path(os.environ.get("ATELIER_CHROMIUM", "/usr/bin/chromium"))
BROWSER_TEST_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it as root)",
    ),
]
"""A browser test module's ``pytestmark`` (it skips itself first when Playwright is not installed)."""


@contextlib.asynccontextmanager
async def launched_chromium() -> AsyncIterator[Browser]:
    """Headless Chromium; closed on exit. ``--no-sandbox``: CI runs as root, where Chromium's sandbox
    cannot start."""
    from playwright.async_api import async_playwright  # a dev dependency: imported only when used

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield launched
        finally:
            await launched.close()
