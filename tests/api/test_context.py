"""The per-request context: loaders made on first use, and no reference cycle through them."""

from __future__ import annotations

import asyncio
import gc
import uuid
import weakref

import pytest

from api.context import RequestContext
from api.thumbnail_urls import ThumbnailSigner
from catalog.database import SessionFactory
from catalog.settings import AtelierSettings


def _context(session_factory: SessionFactory, settings: AtelierSettings) -> RequestContext:
    return RequestContext(
        session_factory=session_factory,
        principal=None,
        thumbnail_signer=ThumbnailSigner(b"k" * 32),
        settings=settings,
    )


def test_a_loader_is_made_on_first_use_and_kept_for_the_request(
    session_factory: SessionFactory, settings: AtelierSettings
) -> None:
    context = _context(session_factory, settings)
    assert "session_phases" not in vars(context)  # a request pays only for the loaders it uses
    assert context.session_phases is context.session_phases  # one per request: its batches and cache
    assert context.session_phases is not _context(session_factory, settings).session_phases


async def test_a_context_with_loaders_is_freed_without_the_cyclic_collector(
    session_factory: SessionFactory, settings: AtelierSettings
) -> None:
    context = _context(session_factory, settings)
    loaders = [context.session_thumbnails, context.session_phases, context.parent_edges]
    gone = weakref.ref(context)
    gc.disable()
    try:
        del context
        assert gone() is None  # reference counting alone freed it: no cycle through its loaders
    finally:
        gc.enable()
    # a batch dispatched after its request is gone is cancelled, not run (no query, no stray error)
    with pytest.raises(asyncio.CancelledError):
        await loaders[1].load_fn([(uuid.uuid4(),)])
