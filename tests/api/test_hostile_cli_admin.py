"""Admin commands given hostile values — ``atelier credits grant``, ``atelier token create`` — and
``atelier import --watch`` losing its folder: the installed entry point against the test database.

What failed before (audit round 2):

- ``credits grant`` of more than 2**63 - 1 credits, or of an amount taking the balance past it, was a
  database traceback; a grant taking the balance past 2**31 - 1 succeeded, after which the user's
  ``viewer.credits`` was an "Unexpected error" (GraphQL's ``Int`` is 32-bit);
- a grant's ``--reason`` and a token's ``--name`` could hold terminal escape sequences, bells and
  bidirectional overrides; a token could be created with no scope at all (``scopes: []``);
- ``import --watch`` went on "watching" a removed folder for ever, importing nothing.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from billing import ledger
from catalog.accounts import service as accounts
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings
from tests.api.conftest import (
    ATELIER,
    CommandResult,
    app_http,
    atelier_env,
    make_user_with_token,
    run_atelier,
)

CREDITS = "{ viewer { credits { balance held available } } }"


def _one_error_line(result: CommandResult) -> str:
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr and "│" not in result.stderr, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return line


async def test_a_grant_beyond_what_a_balance_can_show_is_refused_and_nothing_is_granted(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    token = await make_user_with_token(session_factory, "ada")
    async with unit_of_work(session_factory) as db:
        user = await accounts.get_or_create_user(db, "ada")

    line = _one_error_line(await run_atelier(settings, "credits", "grant", "ada", str(10**30)))
    assert line == f"error: the amount must be at most 2,147,483,647 credits, got {10**30:,}"
    granted = await run_atelier(settings, "credits", "grant", "ada", str(2**31 - 10))
    assert granted.code == 0, granted.stderr
    line = _one_error_line(await run_atelier(settings, "credits", "grant", "ada", "10"))
    assert line == (
        "error: ada would hold 2,147,483,648 credits; a balance is at most 2,147,483,647 "
        "(nothing was granted)"
    )
    async with session_factory() as db:
        assert (await ledger.balance_of(db, user.id)).balance == 2**31 - 10

    async with app_http(settings) as http:
        response = await http.post(
            "/graphql", json={"query": CREDITS}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.json() == {
        "data": {"viewer": {"credits": {"balance": 2**31 - 10, "held": 0, "available": 2**31 - 10}}},
        "extensions": response.json()["extensions"],
    }


async def test_names_with_control_characters_and_tokens_without_scopes_are_refused(
    settings: AtelierSettings, session_factory: SessionFactory
) -> None:
    async with unit_of_work(session_factory) as db:
        await accounts.create_user(db, "ada")
    cases = {
        ("credits", "grant", "ada", "5", "--reason", "paid\x1b[2J"): (
            "error: the reason contains a control character (U+001B) at position 4"
        ),
        ("credits", "grant", "ada", "5", "--reason", "r" * 201): (
            "error: the reason has 201 characters; at most 200 are allowed"
        ),
        ("token", "create", "ada", "--name", "laptop\x07"): (
            "error: the token name contains a control character (U+0007) at position 6"
        ),
        ("token", "create", "ada", "--name", "\u202egnp.exe"): (
            "error: the token name contains a bidirectional override (U+202E) at position 0"
        ),
    }
    for args, message in cases.items():
        assert _one_error_line(await run_atelier(settings, *args)) == message, args
    async with session_factory() as db:
        user = await accounts.get_or_create_user(db, "ada")
        assert (await ledger.balance_of(db, user.id)).balance == 0
        assert await accounts.user_tokens_page(db, user.id, limit=10, after=None) == []


async def test_import_watch_says_so_when_its_folder_is_removed(
    settings: AtelierSettings, session_factory: SessionFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    process = await asyncio.create_subprocess_exec(
        str(ATELIER), "import", str(folder), "--watch", "--user", "ada", "--no-thumbnails",
        env=atelier_env(settings), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    seen: list[str] = []
    try:
        while not any("watching" in line for line in seen):
            line = (await asyncio.wait_for(process.stderr.readline(), timeout=60)).decode()
            assert line, "".join(seen)
            seen.append(line)
        await asyncio.sleep(1)  # the OS watch is set up (removed earlier: "cannot be watched", also one line)
        shutil.rmtree(folder)
        code = await asyncio.wait_for(process.wait(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    rest = (await process.stderr.read()).decode()
    assert code == 1, "".join(seen) + rest
    assert f"error: {folder.resolve()}: the watched folder was removed" in rest.replace("\n", " ")
    assert "Traceback" not in rest
