"""Probe round 25: ComfyUI graphs of the 2025-26 model families saved as UI-format-only workflows.

Their API graphs (``prompt`` chunk) were already read in full; what a file with only the ``workflow``
chunk lost were the widget values of the nodes the reader had not named: Qwen-Image-Edit-2509's
``TextEncodeQwenImageEditPlus``, FLUX.2's ``Flux2Scheduler`` / ``EmptyFlux2LatentImage``,
``EmptyHunyuanImageLatent``, the Wan conditioning nodes that make the latent (first-last frame,
VACE, Fun, camera, Phantom, Animate, ATI tracks, Wan 2.2's 5B latent), core ``StringConcatenate``,
the SIGMAS schedulers other than ``BasicScheduler``, three core text encoders and Nunchaku's
loaders. Each node's positional ``widgets_values`` follow its ``INPUT_TYPES`` (ComfyUI
``comfy_extras``, nunchaku-tech/ComfyUI-nunchaku); sources in /tmp/probe55/sources.md.
"""

from __future__ import annotations

import pytest
from comfy_graph_builder import UiWorkflow, read_workflow

from engine.records import GenerationRecord

PROMPT = "a glass greenhouse on the moon, earthrise, cinematic"
NEGATIVE = "blurry, lowres"
SAMPLER_IN = (
    ("model", "MODEL"),
    ("positive", "CONDITIONING"),
    ("negative", "CONDITIONING"),
    ("latent_image", "LATENT"),
)
COND = (("CONDITIONING", "CONDITIONING"),)
LATENT = (("LATENT", "LATENT"),)
WAN_OUT = (("positive", "CONDITIONING"), ("negative", "CONDITIONING"), ("latent", "LATENT"))


def _loaders(wf: UiWorkflow, unet: str = "model.safetensors") -> None:
    """UNETLoader ``1``, CLIPLoader ``2``, VAELoader ``3``."""
    wf.add(1, "UNETLoader", [unet, "default"], outputs=(("MODEL", "MODEL"),))
    wf.add(
        2,
        "CLIPLoader",
        ["umt5_xxl_fp8_e4m3fn_scaled.safetensors", "wan", "default"],
        outputs=(("CLIP", "CLIP"),),
    )
    wf.add(3, "VAELoader", ["ae.safetensors"], outputs=(("VAE", "VAE"),))


def _encoders(wf: UiWorkflow, encoder: str = "CLIPTextEncode", positive: list[object] | None = None) -> None:
    """Positive encoder ``6`` (``encoder`` with ``positive`` widgets) and a CLIPTextEncode negative ``7``."""
    wf.add(
        6, encoder, positive if positive is not None else [PROMPT], inputs=(("clip", "CLIP"),), outputs=COND
    )
    wf.add(7, "CLIPTextEncode", [NEGATIVE], inputs=(("clip", "CLIP"),), outputs=COND)
    wf.link(2, 0, 6, "clip")
    wf.link(2, 0, 7, "clip")


def _ksampler(
    wf: UiWorkflow,
    latent: tuple[int, int],
    positive: tuple[int, int] = (6, 0),
    negative: tuple[int, int] = (7, 0),
) -> dict[str, object]:
    """KSampler ``10`` (seed 4242, 24 steps, cfg 3.5, euler simple) on model ``1``; the saved workflow."""
    wf.add(10, "KSampler", [4242, "fixed", 24, 3.5, "euler", "simple", 1], inputs=SAMPLER_IN, outputs=LATENT)
    wf.link(1, 0, 10, "model")
    wf.link(*positive, 10, "positive")
    wf.link(*negative, 10, "negative")
    wf.link(*latent, 10, "latent_image")
    return wf.save((10, 0), (3, 0))


def test_qwen_image_edit_plus_encoder_gives_its_prompt_widget() -> None:
    """Qwen-Image-Edit-2509 template: ``TextEncodeQwenImageEditPlus`` (clip, vae, image1-3 links; one
    ``prompt`` widget) on both sides, the negative one empty; latent from VAEEncode (no size)."""
    wf = UiWorkflow()
    _loaders(wf, "qwen_image_edit_2509_fp8_e4m3fn.safetensors")
    wf.add(4, "LoadImage", ["person.png", "image"], outputs=(("IMAGE", "IMAGE"), ("MASK", "MASK")))
    wf.add(5, "VAEEncode", inputs=(("pixels", "IMAGE"), ("vae", "VAE")), outputs=LATENT)
    wf.link(4, 0, 5, "pixels")
    wf.link(3, 0, 5, "vae")
    edit_in = (
        ("clip", "CLIP"),
        ("vae", "VAE"),
        ("image1", "IMAGE"),
        ("image2", "IMAGE"),
        ("image3", "IMAGE"),
    )
    wf.add(
        6,
        "TextEncodeQwenImageEditPlus",
        ["The woman wears the coat from image 2"],
        inputs=edit_in,
        outputs=COND,
    )
    wf.add(7, "TextEncodeQwenImageEditPlus", [""], inputs=edit_in, outputs=COND)
    for encoder in (6, 7):
        wf.link(2, 0, encoder, "clip")
        wf.link(3, 0, encoder, "vae")
        wf.link(4, 0, encoder, "image1")
    record = read_workflow(_ksampler(wf, (5, 0)))
    assert record.prompt == "The woman wears the coat from image 2"
    assert record.negative_prompt is None
    assert (record.seed, record.steps, record.width) == (4242, 24, None)


def test_flux2_scheduler_and_latent_give_steps_and_size() -> None:
    """FLUX.2 dev template: SamplerCustomAdvanced whose sigmas come from ``Flux2Scheduler`` (steps,
    width, height widgets) and whose latent is ``EmptyFlux2LatentImage`` (width, height, batch_size)."""
    wf = UiWorkflow()
    _loaders(wf, "flux2_dev_fp8mixed.safetensors")
    _encoders(wf)
    wf.add(20, "FluxGuidance", [4], inputs=(("conditioning", "CONDITIONING"),), outputs=COND)
    wf.add(
        21,
        "BasicGuider",
        inputs=(("model", "MODEL"), ("conditioning", "CONDITIONING")),
        outputs=(("GUIDER", "GUIDER"),),
    )
    wf.add(22, "RandomNoise", [435922656034611, "randomize"], outputs=(("NOISE", "NOISE"),))
    wf.add(23, "KSamplerSelect", ["euler"], outputs=(("SAMPLER", "SAMPLER"),))
    wf.add(24, "Flux2Scheduler", [28, 1248, 832], outputs=(("SIGMAS", "SIGMAS"),))
    wf.add(25, "EmptyFlux2LatentImage", [1248, 832, 1], outputs=LATENT)
    wf.add(
        26,
        "SamplerCustomAdvanced",
        inputs=(
            ("noise", "NOISE"),
            ("guider", "GUIDER"),
            ("sampler", "SAMPLER"),
            ("sigmas", "SIGMAS"),
            ("latent_image", "LATENT"),
        ),
        outputs=(("output", "LATENT"), ("denoised_output", "LATENT")),
    )
    wf.link(6, 0, 20, "conditioning")
    wf.link(1, 0, 21, "model")
    wf.link(20, 0, 21, "conditioning")
    for origin, name in (
        (22, "noise"),
        (21, "guider"),
        (23, "sampler"),
        (24, "sigmas"),
        (25, "latent_image"),
    ):
        wf.link(origin, 0, 26, name)
    record = read_workflow(wf.save((26, 0), (3, 0)))
    assert (record.seed, record.steps, record.sampler) == (435922656034611, 28, "euler")
    assert (record.width, record.height) == (1248, 832)


@pytest.mark.parametrize(
    ("scheduler", "widgets"),
    [
        ("KarrasScheduler", [17, 14.614642, 0.0291675, 7.0]),
        ("ExponentialScheduler", [17, 14.614642, 0.0291675]),
        ("PolyexponentialScheduler", [17, 14.614642, 0.0291675, 1.0]),
        ("LaplaceScheduler", [17, 14.614642, 0.0291675, 0.0, 0.5]),
        ("VPScheduler", [17, 19.9, 0.1, 0.001]),
        ("BetaSamplingScheduler", [17, 0.6, 0.6]),
        ("GITSScheduler", [1.2, 17, 1.0]),
        ("OptimalStepsScheduler", ["Wan", 17, 1.0]),
    ],
)
def test_sigmas_schedulers_give_their_step_count(scheduler: str, widgets: list[object]) -> None:
    """SamplerCustom (add_noise, noise_seed + control, cfg) whose sigmas come from a core scheduler
    other than ``BasicScheduler``: the steps are that scheduler's ``steps`` widget, wherever it sits."""
    wf = UiWorkflow()
    _loaders(wf)
    _encoders(wf)
    wf.add(23, "KSamplerSelect", ["dpmpp_2m"], outputs=(("SAMPLER", "SAMPLER"),))
    wf.add(24, scheduler, widgets, inputs=(("model", "MODEL"),), outputs=(("SIGMAS", "SIGMAS"),))
    wf.add(25, "EmptySD3LatentImage", [1024, 768, 1], outputs=LATENT)
    wf.add(
        26,
        "SamplerCustom",
        [True, 97531, "fixed", 5.5],
        inputs=(*SAMPLER_IN[:3], ("sampler", "SAMPLER"), ("sigmas", "SIGMAS"), ("latent_image", "LATENT")),
        outputs=(("output", "LATENT"), ("denoised_output", "LATENT")),
    )
    wf.link(1, 0, 24, "model")
    wf.link(1, 0, 26, "model")
    wf.link(6, 0, 26, "positive")
    wf.link(7, 0, 26, "negative")
    wf.link(23, 0, 26, "sampler")
    wf.link(24, 0, 26, "sigmas")
    wf.link(25, 0, 26, "latent_image")
    record = read_workflow(wf.save((26, 0), (3, 0)))
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (97531, 17, 5.5, "dpmpp_2m")
    assert (record.width, record.height) == (1024, 768)


@pytest.mark.parametrize(
    ("latent_type", "widgets"),
    [
        ("EmptyHunyuanImageLatent", [2048, 1536, 1]),
        ("EmptyFlux2LatentImage", [2048, 1536, 1]),
    ],
)
def test_new_empty_latents_give_their_size(latent_type: str, widgets: list[object]) -> None:
    """HunyuanImage 2.1's and FLUX.2's empty latents (width, height, batch_size) under a KSampler."""
    wf = UiWorkflow()
    _loaders(wf, "hunyuanimage2.1_bf16.safetensors")
    _encoders(wf)
    wf.add(5, latent_type, widgets, outputs=LATENT)
    record = read_workflow(_ksampler(wf, (5, 0)))
    assert (record.width, record.height, record.steps) == (2048, 1536, 24)


@pytest.mark.parametrize(
    ("node_type", "widgets", "outputs", "latent_slot"),
    [
        ("WanFirstLastFrameToVideo", [720, 1280, 33, 1], WAN_OUT, 2),
        ("WanFunControlToVideo", [720, 1280, 33, 1], WAN_OUT, 2),
        ("WanFunInpaintToVideo", [720, 1280, 33, 1], WAN_OUT, 2),
        ("WanCameraImageToVideo", [720, 1280, 33, 1], WAN_OUT, 2),
        (
            "WanPhantomSubjectToVideo",
            [720, 1280, 33, 1],
            (
                ("positive", "CONDITIONING"),
                ("negative_text", "CONDITIONING"),
                ("negative_img_text", "CONDITIONING"),
                ("latent", "LATENT"),
            ),
            3,
        ),
        ("WanVaceToVideo", [720, 1280, 33, 1, 1.0], (*WAN_OUT, ("trim_latent", "INT")), 2),
        (
            "WanAnimateToVideo",
            [720, 1280, 77, 1, 5, 0],
            (*WAN_OUT, ("trim_latent", "INT"), ("trim_image", "INT"), ("video_frame_offset", "INT")),
            2,
        ),
        ("WanTrackToVideo", ['[{"x": 10, "y": 20}]', 720, 1280, 33, 1, 220.0, 2], WAN_OUT, 2),
    ],
)
def test_wan_conditioning_nodes_give_the_latent_size(
    node_type: str, widgets: list[object], outputs: tuple[tuple[str, str], ...], latent_slot: int
) -> None:
    """Wan templates (FLF2V, Fun, camera, Phantom, VACE, Animate, ATI tracks): the node that conditions
    the prompts also makes the latent; its size is in its widgets (conditioning, vae and images are
    links; the track node's tracks JSON comes first)."""
    wf = UiWorkflow()
    _loaders(wf, "wan2.1_vace_14B_fp16.safetensors")
    _encoders(wf)
    wf.add(
        5,
        node_type,
        widgets,
        inputs=(("positive", "CONDITIONING"), ("negative", "CONDITIONING"), ("vae", "VAE")),
        outputs=outputs,
    )
    wf.link(6, 0, 5, "positive")
    wf.link(7, 0, 5, "negative")
    wf.link(3, 0, 5, "vae")
    record = read_workflow(_ksampler(wf, (5, latent_slot), (5, 0), (5, 1)))
    assert (record.width, record.height) == (720, 1280)
    assert (record.prompt, record.negative_prompt) == (PROMPT, NEGATIVE)


def test_wan22_5b_latent_node_gives_its_size() -> None:
    """Wan 2.2 5B ti2v template: ``Wan22ImageToVideoLatent`` (vae link, then width, height, length,
    batch_size) is the KSampler's latent."""
    wf = UiWorkflow()
    _loaders(wf, "wan2.2_ti2v_5B_fp16.safetensors")
    _encoders(wf)
    wf.add(
        5,
        "Wan22ImageToVideoLatent",
        [1280, 704, 121, 1],
        inputs=(("vae", "VAE"), ("start_image", "IMAGE")),
        outputs=LATENT,
    )
    wf.link(3, 0, 5, "vae")
    record = read_workflow(_ksampler(wf, (5, 0)))
    assert (record.width, record.height) == (1280, 704)


def test_string_concatenate_joins_with_its_delimiter_widget() -> None:
    """Core ``StringConcatenate`` (string_a, string_b, delimiter) whose two strings are linked from
    ``PrimitiveStringMultiline`` / ``PrimitiveString`` (their stale widget values still saved)."""
    wf = UiWorkflow()
    _loaders(wf, "z_image_turbo_bf16.safetensors")
    wf.add(30, "PrimitiveStringMultiline", ["a lone hiker on a ridge"], outputs=(("STRING", "STRING"),))
    wf.add(31, "PrimitiveString", ["golden hour"], outputs=(("STRING", "STRING"),))
    wf.add(
        32,
        "StringConcatenate",
        ["", "", " | "],
        inputs=(("string_a", "STRING", "string_a"), ("string_b", "STRING", "string_b")),
        outputs=(("STRING", "STRING"),),
    )
    wf.link(30, 0, 32, "string_a")
    wf.link(31, 0, 32, "string_b")
    _encoders(wf)
    wf.nodes[6]["inputs"].append({"name": "text", "type": "STRING", "link": None, "widget": {"name": "text"}})
    wf.link(32, 0, 6, "text")
    wf.add(5, "EmptySD3LatentImage", [1024, 1280, 1], outputs=LATENT)
    record = read_workflow(_ksampler(wf, (5, 0)))
    assert record.prompt == "a lone hiker on a ridge | golden hour"


@pytest.mark.parametrize(
    ("encoder", "widgets"),
    [
        ("CLIPTextEncodeHunyuanDiT", [PROMPT, PROMPT]),
        ("CLIPTextEncodeKandinsky5", [PROMPT, PROMPT]),
        ("TextEncodeHunyuanVideo_ImageToVideo", [PROMPT, 2]),
    ],
)
def test_core_text_encoders_give_their_prompt(encoder: str, widgets: list[object]) -> None:
    """Core encoders whose text widgets are not ``text``: HunyuanDiT (bert, mt5xl), Kandinsky 5
    (clip_l, qwen25_7b), HunyuanVideo image-to-video (prompt, image_interleave)."""
    wf = UiWorkflow()
    _loaders(wf)
    _encoders(wf, encoder, widgets)
    wf.add(5, "EmptyLatentImage", [1024, 1024, 1], outputs=LATENT)
    record = read_workflow(_ksampler(wf, (5, 0)))
    assert (record.prompt, record.negative_prompt) == (PROMPT, NEGATIVE)


def _nunchaku(loader: str, widgets: list[object]) -> GenerationRecord:
    """A Nunchaku DiT loader ``1`` -> two ``NunchakuFluxLoraLoader`` (lora_name, lora_strength) ->
    KSampler."""
    wf = UiWorkflow()
    _loaders(wf)
    wf.add(1, loader, widgets, outputs=(("MODEL", "MODEL"),))
    lora_in = (("model", "MODEL"),)
    wf.add(
        40,
        "NunchakuFluxLoraLoader",
        ["diffusers-ghibsky.safetensors", 1.0],
        inputs=lora_in,
        outputs=(("MODEL", "MODEL"),),
    )
    wf.add(
        41,
        "NunchakuFluxLoraLoader",
        ["FLUX.1-Turbo-Alpha.safetensors", 0.9],
        inputs=lora_in,
        outputs=(("MODEL", "MODEL"),),
    )
    wf.link(1, 0, 40, "model")
    wf.link(40, 0, 41, "model")
    _encoders(wf)
    wf.add(5, "EmptySD3LatentImage", [1024, 1024, 1], outputs=LATENT)
    wf.add(10, "KSampler", [4242, "fixed", 10, 1.0, "euler", "simple", 1], inputs=SAMPLER_IN, outputs=LATENT)
    wf.link(41, 0, 10, "model")
    wf.link(6, 0, 10, "positive")
    wf.link(7, 0, 10, "negative")
    wf.link(5, 0, 10, "latent_image")
    return read_workflow(wf.save((10, 0), (3, 0)))


def test_nunchaku_flux_loaders_give_model_and_loras() -> None:
    """ComfyUI-nunchaku FLUX example: ``NunchakuFluxDiTLoader`` (model_path first of seven widgets)
    and its LoRA loaders."""
    record = _nunchaku(
        "NunchakuFluxDiTLoader",
        ["svdq-int4_r32-flux.1-dev.safetensors", 0, "nunchaku-fp16", "auto", 0, "bfloat16", "enabled"],
    )
    assert record.model == "svdq-int4_r32-flux.1-dev.safetensors"
    assert [(lora.name, lora.weight) for lora in record.loras] == [
        ("diffusers-ghibsky.safetensors", 1.0),
        ("FLUX.1-Turbo-Alpha.safetensors", 0.9),
    ]


def test_nunchaku_qwen_loader_gives_the_model() -> None:
    """``NunchakuQwenImageDiTLoader`` (model_name, cpu_offload, num_blocks_on_gpu, use_pin_memory)."""
    record = _nunchaku(
        "NunchakuQwenImageDiTLoader",
        ["svdq-int4_r128-qwen-image-lightningv1.1-8steps.safetensors", "auto", 1, "disable"],
    )
    assert record.model == "svdq-int4_r128-qwen-image-lightningv1.1-8steps.safetensors"
