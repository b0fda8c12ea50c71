"""Credits in GraphQL: ``viewer.credits`` and ``viewer.creditLedger`` (scope ``credits:read``).

Names fixed by ``reflections-and-credits.md``. The ledger is paged newest first with a keyset cursor on
the entry id; each line is one entry of the viewer's account (a hold is not an entry: it shows in
``held`` until it is captured, as a ``capture`` line, or voided).
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.graphql.pagination import CursorReader, PageInfo, check_page_size, encode_cursor
from billing import accounts, ledger
from catalog.database import unit_of_work

_LEDGER_CURSOR = "ledger"


@strawberry.type(description="The viewer's credits now, in whole credits")
class CreditBalance:
    balance: int = strawberry.field(description="Credits on the account (sum of its ledger entries)")
    held: int = strawberry.field(description="Credits reserved by reflections in progress")
    available: int = strawberry.field(description="balance − held; never below zero")


@strawberry.type(description="One entry of the viewer's credit account; entries are never changed or removed")
class CreditLedgerEntry:
    id: strawberry.ID = strawberry.field(description="Opaque id of the entry")
    kind: str = strawberry.field(
        description=(
            "signup, grant, purchase, capture (a delivered reflection), refund, settlement, "
            "refund_reversed (a refund that failed at the bank, its credits given back)"
        )
    )
    amount: int = strawberry.field(description="Signed: positive credits the account, negative debits it")
    balance_after: int = strawberry.field(
        description="The account's balance in credits right after this entry"
    )
    created_at: datetime = strawberry.field(description="When the entry was written (UTC)")
    reference: str | None = strawberry.field(
        description="What it was for, in words (a grant's reason, for one); null when nothing was recorded"
    )


@strawberry.type(description="One ledger entry with its cursor")
class CreditLedgerEdge:
    node: CreditLedgerEntry = strawberry.field(description="The entry")
    cursor: str = strawberry.field(description="Opaque cursor of this entry, for `after`")


@strawberry.type(description="A page of the viewer's credit ledger, newest entry first")
class CreditLedgerConnection:
    edges: list[CreditLedgerEdge] = strawberry.field(description="The entries of this page, newest first")
    page_info: PageInfo = strawberry.field(description="Whether more (older) entries follow, and from where")


async def viewer_credits(info: Info[RequestContext, None]) -> CreditBalance:
    async with unit_of_work(info.context.session_factory) as db:
        current = await accounts.open_account(
            db, info.context.user_id, signup_credits=info.context.settings.signup_credits
        )
    return CreditBalance(balance=current.balance, held=current.held, available=current.available)


async def viewer_credit_ledger(
    info: Info[RequestContext, None], first: int, after: str | None
) -> CreditLedgerConnection:
    limit = check_page_size(first)
    before: int | None = None
    if after is not None:
        reader = CursorReader(after, _LEDGER_CURSOR)
        before = reader.read_int64()
        reader.finish()
    async with unit_of_work(info.context.session_factory) as db:
        await accounts.open_account(
            db, info.context.user_id, signup_credits=info.context.settings.signup_credits
        )
        lines = await ledger.ledger_page(db, info.context.user_id, limit=limit, before_entry_id=before)
    edges = [
        CreditLedgerEdge(
            node=CreditLedgerEntry(
                id=strawberry.ID(f"CreditLedgerEntry:{line.entry_id}"),
                kind=line.kind,
                amount=line.amount,
                balance_after=line.balance_after,
                created_at=line.created_at,
                reference=line.reference,
            ),
            cursor=encode_cursor(_LEDGER_CURSOR, line.entry_id),
        )
        for line in lines[:limit]
    ]
    return CreditLedgerConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(lines) > limit, end_cursor=edges[-1].cursor if edges else None),
    )
