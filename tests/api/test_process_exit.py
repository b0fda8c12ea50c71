"""An ``atelier`` command's exit: the heap is frozen by an exit handler (no final collection over
every module), after the handlers registered later than the CLI's import have run."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT

PROGRAM = """
import atexit, gc
atexit.register(lambda: print("earlier handler ran; frozen:", gc.get_freeze_count() > 0, flush=True))
import api.cli  # registers the freeze
atexit.register(lambda: print("later handler ran; frozen:", gc.get_freeze_count() > 0, flush=True))
"""


def test_the_heap_is_frozen_at_exit_after_the_handlers_registered_later() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, check=True
    )

    assert result.stdout.splitlines() == [
        "later handler ran; frozen: False",  # exit handlers run last-registered first
        "earlier handler ran; frozen: True",
    ]
