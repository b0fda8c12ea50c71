"""Whether text can be stored: the one rule for the engine's exports and the catalog.

PostgreSQL's ``text`` holds no NUL and only valid UTF-8, so an unpaired surrogate (what Python keeps
for undecodable bytes, or a JSON ``\\ud800`` escape) cannot be stored either. Pure: no I/O.
"""

from __future__ import annotations


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored (a NUL, an unpaired surrogate, and where), or ``None`` when it can."""
    nul = value.find("\x00")
    if nul >= 0:
        return f"contains a NUL character (U+0000) at position {nul}"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(value[error.start])
        return f"contains an unpaired surrogate (U+{code:04X}) at position {error.start}"
    return None
