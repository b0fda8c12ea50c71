"""The price of a reflection, in whole credits, known before the artist confirms.

    price = ceil(rate × (BASE + size_units + image_units))

- ``BASE_CREDITS`` (4): writing any reflection;
- ``size_units``: 1 per started 100 assets, at most ``SIZE_UNITS_MAX`` (20) — the Curator's prompt is
  compressed to a fixed token budget, so a 5,000-asset session costs no more than a 2,000-asset one;
- ``image_units``: 1 per 2 representative images sent to the model (at most
  ``REPRESENTATIVE_IMAGES_MAX`` = 8, only assets with a thumbnail can be sent);
- ``rate``: the configured model's multiplier (``ATELIER_CURATOR_CREDIT_RATE``, default 1.0); the
  built-in offline curator (``atelier-offline``) is priced at ``OFFLINE_RATE`` (0.25).

Examples at rate 1.0: 50 assets with 8 images → 4 + 1 + 4 = 9 credits; 5,000 assets → 28 credits.
Offline: 3 and 7 credits.
"""

from __future__ import annotations

import math

BASE_CREDITS = 4
SIZE_UNIT_ASSETS = 100
SIZE_UNITS_MAX = 20
REPRESENTATIVE_IMAGES_MAX = 8
OFFLINE_MODEL = "atelier-offline"
OFFLINE_RATE = 0.25


def representative_image_count(thumbnail_count: int) -> int:
    """How many images a reflection of a session with this many thumbnails sends to the model."""
    return max(0, min(REPRESENTATIVE_IMAGES_MAX, thumbnail_count))


def reflection_price(*, asset_count: int, image_count: int, model: str, model_rate: float = 1.0) -> int:
    """Whole credits (≥ 1) for a reflection of ``asset_count`` assets sending ``image_count`` images."""
    if asset_count < 0 or image_count < 0:
        raise ValueError("asset and image counts are never negative")
    size_units = min(SIZE_UNITS_MAX, math.ceil(asset_count / SIZE_UNIT_ASSETS))
    image_units = math.ceil(min(image_count, REPRESENTATIVE_IMAGES_MAX) / 2)
    rate = OFFLINE_RATE if model == OFFLINE_MODEL else model_rate
    return max(1, math.ceil(rate * (BASE_CREDITS + size_units + image_units)))
