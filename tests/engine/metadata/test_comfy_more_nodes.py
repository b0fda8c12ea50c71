"""More node packs in ComfyUI graphs: LoRA lists and stacks, tinyterra pipes, size presets, multi-value
nodes, WAS/Comfyroll text nodes and split sigmas.

Each graph uses the class names, input names and output order the packs declare (Lora Manager,
Easy-Use, tinyterra, KJNodes, JPS, Nunchaku, rgthree, WAS, Comfyroll, core custom sampling), written into
a PNG ``prompt`` chunk and read back as a record.
"""

from __future__ import annotations

from typing import Any

from comfy_graph_builder import Graph, node, read, sampled

from engine.records import LoraRef


def lm_row(name: str, strength: str, active: bool = True) -> dict[str, Any]:
    return {"name": name, "strength": strength, "active": active, "clipStrength": strength}


def test_lora_manager_loader_and_stacker_apply_their_active_rows() -> None:
    graph = sampled(model=["10", 0])
    graph["11"] = node(
        "Lora Stacker (LoraManager)", text="", loras={"__value__": [lm_row("stacked", "0.30")]}
    )
    rows = [lm_row("ink_wash", "0.75"), lm_row("detail", "0.40"), lm_row("pixel_art", "1.00", active=False)]
    graph["10"] = node(
        "Lora Loader (LoraManager)",
        model=["4", 0],
        clip=["4", 1],
        text="",
        lora_stack=["11", 0],
        loras={"__value__": rows},
    )
    assert read(graph).loras == (LoraRef("stacked", 0.3), LoraRef("ink_wash", 0.75), LoraRef("detail", 0.4))


def test_easy_lora_stack_rows_through_full_loader_optional_stack() -> None:
    rows = {
        f"lora_{i}_{key}": value
        for i, name in ((1, "kimono.safetensors"), (2, "snow.safetensors"), (3, "unused.safetensors"))
        for key, value in (
            ("name", name),
            ("strength", 0.1 * i),
            ("model_strength", 0.5 * i),
            ("clip_strength", 1.0),
        )
    }
    graph: Graph = {
        "20": node("easy loraStack", toggle=True, mode="simple", num_loras=2, **rows),
        "21": node(
            "easy loraStack",
            toggle=True,
            mode="advanced",
            num_loras=1,
            optional_lora_stack=["20", 0],
            **(rows | {"lora_1_name": "lantern.safetensors"}),
        ),
        "1": node(
            "easy fullLoader",
            ckpt_name="majicmix.safetensors",
            lora_name="None",
            lora_model_strength=1.0,
            lora_clip_strength=1.0,
            resolution="512 x 768",
            empty_latent_width=512,
            empty_latent_height=768,
            positive="1girl, kimono",
            negative="lowres",
            optional_lora_stack=["21", 0],
        ),
        "2": node(
            "easy preSampling",
            steps=25,
            cfg=7.0,
            sampler_name="euler",
            scheduler="karras",
            denoise=1.0,
            seed=5,
            pipe=["1", 0],
        ),
        "3": node("easy kSampler", image_output="Preview", pipe=["2", 0]),
        "9": node("SaveImage", filename_prefix="ComfyUI", images=["3", 1]),
    }
    record = read(graph)
    assert record.loras == (
        LoraRef("kimono.safetensors", 0.1),
        LoraRef("snow.safetensors", 0.2),
        LoraRef("lantern.safetensors", 0.5),
    )
    graph["20"]["inputs"]["toggle"] = False  # off: no stack at all, not even the one it extends
    assert read(graph).loras == (LoraRef("lantern.safetensors", 0.5),)


def test_ttn_pipe_loader_rows_and_pipe_ksampler_own_lora() -> None:
    graph: Graph = {
        "1": node(
            "ttN pipeLoader",
            ckpt_name="realisticVision.safetensors",
            lora1_name="add_detail.safetensors",
            lora1_model_strength=0.6,
            lora1_clip_strength=0.6,
            lora2_name="None",
            lora2_model_strength=1.0,
            lora2_clip_strength=1.0,
            positive="an old fisherman",
            negative="cartoon",
            empty_latent_width=512,
            empty_latent_height=768,
            batch_size=1,
            seed=7,
        ),
        "2": node(
            "ttN pipeKSampler",
            pipe=["1", 0],
            lora_name="film_grain.safetensors",
            lora_model_strength=0.3,
            lora_clip_strength=0.3,
            steps=28,
            cfg=6.0,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=1.0,
            image_output="Save",
            seed=7,
        ),
    }
    record = read(graph)
    assert record.loras == (LoraRef("add_detail.safetensors", 0.6), LoraRef("film_grain.safetensors", 0.3))
    assert (record.width, record.height) == (512, 768)


def test_ttn_pipe_loader_v2_lora_tags_and_aspect_preset() -> None:
    loader = node(
        "ttN pipeLoader_v2",
        ckpt_name="dreamshaper_8.safetensors",
        loras="<lora:watercolor:0.7>\n<lora:storybook:0.45:0.3>",
        positive="a fox reading",
        negative="photo",
        empty_latent_aspect="512 x 768 [P] 2:3",
        empty_latent_width=640,
        empty_latent_height=640,
        batch_size=1,
        seed=3,
    )
    sampler = node(
        "ttN pipeKSampler_v2",
        pipe=["1", 0],
        lora_name="None",
        lora_strength=1.0,
        steps=25,
        cfg=7.0,
        sampler_name="euler",
        scheduler="normal",
        denoise=1.0,
        seed=3,
    )
    record = read({"1": loader, "2": sampler})
    assert record.loras == (LoraRef("watercolor", 0.7), LoraRef("storybook", 0.45))
    assert (record.width, record.height) == (512, 768)
    loader["inputs"]["empty_latent_aspect"] = "width x height [custom]"
    assert (read({"1": loader, "2": sampler}).width, read({"1": loader, "2": sampler}).height) == (640, 640)


def test_kj_latent_presets_invert_and_jps_resolution_outputs() -> None:
    graph = sampled(latent=["64", 0])
    graph["64"] = node("EmptyLatentImagePresets", dimensions="1216 x 832 (1.46:1)", invert=True, batch_size=1)
    record = read(graph)
    assert (record.width, record.height) == (832, 1216)
    graph = sampled()
    graph["65"] = node("SDXL Resolutions (JPS)", resolution="portrait - 896x1152 (3:4)")
    graph["5"] = node("EmptyLatentImage", width=["65", 0], height=["65", 1], batch_size=1)
    record = read(graph)
    assert (record.width, record.height) == (896, 1152)


def test_nunchaku_flux_lora_loader_strength() -> None:
    graph = sampled(model=["32", 0])
    graph["31"] = node(
        "NunchakuFluxLoraLoader", model=["4", 0], lora_name="turbo.safetensors", lora_strength=1.0
    )
    graph["32"] = node(
        "NunchakuFluxLoraLoader", model=["31", 0], lora_name="realism.safetensors", lora_strength=0.8
    )
    assert read(graph).loras == (LoraRef("turbo.safetensors", 1.0), LoraRef("realism.safetensors", 0.8))


def test_rgthree_power_prompt_loads_its_lora_tags_onto_the_model() -> None:
    graph = sampled(model=["20", 1], positive=["20", 0])
    graph["20"] = node(
        "Power Prompt (rgthree)",
        prompt="a lighthouse, <lora:film_grain_xl:0.6>, storm",
        opt_model=["4", 0],
        opt_clip=["4", 1],
        insert_lora="CHOOSE",
    )
    assert read(graph).loras == (LoraRef("film_grain_xl", 0.6),)


def test_rgthree_ksampler_config_outputs_by_index() -> None:
    graph = sampled(steps=["66", 0], cfg=["66", 2], sampler_name=["66", 3], scheduler=["66", 4])
    graph["66"] = node(
        "KSampler Config (rgthree)",
        steps_total=32,
        refiner_step=26,
        cfg=6.5,
        sampler_name="dpmpp_2m_sde",
        scheduler="karras",
    )
    record = read(graph)
    assert (record.steps, record.cfg_scale, record.sampler) == (32, 6.5, "dpmpp_2m_sde")


def test_was_text_string_outputs_by_index() -> None:
    graph = sampled()
    graph["40"] = node("Text String", text="a reading nook", text_b="people, text", text_c="", text_d="")
    graph["6"]["inputs"]["text"] = ["40", 0]
    graph["7"]["inputs"]["text"] = ["40", 1]
    record = read(graph)
    assert (record.prompt, record.negative_prompt) == ("a reading nook", "people, text")


def test_was_text_concatenate_cleans_whitespace_and_reads_newline_delimiter() -> None:
    graph = sampled()
    graph["41"] = node("Text Multiline", text="masterpiece\n")
    graph["42"] = node("Text Multiline", text="  a knight  ")
    graph["44"] = node(
        "Text Concatenate", delimiter="\\n", clean_whitespace="true", text_a=["41", 0], text_b=["42", 0]
    )
    graph["6"]["inputs"]["text"] = ["44", 0]
    assert read(graph).prompt == "masterpiece\na knight"


def test_was_find_and_replace_and_cr_combine_prompt() -> None:
    graph = sampled()
    graph["41"] = node("Text Multiline", text="a cat on a sill, the cat is orange")
    graph["45"] = node("Text Find and Replace", text=["41", 0], find="cat", replace="red fox")
    graph["6"]["inputs"]["text"] = ["45", 0]
    assert read(graph).prompt == "a red fox on a sill, the red fox is orange"
    graph["45"]["inputs"]["find"] = "c.t"  # a regex is never run: the text stands
    assert read(graph).prompt == "a cat on a sill, the cat is orange"
    graph = sampled()
    graph["50"] = node("CR Prompt Text", prompt="a paladin")
    graph["51"] = node(
        "CR Combine Prompt",
        part1="masterpiece",
        part2=["50", 0],
        part3="cathedral",
        part4="oil",
        separator=", ",
    )
    graph["6"]["inputs"]["text"] = ["51", 0]
    assert read(graph).prompt == "masterpiece, a paladin, cathedral, oil"


def test_sampler_custom_sigmas_through_split_sigmas_to_the_scheduler() -> None:
    graph = sampled()
    del graph["3"]
    graph["70"] = node("BasicScheduler", model=["4", 0], scheduler="karras", steps=30, denoise=1.0)
    graph["71"] = node("SplitSigmas", sigmas=["70", 0], step=20)
    graph["72"] = node("KSamplerSelect", sampler_name="dpmpp_2m")
    custom = {"model": ["4", 0], "cfg": 7.0, "positive": ["6", 0], "negative": ["7", 0], "sampler": ["72", 0]}
    graph["74"] = node(
        "SamplerCustom", add_noise=True, noise_seed=448866, sigmas=["71", 0], latent_image=["5", 0], **custom
    )
    graph["75"] = node(
        "SamplerCustom", add_noise=False, noise_seed=0, sigmas=["71", 1], latent_image=["74", 0], **custom
    )
    graph["8"]["inputs"]["samples"] = ["75", 0]
    record = read(graph)
    assert (record.steps, record.seed) == (30, 448866)
