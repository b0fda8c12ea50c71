"""Which strings PostgreSQL can store: the one rule every text input is checked against.

PostgreSQL ``text`` refuses the NUL character (U+0000), and a string holding an unpaired UTF-16
surrogate (U+D800–U+DFFF, which JSON's ``\\ud800`` escapes can produce) cannot be encoded as UTF-8
at all. Either one reaching the database is a server error; checking first turns it into the
client's error, with the position of the offending character.
"""

from __future__ import annotations


class UnstorableText(ValueError):
    """The text cannot be stored; the message says why and where."""


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored, or ``None`` when it can."""
    nul = value.find("\x00")
    if nul >= 0:
        return f"contains a NUL character (U+0000) at position {nul}"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(value[error.start])
        return f"contains an unpaired surrogate (U+{code:04X}) at position {error.start}"
    return None


def storable_text(value: str, *, what: str, max_chars: int | None = None) -> str:
    """``value`` unchanged when PostgreSQL can store it and it is at most ``max_chars`` long.

    Raises :class:`UnstorableText` naming ``what`` (e.g. ``"the token name"``) otherwise.
    """
    problem = text_problem(value)
    if problem is not None:
        raise UnstorableText(f"{what} {problem}")
    if max_chars is not None and len(value) > max_chars:
        raise UnstorableText(f"{what} has {len(value)} characters; at most {max_chars} are allowed")
    return value
