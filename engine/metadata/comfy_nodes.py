"""What the ComfyUI graph reader knows about node classes: which nodes sample, which inputs hold text,
sizes, checkpoints and LoRAs, which outputs of multi-output nodes carry what (pipes, contexts, size
and settings nodes), and the conventions of the custom node packs whose graphs artists share (rgthree,
Impact, Efficiency, Comfyroll, Easy-Use, tinyterra, WAS, KJNodes, essentials, pysssss, Lora Manager,
Nunchaku …). Plain data: :mod:`engine.metadata.comfygraph` walks graphs with it
(:mod:`engine.metadata.comfy_passes` finds the passes). Each table says which upstream node (and
source file) it follows.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

KNOWN_SAMPLERS = frozenset(
    {
        "KSampler",
        "KSamplerAdvanced",
        "SamplerCustom",
        "SamplerCustomAdvanced",
        "KSampler (Efficient)",
        "KSampler Adv. (Efficient)",
        "KSampler SDXL (Eff.)",
        "KSampler //Inspire",
        "KSamplerAdvanced //Inspire",
        "ImpactKSamplerBasicPipe",
        "ImpactKSamplerAdvancedBasicPipe",
        "SamplerCustomAdvanced //Inspire",
        "SUPIR_sample",
        "SUPIR_Upscale",
    }
)
"""Sampler classes taken as passes by name. Most are core or pack ``KSampler`` variants that the
class-name rule (:func:`~engine.metadata.comfy_kinds.is_sampler`) finds anyway; kijai's SUPIR sampler
(``ComfyUI-SUPIR`` ``nodes_v2.py`` ``SUPIR_sample``: ``SUPIR_model``, ``latents``, ``positive``/
``negative`` from ``SUPIR_conditioner``, ``seed``, ``steps``, a linear CFG from ``cfg_scale_start`` to
``cfg_scale_end``, a ``sampler`` choice such as "RestoreDPMPP2MSampler") is named here because its
class name holds no "sampler"; so is its one-node predecessor (``nodes.py`` ``SUPIR_Upscale``: an
``image``, ``seed``, ``steps``, ``cfg_scale``, its own prompts and checkpoints, ``OWN_TEXT_PASSES``),
which has no ``positive`` either, so no detailer rule finds it."""


class OwnTextPass(NamedTuple):
    """A pass that takes its prompts and its checkpoint as its own widgets, never through conditioning
    and model links (``OWN_TEXT_PASSES``): the inputs holding them."""

    positive: str
    negative: str
    model: str


OWN_TEXT_PASSES = {"SUPIR_Upscale": OwnTextPass("a_prompt", "n_prompt", "sdxl_model")}
"""kijai's ``ComfyUI-SUPIR`` ``nodes.py`` ``SUPIR_Upscale``: one node loads ``supir_model`` and
``sdxl_model`` (both from the checkpoints folder; the SUPIR weights are loaded over the SDXL ones) and
samples the ``image`` with ``a_prompt`` (added to the optional ``captions``, a run-time string) and
``n_prompt`` (``batchify_sample(..., p_p=a_prompt, n_p=n_prompt)``). The model is the SDXL checkpoint,
as for the v2 nodes' ``SUPIR_model_loader_v2`` (the SUPIR file is a restoration patch). Its sampler is
the EDM one its config names: no choice in the graph."""


class StagedSampler(NamedTuple):
    """A sampler node that runs one schedule in stages, each stage with its own model input
    (``STAGED_SAMPLERS``): ``models`` in the order the stages run (the last makes the pixels),
    ``steps`` the input holding the schedule length the last stage runs on, ``final_cfg`` the CFG scale
    that stage samples with (a constant of the node's code)."""

    models: tuple[str, ...]
    steps: str
    final_cfg: float | None = None
    first_share: str | None = None
    """The input holding the share of the steps the first stage runs (Searge's ``base_ratio``): at 1
    or more the first stage runs them all and the later stages never run."""


_TRIPLE_WAN22 = StagedSampler(("base_high", "lightning_high", "lightning_low"), "lightning_steps", 1.0)
_SEARGE_SDXL = StagedSampler(("base_model", "refiner_model"), "steps", first_share="base_ratio")
STAGED_SAMPLERS = {
    "TripleKSamplerWan22Lightning": _TRIPLE_WAN22,
    "TripleKSamplerWan22LightningAdvanced": _TRIPLE_WAN22,
    "SeargeSDXLSampler": _SEARGE_SDXL,
    "SeargeSDXLSampler2": _SEARGE_SDXL,
    "SeargeSDXLSamplerV3": _SEARGE_SDXL,
}
"""VraethrDalkr's ``ComfyUI-TripleKSampler`` (``triple_ksampler_wan22.py``): three ``KSamplerAdvanced``
stages run inside one node on Wan 2.2's split experts: stage 1 on ``base_high`` (adds the noise of
``seed``, ``base_cfg``), stage 2 on ``lightning_high``, stage 3 on ``lightning_low`` (the pixels;
``steps=lightning_steps``, ``cfg=1.0`` in both variants, no noise of its own). Read as the split
schedules of separate samplers are: the final stage's model and schedule, every stage's LoRAs.

SeargeDP's SDXL sampler (``SeargeSDXL`` ``searge_sdxl_sampler_node.py`` / ``modules/_legacy.py``
``SeargeSDXLSampler``): one ``steps`` schedule, the first ``int(steps * base_ratio)`` steps on
``base_model`` with ``base_positive``/``base_negative`` from ``noise_seed``, the rest on
``refiner_model`` (the pixels; ``disable_noise``: the base's noise continued) at the same ``cfg``,
sampler and scheduler; with ``base_ratio`` 1 the base runs every step alone. The prompts are the base
stage's (``FIELD_INPUTS``: ``base_positive``/``base_negative``), which set the picture. Its successors
have the same inputs and split the same way (``modules/legacy.py``, ``searge_sdxl_sampler_node.py``):
``SeargeSDXLSamplerV3`` runs both stages in ``sdxl_ksampler`` from ``noise_seed``;
``SeargeSDXLSampler2`` samples the base's ``int(steps * base_ratio)`` steps fully denoised, then the
refiner's rest from new noise of ``noise_seed + noise_offset`` at ``denoise * refiner_strength`` (the
record keeps ``noise_seed``, the one seed the graph holds). An optional ``refiner_prep_steps`` pre-pass
on the refiner comes before the base and makes no pixels of its own."""


class PipeRefinedSampler(NamedTuple):
    """A sampler node that runs one schedule on its pipe's base model and hands the last steps to the
    pipe's refiner (``PIPE_REFINED_SAMPLERS``): ``pipe`` the input carrying both models, ``refiner``
    the pipe field holding the refiner, ``split`` the input naming the step the refiner takes over at
    (a negative one: no refiner stage), ``steps`` the schedule length."""

    pipe: str
    refiner: str
    split: str
    steps: str


PIPE_REFINED_SAMPLERS = {
    "KSampler SDXL (Eff.)": PipeRefinedSampler("sdxl_tuple", "refiner_model", "refine_at_step", "steps")
}
"""Efficiency Nodes' SDXL sampler (jags111 ``efficiency-nodes-comfyui`` ``efficiency_nodes.py``
``TSC_KSamplerSDXL`` / ``TSC_KSampler.sample``, ``sampler_type == "sdxl"``): ``KSamplerAdvanced`` on
the ``sdxl_tuple``'s base model from ``start_at_step`` to ``refine_at_step`` (``-1``: to ``steps``,
"Disable refiner") with the noise of ``noise_seed`` left in, then, when the tuple holds a refiner
model and ``refine_at_step < steps``, ``KSamplerAdvanced`` on the refiner from ``refine_at_step`` to
``steps`` without noise of its own (the base's continued; the same seed, schedule and sampler, its cfg
``cfg + REFINER_CFG_OFFSET``, 0). Read as Searge's staged sampler and split ``KSamplerAdvanced``
stages are: the refiner, which made the pixels, is the model; the prompts are the base's."""
REFINER_CHECKPOINT_INPUTS = {"Eff. Loader SDXL": "refiner_ckpt_name"}
"""Loaders that make a pipe's refiner model themselves, and the input naming its checkpoint
(Efficiency's ``TSC_EfficientLoaderSDXL``: ``"None"`` loads no refiner)."""
TEXT_KEYS = (
    "populated_text",
    "text",
    "text_g",
    "prompt_g",
    "t5xxl",
    "clip_l",
    "text_l",
    "prompt_l",
    "prompt",
    "string",
    "value",
    "wildcard_text",
    "user_prompt",
    "clip_g",
    "llama",
    "bert",
    "mt5xl",
    "qwen25_7b",
)
"""Inputs of a text encoder (a node met on a conditioning path) that hold its text; the first that
holds a non-empty text wins. Beyond ``CLIPTextEncode``'s ``text`` and the SDXL/SD3/FLUX ones, core
``comfy_extras`` encoders name theirs: ``CLIPTextEncodeLumina2`` ``user_prompt`` (its
``system_prompt`` is a preset name, never the artist's text; ``nodes_lumina2.py``),
``CLIPTextEncodeHiDream`` ``clip_l``/``clip_g``/``t5xxl``/``llama`` (``nodes_hidream.py``),
``CLIPTextEncodeHunyuanDiT`` ``bert``/``mt5xl`` (``nodes_hunyuan.py``), ``CLIPTextEncodeKandinsky5``
``clip_l``/``qwen25_7b`` (``nodes_kandinsky5.py``); ``TextEncodeQwenImageEdit(Plus)``,
``TextEncodeHunyuanVideo_ImageToVideo`` and ``TextEncodeFlux2SystemPrompt`` use ``prompt``. Where an
encoder has several, one text is taken (the t5xxl one before the CLIP ones), never their join.
rgthree's ``SDXL Power Prompt`` nodes name theirs ``prompt_g`` / ``prompt_l``."""
ROLE_TEXT_KEYS = {
    "positive": ("positive", "text_positive", "positive_prompt"),
    "negative": ("negative", "text_negative", "negative_prompt"),
}
NOT_CONDITIONING = frozenset(
    {
        "clip",
        "model",
        "vae",
        "image",
        "images",
        "upscaled_image",
        "mask",
        "control_net",
        "clip_vision",
        "pixels",
        "samples",
        "latent_image",
        "style_model",
        "upscale_model",
    }
)
CHECKPOINT_KEYS = ("ckpt_name", "unet_name", "base_ckpt_name", "gguf_name", "model_name", "model_path")
MODEL_PATCH_NODES = frozenset(
    {
        "ADE_AnimateDiffLoaderWithContext",
        "ADE_AnimateDiffLoaderGen1",
        "ADE_AnimateDiffLoaderV1Advanced",
        "AnimateDiffLoaderV1",
        "LoadAndApplyICLightUnet",
    }
)
"""Nodes on the model path whose ``CHECKPOINT_KEYS`` widget names what they patch *into* the model
they are given, never the checkpoint: AnimateDiff-Evolved's loaders (``animatediff/nodes_gen1.py``,
``nodes.py``: ``model`` + ``model_name`` = a motion module such as ``mm_sd_v15_v2.ckpt``), kijai's
IC-Light ``LoadAndApplyICLightUnet`` (``model`` + ``model_path``). The model walk goes on through
their ``model`` input, as it does through LoRA loaders; so does it through any other node whose
``MODEL_PATCH_INPUT`` is linked (a node given a model to patch never loads the checkpoint)."""
MODEL_PATCH_INPUT = "model"
MODEL_NAME_INPUT = "model"
"""A loader on the model path that names its model in a ``model`` widget rather than a
``CHECKPOINT_KEYS`` one: kijai's video wrappers' ``WanVideoModelLoader``
("wan2.1_i2v_480p_14B_bf16.safetensors") and ``DownloadAndLoadCogVideoModel``
("THUDM/CogVideoX-5b-I2V"). Taken only as a literal, only on the model path (a linked ``model`` is
the model a node patches); many non-model nodes (Florence2, Ollama) have a ``model`` widget too, so
it never makes a node a loader elsewhere."""
SAMPLER_MODEL_INPUTS = ("model", "pipeline", "kolors_model", "SUPIR_model")
"""A sampler's model input: ``model``, or kijai's CogVideoX wrapper's ``pipeline`` (``CogVideoSampler``),
Kolors wrapper's ``kolors_model`` (``KolorsSampler``; ``DownloadAndLoadKolorsModel`` names it in its
``model`` widget, "Kwai-Kolors/Kolors"), SUPIR's ``SUPIR_model`` (``SUPIR_sample``; its
``SUPIR_model_loader_v2`` is given the SDXL ``model`` it merges the SUPIR weights into, so the model
walk goes on to that checkpoint)."""
SAMPLER_CFG_KEYS = ("cfg", "cfg_scale", "cfg_scale_start")
"""A sampler's CFG scale: ``cfg``, ``cfg_scale`` (SUPIR's one-node ``SUPIR_Upscale``: the scale it
samples at, reached from ``cfg_scale_start`` when that is above 0), or where the node scales it
linearly over the steps from a start to an end only, the scale it starts at (``SUPIR_sample``'s
``cfg_scale_start``, the first step's; ``LinearCFG`` goes on to ``cfg_scale_end``)."""
GIVEN_LATENT_DENOISE = "denoise_strength"
"""The denoise of a sampler that makes its own latent unless one is given (kijai's Kolors wrapper,
``nodes.py`` ``KolorsSampler``: the optional ``latent`` goes to the diffusers pipeline as ``latents``
with ``strength=denoise_strength``): its strength applies to a given latent only, so it is the pass's
denoise only when the latent input is linked (image-to-image); a text-to-image pass reads none."""
SAMPLER_CHOICE_INPUT = "sampler"
"""A sampler's own choice of sampling method where it names it ``sampler`` (SUPIR_sample's
"RestoreEDMSampler", "RestoreDPMPP2MSampler" …): taken as the sampler name when written as a choice;
linked, ``sampler`` is a SAMPLER object (``SamplerCustom``: ``KSamplerSelect``…)."""
SAMPLER_LATENT_INPUTS = (
    "latent",
    "latent_image",
    "latents",
    "image",
    "images",
    "pixels",
    "upscaled_image",
    "samples",
)
"""A pass's latent or image input, the first present one: core names, SUPIR's ``latents``, detailers'
images. A sampler that has none makes its latent inside (the video and diffusers wrappers:
``MochiSampler``, ``KolorsSampler``, ``CogVideoSampler``), of the ``SIZE_KEYS`` size it is given: that is
the size of the pass."""
SAMPLER_SEED_KEYS = ("seed", "noise_seed")
TEXT_EMBEDS_INPUTS = ("text_embeds", "hyvid_embeds", "kolors_embeds")
"""A video-wrapper sampler's one conditioning input, carrying both prompts: ``WanVideoSampler.text_embeds``
(``WanVideoTextEncode``: ``positive_prompt``/``negative_prompt``), ``HyVideoSampler.hyvid_embeds``,
``KolorsSampler.kolors_embeds`` (``KolorsTextEncode``: ``prompt``/``negative_prompt``). It stands
for the sampler's ``positive`` and ``negative`` both; the encoder's role-named inputs tell them apart
(``ROLE_TEXT_KEYS``)."""
OBJECT_PASS_THROUGH_KEYS = ("anything", "any", "passthrough")
"""The one input of a node that hands any object on unchanged (Easy-Use's ``easy cleanGpuUsed``
``anything``, memory-freeing nodes' ``passthrough`` such as ``ForceFullUnload``): a model walk that
meets no model input goes on through it, and so do the output's trace back to its pass and the size
walk, on an image or latent path (such a node met there hands on the image or latent it is given)."""
SEGS_INPUT_FRAGMENT = "segs"
"""An input whose name holds this (``segs``, ``segs1``…) takes Impact's SEGS: the crops of an image,
each with the pixels a detailer re-sampled for it (``SEGSDetailer`` outputs them as SEGS). The output's
trace back to its pass and the size walk go on along such a link, as along an image one."""
PASTE_NODES = {"SEGSPaste": ("ref_image_opt", "segs")}
"""Nodes that paste crops over the image they are given, and the inputs holding those crops, the one
used first: Impact's ``SEGSPaste`` (``modules/impact/segs_nodes.py``: the SEGS' own crops, or crops of
``ref_image_opt`` when it is given, pasted over ``image``). What shows in the output is the pasted
crops: the trace back to the pass that describes the file follows that input before the ``image``."""
POSITIVE_ONLY_ENCODERS = frozenset({"WanVideoTextEncodeSingle"})
"""Text encoders whose embeds carry one prompt, the positive (kijai's ``WanVideoTextEncodeSingle``
sets ``prompt_embeds`` only; its ``negative_prompt_embeds`` are ``None``): met in the negative role
through an input that carries both prompts (``TEXT_EMBEDS_INPUTS``), they give no negative text."""
EMBEDS_BRIDGES = frozenset({"WanVideoTextEmbedBridge", "HyVideoTextEmbedBridge"})
"""Nodes that pack a positive and a negative conditioning into the one embeds output a video wrapper's
sampler takes (``TEXT_EMBEDS_INPUTS``): kijai's ``WanVideoTextEmbedBridge`` (ComfyUI-WanVideoWrapper
``nodes.py``: ``prompt_embeds`` = ``positive``, ``negative_prompt_embeds`` = its optional ``negative``,
else ``None``) and ``HyVideoTextEmbedBridge`` (ComfyUI-HunyuanVideoWrapper ``nodes.py``, the same
two inputs). Their one output carries both, so a walk through it keeps its role and goes on through
the input of that role only: without a ``negative`` input the embeds have no negative text."""
NAG_EMBEDS = {"WanVideoApplyNAG": ("original_text_embeds", "nag_text_embeds")}
"""Nodes that add a NAG (normalised attention guidance) negative to the embeds they are given, and
those two inputs: kijai's ``WanVideoApplyNAG`` outputs ``original_text_embeds`` with
``nag_prompt_embeds`` = the ``prompt_embeds`` of ``nag_text_embeds``. The prompts are the original's;
the negative is the original's own, else the NAG text (the positive text of the NAG embeds)."""
SCALAR_KEYS = (
    "value",
    "int",
    "float",
    "number",
    "seed",
    "noise_seed",
    "Value",
    "INT",
    "FLOAT",
    "int_value",
    "float_value",
)
"""The input a number node's value is in: core and most packs' ``value``, Crystools' ``int`` /
``float`` (``nodes/primitive.py``), Derfuu's ``Value``, LayerStyle's ``LayerUtility: Integer`` /
``LayerUtility: Float`` ``int_value`` / ``float_value`` (``py/data_nodes.py``: outputs the number, then
its string)."""


class MathNode(NamedTuple):
    """A node that computes numbers from an arithmetic expression it is given (``MATH_NODES``): the
    input holding the expression, the inputs its variables name (with the value one not given has),
    and what each output is: ``"int"`` the result rounded (Python's ``round``), ``"float"`` as it is."""

    expression: str
    variables: tuple[str, ...]
    default: float
    outputs: tuple[str, ...]


MATH_NODES = {"SimpleMath+": MathNode("value", ("a", "b", "c", "d"), 0.0, ("int", "float"))}
"""cubiq's ComfyUI_essentials ``SimpleMath+`` (``misc.py`` ``SimpleMath``): the ``value`` string
(``"a*2"``, ``"round(a/8)*8"``) over its optional ``a``, ``b``, ``c`` inputs (0.0 when not given),
evaluated with ``+ - * / // % **``, unary ``-`` and ``min`` / ``max`` / ``round``; outputs INT
``round(result)`` and FLOAT ``result``. Artists feed sizes, steps and CFG from it; what it computes
from the graph's numbers is read (:func:`~engine.metadata.comfy_values.arithmetic`), anything else
(a tensor's shape, a comparison) is no value."""
STRING_KEYS = (
    "populated_text",
    "string",
    "text",
    "value",
    "prompt",
    "String",
    "Text",
    "STRING",
    "result",
    "wildcard_text",
)
SIZE_KEYS = (("width", "height"), ("empty_latent_width", "empty_latent_height"))
"""Where a latent's size is written: empty-latent nodes, and loaders that make the latent too (the
Efficient Loader's ``empty_latent_width``/``empty_latent_height``)."""
SIZE_PRESET_KEYS = ("dimensions", "resolution", "aspect_ratio", "empty_latent_aspect")
"""Inputs that pick a preset size written ``W x H`` in the choice: rgthree's ``SDXL Empty Latent Image``
(``dimensions`` " 832 x 1216  (portrait)"), essentials' ``SDXLEmptyLatentSizePicker+`` and Easy-Use's
loaders (``resolution`` "896x1152 (0.78)", "512 x 768"), Comfyroll's aspect-ratio nodes
(``aspect_ratio`` "3:4 portrait 896x1152"), JPS' ``SDXL Resolutions``
(``resolution`` "portrait - 896x1152 (3:4)"), tinyterra's ``ttN pipeLoader_v2`` (``empty_latent_aspect``
"512 x 768 [P] 2:3"). A choice without a size ("custom", "width x height [custom]") leaves the node's
``SIZE_KEYS`` inputs in force."""
PRESET_SIZE = re.compile(r"(\d{1,5})\s*x\s*(\d{1,5})")
SIZE_PRESET_COLUMNS = {"SDParameterGenerator": ("model_version", ("SDv1 512px", "SDv2 768px", "SDXL 1024px"))}
"""Size presets whose choice lists one size per model family, and the input (with its choices, in the
order of the sizes) that picks the one made: SD Prompt Reader's ``SDParameterGenerator`` ``aspect_ratio``
"3:4 - 448x576 | 672x864 | 896x1152" with ``model_version`` "SDXL 1024px" makes 896x1152 (receyuki
``nodes.py``: ``ASPECT_RATIO_MAP`` × ``MODEL_SCALING_FACTOR``, listed in that order)."""
SIZE_OUTPUTS = {
    "CR SD1.5 Aspect Ratio": (0, 1),
    "CR SDXL Aspect Ratio": (0, 1),
    "CR Aspect Ratio": (0, 1),
    "CR Aspect Ratio Banners": (0, 1),
    "CR Aspect Ratio Social Media": (0, 1),
    "SDXLEmptyLatentSizePicker+": (1, 2),
    "EmptyLatentImagePresets": (1, 2),
    "SDXL Resolutions (JPS)": (0, 1),
    "SDParameterGenerator": (13, 14),
}
"""``(width_output, height_output)`` of size nodes whose outputs carry the size they make (linked into an
``EmptyLatentImage``'s ``width``/``height``)."""
SIZE_SWAP_KEYS = {"EmptyLatentImagePresets": "invert"}
"""The toggle that swaps a size node's sides, where it is not Comfyroll's ``swap_dimensions``: KJNodes'
``EmptyLatentImagePresets`` ``invert`` (width = the preset's height)."""
RESIZE_KEEPS_PROPORTION = {"method": ("keep proportion",), "keep_proportion": (True, "resize")}
"""An image resize whose width/height are a bound, not the size it makes: essentials'
``ImageResize+`` with ``method`` "keep proportion", KJNodes' ``ImageResizeKJ`` with
``keep_proportion`` on (``ImageResizeKJv2``: "resize"). The size depends on the input image, so a
latent encoded from it has no size the graph can tell."""
RESIZE_CONDITION = ("condition", "always")
"""``ImageResize+``'s ``condition``: any choice but "always" ("downscale if bigger"…) may leave the
image as it is, so its width/height are not the size made either."""
NOT_A_VALUE = ""
"""A ``VALUE_OUTPUTS`` slot that carries no input's value (a model, a number the node computes)."""
VALUE_OUTPUTS = {
    "KSampler Config (rgthree)": ("steps_total", "refiner_step", "cfg", "sampler_name", "scheduler"),
    "Text String": ("text", "text_b", "text_c", "text_d"),
    "SDParameterGenerator": (
        *("ckpt_name", "vae_name", NOT_A_VALUE, NOT_A_VALUE, NOT_A_VALUE, "seed", "steps", NOT_A_VALUE),
        *("cfg", "sampler_name", "scheduler", "positive_ascore", "negative_ascore", "width", "height"),
        *("batch_size", NOT_A_VALUE),
    ),
    "Lora Loader (LoraManager)": (NOT_A_VALUE,) * 4,
    "LoRA Text Loader (LoraManager)": (NOT_A_VALUE,) * 4,
    "SeargeIntegerPair": ("value1", "value2"),
    "SeargeFloatPair": ("value1", "value2"),
}
"""The input behind each output, by output index, of nodes that hand out several typed values: rgthree's
``KSampler Config`` (STEPS, REFINER_STEP, CFG, SAMPLER, SCHEDULER), WAS' ``Text String`` (its four
texts), SD Prompt Reader's ``SDParameterGenerator`` (receyuki ``nodes.py``: MODEL_NAME, VAE_NAME, MODEL,
CLIP, VAE, SEED, STEPS, REFINER_START_STEP, CFG, SAMPLER_NAME, SCHEDULER, POSITIVE_ASCORE,
NEGATIVE_ASCORE, WIDTH, HEIGHT, BATCH_SIZE, PARAMETERS; its WIDTH/HEIGHT are ``SIZE_OUTPUTS`` too). A
link to one of those outputs stands for that input (:meth:`GraphWalker.scalar`,
:meth:`GraphWalker.string`), a ``NOT_A_VALUE`` slot for no value. Lora Manager's loaders
(``py/nodes/lora_loader.py``: MODEL, CLIP, trigger_words, loaded_loras) output the trigger words that
the LoRA files' metadata hold, looked up at run time: no value the graph holds (never their ``text``).
SeargeDP's ``SeargeIntegerPair`` / ``SeargeFloatPair`` (``SeargeSDXL``: ``value1``, ``value2`` out as
"value 1", "value 2"; the Searge workflows' image size and scale factors)."""
PIPE = None
"""An output carrying the whole pipe (in ``PIPE_OUTPUTS``), not one of its fields."""
CONTEXT_FIELDS = ("model", "clip", "vae", "positive", "negative", "latent", "images", "seed")
CONTEXT_BIG_FIELDS = (
    *CONTEXT_FIELDS,
    *("steps", "step_refiner", "cfg", "ckpt_name", "sampler_name", "scheduler", "clip_width", "clip_height"),
    *("text_pos_g", "text_pos_l", "text_neg_g", "text_neg_l", "mask", "control_net", "denoise"),
)
BASIC_PIPE_FIELDS = ("model", "clip", "vae", "positive", "negative")
DETAILER_PIPE_FIELDS = (
    *BASIC_PIPE_FIELDS,
    *("bbox_detector", "sam_model_opt", "segm_detector_opt", "detailer_hook"),
)
DETAILER_PIPE_REFINER_FIELDS = ("refiner_model", "refiner_clip", "refiner_positive", "refiner_negative")
PIPE_OUTPUTS: dict[str, tuple[str | None, ...]] = {
    "Context (rgthree)": (PIPE, *CONTEXT_FIELDS),
    "Context Switch (rgthree)": (PIPE, *CONTEXT_FIELDS),
    "Context Merge (rgthree)": (PIPE, *CONTEXT_FIELDS),
    "Context Big (rgthree)": (PIPE, *CONTEXT_BIG_FIELDS),
    "Context Switch Big (rgthree)": (PIPE, *CONTEXT_BIG_FIELDS),
    "Context Merge Big (rgthree)": (PIPE, *CONTEXT_BIG_FIELDS),
    "FromBasicPipe": BASIC_PIPE_FIELDS,
    "FromBasicPipe_v2": (PIPE, *BASIC_PIPE_FIELDS),
    "Unpack SDXL Tuple": (
        *("model", "clip", "positive", "negative"),
        *("refiner_model", "refiner_clip", "refiner_positive", "refiner_negative"),
    ),
    "FromDetailerPipe": DETAILER_PIPE_FIELDS,
    "FromDetailerPipe_v2": (PIPE, *DETAILER_PIPE_FIELDS),
    "FromDetailerPipe_SDXL": (PIPE, *DETAILER_PIPE_FIELDS, *DETAILER_PIPE_REFINER_FIELDS),
}
"""The pipe field each output carries, by output index, of nodes that hand a pipe's fields out one by
one: rgthree's contexts (``py/context_utils.py``: CONTEXT, MODEL, CLIP, VAE, POSITIVE, NEGATIVE, LATENT,
IMAGE, SEED, then the Big contexts' STEPS …), Impact's ``FromBasicPipe`` (BASIC_PIPE = model, clip,
vae, positive, negative) and ``FromDetailerPipe`` / ``_v2`` / ``_SDXL`` (``impact_pack.py``: the
DETAILER_PIPE's model, clip, vae, positive, negative, bbox_detector, sam_model_opt, segm_detector_opt,
detailer_hook, the ``_v2`` and ``_SDXL`` ones after the whole pipe, the ``_SDXL`` one then the
refiner's model, clip, positive, negative), Efficiency's ``Unpack SDXL Tuple`` (base model, clip,
conditionings, then the refiner's). Nodes that only build or pass on a whole pipe need no entry (see
:meth:`GraphWalker.pipe_field`)."""
PIPE_INPUTS = ("base_ctx", "pipe", "basic_pipe", "base_basic_pipe", "sdxl_tuple", "detailer_pipe")
"""Inputs carrying the pipe a node extends or samples from: rgthree ``base_ctx``, Easy-Use ``pipe``
(PIPE_LINE), Impact ``basic_pipe`` and ``detailer_pipe`` (DETAILER_PIPE: the BASIC_PIPE fields first,
``BasicPipeToDetailerPipe`` extends a ``basic_pipe``, ``BasicPipeToDetailerPipeSDXL`` a
``base_basic_pipe``, its ``refiner_basic_pipe`` holding only the refiner's), Efficiency ``sdxl_tuple``."""
SAMPLER_OBJECT_INPUTS = ("base_sampler", "advanced_sampler", "upscaler")
"""Inputs carrying a sampler that another node made, which the node samples with: Impact's KSAMPLER /
KSAMPLER_ADVANCED (``special_samplers.py``: ``RegionalSampler``'s and ``TwoSamplersForMask``'s
``base_sampler``, ``RegionalPrompt``'s ``advanced_sampler``) and UPSCALER (``IterativeLatentUpscale``'s
``upscaler``). The node that made it (``KSamplerProvider``, ``KSamplerAdvancedProvider``,
``PixelKSampleUpscalerProvider(Pipe)`` …) is read like a pipe: its own settings (seed, steps, cfg,
sampler, scheduler, denoise, model, prompts), then those of the ``basic_pipe`` it samples from. A node
that takes a sampler this way and a latent or image is the pass (``SAMPLER_OBJECT_CONSUMER_LATENTS``);
the provider never is one."""
SAMPLER_OBJECT_CONSUMER_LATENTS = ("samples", "latent_image", "pixels")
"""The latent or image inputs of the nodes that sample with a ``SAMPLER_OBJECT_INPUTS`` sampler."""
PROVIDER_MARKER = "provider"
"""Class-name fragment of the nodes that only make an object another node samples or detects with
(Impact's ``KSamplerProvider``, ``KSamplerAdvancedProvider``, ``TiledKSamplerProvider``,
``PixelKSampleUpscalerProvider``, ``UltralyticsDetectorProvider``): never a pass themselves."""
OBJECT_SETTINGS_ONLY = {"IterativeLatentUpscale": ("steps",), "IterativeImageUpscale": ("steps",)}
"""Settings a node's own input of the same name does not hold, taken from its sampler object only:
Impact's ``IterativeLatentUpscale`` / ``IterativeImageUpscale`` ``steps`` counts the upscale iterations
(``impact_pack.py``); the sampling steps are the upscaler's."""
REGION_SAMPLER_INPUTS = ("mask_sampler",)
"""Inputs carrying a sampler that samples a region of the pass with its own prompt: Impact's
``TwoSamplersForMask`` / ``TwoAdvancedSamplersForMask`` ``mask_sampler``. Its positive text is kept
after the pass's own, as ``ConditioningCombine``'s second input is (``CONDITIONING_JOINS``)."""
REGIONAL_PROMPTS_INPUT = re.compile(r"regional_prompts\d{0,3}")
"""The REGIONAL_PROMPTS inputs of Impact's ``RegionalSampler`` (``regional_prompts``) and
``CombineRegionalPrompts`` (``regional_prompts1``, ``regional_prompts2`` …, joined in number order):
each region (``RegionalPrompt``) samples its mask with the positive of its ``advanced_sampler``, kept
after the pass's own text."""
CONTEXT_INPUT = re.compile(r"ctx_\d{1,3}")
"""The contexts of rgthree's ``Context Switch`` (the first linked one is taken) and ``Context Merge``
(the last linked one wins, field by field)."""
LAST_WINS = frozenset({"Context Merge (rgthree)", "Context Merge Big (rgthree)"})
FIELD_INPUTS = {
    "model": ("model", "base_model"),
    "clip": ("clip", "base_clip"),
    "positive": ("positive", "base_positive"),
    "negative": ("negative", "base_negative"),
    "latent": ("latent", "image_to_latent"),
    "seed": ("seed", "seed_num", "noise_seed"),
    "sampler_name": ("sampler_name", "sampler"),
}
"""The inputs that set a pipe field, first present wins (any other field: the input of its name).
Contexts and Impact's pipe nodes name them after the field; Efficiency's ``Pack SDXL Tuple`` takes
``base_*``; Easy-Use's ``preSampling`` sets ``seed`` (``seed_num`` before 2024) and may take a
``latent`` or an ``image_to_latent``; rgthree's Big context calls the sampler name ``sampler``."""
OBJECT_FIELDS = frozenset({"model", "clip", "vae", "positive", "negative", "latent", "images"})
"""Pipe fields that are objects made by a node (never written as a literal): a literal input for one
is a loader's widget (its prompt text, its checkpoint name) and the loader makes the field."""
CR_SWITCH_INPUT = re.compile(r"([A-Za-z_]+?)(\d{1,2})")
"""The numbered inputs of Comfyroll's input switches (``text1``, ``model2``, ``VAE1``, ``conditioning2``…)."""
FIRST_CONNECTED_SWITCHES = {"Any Switch (rgthree)": re.compile(r"any_(\d{1,3})")}
"""Switches that hand on the first of their numbered inputs that holds a value, and those inputs:
rgthree's ``Any Switch`` (``py/any_switch.py``: ``any_01`` … ``any_05``, dynamic in newer versions;
"chooses the first non-empty item to output"). An API graph holds only the inputs that are connected
(a muted branch's link is dropped with its node), so the first present one, in number order, is what
it outputs; with none present it outputs nothing. rgthree's other switches are its ``Context Switch``
nodes (``py/context_switch.py``: the first non-empty ``ctx_NN``), read as pipes (``CONTEXT_INPUT``);
the pack has no separate image or latent switch (its ``Any Switch`` took their place)."""
CONDITIONAL_BRANCHES = {
    "ImpactConditionalBranch": ("cond", "tt_value", "ff_value"),
    "ImpactConditionalBranchSelMode": ("cond", "tt_value", "ff_value"),
}
"""``(condition, on_true, on_false)`` of nodes that hand on one of two inputs by a BOOLEAN: Impact's
``ImpactConditionalBranch`` (``modules/impact/logics.py``: ``cond`` a BOOLEAN widget, or a link, in the
current schema; ``tt_value``/``ff_value`` lazy, ``return (tt_value,) if cond else (ff_value,)``) and
``ImpactConditionalBranchSelMode`` (the same, its values optional). The condition is read as
:meth:`~engine.metadata.comfygraph.GraphWalker.truth` reads a BOOLEAN: a literal, a primitive behind
a link, or one of the ``BOOLEAN_NODES`` worked out from values the graph holds. When it cannot be read
(a comparison of run-time values: an image's size, a SEGS being empty) the branch taken is unknown and
the node hands on nothing, unless both inputs carry the same value."""
BOOLEAN_NODES = {
    "ImpactCompare": ("cmp", "a", "b"),
    "ImpactNeg": ("value",),
    "ImpactLogicalOperators": ("operator", "bool_a", "bool_b"),
}
"""Impact's logic nodes (``modules/impact/logics.py``) whose BOOLEAN output the graph's values decide,
and their inputs: ``ImpactCompare`` (``cmp`` "a = b", "a <> b", "a > b", "a < b", "a >= b", "a <= b",
"tt", "ff"), ``ImpactNeg`` (``not value``), ``ImpactLogicalOperators`` (``operator`` "and", "or",
"xor")."""
TRIGGER_WORD_PROMPTS = {"Prompt (LoraManager)": "text"}
"""Encoders that put trigger words before the text they are typed, and that text input: Lora
Manager's ``Prompt (LoraManager)`` (``py/nodes/prompt.py``: the truthy ``trigger_words`` /
``trigger_wordsN`` inputs, in input order, then ``text``, joined with ``TRIGGER_WORD_SEPARATOR``;
encoded, and output as its PROMPT string, output 1). Its ``text`` may hold wildcards the node expands
at run time: the typed text stands for them."""
TRIGGER_WORDS_INPUT = re.compile(r"trigger_words(\d{0,3})")
TRIGGER_WORD_SEPARATOR = ", "
TRIGGER_WORD_TOGGLES = frozenset({"TriggerWord Toggle (LoraManager)"})
"""Lora Manager's ``TriggerWord Toggle`` (``py/nodes/trigger_word_toggle.py``): outputs the active
entries of its ``toggle_trigger_words`` list (``{"__value__": [{"text", "active", "strength"}, …]}``)
joined with ", " (with ``allow_strength_adjustment`` on, an entry with a strength as
``(text:strength)``; out of ``group_mode``, an entry written ``(text:weight)`` is read as text and
weight), or, with an empty list, its ``orinalMessage`` (sic) as it is. Its ``trigger_words`` input is
the loader's run-time output, which the frontend copies into that list and message."""
PIPE_PROMPT_OVERRIDES = {
    "RegionalPromptSimple //Inspire": "wildcard_prompt",
    "RegionalPromptColorMask //Inspire": "wildcard_prompt",
}
"""Region nodes that sample with the pipe they are given but their own prompt, and the input holding
it: Inspire's ``RegionalPromptSimple`` and ``RegionalPromptColorMask`` (``inspire/regional_nodes.py``:
a non-empty ``wildcard_prompt`` is encoded by ``ImpactWildcardEncode`` and replaces the ``basic_pipe``'s
positive; empty, the pipe's positive stands). The text is taken as written."""
ROLE_STRING_KEYS = ("positive", "negative")
"""Text widgets of string nodes named after their role (Easy-Use's ``easy positive``/``easy negative``).
Only a literal is taken: a linked ``positive``/``negative`` is conditioning on most nodes."""
PASS_THROUGH_KEYS = ("source", "input", "anything", "any", "in", "text_input")
GENERATOR_MARKERS = (
    *("textgenerate", "llm", "ollama", "tipo", "gpt", "gemini", "florence", "joycaption"),
    *("openaichat", "qwenvl"),
)
"""Class-name fragments of nodes that *generate* text (their output is not stored in the graph): also
core ``OpenAIChatNode`` (``comfy_api_nodes/nodes_openai.py``: ``prompt``, optional ``images``) and
1038lab's QwenVL nodes (``AILab_QwenVL``: ``custom_prompt`` about an ``image``;
``AILab_QwenVL_PromptEnhancer``: the artist's ``prompt_text`` expanded)."""
GENERATOR_INPUTS = ("prompt", "tags", "text", "nl_prompt", "user_prompt", "prompt_text", "custom_prompt")
CAPTIONERS = frozenset({"JC", "JC_adv", "WD14Tagger|pysssss"})
"""Nodes that write text about an image they are given and whose class names hold no
``GENERATOR_MARKERS`` fragment: 1038lab's JoyCaption nodes (``ComfyUI-JoyCaption`` ``JC.py``: ``JC``
"JoyCaption", ``JC_adv`` "JoyCaption (Advanced)", an ``image`` and caption settings, the caption a
STRING) and pysssss' ``WD14Tagger|pysssss`` (the tags of an image)."""
MASK_LOADERS = frozenset({"LoadImageMask"})
"""Image loaders whose only output is a MASK (core ``nodes.py`` ``LoadImageMask``: one channel of a
file, ``RETURN_TYPES = ("MASK",)``): the area a pass such as Impact's ``MaskDetailerPipe`` redraws,
never the image it starts from, so no source image."""
DESCRIBED_IMAGE_INPUTS = ("image", "images")
"""A text generator whose linked input of these names is an image describes that image (a captioner,
a vision-language model: stavsap's ``OllamaGenerateV2`` with ``images`` "Describe the image in
detail.", kijai's ``Florence2Run``, the JoyCaption nodes). What it writes is known only at run time,
and what it was asked (its instruction) says nothing of the image: it gives no text at all, never
its request. An LLM that only expands the artist's words (no image) gives that request, as before."""
ZERO_CONDITIONING = frozenset({"ConditioningZeroOut"})
CONDITIONING_PAIRS = (("positive", "negative"), ("base_positive", "base_negative"))
"""Input pairs by which a node takes the two conditionings it hands on, output 0 carrying the
positive and output 1 the negative (``ControlNetApplyAdvanced``, ``InpaintModelConditioning``, …;
Comfyroll's ``CR Apply Multi-ControlNet`` names them ``base_positive``/``base_negative`` and outputs
``base_pos``/``base_neg``) unless ``CONDITIONING_OUTPUT_FIRST`` places them."""
CONDITIONING_OUTPUT_FIRST = {"ApplyInstantID": 1, "ApplyInstantIDAdvanced": 1}
"""The output index of the positive of a ``CONDITIONING_PAIRS`` node whose outputs start with
something else, its negative being the next: cubiq's InstantID ``ApplyInstantID(Advanced)`` returns
``MODEL, positive, negative``."""
CONDITIONING_JOINS = {
    "ConditioningConcat": ("conditioning_to", "conditioning_from"),
    "ConditioningCombine": ("conditioning_1", "conditioning_2"),
    "ConditioningCombineMultiple+": tuple(f"conditioning_{number}" for number in range(1, 6)),
    "ConditioningAverage": ("conditioning_to", "conditioning_from"),
}
"""Nodes whose conditioning output is made of several conditionings, and those inputs in the order
their texts are kept: core ``ConditioningConcat`` appends the tokens of ``conditioning_from`` to those
of ``conditioning_to`` (the base comes first); core ``ConditioningCombine`` (regional / area prompts)
and essentials' ``ConditioningCombineMultiple+`` sample with every one of theirs, first input first;
core ``ConditioningAverage`` blends ``conditioning_from`` into ``conditioning_to`` (``WEIGHTED_JOINS``).
Their texts are joined with ``PROMPT_PART_SEPARATOR``."""
WEIGHTED_JOINS = {"ConditioningAverage": "conditioning_to_strength"}
"""Joins that weigh their first input against their second, and the input holding the first one's
weight: core ``nodes.py`` ``ConditioningAverage.addWeighted`` makes ``conditioning_to × w +
conditioning_from × (1 − w)`` (its pooled output too) on ``conditioning_to``'s entries. At ``w`` = 1
(its default) ``conditioning_from`` adds nothing and only ``conditioning_to``'s text is kept; at 0 only
``conditioning_from``'s; between, both, ``conditioning_to``'s first."""
PROMPT_PART_SEPARATOR = "\n"
"""Between the texts of a ``CONDITIONING_JOINS`` node's inputs: a line break. The graph says nothing
about how the texts read together, and the engine's prompt features already split prompt chunks and
terms at line breaks (``engine/features/prompt_text.py``, ``engine/reflection_facts/weighted_terms.py``)."""
GUIDER_POSITIVE = ("positive", "conditioning")
GUIDER_NEGATIVE = "negative"
GUIDER_CFG = "cfg"
"""What a guider (the ``GUIDER`` a ``SamplerCustomAdvanced`` samples with) is read by when
``GUIDERS`` does not list it: its positive conditioning is the first of ``GUIDER_POSITIVE`` it has
(core ``CFGGuider`` ``positive``, ``BasicGuider`` ``conditioning``), its negative ``GUIDER_NEGATIVE``
and its guidance scale ``GUIDER_CFG`` (``BasicGuider`` has neither: it samples without CFG)."""
GUIDERS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "DualCFGGuider": (("cond1", "cond2"), "cfg_conds", ("cfg_cond2_negative", "style")),
    "PerpNegGuider": (("positive",), GUIDER_CFG, ("neg_scale",)),
}
"""``(positives, cfg, kept)`` of guiders read otherwise: the positive inputs (every one the guider
links is read, in order: the first one's text, then each other text that is no negative text (one
reached through a negative output, or the guider's own negative text), stripped, once, joined with
``PROMPT_PART_SEPARATOR``), the input that is the record's CFG scale, and secondary settings kept as
they are, with the pass (``extra["samplers"]``) and for the record's pass in ``extra["guider"]``.

Core ``comfy_extras/nodes_custom_sampler.py`` ``DualCFGGuider(model, cond1, cond2, negative,
cfg_conds, cfg_cond2_negative, style)``: ``Guider_DualCFG`` samples ``negative + cfg_cond2_negative ×
(cond2 − negative) + cfg_conds × (cond1 − cond2)`` ("regular"; "nested" nests the two). ``cond1`` is
the prompt and ``cfg_conds`` its scale. ``cond2`` is the conditioning in between: in the CosXL-Edit
and InstructPix2Pix templates it is ``InstructPixToPixConditioning``'s *negative* output (the input
image with the negative text), whose text is the negative's and so no prompt; a ``cond2`` with a text
of its own (a style prompt) steers the sampling too, and is kept after ``cond1``'s as
``ConditioningCombine``'s second input is. Core ``comfy_extras/nodes_perpneg.py``
``PerpNegGuider(model, positive, negative, empty_conditioning, cfg, neg_scale)``."""
LORA_MODEL_KEYS = ("strength_model", "lora_model_strength", "lora_strength", "strength")
LORA_CLIP_KEYS = ("strength_clip", "lora_clip_strength", "lora_strength", "strength")
"""A single-LoRA node's model and clip strengths (``LoraLoader``, the Efficient Loader's own LoRA,
Nunchaku's and tinyterra's ``ttN pipeKSampler_v2`` one ``lora_strength``)."""
NUMBERED_LORA = re.compile(r"lora_?(?:name_)?(\d{1,6})(?:_name)?")
"""Rows of multi-LoRA nodes: ``lora_name_N`` (Efficiency ``LoRA Stacker``, Comfyroll ``CR LoRA Stack``),
``lora_NN`` (rgthree ``Lora Loader Stack``: a name; ``Power Lora Loader``: a ``{"on", "lora",
"strength"}`` dict), ``lora_N_name`` (Easy-Use ``easy loraStack``), ``loraN_name`` (tinyterra's legacy
``ttN pipeLoader``)."""
SIMPLE_ROW_STRENGTHS = (
    (
        *("lora_wt_{}", "lora_weight_{}", "model_weight_{}", "model_str_{}", "strength_{}"),
        "lora_{}_strength",
        "lora{}_model_strength",
    ),
    (
        *("lora_wt_{}", "lora_weight_{}", "clip_weight_{}", "clip_str_{}", "strength_{}"),
        "lora_{}_strength",
        "lora{}_clip_strength",
    ),
)
"""``(model, clip)`` strength inputs of row ``{}``, first present wins: the Efficiency stacker's simple
mode has one ``lora_wt_N`` for both, Comfyroll ``model_weight_N``/``clip_weight_N``, rgthree
``strength_NN``, Easy-Use's simple mode ``lora_N_strength`` (its advanced inputs are written too, and
ignored), tinyterra's legacy ``ttN pipeLoader`` ``loraN_model_strength``/``loraN_clip_strength``."""
ADVANCED_ROW_STRENGTHS = (
    (
        "model_str_{}",
        "model_weight_{}",
        "lora_{}_model_strength",
        "lora_wt_{}",
        "lora_weight_{}",
        "strength_{}",
    ),
    ("clip_str_{}", "clip_weight_{}", "lora_{}_clip_strength", "lora_wt_{}", "lora_weight_{}", "strength_{}"),
)
"""The same in advanced mode (a ``ROW_MODE_KEYS`` input "advanced"): the Efficiency stacker's
``model_str_N``/``clip_str_N``, Easy-Use ``lora_N_model_strength``/``lora_N_clip_strength``."""
ROW_MODE_KEYS = ("input_mode", "mode")
"""The row mode: Efficiency's ``input_mode``, Easy-Use's ``mode``."""
ROW_COUNT_KEYS = ("lora_count", "num_loras")
"""How many rows apply (Efficiency ``lora_count``, Easy-Use ``num_loras``); rows past it are left out."""
LISTED_LORA_INPUT = "loras"
"""A ``loras`` input listing a node's LoRAs: Lora Manager's ``{"__value__": [{"name", "strength",
"clipStrength", "active"}, …]}`` (``Lora Loader``, ``Lora Stacker``; inactive rows apply nothing), or
``<lora:name:weight[:clip]>`` tag text (tinyterra's ``ttN pipeLoader_v2``)."""
STACK_INPUTS = ("lora_stack", "optional_lora_stack", "lora", "prev_lora")
"""Inputs taking the ``LORA_STACK`` a node extends (Easy-Use names it ``optional_lora_stack``); kijai's
video wrappers chain ``WanVideoLoraSelect`` nodes through ``prev_lora`` into the model loader's ``lora``
(``WANVIDLORA``, a list the loader applies). Only a linked one is a stack (a literal ``lora`` is a name,
``LORA_NAME_KEYS``)."""
LORA_NAME_KEYS = ("lora_name", "lora")
"""Where a LoRA node names its one LoRA: ``lora_name`` (core, most packs), ``lora`` (``WanVideoLoraSelect``,
whose strength is ``strength``, a model strength: ``LORA_MODEL_KEYS``)."""
CHAIN_FIRST_PREFIXES = ("CR ", "easy ", "Lora Loader (LoraManager)", "Lora Stacker (LoraManager)")
"""Nodes that apply the ``LORA_STACK`` they extend *before* their own rows (Comfyroll, Easy-Use's
``easy loraStack`` and loaders, Lora Manager); the Efficiency nodes put their own rows first."""
STACK_TOGGLE = "toggle"
"""Easy-Use ``easy loraStack``'s switch: turned off, the node outputs no stack at all."""
TAG_LORA_INPUTS = {
    "ImpactWildcardEncode": ("populated_text", "wildcard_text"),
    "WildcardEncode //Inspire": ("populated_text", "wildcard_text"),
    "LoraTagLoader": ("text",),
    "Power Prompt (rgthree)": ("prompt",),
    "SDXL Power Prompt - Positive (rgthree)": ("prompt_g", "prompt_l"),
}
"""Nodes that load the ``<lora:name:weight>`` tags of their text onto the model they pass on, and the
input holding that text (Impact/Inspire encode ``populated_text``, first present wins; a node in
``EVERY_TAG_INPUT`` loads the tags of each of its inputs). rgthree's ``Power Prompt`` nodes load them
only with their ``opt_model`` connected: they are on a model path only then."""
EVERY_TAG_INPUT = frozenset({"SDXL Power Prompt - Positive (rgthree)"})
"""Tag-loading nodes that load the tags of every ``TAG_LORA_INPUTS`` input: rgthree's ``SDXL Power
Prompt - Positive`` strips and loads the tags of ``prompt_g`` and of ``prompt_l``."""
PRESET_LORAS: dict[str, dict[str, tuple[str | None, str | None]]] = {
    "IPAdapterUnifiedLoaderFaceID": {
        "faceid plus v2": ("ip-adapter-faceid-plusv2_sd15_lora", "ip-adapter-faceid-plusv2_sdxl_lora"),
        "faceid plus - sd1.5 only": ("ip-adapter-faceid-plus_sd15_lora", None),
        "faceid": ("ip-adapter-faceid_sd15_lora", "ip-adapter-faceid_sdxl_lora"),
    },
}
"""Loaders that load a LoRA of their own chosen by a preset, at ``PRESET_LORA_STRENGTH``: per preset
(its whole value, lower case), the ``(SD1.5, SDXL)`` LoRA, ``None`` where there is none. cubiq's
``IPAdapterUnifiedLoaderFaceID`` (``utils.get_ipadapter_file``: ``faceid plus v2`` ->
``faceid.plusv2.sd15|sdxl.lora``, ``faceid plus -`` -> ``faceid.plus.sd15.lora`` (SD1.5 only),
``faceid`` -> ``faceid.sd15|sdxl.lora``, the portrait presets none) matches that pattern against the
LoRA folder; the names are the files h94/IP-Adapter-FaceID ships, which the patterns match. Which
family the checkpoint is decides between the two."""
PRESET_LORA_STRENGTH = "lora_strength"
"""The preset LoRA's model strength (the pack loads it on the model only, and not at all at 0)."""
STYLER_OUTPUTS = {
    "SDXLPromptStyler": ("text_positive", "text_negative"),
    "SDXLPromptStylerAdvanced": (
        "text_positive_g",
        "text_positive_l",
        "text_positive_g",
        "text_negative",
        "text_negative",
        "text_negative",
    ),
}
"""The typed input behind each output of a prompt styler (twri's ``SDXL Prompt Styler``). Its outputs
put the text into a style template the file does not hold, so the artist's text stands for them."""
ENCODER_OUTPUT_TEXTS = {
    "SeargeSDXLPromptEncoder": ("pos_g", "neg_g", "pos_r", "neg_r"),
    "SeargeSDXLBasePromptEncoder": ("pos_g", "neg_g"),
    "SeargeSDXLRefinerPromptEncoder": ("pos_r", "neg_r"),
}
"""Text encoders with several conditioning outputs, and the text input behind each output by output
index (odd outputs are negatives): SeargeDP's prompt encoders (``SeargeSDXL``: ``SeargeSDXLPromptEncoder``
outputs ``base_positive`` (``pos_g`` as CLIP-G text, ``pos_l`` as CLIP-L), ``base_negative`` (``neg_g``,
``neg_l``), ``refiner_positive`` (``pos_r``), ``refiner_negative`` (``neg_r``); the Base and Refiner
encoders the first two or last two of these). Where an encoder has a G and an L text the G one is
taken, as for ``CLIPTextEncodeSDXL`` (``TEXT_KEYS``)."""
WAS_CONCATENATIONS = frozenset({"Text Concatenate"})
"""WAS ``Text Concatenate``: strips each part when its ``clean_whitespace`` is "true" (the default), and
reads a delimiter typed ``\\n`` as a newline."""
JOINED_PARTS = {"CR Combine Prompt": (("part1", "part2", "part3", "part4"), "separator", ",")}
"""``(parts, separator_input, default_separator)`` of nodes that join a fixed set of parts, empty ones
too: Comfyroll's ``CR Combine Prompt`` outputs ``part1 + separator + part2 + separator + …``."""
FIND_REPLACE = {"Text Find and Replace": ("text", "find", "replace")}
"""``(text, find, replacement)`` inputs of find-and-replace nodes (WAS ``Text Find and Replace``, a
regular-expression substitution: a ``find`` or ``replace`` using regex syntax is never run on file data,
the text stands for the result)."""
SWITCH_OFF = frozenset({"off", "false", "no", "disable", "disabled"})
TIMED_OUTPUTS = {"VHS_VideoCombine": "CreationTime"}
"""Output nodes that write the time they saved the file into it, and the PNG text key they use:
VideoHelperSuite's ``VHS_VideoCombine`` (``videohelpersuite/nodes.py``) adds ``CreationTime`` =
``datetime.now().isoformat(" ")[:19]`` (local wall clock, no offset) to its first-frame PNG. Read
only when the graph holds that node."""
OUTPUT_MARKERS = ("save", "preview")
"""Class-name fragments of output nodes: a node whose class name holds one (``SaveImage``,
``PreviewImage``, ``Image Save``, ``easy imageSave`` …) and that takes an image link writes files,
named by its ``filename_prefix`` (``OUTPUT_PREFIX_INPUT``) as core ``SaveImage`` names them."""
OUTPUT_PREFIX_INPUT = "filename_prefix"
IMAGELESS_OUTPUTS = frozenset({"SaveWEBM", "SaveLatent"})
"""Save nodes that take an image or latent link but write no file an image reader opens, so never the
writer of the file read: core ``comfy_extras/nodes_video.py`` ``SaveWEBM`` (``images`` encoded as
``{prefix}_{counter:05}_.webm``, VP9/AV1) and ``nodes.py`` ``SaveLatent`` (``samples`` as
``{prefix}_{counter:05}_.latent``). Beside an image saver of the same prefix (a template's WEBM next to
its animated WEBP/PNG) they share its counter and name; they are left out of the outputs, as core
``SaveVideo`` is by its ``video`` input (an MP4/WEBM too)."""
OUTPUT_NODES: dict[str, tuple[str, bool]] = {
    "CR Image Output": (OUTPUT_PREFIX_INPUT, False),
    "VHS_VideoCombine": (OUTPUT_PREFIX_INPUT, False),
    "JWImageSaveToPath": ("path", True),
    "ttN imageOutput": ("save_prefix", False),
    "ImageSender": (OUTPUT_PREFIX_INPUT, False),
}
"""Output nodes the class-name rule (``OUTPUT_MARKERS``) misses or misreads, and ``(input, is_path)``:
the input that names the file they write, and whether it is the file's whole path (else a prefix
that ComfyUI's counter follows). Comfyroll's ``CR Image Output`` (``nodes/nodes_core.py``
``CR_ImageOutput``: ``{prefix}_{counter:05}_.{file_format}``, "Save" in the output folder, "Preview"
in the temp folder), VideoHelperSuite's ``VHS_VideoCombine`` (``videohelpersuite/nodes.py``:
``{prefix}_{counter:05}.png`` for the first frame, the same stem for the video), jamesWalker55's
``JWImageSaveToPath`` (``comfyui-various`` ``comfyui_image_ops.py``: ``img.save(path)``; a batch as
``{stem}-{i}{suffix}``), tinyterra's ``ttN imageOutput`` (``ttNpy/tinyterraNodes.py`` ``ttNsave.images``:
``{save_prefix}_{counter:05}.{ext}`` after its ``%date:…%`` tokens, "Save" in ``output_path``, its image
input named ``image``), Impact-Pack's ``ImageSender`` (``impact_pack.py``: core
``PreviewImage().save_images(images, filename_prefix)``, so ``{prefix}_temp_xxxxx_{counter:05}_.png`` in
the temp folder; default prefix "ImgSender")."""
COUNTER_FIRST_OUTPUTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "Image Save": ("filename_number_start", (True, "true")),
    "SaveImageExtended": ("counter_position", ("first",)),
}
"""Save nodes that can start the file name with their image counter, and ``(input, values)`` that make
them do so: WAS ``Image Save`` (``WAS_Node_Suite.py`` / ``nodes/io/image_save.py``:
``{counter:0{padding}}{delimiter}{prefix}.{ext}`` when ``filename_number_start`` is "true"/on), Save
Image Extended (``save_image_extended.py``: ``{counter:0{digits}}{delimiter}{name}{ext}`` when
``counter_position`` is "first"). Such leading digits are no ``%date:hhmmss%`` time of day."""
PREFIX_DATE_PRESETS = {"CR Image Output": "prefix_presets"}
"""Output nodes that append the day to their prefix, and the choice that says how: Comfyroll's
``CR Image Output`` writes ``{filename_prefix}_{yyyyMMdd}`` when ``prefix_presets`` is "yyyyMMdd"
(anything but "None"). The prefix is then read as ComfyUI's own ``{filename_prefix}_%date:yyyyMMdd%``
(the same name; a ``%…%`` token matches any text, and no time is read from it)."""


class ApiImageNode(NamedTuple):
    """How a partner (API) node that makes an image is read (``API_IMAGE_NODES``): the inputs of its
    ``define_schema`` that hold what the service was asked for.

    ``prompt``/``negative`` hold the texts (links to string nodes followed). The model is the value of
    ``model_input`` (a combo, or a ``DynamicCombo`` whose sub-inputs the API graph writes
    ``model.<name>``) as written, else ``model``: the id the node sends in its request (``model=``),
    or, where the request names none, the model its endpoint is named after (``/proxy/bfl/
    flux-pro-1.1-ultra/generate``); ``turbo`` = ``(toggle, model)`` names the model the node sends with
    that toggle on. ``None`` where neither names a model (Stability's ``generate/ultra``, its
    upscalers). ``seed`` is ``None`` where the node's schema says its seed only makes the node re-run
    ("not implemented yet in backend", "nondeterministic regardless of seed") or it has none;
    ``zero_seed_is_random``: a seed of 0 is not sent (the service picks one). ``sizes`` are the size
    sources in the order the node's code tries them: a pair of number inputs (both set and non-zero),
    or one choice written in pixels ("1024x1536", "2304x1728 (4:3)"; "auto", "Custom", an aspect ratio
    or "2K" name no size). ``steps``, ``cfg`` and ``guidance`` (kept as ``extra["guidance"]``, as
    FluxGuidance's is) are the inputs the node sends under those names."""

    model: str | None = None
    model_input: str | None = "model"
    prompt: str = "prompt"
    negative: str | None = None
    seed: str | None = "seed"
    sizes: tuple[tuple[str, ...], ...] = ()
    steps: str | None = None
    cfg: str | None = None
    guidance: str | None = None
    turbo: tuple[str, str] | None = None
    zero_seed_is_random: bool = False


_PIXELS = (("width", "height"),)
_SIZE_CHOICE = (("size",),)


def _bfl_tool(model: str) -> ApiImageNode:
    """A BFL node of one model that sends ``steps`` and ``guidance`` (Kontext, Expand, Fill, Canny,
    Depth)."""
    return ApiImageNode(model, model_input=None, steps="steps", guidance="guidance")


def _recraft_v3(sizes: tuple[tuple[str, ...], ...] = ()) -> ApiImageNode:
    """A Recraft V3 node: model ``recraftv3`` in its request, a ``negative_prompt``, a re-run seed."""
    return ApiImageNode("recraftv3", model_input=None, negative="negative_prompt", seed=None, sizes=sizes)


API_IMAGE_NODES: dict[str, ApiImageNode] = {
    # nodes_gemini.py: prompt, model (a combo of model ids, or "Nano Banana 2 (Gemini 3.1 Flash Image)",
    # kept as written), seed (a seed by its schema: "the model makes a best effort to provide the same
    # response", though the image requests of the current code do not send it); aspect_ratio and
    # resolution "1K"/"2K"/"4K" leave the size to the service
    "GeminiImageNode": ApiImageNode(),
    "GeminiImage2Node": ApiImageNode(),
    "GeminiNanoBanana2": ApiImageNode(),
    "GeminiNanoBanana2V2": ApiImageNode(),
    # nodes_bfl.py: one model per node, named by its endpoint
    "FluxProUltraImageNode": ApiImageNode("flux-pro-1.1-ultra", model_input=None),
    "FluxProImageNode": ApiImageNode("flux-pro-1.1", model_input=None, sizes=_PIXELS),
    "FluxKontextProImageNode": _bfl_tool("flux-kontext-pro"),
    "FluxKontextMaxImageNode": _bfl_tool("flux-kontext-max"),
    "FluxProExpandNode": _bfl_tool("flux-pro-1.0-expand"),
    "FluxProFillNode": _bfl_tool("flux-pro-1.0-fill"),
    "FluxProCannyNode": _bfl_tool("flux-pro-1.0-canny"),
    "FluxProDepthNode": _bfl_tool("flux-pro-1.0-depth"),
    "Flux2ProImageNode": ApiImageNode("flux-2-pro", model_input=None, sizes=_PIXELS),
    "Flux2MaxImageNode": ApiImageNode("flux-2-max", model_input=None, sizes=_PIXELS),
    "Flux2ImageNode": ApiImageNode(sizes=(("model.width", "model.height"),)),
    # nodes_openai.py: every seed is "not implemented yet in backend"; GPT Image 1 ran "gpt-image-1"
    # before it had a model input (its execute default)
    "OpenAIDalle2": ApiImageNode("dall-e-2", model_input=None, seed=None, sizes=_SIZE_CHOICE),
    "OpenAIDalle3": ApiImageNode("dall-e-3", model_input=None, seed=None, sizes=_SIZE_CHOICE),
    "OpenAIGPTImage1": ApiImageNode("gpt-image-1", seed=None, sizes=_SIZE_CHOICE),
    "OpenAIGPTImage2": ApiImageNode(
        "gpt-image-2", seed=None, sizes=(("custom_width", "custom_height"), ("size",))
    ),
    # nodes_ideogram.py: V1/V2 send model V_1/V_2 (V_1_TURBO/V_2_TURBO with turbo on); V2/V3's
    # resolution "W x H" overrides the aspect ratio unless "Auto"; V3 posts to ideogram-v3 and sends
    # no seed of 0
    "IdeogramV1": ApiImageNode(
        "V_1", model_input=None, negative="negative_prompt", turbo=("turbo", "V_1_TURBO")
    ),
    "IdeogramV2": ApiImageNode(
        "V_2",
        model_input=None,
        negative="negative_prompt",
        turbo=("turbo", "V_2_TURBO"),
        sizes=(("resolution",),),
    ),
    "IdeogramV3": ApiImageNode(
        "ideogram-v3", model_input=None, sizes=(("resolution",),), zero_seed_is_random=True
    ),
    # nodes_recraft.py: every seed "determines if node should re-run; actual results are
    # nondeterministic regardless of seed"; the V3 nodes send model "recraftv3"; V4 ignores its
    # negative_prompt ("not supported by Recraft V4 and V4.1 models")
    "RecraftTextToImageNode": _recraft_v3(_SIZE_CHOICE),
    "RecraftImageToImageNode": _recraft_v3(),
    "RecraftImageInpaintingNode": _recraft_v3(),
    "RecraftReplaceBackgroundNode": _recraft_v3(),
    "RecraftV4TextToImageNode": ApiImageNode(seed=None, sizes=(("model.size",),)),
    # nodes_stability.py
    "StabilityStableImageUltraNode": ApiImageNode(model_input=None, negative="negative_prompt"),
    "StabilityStableImageSD_3_5Node": ApiImageNode(negative="negative_prompt", cfg="cfg_scale"),
    "StabilityUpscaleConservativeNode": ApiImageNode(model_input=None, negative="negative_prompt"),
    "StabilityUpscaleCreativeNode": ApiImageNode(model_input=None, negative="negative_prompt"),
    # nodes_luma.py: the seed only makes the node re-run
    "LumaImageNode": ApiImageNode(seed=None),
    "LumaImageModifyNode": ApiImageNode(seed=None),
    # nodes_kling.py: no seed
    "KlingImageGenerationNode": ApiImageNode(model_input="model_name", negative="negative_prompt", seed=None),
    # nodes_runway.py: no seed, the request names model gen4_image
    "RunwayTextToImageNode": ApiImageNode("gen4_image", model_input=None, seed=None),
    # nodes_bytedance.py: a size_preset "WxH (ratio)" wins, "Custom" takes width/height
    "ByteDanceImageNode": ApiImageNode(
        guidance="guidance_scale", sizes=(("size_preset",), ("width", "height"))
    ),
    "ByteDanceSeedreamNode": ApiImageNode(sizes=(("size_preset",), ("width", "height"))),
    "ByteDanceImageEditNode": ApiImageNode(guidance="guidance_scale"),
    # nodes_wan.py
    "WanTextToImageApi": ApiImageNode(negative="negative_prompt", sizes=_PIXELS),
    "WanImageToImageApi": ApiImageNode(negative="negative_prompt"),
}
"""Partner (API) nodes of core ComfyUI (comfyanonymous/ComfyUI ``comfy_api_nodes/nodes_*.py``) that
return an image made by a hosted model, with no sampler in the graph: each is the pass that made the
pixels it outputs (:mod:`engine.metadata.comfy_passes`), read as :class:`ApiImageNode` says. Their
video, audio, 3D and text nodes, and image tools without a prompt (upscalers, background removal,
vectorizing) make no image pass. MiniMax and Pika have no image node."""
