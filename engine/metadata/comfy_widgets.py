"""Widget names of ComfyUI nodes, in the order the frontend stores their values in a UI workflow's
positional ``widgets_values`` (the order of the node's ``INPUT_TYPES``, required then optional).

A name ending in ``+`` is an integer widget the frontend follows with its own
``control_after_generate`` value (``"fixed"``, ``"randomize"`` …), which is no input of the node: the
value after it belongs to the next name. Only nodes whose values the graph walker reads are listed;
the widgets of any other node are not named (its links still are).
"""

from __future__ import annotations

_LATENT_SIZE = ("width", "height", "batch_size")
_VIDEO_SIZE = ("width", "height", "length", "batch_size")

WIDGET_NAMES: dict[str, tuple[str, ...]] = {
    "KSampler": ("seed+", "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "KSamplerAdvanced": (
        "add_noise",
        "noise_seed+",
        "steps",
        "cfg",
        "sampler_name",
        "scheduler",
        "start_at_step",
        "end_at_step",
        "return_with_leftover_noise",
    ),
    "SamplerCustom": ("add_noise", "noise_seed+", "cfg"),
    "RandomNoise": ("noise_seed+",),
    "KSamplerSelect": ("sampler_name",),
    "BasicScheduler": ("scheduler", "steps", "denoise"),
    "SDTurboScheduler": ("steps", "denoise"),
    "AlignYourStepsScheduler": ("model_type", "steps", "denoise"),
    "CFGGuider": ("cfg",),
    "DualCFGGuider": ("cfg_conds", "cfg_cond2_negative"),
    "FluxGuidance": ("guidance",),
    "CheckpointLoaderSimple": ("ckpt_name",),
    "CheckpointLoader": ("config_name", "ckpt_name"),
    "ImageOnlyCheckpointLoader": ("ckpt_name",),
    "unCLIPCheckpointLoader": ("ckpt_name",),
    "UNETLoader": ("unet_name", "weight_dtype"),
    "UnetLoaderGGUF": ("unet_name",),
    "VAELoader": ("vae_name",),
    "CLIPLoader": ("clip_name", "type", "device"),
    "DualCLIPLoader": ("clip_name1", "clip_name2", "type", "device"),
    "TripleCLIPLoader": ("clip_name1", "clip_name2", "clip_name3"),
    "QuadrupleCLIPLoader": ("clip_name1", "clip_name2", "clip_name3", "clip_name4"),
    "CLIPLoaderGGUF": ("clip_name", "type"),
    "DualCLIPLoaderGGUF": ("clip_name1", "clip_name2", "type"),
    "CLIPSetLastLayer": ("stop_at_clip_layer",),
    "LoraLoader": ("lora_name", "strength_model", "strength_clip"),
    "LoraLoaderModelOnly": ("lora_name", "strength_model"),
    "CLIPTextEncode": ("text",),
    "CLIPTextEncodeSDXL": (
        "width",
        "height",
        "crop_w",
        "crop_h",
        "target_width",
        "target_height",
        "text_g",
        "text_l",
    ),
    "CLIPTextEncodeSDXLRefiner": ("ascore", "width", "height", "text"),
    "CLIPTextEncodeFlux": ("clip_l", "t5xxl", "guidance"),
    "CLIPTextEncodeSD3": ("clip_l", "clip_g", "t5xxl", "empty_padding"),
    "CLIPTextEncodeHiDream": ("clip_l", "clip_g", "t5xxl", "llama"),
    "CLIPTextEncodeLumina2": ("system_prompt", "user_prompt"),
    "TextEncodeQwenImageEdit": ("prompt",),
    "ConditioningSetTimestepRange": ("start", "end"),
    "EmptyLatentImage": _LATENT_SIZE,
    "EmptySD3LatentImage": _LATENT_SIZE,
    "EmptyHunyuanLatentVideo": _VIDEO_SIZE,
    "EmptyLTXVLatentVideo": _VIDEO_SIZE,
    "EmptyMochiLatentVideo": _VIDEO_SIZE,
    "EmptyCosmosLatentVideo": _VIDEO_SIZE,
    "WanImageToVideo": _VIDEO_SIZE,
    "LatentUpscale": ("upscale_method", "width", "height", "crop"),
    "LatentUpscaleBy": ("upscale_method", "scale_by"),
    "ImageScale": ("upscale_method", "width", "height", "crop"),
    "ImageScaleBy": ("upscale_method", "scale_by"),
    "ModelSamplingSD3": ("shift",),
    "ModelSamplingAuraFlow": ("shift",),
    "ModelSamplingFlux": ("max_shift", "base_shift", "width", "height"),
    "ModelSamplingDiscrete": ("sampling", "zsnr"),
    "LoadImage": ("image",),
    "LoadImageOutput": ("image",),
    "SaveImage": ("filename_prefix",),
    "SaveAnimatedWEBP": ("filename_prefix", "fps", "lossless", "quality", "method"),
    "SaveAnimatedPNG": ("filename_prefix", "fps", "compress_level"),
    "UpscaleModelLoader": ("model_name",),
    "PrimitiveString": ("value",),
    "PrimitiveStringMultiline": ("value",),
    "PrimitiveFloat": ("value",),
    "PrimitiveBoolean": ("value",),
    "PrimitiveInt": ("value+",),
}

VIRTUAL_NODES = frozenset({"Note", "MarkdownNote", "Reroute", "PrimitiveNode"})
"""Frontend-only node types: never sent to the server (a ``PrimitiveNode`` gives its value to the
widgets it is linked to, a ``Reroute`` passes its link on)."""
