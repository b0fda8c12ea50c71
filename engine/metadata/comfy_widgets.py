"""Widget names of ComfyUI nodes, in the order the frontend stores their values in a UI workflow's
positional ``widgets_values`` (the order of the node's ``INPUT_TYPES``, required then optional).

A name ending in ``+`` is an integer widget the frontend follows with its own
``control_after_generate`` value (``"fixed"``, ``"randomize"`` …), which is no input of the node: the
value after it belongs to the next name (a ``null`` there is a control widget some packs blanked,
Efficiency's seed). Only nodes whose values the graph walker reads are listed, each from its pack's
public ``INPUT_TYPES``; the widgets of any other node are not named (its links still are).
"""

from __future__ import annotations

from typing import Any, NamedTuple

_LATENT_SIZE = ("width", "height", "batch_size")
_VIDEO_SIZE = ("width", "height", "length", "batch_size")


def _rows(count: int, *fields: str) -> tuple[str, ...]:
    """``field_1 … field_count`` row by row: the numbered widgets of a stack node."""
    return tuple(f"{field}_{row}" for row in range(1, count + 1) for field in fields)


_EFF_PROMPTS = ("positive", "negative", "token_normalization", "weight_interpretation")
_EFF_LATENT = ("empty_latent_width", "empty_latent_height", "batch_size")
_EFF_SAMPLER = ("steps", "cfg", "sampler_name", "scheduler")
_EFF_OUTPUT = ("preview_method", "vae_decode")
_LORA_LOADER_HEAD = (
    "ckpt_name",
    "vae_name",
    "clip_skip",
    "lora_name",
    "lora_model_strength",
    "lora_clip_strength",
)
"""How Efficiency's and Easy-Use's checkpoint-and-LoRA loaders begin."""
_EASY_LOADER = (*_LORA_LOADER_HEAD, "resolution", "empty_latent_width", "empty_latent_height")
_DETAILER = ("guide_size", "guide_size_for", "max_size", "seed+", *_EFF_SAMPLER, "denoise")
"""How Impact's ``FaceDetailer`` and ``DetailerForEach`` begin (their detector settings follow)."""
_USDU_TAIL = (
    "seed+",
    *_EFF_SAMPLER,
    "denoise",
    "mode_type",
    "tile_width",
    "tile_height",
    "mask_blur",
    "tile_padding",
    "seam_fix_mode",
    "seam_fix_denoise",
    "seam_fix_width",
    "seam_fix_mask_blur",
    "seam_fix_padding",
    "force_uniform_tiles",
    "tiled_decode",
    "batch_size",
)
"""ssitu's ``UltimateSDUpscale`` widgets after ``upscale_by`` (``USDU_base_inputs``: the sampling
settings, then tiling and seam fix; ``upscale_model`` is a link; ``force_uniform_tiles`` /
``tiled_decode`` came in 2024, ``batch_size`` in 2026, each at the end, so older files simply stop
earlier)."""
_INSPIRE_VARIATION = ("batch_seed_mode", "variation_seed", "variation_strength")
_INSPIRE_NOISE = (*_INSPIRE_VARIATION, "variation_method", "internal_seed")
"""How the Inspire samplers end (``variation_method`` and ``internal_seed`` came later, at the end;
the pipe samplers have no ``variation_method``)."""

_SEARGE_BASE_SIZE = ("base_width", "base_height", "crop_w", "crop_h", "target_width", "target_height")
_SEARGE_REFINER_SIZE = ("pos_ascore", "neg_ascore", "refiner_width", "refiner_height")
"""The size and aesthetic-score widgets of Searge's SDXL prompt encoders, after their texts."""

_BFL_ULTRA = ("prompt", "prompt_upsampling", "seed+", "aspect_ratio", "raw", "image_prompt_strength")
_BFL_KONTEXT = ("prompt", "aspect_ratio", "guidance", "steps", "seed+", "prompt_upsampling")
_BFL_FLUX2 = ("prompt", "width", "height", "seed+", "prompt_upsampling")
"""comfy_api_nodes/nodes_bfl.py: FLUX 1.1 [pro] Ultra, FLUX.1 Kontext [pro] / [max] (one schema) and
FLUX.2 [pro] / [max] (one schema)."""

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
    # comfy_extras/nodes_custom_sampler.py, nodes_gits.py, nodes_optimalsteps.py: the other SIGMAS
    # sources with a step count (their model input is a link); nodes_flux.py: FLUX.2's scheduler sizes
    # its shift by the image
    "KarrasScheduler": ("steps", "sigma_max", "sigma_min", "rho"),
    "ExponentialScheduler": ("steps", "sigma_max", "sigma_min"),
    "PolyexponentialScheduler": ("steps", "sigma_max", "sigma_min", "rho"),
    "LaplaceScheduler": ("steps", "sigma_max", "sigma_min", "mu", "beta"),
    "VPScheduler": ("steps", "beta_d", "beta_min", "eps_s"),
    "BetaSamplingScheduler": ("steps", "alpha", "beta"),
    "GITSScheduler": ("coeff", "steps", "denoise"),
    "OptimalStepsScheduler": ("model_type", "steps", "denoise"),
    "Flux2Scheduler": ("steps", "width", "height"),
    # comfy_extras/nodes_lt.py (its latent input is a link)
    "LTXVScheduler": ("steps", "max_shift", "base_shift", "stretch", "terminal"),
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
    "CLIPTextEncodeHunyuanDiT": ("bert", "mt5xl"),
    "CLIPTextEncodeKandinsky5": ("clip_l", "qwen25_7b"),
    "TextEncodeHunyuanVideo_ImageToVideo": ("prompt", "image_interleave"),
    "TextEncodeQwenImageEdit": ("prompt",),
    "TextEncodeQwenImageEditPlus": ("prompt",),
    # FLUX.2 dev with a system prompt (define_schema: clip link, prompt, system_prompt)
    "TextEncodeFlux2SystemPrompt": ("prompt", "system_prompt"),
    # kijai ComfyUI-WanVideoWrapper nodes.py: the encoders (t5 and model_to_offload are links; older
    # versions had t5 required and stopped after force_offload), the model loader and the sampler's
    # required widgets (its seed gets the frontend's control widget; the optional ones that follow
    # changed between versions and are not named)
    "WanVideoTextEncode": ("positive_prompt", "negative_prompt", "force_offload", "use_disk_cache", "device"),
    "WanVideoTextEncodeSingle": ("prompt", "force_offload", "use_disk_cache", "device"),
    "WanVideoModelLoader": ("model", "base_precision", "quantization", "load_device"),
    "WanVideoSampler": (
        "steps",
        "cfg",
        "shift",
        "seed+",
        "force_offload",
        "scheduler",
        "riflex_freq_index",
    ),
    # its LoRA selector (nodes_model_loading.py WanVideoLoraSelect: lora, strength; prev_lora and blocks
    # are links; low_mem_load and merge_loras came later, at the end)
    "WanVideoLoraSelect": ("lora", "strength", "low_mem_load", "merge_loras"),
    # kijai/ComfyUI-CogVideoXWrapper nodes.py / model_loading.py: the loader's ``model`` choice (its
    # first, model-less version: SHORT_LAYOUTS), the encoder (clip is a link), the sampler (its
    # layouts: CONTROL_LAYOUTS)
    "DownloadAndLoadCogVideoModel": ("model", "precision"),
    "CogVideoTextEncode": ("prompt", "strength", "force_offload"),
    "CogVideoSampler": (
        "height",
        "width",
        "num_frames",
        "steps",
        "cfg",
        "seed+",
        "scheduler",
        "denoise_strength",
    ),
    # BlenderNeko ComfyUI_ADV_CLIP_emb (nodes.py AdvancedCLIPTextEncode; clip is a link)
    "BNK_CLIPTextEncodeAdvanced": ("text", "token_normalization", "weight_interpretation"),
    "ConditioningSetTimestepRange": ("start", "end"),
    # nodes.py ConditioningAverage (conditioning_to / conditioning_from are links)
    "ConditioningAverage": ("conditioning_to_strength",),
    # the one-text constants prompts come from: JPS' ``Text Prompt (JPS)`` (jps_nodes.py Text_Prompt),
    # Comfyroll's ``CR Text`` (nodes/nodes_utils_text.py CR_Text)
    "Text Prompt (JPS)": ("text",),
    "CR Text": ("text",),
    "EmptyLatentImage": _LATENT_SIZE,
    "EmptySD3LatentImage": _LATENT_SIZE,
    "EmptyFlux2LatentImage": _LATENT_SIZE,
    "EmptyHunyuanImageLatent": _LATENT_SIZE,
    "EmptyHunyuanLatentVideo": _VIDEO_SIZE,
    "EmptyLTXVLatentVideo": _VIDEO_SIZE,
    "EmptyMochiLatentVideo": _VIDEO_SIZE,
    "EmptyCosmosLatentVideo": _VIDEO_SIZE,
    # the latents of 2025-26 templates' families, each named first in its define_schema (comfy_extras
    # nodes_hunyuan.py: HunyuanVideo 1.5's empty latent reuses EmptyHunyuanLatentVideo's schema, the
    # I2V nodes take conditioning and vae as links; nodes_lt.py LTXVImgToVideo; nodes_kandinsky5.py;
    # nodes_cosmos.py; nodes_chroma_radiance.py; nodes_qwen.py's layered latent; nodes_stable_cascade.py)
    "EmptyHunyuanVideo15Latent": _VIDEO_SIZE,
    "HunyuanVideo15ImageToVideo": _VIDEO_SIZE,
    "HunyuanImageToVideo": (*_VIDEO_SIZE, "guidance_type"),
    "LTXVImgToVideo": (*_VIDEO_SIZE, "strength"),
    "Kandinsky5ImageToVideo": _VIDEO_SIZE,
    "CosmosPredict2ImageToVideoLatent": _VIDEO_SIZE,
    "EmptyChromaRadianceLatentImage": _LATENT_SIZE,
    "EmptyQwenImageLayeredLatentImage": ("width", "height", "layers", "batch_size"),
    "StableCascade_EmptyLatentImage": ("width", "height", "compression", "batch_size"),
    # comfy_extras/nodes_wan.py: the Wan conditioning nodes that make the latent name its size first
    # (their conditioning, vae and images are links; the track node's tracks JSON comes before it);
    # VACE adds a strength, Animate its motion-window settings; Wan 2.2's 5B latent node takes only
    # the vae
    "WanImageToVideo": _VIDEO_SIZE,
    "WanFirstLastFrameToVideo": _VIDEO_SIZE,
    "WanFunControlToVideo": _VIDEO_SIZE,
    "WanFunInpaintToVideo": _VIDEO_SIZE,
    "WanCameraImageToVideo": _VIDEO_SIZE,
    "WanPhantomSubjectToVideo": _VIDEO_SIZE,
    "WanVaceToVideo": (*_VIDEO_SIZE, "strength"),
    "WanAnimateToVideo": (*_VIDEO_SIZE, "continue_motion_max_frames", "video_frame_offset"),
    "WanTrackToVideo": ("tracks", *_VIDEO_SIZE, "temperature", "topk"),
    "Wan22ImageToVideoLatent": _VIDEO_SIZE,
    "Wan22FunControlToVideo": _VIDEO_SIZE,
    # the audio-driven ones (S2V's audio, reference image, control video and motion frames, HuMo's
    # audio and reference image are links; Comfy-Org workflow_templates site/knowledge/nodes
    # WanSoundImageToVideo.md / WanHuMoImageToVideo.md, source comfy_extras/nodes_wan.py)
    "WanSoundImageToVideo": _VIDEO_SIZE,
    "WanHuMoImageToVideo": _VIDEO_SIZE,
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
    # comfy_extras/nodes_string.py
    "StringConcatenate": ("string_a", "string_b", "delimiter"),
    # the number and text constants of packs artists feed sampler settings from: Crystools
    # (nodes/primitive.py CInteger / CFloat / CText / CTextML / CBoolean), LayerStyle's LayerUtility
    # data nodes (py/data_nodes.py IntegerNode / FloatNode / StringNode / TextBoxNode), essentials'
    # ``SimpleMath+`` (misc.py SimpleMath: its ``value`` expression; a, b, c are sockets)
    "Primitive integer [Crystools]": ("int",),
    "Primitive float [Crystools]": ("float",),
    "Primitive string [Crystools]": ("string",),
    "Primitive string multiline [Crystools]": ("string",),
    "Primitive boolean [Crystools]": ("boolean",),
    "LayerUtility: Integer": ("int_value",),
    "LayerUtility: Float": ("float_value",),
    "LayerUtility: String": ("string",),
    "LayerUtility: TextBox": ("text",),
    "SimpleMath+": ("value",),
    # pysssss ComfyUI-Custom-Scripts py/better_combos.py: the core loaders' widgets, each name saved as
    # ``{"content": name, "image": preview}`` (newer versions add a hidden ``prompt`` after them)
    "CheckpointLoader|pysssss": ("ckpt_name",),
    "LoraLoader|pysssss": ("lora_name", "strength_model", "strength_clip"),
    # nunchaku-tech/ComfyUI-nunchaku (nodes/models/flux.py, qwenimage.py, nodes/lora/flux.py; the
    # model input of the LoRA loader is a link)
    "NunchakuFluxDiTLoader": (
        "model_path",
        "cache_threshold",
        "attention",
        "cpu_offload",
        "device_id",
        "data_type",
        "i2f_mode",
    ),
    "NunchakuQwenImageDiTLoader": ("model_name", "cpu_offload", "num_blocks_on_gpu", "use_pin_memory"),
    "NunchakuFluxLoraLoader": ("lora_name", "lora_strength"),
    # efficiency-nodes-comfyui (jags111 efficiency_nodes.py TSC_* INPUT_TYPES)
    "Efficient Loader": (*_LORA_LOADER_HEAD, *_EFF_PROMPTS, *_EFF_LATENT),
    "Eff. Loader SDXL": (
        "base_ckpt_name",
        "base_clip_skip",
        "refiner_ckpt_name",
        "refiner_clip_skip",
        "positive_ascore",
        "negative_ascore",
        "vae_name",
        *_EFF_PROMPTS,
        *_EFF_LATENT,
    ),
    "KSampler (Efficient)": ("seed+", *_EFF_SAMPLER, "denoise", *_EFF_OUTPUT),
    "KSampler Adv. (Efficient)": (
        "add_noise",
        "noise_seed+",
        *_EFF_SAMPLER,
        "start_at_step",
        "end_at_step",
        "return_with_leftover_noise",
        *_EFF_OUTPUT,
    ),
    "KSampler SDXL (Eff.)": ("noise_seed+", *_EFF_SAMPLER, "start_at_step", "refine_at_step", *_EFF_OUTPUT),
    "LoRA Stacker": ("input_mode", "lora_count", *_rows(50, "lora_name", "lora_wt", "model_str", "clip_str")),
    # ComfyUI-Impact-Pack (ltdrdata): the detailers' widgets up to their denoise (positive/negative are
    # links; the rest are detector settings), the pipe samplers, the wildcard encoders
    "FaceDetailer": _DETAILER,
    "FaceDetailerPipe": _DETAILER,
    "DetailerForEach": _DETAILER,
    # modules/impact/impact_pack.py DetailerForEachPipe and segs_nodes.py SEGSDetailer: image and segs
    # are links, then the detailer widgets (their basic_pipe is a link among the later ones)
    "DetailerForEachPipe": _DETAILER,
    "SEGSDetailer": _DETAILER,
    # impact_pack.py PixelKSampleUpscalerProviderPipe (the UPSCALER IterativeLatentUpscale samples with;
    # basic_pipe is a link, tile_size came later, after it)
    "PixelKSampleUpscalerProviderPipe": (
        "scale_method",
        "seed+",
        *_EFF_SAMPLER,
        "denoise",
        "use_tiled_vae",
        "tile_size",
    ),
    # modules/impact/logics.py: ImpactConditionalBranch's BOOLEAN ``cond`` (a forceInput socket in some
    # versions, so no value is saved; tt_value / ff_value are links), ImpactCompare's ``cmp`` choice
    # (a and b are links), the ImpactInt / ImpactBoolean constants
    "ImpactConditionalBranch": ("cond",),
    "ImpactCompare": ("cmp",),
    "ImpactInt": ("value",),
    "ImpactBoolean": ("value",),
    # modules/impact/util_nodes.py GeneralSwitch (``ImpactSwitch``: input1… are links)
    "ImpactSwitch": ("select", "sel_mode"),
    # impact_pack.py MaskDetailerPipe (image, mask and basic_pipe are links; ``mask_mode`` comes before
    # the seed; the optional inpaint_model, noise_mask_feather, bbox_fill, contour_fill came later, at
    # the end)
    "MaskDetailerPipe": (
        "guide_size",
        "guide_size_for",
        "max_size",
        "mask_mode",
        "seed+",
        *_EFF_SAMPLER,
        "denoise",
        "feather",
        "crop_factor",
        "drop_size",
        "refiner_ratio",
        "batch_size",
        "cycle",
        "inpaint_model",
        "noise_mask_feather",
        "bbox_fill",
        "contour_fill",
    ),
    "ImpactKSamplerBasicPipe": ("seed+", *_EFF_SAMPLER, "denoise"),
    "ImpactKSamplerAdvancedBasicPipe": (
        "add_noise",
        "noise_seed+",
        *_EFF_SAMPLER,
        "start_at_step",
        "end_at_step",
        "return_with_leftover_noise",
    ),
    "ImpactWildcardEncode": (
        "wildcard_text",
        "populated_text",
        "mode",
        "Select to add LoRA",
        "Select to add Wildcard",
        "seed+",
    ),
    "ImpactWildcardProcessor": ("wildcard_text", "populated_text", "mode", "seed+", "Select to add Wildcard"),
    # ssitu/ComfyUI_UltimateSDUpscale (nodes.py: NoUpscale drops upscale_by and upscale_model)
    "UltimateSDUpscale": ("upscale_by", *_USDU_TAIL),
    "UltimateSDUpscaleNoUpscale": _USDU_TAIL,
    # cubiq/ComfyUI_IPAdapter_plus (IPAdapterPlus.py IPAdapterUnifiedLoaderFaceID: model is a link)
    "IPAdapterUnifiedLoaderFaceID": ("preset", "lora_strength", "provider"),
    # ComfyUI-Inspire-Pack (ltdrdata inspire/a1111_compat.py KSampler_inspire, KSamplerAdvanced_inspire,
    # their pipe versions, RandomNoise: the core sampler's widgets, then the noise settings;
    # internal_seed has no control widget; prompt_support.py WildcardEncodeInspire)
    "KSampler //Inspire": (
        "seed+",
        *_EFF_SAMPLER,
        "denoise",
        "noise_mode",
        *_INSPIRE_NOISE,
    ),
    "KSamplerAdvanced //Inspire": (
        "add_noise",
        "noise_seed+",
        *_EFF_SAMPLER,
        "start_at_step",
        "end_at_step",
        "noise_mode",
        "return_with_leftover_noise",
        *_INSPIRE_NOISE,
    ),
    "KSamplerPipe //Inspire": (
        "seed+",
        *_EFF_SAMPLER,
        "denoise",
        "noise_mode",
        *_INSPIRE_VARIATION,
        "internal_seed",
    ),
    "KSamplerAdvancedPipe //Inspire": (
        "add_noise",
        "noise_seed+",
        *_EFF_SAMPLER,
        "start_at_step",
        "end_at_step",
        "noise_mode",
        "return_with_leftover_noise",
        *_INSPIRE_VARIATION,
        "internal_seed",
    ),
    "RandomNoise //Inspire": ("noise_seed+", "noise_mode", *_INSPIRE_NOISE),
    # inspire/regional_nodes.py RegionalPromptSimple (basic_pipe and mask are links; sigma_factor and
    # the variation settings came later, at the end)
    "RegionalPromptSimple //Inspire": (
        "cfg",
        "sampler_name",
        "scheduler",
        "wildcard_prompt",
        "controlnet_in_pipe",
    ),
    "WildcardEncode //Inspire": (
        "token_normalization",
        "weight_interpretation",
        "wildcard_text",
        "populated_text",
        "mode",
        "Select to add LoRA",
        "Select to add Wildcard",
        "seed+",
    ),
    # rgthree-comfy (py/power_prompt.py, power_prompt_simple.py, seed.py: the Seed's three buttons
    # follow its value and are no control widget; ksampler_config.py, sdxl_empty_latent_image.py)
    "KSampler Config (rgthree)": ("steps_total", "refiner_step", "cfg", "sampler_name", "scheduler"),
    "SDXL Empty Latent Image (rgthree)": ("dimensions", "clip_scale", "batch_size"),
    "Power Prompt (rgthree)": ("prompt", "insert_lora", "insert_embedding", "insert_saved"),
    "Power Prompt - Simple (rgthree)": ("prompt", "insert_embedding", "insert_saved"),
    # py/sdxl_power_prompt_postive.py, sdxl_power_prompt_simple.py: opt_clip_width/height are forceInput
    # (links, no widget); the target/crop widgets the UI hides still hold values
    "SDXL Power Prompt - Positive (rgthree)": (
        "prompt_g",
        "prompt_l",
        "insert_lora",
        "insert_embedding",
        "insert_saved",
        "target_width",
        "target_height",
        "crop_width",
        "crop_height",
    ),
    "SDXL Power Prompt - Simple / Negative (rgthree)": (
        "prompt_g",
        "prompt_l",
        "insert_embedding",
        "insert_saved",
        "target_width",
        "target_height",
        "crop_width",
        "crop_height",
    ),
    "Seed (rgthree)": ("seed",),
    # willmiao/ComfyUI-Lora-Manager py/nodes/lora_loader.py (``text``; web/comfyui/lora_loader.js takes
    # over the ``loras`` list widget after it), trigger_word_toggle.py (three BOOLEAN widgets;
    # web/comfyui/trigger_word_toggle.js adds the ``toggle_trigger_words`` list and the hidden
    # ``orinalMessage`` text after them), prompt.py (``text``; clip and trigger_words* are sockets)
    "Lora Loader (LoraManager)": ("text", "loras"),
    "TriggerWord Toggle (LoraManager)": (
        "group_mode",
        "default_active",
        "allow_strength_adjustment",
        "toggle_trigger_words",
        "orinalMessage",
    ),
    "Prompt (LoraManager)": ("text",),
    # stavsap/comfyui-ollama OllamaGenerateV2 (system, prompt, then thinking / context / format switches
    # that changed between versions; connectivity and images are links)
    "OllamaGenerateV2": ("system", "prompt"),
    # the prompt generators whose artist's words the reader keeps: 1038lab/ComfyUI-QwenVL
    # AILab_QwenVL_PromptEnhancer (its model settings, then ``prompt_text``; keep_last_prompt,
    # stream_tokens_to_terminal and enable_thinking came later, at the end), comfy_api_nodes
    # nodes_openai.py OpenAIChatNode (images, files and advanced_options are links)
    "AILab_QwenVL_PromptEnhancer": (
        "model_name",
        "quantization",
        "attention_mode",
        "use_torch_compile",
        "device",
        "prompt_text",
        "enhancement_style",
        "custom_system_prompt",
        "max_tokens",
        "temperature",
        "top_p",
        "repetition_penalty",
        "keep_model_loaded",
        "seed+",
        "keep_last_prompt",
        "stream_tokens_to_terminal",
        "enable_thinking",
    ),
    "OpenAIChatNode": ("prompt", "persist_context", "model"),
    # Partner (API) image nodes, comfyanonymous/ComfyUI comfy_api_nodes (define_schema inputs; images,
    # masks and files are links; every seed has control_after_generate). nodes_openai.py: OpenAI's
    # ``model`` choice came last, in 2025
    "OpenAIDalle2": ("prompt", "seed+", "size", "n"),
    "OpenAIDalle3": ("prompt", "seed+", "quality", "style", "size"),
    "OpenAIGPTImage1": ("prompt", "seed+", "quality", "background", "size", "n", "model"),
    "OpenAIGPTImage2": (
        "prompt",
        "seed+",
        "quality",
        "background",
        "size",
        "custom_width",
        "custom_height",
        "num_images",
        "model",
    ),
    # nodes_gemini.py: Nano Banana and Nano Banana Pro (whose ``system_prompt`` came last, in 2026)
    "GeminiImageNode": ("prompt", "model", "seed+", "aspect_ratio", "response_modalities"),
    "GeminiImage2Node": (
        "prompt",
        "model",
        "seed+",
        "aspect_ratio",
        "resolution",
        "response_modalities",
        "system_prompt",
    ),
    # Nano Banana 2's first node (its V2 puts the size settings inside a dynamic model combo)
    "GeminiNanoBanana2": (
        "prompt",
        "model",
        "seed+",
        "aspect_ratio",
        "resolution",
        "response_modalities",
        "thinking_level",
        "system_prompt",
    ),
    # nodes_bfl.py (Black Forest Labs)
    "FluxProUltraImageNode": _BFL_ULTRA,
    "FluxProImageNode": ("prompt", "prompt_upsampling", "width", "height", "seed+"),
    "FluxKontextProImageNode": _BFL_KONTEXT,
    "FluxKontextMaxImageNode": _BFL_KONTEXT,
    "FluxProExpandNode": (
        "prompt",
        "prompt_upsampling",
        "top",
        "bottom",
        "left",
        "right",
        "guidance",
        "steps",
        "seed+",
    ),
    "FluxProFillNode": ("prompt", "prompt_upsampling", "guidance", "steps", "seed+"),
    "FluxProCannyNode": (
        "prompt",
        "prompt_upsampling",
        "canny_low_threshold",
        "canny_high_threshold",
        "skip_preprocessing",
        "guidance",
        "steps",
        "seed+",
    ),
    "FluxProDepthNode": ("prompt", "prompt_upsampling", "skip_preprocessing", "guidance", "steps", "seed+"),
    "Flux2ProImageNode": _BFL_FLUX2,
    "Flux2MaxImageNode": _BFL_FLUX2,
    # nodes_ideogram.py (V3's image, mask and character images are links)
    "IdeogramV1": (
        "prompt",
        "turbo",
        "aspect_ratio",
        "magic_prompt_option",
        "seed+",
        "negative_prompt",
        "num_images",
    ),
    "IdeogramV2": (
        "prompt",
        "turbo",
        "aspect_ratio",
        "resolution",
        "magic_prompt_option",
        "seed+",
        "style_type",
        "negative_prompt",
        "num_images",
    ),
    "IdeogramV3": (
        "prompt",
        "aspect_ratio",
        "resolution",
        "magic_prompt_option",
        "seed+",
        "num_images",
        "rendering_speed",
    ),
    # nodes_stability.py (the negative prompts are force_input sockets, not widgets)
    "StabilityStableImageUltraNode": ("prompt", "aspect_ratio", "style_preset", "seed+", "image_denoise"),
    "StabilityStableImageSD_3_5Node": (
        "prompt",
        "model",
        "aspect_ratio",
        "style_preset",
        "cfg_scale",
        "seed+",
        "image_denoise",
    ),
    "StabilityUpscaleConservativeNode": ("prompt", "creativity", "seed+"),
    "StabilityUpscaleCreativeNode": ("prompt", "creativity", "style_preset", "seed+"),
    # nodes_recraft.py, V3 (style, controls and the force_input negative prompt are sockets)
    "RecraftTextToImageNode": ("prompt", "size", "n", "seed+"),
    "RecraftImageToImageNode": ("prompt", "n", "strength", "seed+"),
    "RecraftImageInpaintingNode": ("prompt", "n", "seed+"),
    # nodes_luma.py (Photon; the reference chain and images are links), nodes_runway.py (Gen-4 image:
    # prompt and ratio only), nodes_kling.py (the negative prompt is a widget), nodes_wan.py (Wan 2.5
    # partner image nodes; Wan's image to image lost its width and height)
    "LumaImageNode": ("prompt", "model", "aspect_ratio", "seed+", "style_image_weight"),
    "LumaImageModifyNode": ("prompt", "image_weight", "model", "seed+"),
    "RunwayTextToImageNode": ("prompt", "ratio"),
    "KlingImageGenerationNode": (
        "prompt",
        "negative_prompt",
        "image_type",
        "image_fidelity",
        "human_fidelity",
        "model_name",
        "aspect_ratio",
        "n",
    ),
    "WanTextToImageApi": (
        "model",
        "prompt",
        "negative_prompt",
        "width",
        "height",
        "seed+",
        "prompt_extend",
        "watermark",
    ),
    "WanImageToImageApi": ("model", "prompt", "negative_prompt", "seed+", "watermark"),
    # nodes_bytedance.py: Seedream 3, SeedEdit 3 (its image is a link) and Seedream 4 / 4.5 / 5.0 (the
    # width and height apply to the "Custom" preset)
    "ByteDanceImageNode": (
        "model",
        "prompt",
        "size_preset",
        "width",
        "height",
        "seed+",
        "guidance_scale",
        "watermark",
    ),
    "ByteDanceImageEditNode": ("model", "prompt", "seed+", "guidance_scale", "watermark"),
    "ByteDanceSeedreamNode": (
        "model",
        "prompt",
        "size_preset",
        "width",
        "height",
        "sequential_image_generation",
        "max_images",
        "seed+",
        "watermark",
        "fail_on_partial",
    ),
    # WAS Node Suite (WASasquatch WAS_Node_Suite.py: WAS_Text_Multiline, WAS_Text_Concatenate,
    # WAS_NSP_CLIPTextEncoder, WAS_Seed, WAS_KSampler whose seed is a SEED link)
    "Text Multiline": ("text",),
    "Text String": ("text", "text_b", "text_c", "text_d"),
    "Text Concatenate": ("delimiter", "clean_whitespace"),
    "CLIPTextEncode (NSP)": ("noodle_key", "seed+", "text"),
    "Seed": ("seed+",),
    "KSampler (WAS)": (*_EFF_SAMPLER, "denoise"),
    # SeargeDP/SeargeSDXL (modules/_legacy.py, searge_sdxl_sampler_node.py): the SDXL base + refiner
    # samplers (their models, conditionings and latent are links; ``SeargeSDXLSampler2`` / ``V3`` take
    # ``sampler_name`` / ``scheduler`` as SAMPLER_NAME / SCHEDULER_NAME sockets from
    # ``SeargeSamplerInputs``, so no widget of theirs names them), the prompt encoders (the clips are
    # links), the prompt text and number constants their example workflows feed them
    "SeargeSDXLSampler": (
        "noise_seed+",
        "steps",
        "cfg",
        "sampler_name",
        "scheduler",
        "base_ratio",
        "denoise",
    ),
    "SeargeSDXLSampler2": (
        "noise_seed+",
        "steps",
        "cfg",
        "base_ratio",
        "denoise",
        "refiner_prep_steps",
        "noise_offset",
        "refiner_strength",
    ),
    "SeargeSDXLSamplerV3": ("noise_seed+", "steps", "cfg", "base_ratio", "denoise", "refiner_prep_steps"),
    "SeargeSamplerInputs": ("sampler_name", "scheduler"),
    "SeargeSDXLPromptEncoder": (
        "pos_g",
        "pos_l",
        "pos_r",
        "neg_g",
        "neg_l",
        "neg_r",
        *_SEARGE_BASE_SIZE,
        *_SEARGE_REFINER_SIZE,
    ),
    "SeargeSDXLBasePromptEncoder": ("pos_g", "pos_l", "neg_g", "neg_l", *_SEARGE_BASE_SIZE),
    "SeargeSDXLRefinerPromptEncoder": ("pos_r", "neg_r", *_SEARGE_REFINER_SIZE),
    "SeargePromptText": ("prompt",),
    "SeargeIntegerConstant": ("value",),
    "SeargeFloatConstant": ("value",),
    "SeargeIntegerPair": ("value1", "value2"),
    "SeargeFloatPair": ("value1", "value2"),
    # kijai/ComfyUI-KwaiKolorsWrapper nodes.py (the chatglm3 model, kolors model and embeds and the
    # optional latent are links)
    "DownloadAndLoadKolorsModel": ("model", "precision"),
    "KolorsTextEncode": ("prompt", "negative_prompt", "num_images_per_prompt"),
    "KolorsSampler": ("width", "height", "seed+", "steps", "cfg", "scheduler", "denoise_strength"),
    # kijai/ComfyUI-SUPIR nodes_v2.py (SUPIR_model, latents and the SUPIR_cond links take no widget)
    # and nodes.py's one-node ``SUPIR_Upscale`` (its ``image`` is a link; the tiled-sampling and fp8
    # widgets of later versions follow ``decoder_tile_size_latent`` and are not named)
    "SUPIR_conditioner": ("positive_prompt", "negative_prompt"),
    "SUPIR_sample": (
        "seed+",
        "steps",
        "cfg_scale_start",
        "cfg_scale_end",
        "EDM_s_churn",
        "s_noise",
        "DPMPP_eta",
        "control_scale_start",
        "control_scale_end",
        "restore_cfg",
        "keep_model_loaded",
        "sampler",
        "sampler_tile_size",
        "sampler_tile_stride",
    ),
    "SUPIR_Upscale": (
        "supir_model",
        "sdxl_model",
        "seed+",
        "resize_method",
        "scale_by",
        "steps",
        "restoration_scale",
        "cfg_scale",
        "a_prompt",
        "n_prompt",
        "s_churn",
        "s_noise",
        "control_scale",
        "cfg_scale_start",
        "control_scale_start",
        "color_fix_type",
        "keep_model_loaded",
        "use_tiled_vae",
        "encoder_tile_size_pixels",
        "decoder_tile_size_latent",
    ),
    # kijai/ComfyUI-MochiWrapper nodes.py (the sampler's model and conditionings, the encoder's clip are
    # links; the sampler makes a latent of its own size)
    "DownloadAndLoadMochiModel": ("model", "vae", "precision", "attention_mode"),
    "MochiTextEncode": ("prompt", "strength", "force_offload"),
    "MochiSampler": ("width", "height", "num_frames", "steps", "cfg", "seed+"),
    # ComfyUI-Impact-Pack modules/impact/special_samplers.py and impact_pack.py: the samplers that sample
    # with a provider's KSAMPLER(_ADVANCED) (``seed_2nd`` has no control widget: the frontend gives one
    # only to ``seed`` / ``noise_seed``), and the providers (their BASIC_PIPE is a link;
    # ``sigma_factor`` came later, at the end)
    "RegionalSampler": (
        "seed+",
        "seed_2nd",
        "seed_2nd_mode",
        "steps",
        "base_only_steps",
        "denoise",
        "overlap_factor",
        "restore_latent",
        "additional_mode",
        "additional_sampler",
        "additional_sigma_ratio",
    ),
    "TwoAdvancedSamplersForMask": ("seed+", "steps", "denoise", "overlap_factor"),
    "KSamplerProvider": ("seed+", *_EFF_SAMPLER, "denoise"),
    "KSamplerAdvancedProvider": ("cfg", "sampler_name", "scheduler", "sigma_factor"),
    # Comfyroll (Suzie1/ComfyUI_Comfyroll_CustomNodes CR_LoRAStack, CR_SDXLAspectRatio)
    "CR LoRA Stack": _rows(3, "switch", "lora_name", "model_weight", "clip_weight"),
    "CR SDXL Aspect Ratio": (
        "width",
        "height",
        "aspect_ratio",
        "swap_dimensions",
        "upscale_factor",
        "batch_size",
    ),
    # ComfyUI-Easy-Use (yolain: py/nodes loaders fullLoader / a1111Loader / comfyLoader, samplerSettings,
    # samplerSimple / samplerFull INPUT_TYPES)
    "easy fullLoader": (
        "ckpt_name",
        "config_name",
        *_EASY_LOADER[1:],
        "positive",
        "positive_token_normalization",
        "positive_weight_interpretation",
        "negative",
        "negative_token_normalization",
        "negative_weight_interpretation",
        "batch_size",
        "a1111_prompt_style",
    ),
    "easy a1111Loader": (*_EASY_LOADER, "positive", "negative", "batch_size", "a1111_prompt_style"),
    "easy comfyLoader": (*_EASY_LOADER, "positive", "negative", "batch_size"),
    "easy preSampling": (*_EFF_SAMPLER, "denoise", "seed+"),
    "easy preSamplingAdvanced": (
        *_EFF_SAMPLER,
        "start_at_step",
        "end_at_step",
        "add_noise",
        "seed+",
        "return_with_leftover_noise",
    ),
    "easy kSampler": ("image_output", "link_id", "save_prefix"),
    # ComfyUI-Image-Saver (alexopus: nodes_selectors.py, nodes_literals.py; its loader's one widget)
    "Checkpoint Loader with Name (Image Saver)": ("ckpt_name",),
    "Sampler Selector (Image Saver)": ("sampler_name",),
    "Scheduler Selector (Image Saver)": ("scheduler",),
    "Seed Generator (Image Saver)": ("seed+",),
    "String Literal (Image Saver)": ("string",),
    "Width/Height Literal (Image Saver)": ("int",),
    "Int Literal (Image Saver)": ("int",),
    "Float Literal (Image Saver)": ("float",),
    "Cfg Literal (Image Saver)": ("float",),
    "Input Parameters (Image Saver)": (
        "seed+",
        "steps",
        "cfg",
        "sampler",
        "scheduler",
        "denoise",
        "string_prefix",
        "include_seed",
    ),
}


class LeadingWidget(NamedTuple):
    """A widget some versions of a node save before :data:`WIDGET_NAMES`' first one, told apart by
    the first saved value: one of ``choices``, or — ``choices`` empty — a frontend extension's widget
    state (a dict or ``null``, never a value the node's first widget takes)."""

    name: str
    choices: frozenset[str] = frozenset()

    def leads(self, value: Any) -> bool:
        if self.choices:
            return isinstance(value, str) and value in self.choices
        return value is None or isinstance(value, dict)


LEADING_WIDGETS: dict[str, LeadingWidget] = {
    "KSampler (Efficient)": LeadingWidget("sampler_state", frozenset({"Sample", "Hold", "Script"})),
    "KSampler Adv. (Efficient)": LeadingWidget("sampler_state", frozenset({"Sample", "Hold", "Script"})),
    "CLIPTextEncode (NSP)": LeadingWidget("mode", frozenset({"Noodle Soup Prompts", "Wildcards"})),
    "Lora Loader (LoraManager)": LeadingWidget("__lm_autocomplete_meta_text"),
}
"""Nodes with a :class:`LeadingWidget`: LucianoCirino's Efficiency samplers began with
``sampler_state`` ("Sample" / "Hold" / "Script"), jags111's dropped it; WAS's ``CLIPTextEncode (NSP)``
gained a leading ``mode``; Lora Manager's autocomplete keeps ``{"version": 1, "textWidgetName": "text"}``
(or ``null``) ahead of the loader's ``text`` (public workflows save ``[{…}, text, loras]`` beside the
older ``[text, loras]``)."""


SHORT_LAYOUTS: dict[str, tuple[str, ...]] = {
    "RegionalSampler": ("seed+", "steps", "denoise", "overlap_factor"),
    "DownloadAndLoadCogVideoModel": ("precision",),
}
"""An older, shorter layout of a node whose later widgets were inserted before the ones it kept: used
when the node saved no more values than that layout holds (with a control value after each seed).
Impact's ``RegionalSampler`` had only seed, steps, denoise and overlap_factor before ``seed_2nd``,
``seed_2nd_mode`` and ``base_only_steps`` came in after ``seed`` (its current layout saves 11 or 12
values). kijai's first ``DownloadAndLoadCogVideoModel`` (CogVideoXWrapper's first ``nodes.py``) loaded
one fixed model and took only ``precision``; every later one names the ``model`` first and saves two
values or more."""


CONTROL_VALUES = frozenset({"fixed", "increment", "decrement", "randomize"})
"""The choices of the frontend's ``control_after_generate`` widget, which follows every seed."""

CONTROL_LAYOUTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "CogVideoSampler": (
        ("height", "width", "num_frames", "fps", "steps", "cfg", "seed+", "scheduler"),
        ("num_frames", "steps", "cfg", "seed+", "scheduler", "denoise_strength"),
    ),
}
"""Other layouts of a node whose widgets changed between versions, told apart by where the seed's
control value sits (each seed is followed by one): the first layout with a control value right after
its seed is used, else :data:`WIDGET_NAMES`'. kijai's ``CogVideoSampler`` (CogVideoXWrapper
``nodes.py``): at first ``height, width, num_frames, fps, steps, cfg, seed`` (``scheduler`` came after,
then ``fps`` went), then ``height, width, num_frames, steps, cfg, seed, scheduler`` with
``denoise_strength`` (or ``t_tile_length`` / ``t_tile_overlap``) after, and with CogVideoX 1.5 (its
``model`` input) ``num_frames, steps, cfg, seed, scheduler, denoise_strength``: the seed's control value
is the 8th, 7th or 5th value."""


def _seed_controlled(names: tuple[str, ...], values: list[Any]) -> bool:
    """Whether ``values`` hold a control value right after the first seed of the layout ``names``."""
    seed = next((index for index, name in enumerate(names) if name.endswith("+")), None)
    if seed is None or seed + 1 >= len(values):
        return False
    value = values[seed + 1]
    return isinstance(value, str) and value in CONTROL_VALUES


def widget_names(node_type: str, values: list[Any]) -> tuple[str, ...] | None:
    """The names of a node's positional ``values`` (:data:`WIDGET_NAMES`; when no control value
    follows its seed, the first :data:`CONTROL_LAYOUTS` layout whose seed one follows; its
    :data:`SHORT_LAYOUTS` layout when no more values were saved than that holds; with the
    :data:`LEADING_WIDGETS` name first when the first value leads), or ``None`` for a type not listed.
    Names keep their ``+``."""
    names = WIDGET_NAMES.get(node_type)
    if names is None:
        return None
    if not _seed_controlled(names, values):
        names = next(
            (layout for layout in CONTROL_LAYOUTS.get(node_type, ()) if _seed_controlled(layout, values)),
            names,
        )
    short = SHORT_LAYOUTS.get(node_type)
    if short is not None and len(values) <= len(short) + sum(name.endswith("+") for name in short):
        names = short
    leading = LEADING_WIDGETS.get(node_type)
    if leading is not None and values and leading.leads(values[0]):
        return (leading.name, *names)
    return names


ROW_WIDGETS: dict[str, str] = {"Power Lora Loader (rgthree)": "lora_"}
"""Nodes whose rows are dict widgets named by a counter (rgthree's ``Power Lora Loader``: each row
``{"on", "lora", "strength", "strengthTwo"}`` is input ``lora_1``, ``lora_2`` … in order; its header,
spacer and button widgets hold no row)."""

REROUTE_NODES = frozenset({"Reroute", "Reroute (rgthree)"})
"""Frontend-only nodes that pass the link into their input on: the core ``Reroute`` and rgthree's
``Reroute (rgthree)`` (rgthree-comfy ``src_web/comfyui/reroute.ts``: ``isVirtualNode = true``, one ``""``
input and one ``""`` output of type ``*``), which ComfyUI_frontend's ``ExecutableNodeDTO.resolveOutput``
resolves, like every virtual node, to the link into the input at the output's slot."""

VIRTUAL_NODES = frozenset({"Note", "MarkdownNote", "PrimitiveNode", "SetNode", "GetNode", *REROUTE_NODES})
"""Frontend-only node types: never sent to the server (a ``PrimitiveNode`` gives its value to the
widgets it is linked to, a reroute (:data:`REROUTE_NODES`) passes its link on; KJNodes' ``GetNode``
passes on the link into the ``SetNode`` of the same name, its first widget)."""
