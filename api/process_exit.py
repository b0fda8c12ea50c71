"""A command's exit without the interpreter's last garbage collection over every module.

When an ``atelier`` command has done its work, CPython's finalisation still runs the cyclic garbage
collector while it tears the modules down: with the database stack loaded (SQLAlchemy, asyncpg,
pydantic, numpy, ~100,000 tracked objects) that took 150-350 ms of ``atelier import EMPTY`` on the
2-core machine, longer than the work of the import itself. :func:`skip_final_collection` registers
an exit handler (when ``api.cli`` is imported) that moves every object to the collector's permanent
generation (:func:`gc.freeze`), so finalisation only drops references; the operating system takes
back the memory as it would anyway.

Invariants:
- Nothing a command does is skipped: every exit handler still runs — those registered after this one
  (embedded servers' stop, multiprocessing's finalizers, temporary directories) before the freeze,
  earlier ones (logging's flush) after it, which they do not mind — non-daemon threads are joined
  first, and the interpreter still flushes the standard streams.
- The only difference is that objects kept alive solely by reference cycles are not collected at
  exit — their ``__del__`` would not be guaranteed to run at exit by Python either.
"""

from __future__ import annotations

import atexit
import gc

_registered = False


def skip_final_collection() -> None:
    """Freeze the heap at interpreter exit (idempotent)."""
    global _registered
    if not _registered:
        atexit.register(gc.freeze)
        _registered = True
