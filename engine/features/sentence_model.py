"""One sentence-transformers model, loaded on first use and used by one thread at a time.

:class:`~engine.features.prompt_embedding.PromptEmbedder` and
:class:`~engine.features.visual_embedding.ClipImageEmbedder` hold one each.

Invariants:

- **loaded once per holder**, however many threads ask at the same moment (two worker jobs starting
  together loaded the model twice, ~90 MB and a second or two each);
- **one call at a time**: ``encode`` runs under the holder's lock (a fast tokenizer refuses concurrent
  calls — "Already borrowed" — and two jobs of one worker may embed in threads at once);
- **no progress bars**: transformers' "Loading weights" bar went to stderr, into the server's JSON log
  lines; loading turns transformers' bars off (process-wide: Atelier never wants them);
- ``sentence_transformers`` (and torch) are imported only when a model is loaded;
- never from the network when ``local_files_only``.
"""

from __future__ import annotations

import threading
from typing import Any


class SentenceModel:
    """A lazily loaded sentence-transformers model (``name_or_path`` on ``device``)."""

    def __init__(self, name_or_path: str, *, device: str = "cpu", local_files_only: bool = True) -> None:
        self._name_or_path = name_or_path
        self._device = device
        self._local_files_only = local_files_only
        self._model: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        """The model (call with the lock held)."""
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()
            self._model = SentenceTransformer(
                self._name_or_path, device=self._device, local_files_only=self._local_files_only
            )
        return self._model

    def dimension(self) -> int | None:
        """The model's embedding dimension, as it reports it (``None`` when it does not)."""
        with self._lock:
            model = self._loaded()
            getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            dimension = getter()
        return int(dimension) if dimension else None

    def encode(self, items: list[Any], *, batch_size: int) -> Any:
        """Unit vectors for ``items`` (texts or images), one row each, as the model returns them."""
        with self._lock:
            return self._loaded().encode(
                items,
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
