"""``atelier credits grant`` and ``atelier credits show`` as an administrator runs them: the installed
entry point against the test database."""

from __future__ import annotations

from billing import ledger
from catalog.accounts import service as accounts
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings
from tests.api.conftest import run_atelier


async def _atelier(settings: AtelierSettings, *args: str) -> tuple[int, str, str]:
    result = await run_atelier(settings, *args)
    return result.code, result.stdout, result.stderr


async def test_grant_then_show(settings: AtelierSettings, session_factory: SessionFactory) -> None:
    async with unit_of_work(session_factory) as db:
        user = await accounts.create_user(db, "ada")
    code, _, stderr = await _atelier(settings, "credits", "grant", "ada", "25", "--reason", "beta tester")
    assert code == 0, stderr
    assert "granted 25 credits to ada: balance 25, available 25" in stderr
    async with session_factory() as db:
        assert (await ledger.balance_of(db, user.id)).balance == 25
        [line] = await ledger.ledger_page(db, user.id, limit=5)
    assert (line.kind, line.amount, line.reference) == ("grant", 25, "beta tester")

    code, stdout, stderr = await _atelier(settings, "credits", "show", "ada")
    assert code == 0, stderr
    assert "ada: balance 25, held 0, available 25" in stdout
    assert "grant" in stdout and "+25" in stdout and "beta tester" in stdout


async def test_bad_input_is_one_clear_line(settings: AtelierSettings) -> None:
    code, _, stderr = await _atelier(settings, "credits", "grant", "nobody", "5")
    assert code == 1 and "no user named 'nobody'" in stderr
    code, _, stderr = await _atelier(settings, "credits", "grant", "nobody", "0")
    assert code == 1 and "positive number of credits" in stderr
