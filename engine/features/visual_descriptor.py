"""A cheap built-in visual descriptor of a thumbnail: colour histogram + tiny grayscale layout.

``visual_descriptor(image)`` takes a PIL image or an ``H×W×3`` (or ``H×W``) uint8 / float array and
returns a float32 vector of :data:`VISUAL_DESCRIPTOR_DIM` = 160 values with unit L2 norm:

- 96 values: a joint RGB histogram with 4 × 4 × 4 = 64 bins plus a 32-bin hue histogram (weighted by
  saturation, so greys do not vote for a hue), each square-rooted (Hellinger) and L2-normalised —
  "what colours";
- 64 values: the image reduced to 8 × 8 grayscale, mean-centred and L2-normalised — "where the light
  and dark masses are" (zero for a flat image).

The two parts are weighted 0.6 / 0.8 before the final normalisation, so the cosine of two descriptors
is 0.36 · colour cosine + 0.64 · layout cosine (≈ 1 for re-rolls of one composition, ≈ 0.3–0.6 for
unrelated images of similar palette). The image is first reduced to at most 64 × 64 pixels (box
filter), so the cost does not depend on the thumbnail size. Deterministic; no model.

Quality, documented: it sees palette and composition, not content — two portraits in different
lighting look less alike than two unrelated images in the same palette. Configure a CLIP model
(``engine.features.clip_embedding``) for semantic visual similarity.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

VISUAL_DESCRIPTOR_DIM = 160
_WORKING_SIZE = 64
_COLOUR_WEIGHT = 0.6
_LAYOUT_WEIGHT = 0.8


def _rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """``image`` as a float array in [0, 1] of shape (h, w, 3), at most 64 × 64."""
    if isinstance(image, np.ndarray):
        array = image
        if array.ndim == 2:
            array = np.repeat(array[:, :, None], 3, axis=2)
        if array.ndim != 3 or array.shape[2] < 3:
            raise ValueError(f"expected an H×W×3 array, got shape {array.shape}")
        array = array[:, :, :3]
        if array.dtype != np.uint8:
            scale = 255.0 if float(np.nanmax(array)) <= 1.0 else 1.0
            array = np.clip(np.nan_to_num(array.astype(np.float64)) * scale, 0, 255).astype(np.uint8)
        picture = Image.fromarray(array, mode="RGB")
    else:
        picture = image.convert("RGB")
    if picture.width > _WORKING_SIZE or picture.height > _WORKING_SIZE:
        picture = picture.copy()
        picture.thumbnail((_WORKING_SIZE, _WORKING_SIZE), Image.Resampling.BOX)
    return np.asarray(picture, dtype=np.float64) / 255.0


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def visual_descriptor(image: Image.Image | np.ndarray) -> np.ndarray:
    """The 160-dimensional unit descriptor of ``image`` (see the module docstring)."""
    rgb = _rgb_array(image)
    pixels = rgb.reshape(-1, 3)

    bins = np.minimum((pixels * 4).astype(np.int64), 3)
    joint = np.bincount(bins[:, 0] * 16 + bins[:, 1] * 4 + bins[:, 2], minlength=64).astype(np.float64)

    maximum = pixels.max(axis=1)
    minimum = pixels.min(axis=1)
    chroma = maximum - minimum
    saturation = np.where(maximum > 0, chroma / np.where(maximum > 0, maximum, 1.0), 0.0)
    hue = _hue(pixels, maximum, chroma)
    hue_bins = np.minimum((hue * 32).astype(np.int64), 31)
    hues = np.bincount(hue_bins, weights=saturation, minlength=32)

    colour = np.concatenate((_unit(np.sqrt(joint / max(1.0, joint.sum()))), _unit(np.sqrt(hues))))
    colour = _unit(colour)

    gray = Image.fromarray((rgb.mean(axis=2) * 255).astype(np.uint8), mode="L").resize(
        (8, 8), Image.Resampling.BOX
    )
    layout = np.asarray(gray, dtype=np.float64).ravel() / 255.0
    layout = _unit(layout - layout.mean())

    descriptor = np.concatenate((_COLOUR_WEIGHT * colour, _LAYOUT_WEIGHT * layout))
    return _unit(descriptor).astype(np.float32)


def _hue(pixels: np.ndarray, maximum: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """Hue in [0, 1) per pixel (0 where the pixel is grey)."""
    red, green, blue = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    safe = np.where(chroma > 0, chroma, 1.0)
    hue = np.where(
        maximum == red,
        ((green - blue) / safe) % 6.0,
        np.where(maximum == green, (blue - red) / safe + 2.0, (red - green) / safe + 4.0),
    )
    return np.where(chroma > 0, hue / 6.0, 0.0) % 1.0
