"""Round-44 probe shapes (/tmp/r44): the ComfyUI reader cross-checked against independent parsers.

Parsers read for comparison: receyuki/stable-diffusion-prompt-reader (``sd_prompt_reader/format/comfyui.py``),
d3x-at/sd-parsers (``src/sd_parsers/parsers/_comfyui.py``, sample data
``tests/resources/parsers/ComfyUI/*.py``), civitai/civitai (``src/utils/metadata/comfy.metadata.ts``) and
zanllp/sd-webui-infinite-image-browsing (``scripts/iib/parsers/comfyui.py``, ``scripts/iib/tool.py``).
Where they and Atelier disagreed, the nodes' source decided:

- kijai's ``WanVideoTextEmbedBridge`` (ComfyUI-WanVideoWrapper ``nodes.py``) packs ``positive`` and its
  optional ``negative`` into one ``text_embeds`` output: Atelier read the positive encoder in both roles
  (sd-parsers' ``WanVideoWrapper.py`` sample: negative "negative prompt");
- core ``ConditioningAverage`` (``nodes.py`` ``addWeighted``) blends ``conditioning_from`` into
  ``conditioning_to`` by ``conditioning_to_strength``: Atelier took ``conditioning_from``'s text alone;
- core ``OpenAIChatNode`` (``comfy_api_nodes/nodes_openai.py``) and 1038lab's QwenVL nodes generate their
  text at run time: Atelier took an image instruction for the prompt, and found no prompt behind
  ``AILab_QwenVL_PromptEnhancer``'s ``prompt_text``.
"""

from __future__ import annotations

import pytest
from comfy_graph_builder import node, read, sampled


def _wan_graph(bridge: dict[str, object]) -> dict[str, dict[str, object]]:
    """sd-parsers' ``WanVideoWrapper.py`` sample graph with the bridge ``232`` given (the sample is cropped
    to the nodes it reads: the ``233`` its encoders' ``clip`` links to is a Wan text encoder loader here)."""
    return {
        "198": node(
            "WanVideoModelLoader",
            model="wan\\wan2.1_i2v_480P_14B_fp8_e4m3fn.safetensors",
            base_precision="fp16",
            quantization="fp8_e4m3fn",
            load_device="offload_device",
            attention_mode="sageattn",
        ),
        "232": bridge,
        "233": node(
            "CLIPLoader", clip_name="umt5_xxl_fp8_e4m3fn_scaled.safetensors", type="wan", device="default"
        ),
        "234": node("CLIPTextEncode", text="positive prompt", clip=["233", 0]),
        "235": node("CLIPTextEncode", text="negative prompt", clip=["233", 0]),
        "252": node(
            "WanVideoSampler",
            steps=30,
            cfg=6.0,
            shift=6.0,
            seed=1234,
            force_offload=False,
            scheduler="unipc",
            riflex_freq_index=0,
            denoise_strength=1.0,
            model=["198", 0],
            text_embeds=["232", 0],
        ),
    }


def test_wan_text_embed_bridge_gives_each_role_its_own_encoder() -> None:
    rec = read(_wan_graph(node("WanVideoTextEmbedBridge", positive=["234", 0], negative=["235", 0])))
    assert (rec.prompt, rec.negative_prompt) == ("positive prompt", "negative prompt")
    assert (rec.seed, rec.steps, rec.cfg_scale, rec.scheduler) == (1234, 30, 6.0, "unipc")
    assert rec.model == "wan\\wan2.1_i2v_480P_14B_fp8_e4m3fn.safetensors"


def test_wan_text_embed_bridge_without_a_negative_has_no_negative_text() -> None:
    rec = read(_wan_graph(node("WanVideoTextEmbedBridge", positive=["234", 0])))
    assert (rec.prompt, rec.negative_prompt) == ("positive prompt", None)


def _conditioning_average(weight: float) -> dict[str, dict[str, object]]:
    """``sampled`` with its positive ``ConditioningAverage`` ``64`` of ``6`` (to) and ``63`` (from)."""
    graph = sampled(positive=["64", 0])
    graph["63"] = node("CLIPTextEncode", text="watercolor wash", clip=["4", 1])
    graph["64"] = node(
        "ConditioningAverage",
        conditioning_to_strength=weight,
        conditioning_to=["6", 0],
        conditioning_from=["63", 0],
    )
    return graph


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (0.7, "a lighthouse at dusk\nwatercolor wash"),
        (1.0, "a lighthouse at dusk"),
    ],
)
def test_conditioning_average_keeps_the_texts_its_weight_blends(weight: float, expected: str) -> None:
    rec = read(_conditioning_average(weight))
    assert (rec.prompt, rec.negative_prompt) == (expected, "blurry")


def _openai_chat() -> dict[str, dict[str, object]]:
    """``sampled`` with its positive text from an ``OpenAIChatNode`` describing a loaded image."""
    graph = sampled()
    graph["41"] = node("LoadImage", image="ref.png", upload="image")
    graph["40"] = node(
        "OpenAIChatNode",
        prompt="Describe this image as a prompt",
        persist_context=False,
        model="gpt-4o",
        images=["41", 0],
    )
    graph["6"]["inputs"]["text"] = ["40", 0]
    return graph


def test_openai_chat_node_describing_an_image_gives_no_prompt() -> None:
    rec = read(_openai_chat())
    assert rec.prompt is None
    assert rec.extra["prompt_generators"] == [{"class_type": "OpenAIChatNode", "request": None}]


def _qwenvl_enhancer() -> dict[str, dict[str, object]]:
    """``sampled`` with its positive text from ``AILab_QwenVL_PromptEnhancer`` expanding its words."""
    graph = sampled()
    graph["40"] = node(
        "AILab_QwenVL_PromptEnhancer",
        model_name="Qwen3-4B-Instruct-2507",
        quantization="None (FP16)",
        attention_mode="auto",
        use_torch_compile=False,
        device="auto",
        prompt_text="a fox in the snow",
        enhancement_style="📝 Enhance",
        custom_system_prompt="",
        max_tokens=256,
        temperature=0.7,
        top_p=0.9,
        repetition_penalty=1.1,
        keep_model_loaded=True,
        seed=1,
    )
    graph["6"]["inputs"]["text"] = ["40", 0]
    return graph


def test_qwenvl_prompt_enhancer_keeps_the_artists_prompt_text() -> None:
    rec = read(_qwenvl_enhancer())
    assert rec.prompt == "a fox in the snow"
    assert rec.extra["prompt_is_generator_input"] is True
