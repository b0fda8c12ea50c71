"""Opening a user's credit account, with the signup grant.

Users are created by the catalog, which knows nothing of billing; an account is opened the first time
billing meets the user (reading the balance, quoting, granting). Opening grants
``ATELIER_SIGNUP_CREDITS`` once per user (idempotency key ``signup:<user id>``), however many
requests open it concurrently.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing import ledger
from billing.models import CreditAccount


async def open_account(db: AsyncSession, user_id: uuid.UUID, *, signup_credits: int) -> ledger.Balance:
    """The user's balance, opening the account (and granting signup credits) on first use."""
    existing = await db.scalar(select(CreditAccount.id).where(CreditAccount.user_id == user_id))
    if existing is None:
        await ledger.user_account_id(db, user_id)
        if signup_credits > 0:
            await ledger.grant(
                db,
                user_id,
                signup_credits,
                kind="signup",
                reference="welcome credits",
                idempotency_key=f"signup:{user_id}",
            )
    return await ledger.balance_of(db, user_id)
