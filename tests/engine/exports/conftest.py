"""Import-path guard for the export parser tests.

``tests/`` is on ``sys.path`` (rootdir conftest, "prepend" import mode) and ``tests/engine`` has no
``__init__.py``, so ``import engine`` could resolve to a namespace package made of ``tests/engine``
(the editable install's finder runs after the path finder). Put the repository root first and drop
any namespace ``engine`` modules before the test modules here import ``engine.exports``.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
for _name in [n for n in sys.modules if n == "engine" or n.startswith("engine.")]:
    if getattr(sys.modules[_name], "__file__", None) is None:
        del sys.modules[_name]
