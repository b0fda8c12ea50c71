"""``atelier credits grant USER AMOUNT [--reason]`` and ``atelier credits show USER`` (admin).

Both run against the same embedded servers as ``atelier serve`` (or ``DATABASE_URL``), so they work
while it runs. A grant is one ledger transfer from the ``grants`` system account; the balance shown is
the cached one, which always equals the sum of the account's entries.

Limits (checked before anything is written; a refused grant is one ``error:`` line, exit code 1): the
amount is 1 to :data:`MAX_BALANCE` credits and the user's balance after it is at most
:data:`MAX_BALANCE` — checked after the grant inside its transaction, so concurrent grants cannot
pass it together — since apps read balances as GraphQL ``Int`` (32-bit); a larger one made
``viewer.credits`` an "Unexpected error" (and one beyond 64 bits a traceback). The reason is a
one-line name (:func:`catalog.text_values.name_problem`) of at most :data:`REASON_MAX_CHARS`.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy.ext.asyncio import AsyncSession

from billing import accounts, ledger
from billing.transactions import retrying_unit_of_work
from catalog.accounts.repository import user_by_handle
from catalog.accounts.service import AccountError
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import MAX_CREDITS, AtelierSettings
from catalog.text_values import name_problem

credits_app = typer.Typer(help="Grant and inspect credits (admin).", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)
SHOWN_ENTRIES = 15
MAX_BALANCE = MAX_CREDITS
"""The largest balance (and grant) in credits."""
REASON_MAX_CHARS = 200


@credits_app.command("grant")
def credits_grant(
    user: Annotated[str, typer.Argument(help="The user's handle")],
    amount: Annotated[int, typer.Argument(help="Whole credits to grant (positive)")],
    reason: Annotated[str | None, typer.Option(help="Shown in the user's ledger")] = None,
) -> None:
    """Grant credits to a user (a promotional grant)."""
    from api.cli import _fail, _guard, _run_with_database  # api.cli registers this module

    if amount <= 0:
        _fail("the amount must be a positive number of credits")
    if amount > MAX_BALANCE:
        _fail(f"the amount must be at most {MAX_BALANCE:,} credits, got {amount:,}")
    if reason is not None and (problem := name_problem(reason)) is not None:
        _fail(f"the reason {problem}")
    if reason is not None and len(reason) > REASON_MAX_CHARS:
        _fail(f"the reason has {len(reason)} characters; at most {REASON_MAX_CHARS} are allowed")

    async def work(factory: SessionFactory, settings: AtelierSettings) -> ledger.Balance:
        async def grant(db: AsyncSession) -> ledger.Balance:
            owner = await user_by_handle(db, user)
            if owner is None:
                raise AccountError(f"no user named {user!r}")
            await accounts.open_account(db, owner.id, signup_credits=settings.signup_credits)
            await ledger.grant(db, owner.id, amount, reference=reason or "granted by an administrator")
            balance = await ledger.balance_of(db, owner.id)
            if balance.balance > MAX_BALANCE:  # raising rolls the grant back
                raise AccountError(
                    f"{user} would hold {balance.balance:,} credits; a balance is at most "
                    f"{MAX_BALANCE:,} (nothing was granted)"
                )
            return balance

        return await retrying_unit_of_work(factory, grant)

    balance = _guard(lambda: _run_with_database(work))
    console.print(
        f"granted {amount} credits to {escape(user)}: balance {balance.balance}, "
        f"available {balance.available}"
    )


@credits_app.command("show")
def credits_show(user: Annotated[str, typer.Argument(help="The user's handle")]) -> None:
    """Show a user's balance, held credits and latest ledger entries."""
    from api.cli import _guard, _run_with_database

    async def work(
        factory: SessionFactory, settings: AtelierSettings
    ) -> tuple[ledger.Balance, list[ledger.LedgerLine]]:
        async with unit_of_work(factory) as db:
            owner = await user_by_handle(db, user)
            if owner is None:
                raise AccountError(f"no user named {user!r}")
            balance = await accounts.open_account(db, owner.id, signup_credits=settings.signup_credits)
            lines = await ledger.ledger_page(db, owner.id, limit=SHOWN_ENTRIES)
            return balance, lines[:SHOWN_ENTRIES]

    balance, lines = _guard(lambda: _run_with_database(work))
    out = Console()
    out.print(
        f"[bold]{escape(user)}[/bold]: balance {balance.balance}, held {balance.held}, "
        f"available {balance.available}"
        + (f", owes {balance.owed} (refunded after being spent)" if balance.owed else "")
    )
    table = Table("when", "kind", "amount", "balance after", "for")
    for line in lines:
        table.add_row(
            line.created_at.strftime("%Y-%m-%d %H:%M"),
            line.kind,
            f"{line.amount:+d}",
            str(line.balance_after),
            Text(line.reference or ""),
        )
    out.print(table)
