"""``atelier token create``: a positive number of days, or no expiry when omitted / ``--no-expiry``.

Issue 10, item 12: ``--expires-days 0`` used to store a token that never expires.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from catalog.database import SessionFactory
from catalog.models import ApiToken
from catalog.settings import AtelierSettings
from tests.api.conftest import run_atelier


async def _stored(factory: SessionFactory) -> list[ApiToken]:
    async with factory() as db:
        return list((await db.scalars(select(ApiToken).order_by(ApiToken.created_at))).all())


async def test_expiry_days_must_be_positive_and_omitting_it_means_never(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    assert (await run_atelier(settings, "user", "create", "ada")).code == 0

    for days in ("0", "-3", "3651"):
        refused = await run_atelier(settings, "token", "create", "ada", "--expires-days", days)
        assert refused.code == 1, refused
        assert "--expires-days must be between 1 and 3650" in refused.stderr
        assert "--no-expiry" in refused.stderr
        assert refused.stdout == ""
    both = await run_atelier(settings, "token", "create", "ada", "--expires-days", "2", "--no-expiry")
    assert both.code == 1 and "contradict" in both.stderr
    assert await _stored(session_factory) == []

    week = await run_atelier(settings, "token", "create", "ada", "--expires-days", "7")
    assert week.code == 0, week.stderr
    assert "expires " in week.stderr and week.stdout.startswith("atl_")
    omitted = await run_atelier(settings, "token", "create", "ada")
    explicit = await run_atelier(settings, "token", "create", "ada", "--no-expiry")
    assert "never expires" in omitted.stderr and "never expires" in explicit.stderr

    stored = await _stored(session_factory)
    assert [token.expires_at is None for token in stored] == [False, True, True]
    expires_at = stored[0].expires_at
    assert expires_at is not None
    assert abs(expires_at - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=5)


async def test_markup_in_a_command_argument_is_printed_as_text(settings: AtelierSettings) -> None:
    """An error quoting what the user typed: rich markup in it ("[/x]") is shown, not parsed (it made
    the error itself fail with MarkupError)."""
    refused = await run_atelier(settings, "token", "revoke", "atl_[/x]")
    assert refused.code == 1
    assert "no active token with prefix 'atl_[/x]'" in refused.stdout + refused.stderr
    assert "MarkupError" not in refused.stderr


async def test_token_list_shows_a_users_tokens_without_secrets(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    assert (await run_atelier(settings, "user", "create", "ada")).code == 0
    assert (await run_atelier(settings, "user", "create", "bob")).code == 0
    kept = await run_atelier(
        settings, "token", "create", "ada", "--name", "gallery widget", "--scope", "library:read"
    )
    gone = await run_atelier(settings, "token", "create", "ada", "--name", "old laptop")
    await run_atelier(settings, "token", "create", "bob", "--name", "bob's")
    prefixes = {token.name: token.prefix for token in await _stored(session_factory)}
    assert (await run_atelier(settings, "token", "revoke", prefixes["old laptop"])).code == 0

    listed = await run_atelier(settings, "token", "list", "ada")
    assert listed.code == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"{prefixes['gallery widget']}  gallery widget  [library:read]"
    )
    assert "never expires" in lines[0] and "never used" in lines[0]
    assert "1 token of ada (1 revoked or expired not shown: --all)" in listed.stderr
    assert kept.stdout.strip() not in listed.stdout and gone.stdout.strip() not in listed.stdout  # no secrets
    assert "bob's" not in listed.stdout

    everything = await run_atelier(settings, "token", "list", "ada", "--all")
    assert [line.split("  ")[1] for line in everything.stdout.splitlines()] == [
        "old laptop",
        "gallery widget",
    ]
    assert "revoked " in everything.stdout.splitlines()[0]

    nobody = await run_atelier(settings, "token", "list", "zed")
    assert nobody.code == 1 and "no user named 'zed'" in nobody.stdout + nobody.stderr
