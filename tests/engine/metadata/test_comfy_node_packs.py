"""Custom node packs in ComfyUI graphs: size pickers, pipes, contexts, selectors and switches.

Each graph is built with the class names, input names and output order the packs declare (rgthree's
``SDXL Empty Latent Image`` and contexts, essentials' ``SDXLEmptyLatentSizePicker+``, Comfyroll's
aspect-ratio nodes and input switches, pysssss' image combos, comfy-image-saver's ``Checkpoint
Selector``, Impact's ``BASIC_PIPE``, Efficiency's ``SDXL_TUPLE``, Easy-Use's ``PIPE_LINE`` and string
nodes), written into a PNG ``prompt`` chunk and read back as a record.
"""

from __future__ import annotations

from typing import Any

import pytest
from comfy_graph_builder import node, read, sampled

from engine.records import LoraRef


def cr_aspect(class_type: str, aspect_ratio: str, **extra: Any) -> dict[str, Any]:
    """A Comfyroll aspect-ratio node with its width/height widgets left at 1024."""
    inputs = {
        "width": 1024,
        "height": 1024,
        "aspect_ratio": aspect_ratio,
        "swap_dimensions": "Off",
        "upscale_factor": 1.0,
        "batch_size": 1,
    }
    return node(class_type, **(inputs | extra))


# -- size nodes --------------------------------------------------------------------------------------
def test_rgthree_sdxl_empty_latent_reads_its_dimensions_choice() -> None:
    graph = sampled(["30", 0])
    graph["30"] = node(
        "SDXL Empty Latent Image (rgthree)",
        dimensions=" 832 x 1216  (portrait)",
        clip_scale=2.0,
        batch_size=1,
    )
    rec = read(graph)
    assert (rec.width, rec.height) == (832, 1216)


def test_essentials_size_picker_resolution_and_its_non_zero_overrides() -> None:
    graph = sampled(["30", 0])
    graph["30"] = node(
        "SDXLEmptyLatentSizePicker+",
        resolution="896x1152 (0.78)",
        batch_size=1,
        width_override=0,
        height_override=1200,
    )
    rec = read(graph)
    assert (rec.width, rec.height) == (896, 1200)


@pytest.mark.parametrize(
    ("class_type", "aspect_ratio", "extra", "latent_output", "size"),
    [
        ("CR SDXL Aspect Ratio", "3:4 portrait 896x1152", {}, 4, (896, 1152)),
        ("CR SDXL Aspect Ratio", "3:2 landscape 1216x832", {"swap_dimensions": "On"}, 4, (832, 1216)),
        (
            "CR SDXL Aspect Ratio",
            "custom",
            {"width": 640, "height": 960, "swap_dimensions": "On", "upscale_factor": 2.0},
            4,
            (960, 640),
        ),
        ("CR Aspect Ratio", "SDXL - 5:8 portrait 832x1216", {"prescale_factor": 1.0}, 5, (832, 1216)),
        ("CR Aspect Ratio", "custom", {"width": 640, "height": 480, "prescale_factor": 1.5}, 5, (960, 720)),
    ],
)
def test_comfyroll_aspect_ratio_latent_follows_preset_swap_and_prescale(
    class_type: str, aspect_ratio: str, extra: dict[str, Any], latent_output: int, size: tuple[int, int]
) -> None:
    """The preset gives the size unless it is "custom"; ``upscale_factor`` leaves the latent alone."""
    graph = sampled(["30", latent_output])
    graph["30"] = cr_aspect(class_type, aspect_ratio, **extra)
    rec = read(graph)
    assert (rec.width, rec.height) == size


def test_empty_latent_width_and_height_linked_from_size_node_outputs() -> None:
    """Comfyroll outputs width (0) and height (1); essentials' picker LATENT (0), width (1), height (2)."""
    graph = sampled(["5", 0])
    graph["30"] = cr_aspect("CR SDXL Aspect Ratio", "3:2 landscape 1216x832")
    graph["5"] = node("EmptyLatentImage", width=["30", 0], height=["30", 1], batch_size=["30", 3])
    assert (read(graph).width, read(graph).height) == (1216, 832)

    graph["30"] = node("SDXLEmptyLatentSizePicker+", resolution="1344x768 (1.75)", batch_size=1)
    graph["5"] = node("EmptyLatentImage", width=["30", 1], height=["30", 2], batch_size=1)
    rec = read(graph)
    assert (rec.width, rec.height) == (1344, 768)


# -- checkpoint and LoRA names ------------------------------------------------------------------------
def test_pysssss_image_combos_give_their_content() -> None:
    graph = sampled(["5", 0], model=["10", 0])
    graph["4"] = node(
        "CheckpointLoader|pysssss",
        ckpt_name={"content": "SDXL\\juggernautXL.safetensors", "image": "checkpoints/SDXL/juggernautXL.png"},
    )
    graph["10"] = node(
        "LoraLoader|pysssss",
        lora_name={"content": "SDXL\\add-detail-xl.safetensors", "image": None},
        strength_model=0.8,
        strength_clip=0.8,
        model=["4", 0],
        clip=["4", 1],
    )
    graph["5"] = node("EmptyLatentImage", width=1024, height=1024, batch_size=1)
    rec = read(graph)
    assert rec.model == "SDXL\\juggernautXL.safetensors"
    assert rec.loras == (LoraRef("SDXL\\add-detail-xl.safetensors", 0.8),)


@pytest.mark.parametrize(
    ("loader", "name_node"),
    [
        ("CheckpointLoaderSimple", node("Checkpoint Selector", ckpt_name="dreamshaper_8.safetensors")),
        ("Checkpoint Loader (Simple)", node("Checkpoint Selector", ckpt_name="dreamshaper_8.safetensors")),
        ("CheckpointLoaderSimple", node("PrimitiveString", value="dreamshaper_8.safetensors")),
    ],
)
def test_checkpoint_name_linked_from_a_selector_or_string_node(
    loader: str, name_node: dict[str, Any]
) -> None:
    graph = sampled(["5", 0])
    graph["12"] = name_node
    graph["4"] = node(loader, ckpt_name=["12", 0])
    graph["5"] = node("EmptyLatentImage", width=512, height=768, batch_size=1)
    assert read(graph).model == "dreamshaper_8.safetensors"


# -- rgthree contexts -----------------------------------------------------------------------------------
def test_rgthree_context_outputs_carry_their_fields_through_a_chained_context() -> None:
    """Outputs CONTEXT, MODEL, CLIP, VAE, POSITIVE, NEGATIVE, LATENT, IMAGE, SEED; a context fills what
    it is not given from its ``base_ctx``."""
    graph = sampled(["41", 6], seed=["41", 8], model=["41", 1], positive=["41", 4], negative=["41", 5])
    graph["5"] = node("EmptyLatentImage", width=832, height=1216, batch_size=1)
    graph["30"] = node("Seed (rgthree)", seed=192837465)
    graph["40"] = node(
        "Context (rgthree)",
        model=["4", 0],
        clip=["4", 1],
        vae=["4", 2],
        positive=["6", 0],
        negative=["7", 0],
        latent=["5", 0],
        seed=["30", 0],
    )
    graph["11"] = node("CLIPTextEncode", text="a steampunk owl", clip=["4", 1])
    graph["41"] = node("Context (rgthree)", base_ctx=["40", 0], positive=["11", 0])
    rec = read(graph)
    assert (rec.prompt, rec.negative_prompt) == ("a steampunk owl", "blurry")
    assert rec.seed == 192837465
    assert rec.model == "sd_xl_base_1.0.safetensors"
    assert (rec.width, rec.height) == (832, 1216)


def test_rgthree_context_big_carries_sampler_settings() -> None:
    """Big contexts add STEPS (9), STEP_REFINER, CFG (11), CKPT_NAME, SAMPLER (13), SCHEDULER (14)…"""
    graph = sampled(["5", 0], steps=["40", 9], cfg=["40", 11], sampler_name=["40", 13], negative=["40", 5])
    graph["5"] = node("EmptyLatentImage", width=1024, height=1024, batch_size=1)
    graph["20"] = node("Int Literal", int=28)
    graph["21"] = node("Sampler Selector", sampler_name="dpmpp_2m")
    graph["22"] = node("Cfg Literal", float=6.5)
    graph["40"] = node(
        "Context Big (rgthree)",
        positive=["6", 0],
        negative=["7", 0],
        steps=["20", 0],
        cfg=["22", 0],
        sampler=["21", 0],
    )
    rec = read(graph)
    assert (rec.steps, rec.cfg_scale, rec.sampler) == (28, 6.5, "dpmpp_2m")
    assert rec.negative_prompt == "blurry"


def test_rgthree_context_merge_takes_each_field_from_the_last_context_that_has_it() -> None:
    """``Context Merge`` lets later contexts override earlier ones field by field; ``Context Switch``
    outputs its first context whole."""
    graph = sampled(["5", 0], positive=["42", 4], negative=["42", 5])
    graph["5"] = node("EmptyLatentImage", width=512, height=512, batch_size=1)
    graph["11"] = node("CLIPTextEncode", text="a later prompt", clip=["4", 1])
    graph["40"] = node("Context (rgthree)", positive=["6", 0], negative=["7", 0])
    graph["41"] = node("Context (rgthree)", positive=["11", 0])
    graph["42"] = node("Context Merge (rgthree)", ctx_01=["40", 0], ctx_02=["41", 0])
    rec = read(graph)
    assert (rec.prompt, rec.negative_prompt) == ("a later prompt", "blurry")

    graph["42"] = node("Context Switch (rgthree)", ctx_01=["41", 0], ctx_02=["40", 0])
    rec = read(graph)
    assert (rec.prompt, rec.negative_prompt) == ("a later prompt", None)


# -- pipes ------------------------------------------------------------------------------------------------
def test_impact_basic_pipe_sampler_takes_model_and_prompts_from_the_pipe() -> None:
    graph = {
        "4": node("CheckpointLoaderSimple", ckpt_name="counterfeitV30_v30.safetensors"),
        "10": node(
            "LoraLoader",
            lora_name="ink_wash_style_v2.safetensors",
            strength_model=0.65,
            strength_clip=0.65,
            model=["4", 0],
            clip=["4", 1],
        ),
        "6": node("CLIPTextEncode", text="a samurai in a bamboo forest", clip=["10", 1]),
        "7": node("CLIPTextEncode", text="lowres", clip=["10", 1]),
        "20": node(
            "ToBasicPipe", model=["10", 0], clip=["10", 1], vae=["4", 2], positive=["6", 0], negative=["7", 0]
        ),
        "5": node("EmptyLatentImage", width=512, height=768, batch_size=1),
        "21": node(
            "ImpactKSamplerBasicPipe",
            seed=3030303,
            steps=26,
            cfg=7.5,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=1.0,
            basic_pipe=["20", 0],
            latent_image=["5", 0],
        ),
        "8": node("VAEDecode", samples=["21", 1], vae=["21", 2]),
        "9": node("SaveImage", filename_prefix="ComfyUI", images=["8", 0]),
    }
    rec = read(graph)
    assert (rec.prompt, rec.negative_prompt) == ("a samurai in a bamboo forest", "lowres")
    assert rec.model == "counterfeitV30_v30.safetensors"
    assert rec.loras == (LoraRef("ink_wash_style_v2.safetensors", 0.65),)
    assert (rec.seed, rec.steps, rec.width, rec.height) == (3030303, 26, 512, 768)


def test_impact_from_basic_pipe_outputs_map_to_the_pipe_fields() -> None:
    """FromBasicPipe outputs model (0), clip, vae, positive (3), negative (4); an edited pipe keeps what
    the edit does not set."""
    graph = sampled(["5", 0], model=["22", 0], positive=["22", 3], negative=["22", 4])
    graph["5"] = node("EmptyLatentImage", width=768, height=512, batch_size=1)
    graph["11"] = node("CLIPTextEncode", text="an edited prompt", clip=["4", 1])
    graph["20"] = node(
        "ToBasicPipe", model=["4", 0], clip=["4", 1], vae=["4", 2], positive=["6", 0], negative=["7", 0]
    )
    graph["21"] = node("EditBasicPipe", basic_pipe=["20", 0], positive=["11", 0])
    graph["22"] = node("FromBasicPipe", basic_pipe=["21", 0])
    rec = read(graph)
    assert (rec.prompt, rec.negative_prompt) == ("an edited prompt", "blurry")
    assert rec.model == "sd_xl_base_1.0.safetensors"


def test_efficiency_sdxl_loader_tuple_into_ksampler_sdxl() -> None:
    graph = {
        "19": node(
            "LoRA Stacker", input_mode="simple", lora_count=1, lora_name_1="neon.safetensors", lora_wt_1=0.6
        ),
        "20": node(
            "Eff. Loader SDXL",
            base_ckpt_name="sd_xl_base_1.0.safetensors",
            base_clip_skip=-2,
            refiner_ckpt_name="None",
            refiner_clip_skip=-2,
            positive_ascore=6.0,
            negative_ascore=2.0,
            vae_name="Baked VAE",
            positive="a cyberpunk street market at night",
            negative="blurry, lowres",
            token_normalization="none",
            weight_interpretation="comfy",
            empty_latent_width=1152,
            empty_latent_height=896,
            batch_size=1,
            lora_stack=["19", 0],
        ),
        "21": node(
            "KSampler SDXL (Eff.)",
            noise_seed=8675309,
            steps=30,
            cfg=7.0,
            sampler_name="dpmpp_2m_sde_gpu",
            scheduler="karras",
            start_at_step=0,
            refine_at_step=-1,
            preview_method="auto",
            vae_decode="true",
            sdxl_tuple=["20", 0],
            latent_image=["20", 1],
        ),
        "22": node("SaveImage", filename_prefix="ComfyUI", images=["21", 3]),
    }
    rec = read(graph)
    assert (rec.prompt, rec.negative_prompt) == ("a cyberpunk street market at night", "blurry, lowres")
    assert rec.model == "sd_xl_base_1.0.safetensors"
    assert rec.loras == (LoraRef("neon.safetensors", 0.6),)
    assert (rec.seed, rec.sampler, rec.width, rec.height) == (8675309, "dpmpp_2m_sde_gpu", 1152, 896)


@pytest.mark.parametrize("seed_input", ["seed_num", "seed"])
def test_easy_use_pipe_line_from_full_loader_through_presampling(seed_input: str) -> None:
    """``easy preSampling`` named its seed ``seed_num`` before 2024, ``seed`` since."""
    graph = {
        "1": node(
            "easy fullLoader",
            ckpt_name="majicmixRealistic_v7.safetensors",
            config_name="Default",
            vae_name="Baked VAE",
            clip_skip=-2,
            lora_name="hanfu_v3.safetensors",
            lora_model_strength=0.7,
            lora_clip_strength=0.7,
            resolution="512 x 768",
            empty_latent_width=1024,
            empty_latent_height=1024,
            positive="1girl, hanfu, lantern festival",
            negative="lowres, bad hands",
            batch_size=1,
        ),
        "2": node(
            "easy preSampling",
            steps=25,
            cfg=7.0,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=1.0,
            pipe=["1", 0],
            **{seed_input: 1357924680},
        ),
        "3": node("easy kSampler", image_output="Preview", link_id=0, save_prefix="ComfyUI", pipe=["2", 0]),
        "9": node("SaveImage", filename_prefix="ComfyUI", images=["3", 1]),
    }
    rec = read(graph)
    assert (rec.prompt, rec.negative_prompt) == ("1girl, hanfu, lantern festival", "lowres, bad hands")
    assert (rec.seed, rec.steps, rec.cfg_scale, rec.sampler, rec.scheduler) == (
        1357924680,
        25,
        7.0,
        "dpmpp_2m",
        "karras",
    )
    assert rec.model == "majicmixRealistic_v7.safetensors"
    assert rec.loras == (LoraRef("hanfu_v3.safetensors", 0.7),)
    assert (rec.width, rec.height) == (512, 768)  # the resolution choice wins over the custom size


# -- string nodes and switches ----------------------------------------------------------------------------
def test_easy_positive_and_negative_string_nodes_give_their_text() -> None:
    graph = sampled(["5", 0])
    graph["5"] = node("EmptyLatentImage", width=1216, height=832, batch_size=1)
    graph["20"] = node("easy positive", positive="a lantern-lit night market")
    graph["21"] = node("easy negative", negative="lowres, watermark")
    graph["6"]["inputs"]["text"] = ["20", 0]
    graph["7"]["inputs"]["text"] = ["21", 0]
    rec = read(graph)
    assert (rec.prompt, rec.negative_prompt) == ("a lantern-lit night market", "lowres, watermark")


def test_comfyroll_input_switches_follow_their_selected_input() -> None:
    graph = sampled(["24", 0], model=["20", 0], positive=["25", 0])
    graph["14"] = node("CheckpointLoaderSimple", ckpt_name="epicrealism_naturalSinRC1VAE.safetensors")
    graph["20"] = node("CR Model Input Switch", Input=2, model1=["4", 0], model2=["14", 0])
    graph["21"] = node("CR Prompt Text", prompt="a red sports car")
    graph["22"] = node("CR Prompt Text", prompt="a vintage green motorcycle")
    graph["23"] = node("CR Text Input Switch", Input=2, text1=["21", 0], text2=["22", 0])
    graph["11"] = node("CLIPTextEncode", text=["23", 0], clip=["14", 1])
    graph["25"] = node(
        "CR Conditioning Input Switch", Input=2, conditioning1=["6", 0], conditioning2=["11", 0]
    )
    graph["5"] = node("EmptyLatentImage", width=512, height=512, batch_size=1)
    graph["15"] = node("EmptyLatentImage", width=768, height=512, batch_size=1)
    graph["24"] = node("CR Latent Input Switch", Input=2, latent1=["5", 0], latent2=["15", 0])
    rec = read(graph)
    assert rec.prompt == "a vintage green motorcycle"
    assert rec.model == "epicrealism_naturalSinRC1VAE.safetensors"
    assert (rec.width, rec.height) == (768, 512)


def test_comfyroll_model_and_clip_switch_takes_the_model_of_the_selected_pair() -> None:
    graph = sampled(["5", 0], model=["20", 0])
    graph["5"] = node("EmptyLatentImage", width=512, height=512, batch_size=1)
    graph["14"] = node("CheckpointLoaderSimple", ckpt_name="second.safetensors")
    graph["20"] = node(
        "CR Model And CLIP Input Switch",
        Input=2,
        model1=["4", 0],
        clip1=["4", 1],
        model2=["14", 0],
        clip2=["14", 1],
    )
    assert read(graph).model == "second.safetensors"
