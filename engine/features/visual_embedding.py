"""Visual embeddings of thumbnails, keyed by record id — what ``analyze_records(visual_embeddings=…)``
takes: the built-in descriptor by default, a CLIP model through sentence-transformers when configured.

- :func:`descriptor_embeddings`: :func:`engine.features.visual_descriptor.visual_descriptor` per image
  (160 dims, no model, ~1 ms per thumbnail);
- :class:`ClipImageEmbedder`: a sentence-transformers CLIP model (a local directory or a model name;
  loaded lazily on first use, never from the network unless ``local_files_only=False``), images
  embedded in batches, vectors L2-normalised (512 dims for ViT-B/32);
- :func:`visual_embedder`: the configured one as a single callable (``clip_model=None`` → built-in).

Invariants: the output maps each given id to a float32 unit vector; all vectors of one embedder have
the same dimension; nothing is cached at module level.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from engine.features.sentence_model import SentenceModel
from engine.features.visual_descriptor import visual_descriptor

Thumbnail = Image.Image | np.ndarray
VisualEmbedder = Callable[[Mapping[str, Thumbnail]], dict[str, np.ndarray]]


def descriptor_embeddings(images: Mapping[str, Thumbnail]) -> dict[str, np.ndarray]:
    """The built-in descriptor of each thumbnail, by record id."""
    return {record_id: visual_descriptor(image) for record_id, image in images.items()}


class ClipImageEmbedder:
    """Image embeddings from a CLIP model loaded with sentence-transformers."""

    def __init__(
        self,
        model_name_or_path: str | Path,
        *,
        batch_size: int = 32,
        device: str = "cpu",
        local_files_only: bool = True,
    ) -> None:
        self._batch_size = batch_size
        self._model = SentenceModel(str(model_name_or_path), device=device, local_files_only=local_files_only)

    def __call__(self, images: Mapping[str, Thumbnail]) -> dict[str, np.ndarray]:
        return self.embed_images(images)

    def embed_images(self, images: Mapping[str, Thumbnail]) -> dict[str, np.ndarray]:
        """Record id → unit CLIP image embedding."""
        if not images:
            return {}
        ids = list(images)
        pictures = [_as_pil(images[record_id]) for record_id in ids]
        vectors = self._model.encode(pictures, batch_size=self._batch_size)
        matrix = np.asarray(vectors, dtype=np.float32)
        return {record_id: matrix[i] for i, record_id in enumerate(ids)}


def _as_pil(image: Thumbnail) -> Image.Image:
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    array = np.asarray(image)
    if array.dtype != np.uint8:
        array = np.clip(array * (255.0 if float(array.max(initial=0)) <= 1.0 else 1.0), 0, 255).astype(
            np.uint8
        )
    return Image.fromarray(array[:, :, :3] if array.ndim == 3 else array).convert("RGB")


def visual_embedder(clip_model: str | Path | None = None, **clip_options: Any) -> VisualEmbedder:
    """The configured visual embedder: a CLIP model when ``clip_model`` is given, else the built-in."""
    if clip_model is None:
        return descriptor_embeddings
    return ClipImageEmbedder(clip_model, **clip_options)
