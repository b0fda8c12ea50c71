"""LoRA stacks, tag-loading encoders and string/styler nodes in ComfyUI graphs.

Each graph is built node by node with the input names the custom nodes declare (Efficiency Nodes'
``LoRA Stacker``/``Efficient Loader``, Comfyroll's ``CR LoRA Stack``/``CR Apply LoRA Stack``,
rgthree's ``Lora Loader Stack``, Impact's ``ImpactWildcardEncode``, pysssss' ``StringFunction``,
twri's ``SDXLPromptStyler``), written into a PNG ``prompt`` chunk and read back as a record.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from comfy_graph_builder import MTIME, Graph, node, read
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from engine.metadata import read_image_bytes
from engine.records import LoraRef


def plain_graph(model: list[Any], *, positive: Any = "a cat", negative: Any = "blurry") -> Graph:
    """Checkpoint ``4``, encoders ``6``/``7`` (texts may be links), latent ``5``, sampler ``3`` on
    ``model``, decode and save."""
    return {
        "4": node("CheckpointLoaderSimple", ckpt_name="sd_xl_base_1.0.safetensors"),
        "6": node("CLIPTextEncode", text=positive, clip=["4", 1]),
        "7": node("CLIPTextEncode", text=negative, clip=["4", 1]),
        "5": node("EmptyLatentImage", width=1024, height=1024, batch_size=1),
        "3": node(
            "KSampler",
            seed=7,
            steps=20,
            cfg=6.0,
            sampler_name="euler",
            scheduler="normal",
            denoise=1.0,
            model=model,
            positive=["6", 0],
            negative=["7", 0],
            latent_image=["5", 0],
        ),
        "8": node("VAEDecode", samples=["3", 0], vae=["4", 2]),
        "9": node("SaveImage", filename_prefix="ComfyUI", images=["8", 0]),
    }


def efficiency_rows(*rows: tuple[str, float], model_str: float = 1.0) -> dict[str, Any]:
    """``lora_name_N``/``lora_wt_N``/``model_str_N``/``clip_str_N`` for rows 1.. (as the UI writes all)."""
    inputs: dict[str, Any] = {}
    for number, (name, weight) in enumerate(rows, start=1):
        inputs |= {
            f"lora_name_{number}": name,
            f"lora_wt_{number}": weight,
            f"model_str_{number}": model_str,
            f"clip_str_{number}": model_str,
        }
    return inputs


def efficient_graph(stack: Graph) -> Graph:
    """An Efficient Loader (with its own LoRA) fed by the stack node ``20``, and KSampler (Efficient)."""
    return {
        **stack,
        "21": node(
            "Efficient Loader",
            ckpt_name="dreamshaper_8.safetensors",
            vae_name="Baked VAE",
            clip_skip=-2,
            lora_name="own.safetensors",
            lora_model_strength=0.7,
            lora_clip_strength=0.7,
            positive="a cabin in the snow",
            negative="blurry",
            token_normalization="none",
            weight_interpretation="comfy",
            empty_latent_width=512,
            empty_latent_height=768,
            batch_size=1,
            lora_stack=["20", 0],
        ),
        "22": node(
            "KSampler (Efficient)",
            seed=1,
            steps=30,
            cfg=6.0,
            sampler_name="dpmpp_2m_sde",
            scheduler="karras",
            denoise=1.0,
            preview_method="auto",
            vae_decode="true",
            model=["21", 0],
            positive=["21", 1],
            negative=["21", 2],
            latent_image=["21", 3],
            optional_vae=["21", 4],
        ),
        "23": node("SaveImage", filename_prefix="ComfyUI", images=["22", 5]),
    }


# -- Efficiency Nodes --------------------------------------------------------------------------------
def test_efficient_loader_applies_its_own_lora_then_the_stacker_rows_within_lora_count() -> None:
    stacker = node(
        "LoRA Stacker",
        input_mode="simple",
        lora_count=3,
        **efficiency_rows(
            ("a.safetensors", 0.5), ("None", 1.0), ("b.safetensors", 0.3), ("c.safetensors", 0.9)
        ),
    )
    rec = read(efficient_graph({"20": stacker}))
    assert rec.model == "dreamshaper_8.safetensors"
    assert rec.loras == (
        LoraRef("own.safetensors", 0.7),
        LoraRef("a.safetensors", 0.5),
        LoraRef("b.safetensors", 0.3),
    )


def test_efficiency_stacker_advanced_mode_and_chained_stacks() -> None:
    """Advanced mode takes ``model_str_N``; a stacker's rows come before the stack it extends."""
    first = node(
        "LoRA Stacker", input_mode="simple", lora_count=1, **efficiency_rows(("deep.safetensors", 0.2))
    )
    second = node(
        "LoRA Stacker",
        input_mode="advanced",
        lora_count=1,
        lora_stack=["19", 0],
        **efficiency_rows(("near.safetensors", 0.9), model_str=0.4),
    )
    rec = read(efficient_graph({"19": first, "20": second}))
    assert rec.loras == (
        LoraRef("own.safetensors", 0.7),
        LoraRef("near.safetensors", 0.4),
        LoraRef("deep.safetensors", 0.2),
    )


def test_a_cycle_of_stacks_ends_and_lists_each_row_once() -> None:
    first = node(
        "LoRA Stacker", input_mode="simple", lora_count=1, lora_stack=["20", 0], **efficiency_rows(("x", 1))
    )
    second = node(
        "LoRA Stacker", input_mode="simple", lora_count=1, lora_stack=["19", 0], **efficiency_rows(("y", 1))
    )
    rec = read(efficient_graph({"19": first, "20": second}))
    assert [lora.name for lora in rec.loras] == ["own.safetensors", "y", "x"]


# -- Comfyroll ---------------------------------------------------------------------------------------
def cr_stack(rows: list[tuple[str, str, float]], **extra: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = dict(extra)
    for number, (switch, name, weight) in enumerate(rows, start=1):
        inputs |= {
            f"switch_{number}": switch,
            f"lora_name_{number}": name,
            f"model_weight_{number}": weight,
            f"clip_weight_{number}": 1.0,
        }
    return node("CR LoRA Stack", **inputs)


def test_comfyroll_stack_through_cr_apply_lora_stack() -> None:
    """Switched-off rows are skipped; a CR stack puts the stack it extends before its own rows."""
    graph = plain_graph(["81", 0])
    graph["80"] = cr_stack([("On", "deep.safetensors", 0.6)])
    graph["82"] = cr_stack(
        [
            ("On", "steampunk.safetensors", 0.75),
            ("Off", "off.safetensors", 1.0),
            ("On", "detail.safetensors", 0.5),
        ],
        lora_stack=["80", 0],
    )
    graph["81"] = node("CR Apply LoRA Stack", model=["4", 0], clip=["4", 1], lora_stack=["82", 0])
    rec = read(graph)
    assert rec.model == "sd_xl_base_1.0.safetensors"
    assert rec.loras == (
        LoraRef("deep.safetensors", 0.6),
        LoraRef("steampunk.safetensors", 0.75),
        LoraRef("detail.safetensors", 0.5),
    )


# -- rgthree -----------------------------------------------------------------------------------------
def test_rgthree_lora_loader_stack_skips_none_and_zero_strength() -> None:
    graph = plain_graph(["30", 0])
    graph["30"] = node(
        "Lora Loader Stack (rgthree)",
        lora_01="ink.safetensors",
        strength_01=0.9,
        lora_02="None",
        strength_02=1.0,
        lora_03="offset.safetensors",
        strength_03=0.3,
        lora_04="unused.safetensors",
        strength_04=0.0,
        model=["4", 0],
        clip=["4", 1],
    )
    rec = read(graph)
    assert rec.model == "sd_xl_base_1.0.safetensors"
    assert rec.loras == (LoraRef("ink.safetensors", 0.9), LoraRef("offset.safetensors", 0.3))


# -- core loaders ------------------------------------------------------------------------------------
def test_lora_strength_linked_to_a_primitive_and_zero_strength_loader_left_out() -> None:
    graph = plain_graph(["11", 0])
    graph["90"] = node("PrimitiveFloat", value=0.75)
    graph["10"] = node(
        "LoraLoader",
        lora_name="pixel-art-xl.safetensors",
        strength_model=["90", 0],
        strength_clip=["90", 0],
        model=["4", 0],
        clip=["4", 1],
    )
    graph["11"] = node(
        "LoraLoader",
        lora_name="muted.safetensors",
        strength_model=0,
        strength_clip=0,
        model=["10", 0],
        clip=["10", 1],
    )
    rec = read(graph)
    assert rec.model == "sd_xl_base_1.0.safetensors"
    assert rec.loras == (LoraRef("pixel-art-xl.safetensors", 0.75),)


# -- Impact Pack -------------------------------------------------------------------------------------
def test_impact_wildcard_encode_applies_the_lora_tags_of_its_populated_text() -> None:
    """Tags of ``populated_text`` (not of the unpopulated ``wildcard_text``) are loaded onto the model the
    encoder passes on; a tag without a weight is 1.0, a model:clip tag is at its model weight."""
    populated = "1girl, night sky, <lora:add_detail:0.6>, <lora:witch:0.8:0.5>, <lora:plain>"
    graph = plain_graph(["41", 0])
    graph["41"] = node(
        "ImpactWildcardEncode",
        wildcard_text="1girl, __sky__, <lora:witch:0.8:0.5>, <lora:plain>, <lora:gone:1>",
        populated_text=populated,
        mode=True,
        seed=5,
        model=["4", 0],
        clip=["4", 1],
    )
    graph["3"]["inputs"]["positive"] = ["41", 2]
    rec = read(graph)
    assert rec.model == "sd_xl_base_1.0.safetensors"
    assert rec.prompt == populated
    assert rec.loras == (LoraRef("add_detail", 0.6), LoraRef("witch", 0.8), LoraRef("plain", 1.0))


# -- pysssss StringFunction --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("action", "tidy", "text_b", "text_c", "expected"),
    [
        ("append", "yes", "rainy street, night", "", "1girl, red kimono, rainy street, night"),
        ("append", "no", "rainy street", " at night", "1girl, red kimonorainy street at night"),
        ("replace", "no", "red", "blue", "1girl, blue kimono"),
        ("replace", "yes", "red kimono", " ,kimono", "1girl,kimono"),
        ("replace", "no", "/r.d/", "blue", "1girl, red kimono"),
    ],
)
def test_string_function_output_is_the_prompt(
    action: str, tidy: str, text_b: str, text_c: str, expected: str
) -> None:
    """``append`` joins the non-empty texts (", " only when tidying); ``replace`` replaces text_b by
    text_c; tidy_tags collapses " ," and ",,"; a regex replace is not run (text_a stands for it)."""
    graph = plain_graph(["4", 0], positive=["60", 0])
    graph["61"] = node("PrimitiveStringMultiline", value="1girl, red kimono")
    graph["60"] = node(
        "StringFunction|pysssss",
        action=action,
        tidy_tags=tidy,
        text_a=["61", 0],
        text_b=text_b,
        text_c=text_c,
    )
    assert read(graph).prompt == expected


# -- twri SDXL Prompt Styler -------------------------------------------------------------------------
def test_sdxl_prompt_styler_gives_the_typed_texts_and_lists_the_style() -> None:
    graph = plain_graph(["4", 0], positive=["50", 0], negative=["50", 1])
    graph["50"] = node(
        "SDXLPromptStyler",
        text_positive="a red panda reading a book",
        text_negative="blurry",
        style="sai-cinematic",
        log_prompt=False,
        style_positive=True,
        style_negative=True,
    )
    rec = read(graph)
    assert (rec.prompt, rec.negative_prompt) == ("a red panda reading a book", "blurry")
    assert rec.extra["samplers"][0]["prompt_styles"] == ["sai-cinematic"]


# -- a real PNG, as ComfyUI's SaveImage writes it -------------------------------------------------------
def test_pillow_png_with_efficiency_stack_and_styler() -> None:
    """The ``prompt`` chunk written by Pillow's PngInfo (as SaveImage does): stacked LoRAs and styled text."""
    graph = efficient_graph(
        {
            "20": node(
                "LoRA Stacker", input_mode="simple", lora_count=1, **efficiency_rows(("a.safetensors", 0.5))
            )
        }
    )
    graph["50"] = node(
        "SDXLPromptStyler", text_positive="a cabin", text_negative="lowres", style="base", log_prompt=False
    )
    graph["21"]["inputs"] |= {"positive": ["50", 0], "negative": ["50", 1]}
    info = PngInfo()
    info.add_text("prompt", json.dumps(graph))
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, "PNG", pnginfo=info, compress_level=4)
    rec = read_image_bytes(buffer.getvalue(), file_name="ComfyUI_00004_.png", mtime=MTIME).record
    assert rec.tool == "comfyui"
    assert rec.model == "dreamshaper_8.safetensors"
    assert rec.loras == (LoraRef("own.safetensors", 0.7), LoraRef("a.safetensors", 0.5))
    assert (rec.prompt, rec.negative_prompt) == ("a cabin", "lowres")
    assert rec.extra["samplers"][0]["prompt_styles"] == ["base"]
