"""The documented price function: its examples, its bounds, and the offline curator's own rate."""

from __future__ import annotations

import pytest

from billing.pricing import OFFLINE_MODEL, reflection_price, representative_image_count


@pytest.mark.parametrize(
    ("assets", "images", "model", "rate", "price"),
    [
        (50, 8, "gpt-4o-mini", 1.0, 9),
        (5000, 8, "gpt-4o-mini", 1.0, 28),
        (50, 8, OFFLINE_MODEL, 1.0, 3),
        (5000, 8, OFFLINE_MODEL, 3.0, 7),
        (56, 0, OFFLINE_MODEL, 1.0, 2),
        (250, 3, "big-model", 2.5, 23),
    ],
)
def test_documented_examples(assets: int, images: int, model: str, rate: float, price: int) -> None:
    assert reflection_price(asset_count=assets, image_count=images, model=model, model_rate=rate) == price


def test_price_grows_with_size_until_the_prompt_budget_caps_it() -> None:
    prices = [reflection_price(asset_count=n, image_count=8, model="m") for n in range(50, 6001, 50)]
    assert prices == sorted(prices) and prices[-1] == reflection_price(
        asset_count=2000, image_count=8, model="m"
    )


def test_images_sent_are_capped_at_eight() -> None:
    assert [representative_image_count(n) for n in (0, 3, 8, 400)] == [0, 3, 8, 8]
    assert reflection_price(asset_count=60, image_count=40, model="m") == reflection_price(
        asset_count=60, image_count=8, model="m"
    )


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        reflection_price(asset_count=-1, image_count=0, model="m")
