"""Model and LoRA names as files: one list of weights-file extensions and one stem rule for the engine
(session codes, optimization labels, the Curator's grounding)."""

from __future__ import annotations

WEIGHTS_FILE_EXTENSIONS = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf")
"""Extensions of model / LoRA weight files, lower-case."""


def model_file_stem(name: str) -> str:
    """``models/SDXL/sd_xl_base_1.0.safetensors`` → ``sd_xl_base_1.0``: no folder (``/`` or ``\\``), no
    weights-file extension (any case), surrounding blanks stripped, the case kept (a model's or LoRA's
    name as an artist knows it)."""
    stem = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    lowered = stem.lower()
    for extension in WEIGHTS_FILE_EXTENSIONS:
        if lowered.endswith(extension):
            return stem[: -len(extension)]
    return stem


def is_weights_file_name(text: str) -> bool:
    """Whether ``text`` ends with a weights-file extension (any case)."""
    return text.lower().endswith(WEIGHTS_FILE_EXTENSIONS)
