"""The app moves what its start-up built out of the collector's way for its lifetime, and back after."""

from __future__ import annotations

import gc

from api.app import create_app
from catalog.settings import AtelierSettings


async def test_the_start_up_heap_is_frozen_while_the_app_runs_and_released_after(
    settings: AtelierSettings,
) -> None:
    gc.unfreeze()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
