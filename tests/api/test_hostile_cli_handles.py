"""A user handle on the command line that PostgreSQL cannot take as text is simply no user.

A terminal in a non-UTF-8 locale (or a script) can pass bytes that are not UTF-8; Python holds them as
surrogate escapes, which no query parameter can carry. ``atelier credits grant``, ``credits show``
and ``recluster --user`` sent such a handle to the database and ended with a ``DBAPIError``
traceback; they now answer as for any unknown handle (exit 1, ``no user named …``).
"""

from __future__ import annotations

import pytest

from catalog.settings import AtelierSettings
from tests.api.conftest import run_atelier

NOT_UTF8 = b"ada\xff".decode("utf-8", "surrogateescape")


@pytest.mark.parametrize(
    "args",
    [
        ("credits", "grant", NOT_UTF8, "5"),
        ("credits", "show", NOT_UTF8),
        ("recluster", "--user", NOT_UTF8),
        ("credits", "show", "ada\x7f" + "é" * 70),
    ],
    ids=["grant", "show", "recluster", "long-and-odd"],
)
async def test_a_handle_that_is_not_text_is_no_user(settings: AtelierSettings, args: tuple[str, ...]) -> None:
    result = await run_atelier(settings, *args)
    assert result.code == 1, (result.code, result.stderr[-1500:])
    assert "Traceback" not in result.stderr and "DBAPIError" not in result.stderr, result.stderr[-1500:]
    assert "no user named" in result.stderr, result.stderr[-500:]
