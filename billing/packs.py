"""Credit packs on sale: configurable (``ATELIER_CREDIT_PACKS``, a JSON list), with defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CreditPack:
    id: str
    name: str
    credits: int
    price_cents: int
    currency: str


DEFAULT_CREDIT_PACKS: tuple[CreditPack, ...] = (
    CreditPack("starter", "Starter — 50 credits", 50, 500, "usd"),
    CreditPack("studio", "Studio — 200 credits", 200, 1800, "usd"),
    CreditPack("gallery", "Gallery — 1,000 credits", 1000, 8000, "usd"),
)


class InvalidCreditPacks(ValueError):
    pass


def credit_packs(configured: list[dict[str, Any]] | None) -> tuple[CreditPack, ...]:
    """The packs on sale; ``configured`` (from settings) replaces the defaults when given."""
    if configured is None:
        return DEFAULT_CREDIT_PACKS
    packs: list[CreditPack] = []
    for item in configured:
        try:
            pack = CreditPack(
                id=str(item["id"]),
                name=str(item.get("name", item["id"])),
                credits=int(item["credits"]),
                price_cents=int(item["price_cents"]),
                currency=str(item.get("currency", "usd")).lower(),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidCreditPacks(f"credit pack {item!r} needs id, credits and price_cents") from error
        if pack.credits <= 0 or pack.price_cents <= 0:
            raise InvalidCreditPacks(f"credit pack {pack.id!r} must have positive credits and price")
        packs.append(pack)
    if len({pack.id for pack in packs}) != len(packs):
        raise InvalidCreditPacks("credit pack ids must be unique")
    return tuple(packs)


def pack_by_id(packs: tuple[CreditPack, ...], pack_id: str) -> CreditPack | None:
    return next((pack for pack in packs if pack.id == pack_id), None)
