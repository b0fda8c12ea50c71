"""Which strings PostgreSQL can store: the one rule every text input is checked against.

PostgreSQL ``text`` refuses the NUL character (U+0000), and a string holding an unpaired UTF-16
surrogate (U+D800–U+DFFF, which JSON's ``\\ud800`` escapes can produce) cannot be encoded as UTF-8
at all. Either one reaching the database is a server error; checking first turns it into the
client's error, with the position of the offending character.

Names people give things (a session label, a token name, a grant's reason) are held to one more rule,
:func:`name_problem`: no control characters (U+0000–U+001F, U+007F–U+009F: escape sequences that
rewrite a terminal, bells, line breaks inside a one-line name) and no bidirectional overrides or
isolates (U+202A–U+202E, U+2066–U+2069: they make a name read as something else). Such a name is
refused in words, never stored.
"""

from __future__ import annotations

import unicodedata

from engine.text_checks import text_problem

__all__ = ["UnstorableText", "name_problem", "storable_text", "text_problem"]

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class UnstorableText(ValueError):
    """The text cannot be stored; the message says why and where."""


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


def name_problem(value: str) -> str | None:
    """Why ``value`` cannot be a one-line name shown to people (see the module docstring), or
    ``None``; storable text is checked first (:func:`text_problem`)."""
    problem = text_problem(value)
    if problem is not None:
        return problem
    for position, char in enumerate(value):
        if unicodedata.category(char) == "Cc":
            return f"contains a control character (U+{ord(char):04X}) at position {position}"
        if char in _BIDI_CONTROLS:
            return f"contains a bidirectional override (U+{ord(char):04X}) at position {position}"
    return None
