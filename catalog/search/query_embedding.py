"""Embedding search texts off the event loop, with the model loaded once and answers cached.

Invariants:
- the model is loaded on first use, in a worker thread, at most once per :class:`QueryEmbedder`
  (concurrent first calls wait for the same load); a load that fails is remembered with its reason
  and never retried by this instance (a model missing on disk does not appear by itself), so every
  later call answers ``None`` at once and search falls back to words;
- inference runs in a worker thread, one text at a time per instance (one model, CPU-bound: running
  several at once on the same cores only makes each slower);
- the last :data:`CACHE_SIZE` texts' vectors are kept (LRU), so repeating a search costs no model call;
- vectors are float32, L2-normalised, with the dimension the catalog stores (else the model is refused).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from catalog.models import PROMPT_EMBEDDING_DIMENSIONS
from engine.features.prompt_embedding import PromptEmbedder

CACHE_SIZE = 512

logger = logging.getLogger(__name__)

EmbedTexts = Callable[[list[str]], dict[str, np.ndarray]]
"""Texts → unit vectors (``engine.features.prompt_embedding.PromptEmbedder.embed_prompts``)."""
LoadModel = Callable[[], EmbedTexts]
"""Loads the model (blocking; run in a thread) and returns its embedding function."""


def prompt_model_loader(embedder: Callable[[], PromptEmbedder] | None = None) -> LoadModel:
    """A :data:`LoadModel` for ``embedder`` (default: the process's shared all-MiniLM-L6-v2) that loads
    it and checks its dimension is the one the catalog stores."""

    def load() -> EmbedTexts:
        model = (embedder or shared_prompt_embedder)()
        if model.dimension != PROMPT_EMBEDDING_DIMENSIONS:
            raise ValueError(
                f"the prompt model gives {model.dimension} dimensions; the catalog stores "
                f"{PROMPT_EMBEDDING_DIMENSIONS}"
            )
        return model.embed_prompts

    return load


@functools.cache
def shared_prompt_embedder() -> PromptEmbedder:
    """One :class:`PromptEmbedder` per process (its model, and torch, load on first use), so search and
    tests embedding prompts share one model. Not for concurrent use from several threads (a fast
    tokenizer refuses concurrent calls): :class:`QueryEmbedder` runs one call at a time, and the
    worker keeps a model of its own (``catalog.tasks``)."""
    return PromptEmbedder()


class QueryEmbedder:
    """Search text → unit vector, or ``None`` when the model is unavailable (:attr:`problem` says why)."""

    def __init__(self, load: LoadModel | None = None, *, cache_size: int = CACHE_SIZE) -> None:
        self._load = load or prompt_model_loader()
        self._embed: EmbedTexts | None = None
        self._problem: str | None = None
        self._lock = asyncio.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    @property
    def problem(self) -> str | None:
        """Why the model could not be loaded; ``None`` while it loaded fine or was never tried."""
        return self._problem

    async def vector(self, text: str) -> np.ndarray | None:
        cached = self._cached(text)
        if cached is not None or self._problem is not None:
            return cached
        async with self._lock:
            cached = self._cached(text)
            if cached is not None:
                return cached
            embed = await self._loaded()
            if embed is None:
                return None
            vectors = await asyncio.to_thread(embed, [text])
        vector = np.asarray(vectors[text], dtype=np.float32)
        self._cache[text] = vector
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return vector

    def _cached(self, text: str) -> np.ndarray | None:
        vector = self._cache.get(text)
        if vector is not None:
            self._cache.move_to_end(text)
        return vector

    async def _loaded(self) -> EmbedTexts | None:
        """The embedding function, loading the model first if needed (caller holds the lock)."""
        if self._embed is None and self._problem is None:
            try:
                self._embed = await asyncio.to_thread(self._load)
            except Exception as error:  # any failure to load (missing files, torch, …) means "no model"
                self._problem = (
                    f"the prompt embedding model could not be loaded ({type(error).__name__}: {error})"
                )
                logger.warning("search falls back to words: %s", self._problem)
        return self._embed
