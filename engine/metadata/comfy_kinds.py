"""Which ComfyUI nodes are passes: a sampler (:func:`is_sampler`) makes a latent from noise and a
prompt, a detailer (:func:`is_detailer`) re-samples an *image* with its own seed and prompt.

Pure predicates over one API node (``{"class_type": str, "inputs": {...}}``): they never follow a
link, so :mod:`engine.metadata.comfygraph` and :mod:`engine.metadata.comfy_passes` can ask them about
any node, in any graph, cheaply.
"""

from __future__ import annotations

from typing import Any

from engine.metadata.comfy_nodes import (
    KNOWN_SAMPLERS,
    PIPE_INPUTS,
    PROVIDER_MARKER,
    SAMPLER_OBJECT_CONSUMER_LATENTS,
    SAMPLER_OBJECT_INPUTS,
    SAMPLER_SEED_KEYS,
    TEXT_EMBEDS_INPUTS,
)

DETAILER_PROMPT_INPUTS = ("positive", "detailer_pipe", "basic_pipe")
"""Where a detailer takes its prompts: its ``positive``, or Impact's DETAILER_PIPE (``FaceDetailerPipe``)
or BASIC_PIPE (``DetailerForEachPipe``, ``MaskDetailerPipe``, ``SEGSDetailer``) that carries them."""


def is_detailer(node: dict[str, Any]) -> bool:
    """A node that samples an *image* with its own seed and prompt (FaceDetailer, UltimateSDUpscale…):
    a seed, steps, an image, and a ``positive`` input or a pipe that carries it
    (``DETAILER_PROMPT_INPUTS``)."""
    inputs = node["inputs"]
    return (
        any(key in inputs for key in SAMPLER_SEED_KEYS)
        and "steps" in inputs
        and any(key in inputs for key in DETAILER_PROMPT_INPUTS)
        and any(key in inputs for key in ("image", "images", "pixels", "upscaled_image"))
    )


def is_sampler(node: dict[str, Any]) -> bool:
    """Known sampler classes; any ``*Sampler*`` node with a latent input and a step/seed input; any
    ``*KSampler*`` node that samples a pipe (Easy-Use's ``easy kSampler`` takes everything from its
    ``pipe``); and any ``*Sampler*`` node with ``steps``, a seed and its own conditioning (a
    ``positive`` or a ``TEXT_EMBEDS_INPUTS`` input): the video wrappers' samplers make their latent
    inside (kijai's ``CogVideoSampler``, ``WanVideoSampler``, ``HyVideoSampler``), so they have no
    latent input. A helper that only names a sampler (``KSamplerSelect``) has neither steps nor seed.

    A node that samples with a sampler another node made (``SAMPLER_OBJECT_INPUTS``: Impact's
    ``RegionalSampler``, ``TwoSamplersForMask``, ``IterativeLatentUpscale``) and takes a latent or image
    is a sampler; the node that made that sampler (``PROVIDER_MARKER``) never is one."""
    class_type = node["class_type"]
    if class_type in KNOWN_SAMPLERS:
        return True
    inputs = node["inputs"]
    lowered = class_type.lower()
    if PROVIDER_MARKER in lowered:
        return False
    if any(key in inputs for key in SAMPLER_OBJECT_INPUTS) and any(
        key in inputs for key in SAMPLER_OBJECT_CONSUMER_LATENTS
    ):
        return True
    if "sampler" not in lowered:
        return False
    if "ksampler" in lowered and any(key in inputs for key in PIPE_INPUTS):
        return True
    if ("latent_image" in inputs or "latent" in inputs) and any(
        key in inputs for key in ("steps", "sigmas", "seed", "noise_seed", "noise")
    ):
        return True
    return (
        "steps" in inputs
        and any(key in inputs for key in SAMPLER_SEED_KEYS)
        and any(key in inputs for key in ("positive", *TEXT_EMBEDS_INPUTS))
    )
