"""Shapes from the sixth probing round: the guiders a ``SamplerCustomAdvanced`` samples with (core
``DualCFGGuider`` in CosXL-Edit / InstructPix2Pix graphs, ``PerpNegGuider``, ``BasicGuider``), the
core text encoders whose text is not in ``text`` (Lumina 2's ``user_prompt``, HiDream, HunyuanDiT,
Kandinsky 5), and output nodes whose class names neither a save nor a preview or that name their
file by a whole path (Comfyroll's ``CR Image Output``, VideoHelperSuite's ``VHS_VideoCombine``,
jamesWalker55's ``JWImageSaveToPath``). Each test names the writer whose code it follows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from comfy_graph_builder import Graph, node, read, sampled

from engine.records import TimePrecision

# -- guiders ---------------------------------------------------------------------------------------


def _custom_sampled(guider: dict[str, Any], latent: list[Any] | None = None) -> Graph:
    """Checkpoint ``4`` (encoders ``6``/``7`` from :func:`sampled`), the guider ``11``, RandomNoise,
    KSamplerSelect, BasicScheduler and a ``SamplerCustomAdvanced`` ``15`` on ``latent`` (default the
    1024 × 1024 latent ``5``), decoded and saved."""
    graph = sampled()
    del graph["3"]
    graph["11"] = guider
    graph["12"] = node("RandomNoise", noise_seed=24242424)
    graph["13"] = node("KSamplerSelect", sampler_name="dpmpp_2m")
    graph["14"] = node("BasicScheduler", scheduler="karras", steps=30, denoise=1.0, model=["4", 0])
    graph["15"] = node("SamplerCustomAdvanced", noise=["12", 0], guider=["11", 0], sampler=["13", 0],
                       sigmas=["14", 0], latent_image=latent or ["5", 0])  # fmt: skip
    graph["8"] = node("VAEDecode", samples=["15", 0], vae=["4", 2])
    return graph


def _dual_cfg(cond1: list[Any], cond2: list[Any], negative: list[Any], **widgets: Any) -> dict[str, Any]:
    """Core ``comfy_extras/nodes_custom_sampler.py`` ``DualCFGGuider``: model, cond1, cond2, negative,
    cfg_conds, cfg_cond2_negative, style."""
    values = {"cfg_conds": 6.0, "cfg_cond2_negative": 3.0, "style": "regular"} | widgets
    return node("DualCFGGuider", model=["4", 0], cond1=cond1, cond2=cond2, negative=negative, **values)


def test_dual_cfg_guider_in_a_cosxl_edit_graph_reads_cond1_and_cfg_conds() -> None:
    """The CosXL-Edit template: ``InstructPixToPixConditioning`` (``comfy_extras/nodes_ip2p.py``,
    outputs positive, negative, latent) feeds cond1 = its positive and cond2 = its negative (the
    image with the negative text); the guider's own ``negative`` is the plain negative encoder."""
    graph = _custom_sampled(_dual_cfg(["20", 0], ["20", 1], ["7", 0], cfg_conds=5.0, cfg_cond2_negative=1.5),
                            latent=["20", 2])  # fmt: skip
    graph["6"] = node("CLIPTextEncode", text="turn the photo into a watercolor painting", clip=["4", 1])
    graph["21"] = node("LoadImage", image="portrait_photo.png", upload="image")
    graph["20"] = node("InstructPixToPixConditioning", positive=["6", 0], negative=["7", 0], vae=["4", 2],
                       pixels=["21", 0])  # fmt: skip
    record = read(graph)
    assert record.prompt == "turn the photo into a watercolor painting"  # cond2's text is the negative's
    assert record.negative_prompt == "blurry"
    assert (record.cfg_scale, record.seed, record.steps, record.sampler) == (5.0, 24242424, 30, "dpmpp_2m")
    assert record.source_image == "portrait_photo.png"
    assert record.extra["guider"] == {
        "class_type": "DualCFGGuider",
        "cfg_cond2_negative": 1.5,
        "style": "regular",
    }


def test_dual_cfg_guider_cond2_from_the_ip2p_negative_output_is_never_a_prompt() -> None:
    """The same template with the guider's ``negative`` from another encoder than the one
    InstructPixToPixConditioning got: cond2 still carries a negative text (output 1 = negative)."""
    graph = _custom_sampled(_dual_cfg(["20", 0], ["20", 1], ["16", 0]), latent=["20", 2])
    graph["16"] = node("CLIPTextEncode", text="", clip=["4", 1])
    graph["21"] = node("LoadImage", image="portrait_photo.png", upload="image")
    graph["20"] = node("InstructPixToPixConditioning", positive=["6", 0], negative=["7", 0], vae=["4", 2],
                       pixels=["21", 0])  # fmt: skip
    record = read(graph)
    assert (record.prompt, record.negative_prompt) == ("a lighthouse at dusk", None)


def test_dual_cfg_guider_with_a_text_of_its_own_in_cond2_keeps_both_texts_cond1_first() -> None:
    graph = _custom_sampled(_dual_cfg(["6", 0], ["10", 0], ["7", 0]))
    graph["6"] = node("CLIPTextEncode", text="a majestic white tiger in a snowy forest", clip=["4", 1])
    graph["10"] = node("CLIPTextEncode", text="in the style of a vintage botanical engraving", clip=["4", 1])
    record = read(graph)
    assert (
        record.prompt
        == "a majestic white tiger in a snowy forest\nin the style of a vintage botanical engraving"
    )
    assert (record.negative_prompt, record.cfg_scale) == ("blurry", 6.0)
    listed = record.extra["samplers"][0]
    assert listed["cfg"] == 6.0 and listed["guider"]["cfg_cond2_negative"] == 3.0


def test_perp_neg_guider_reads_positive_negative_and_cfg_and_keeps_its_neg_scale() -> None:
    """Core ``comfy_extras/nodes_perpneg.py`` ``PerpNegGuider``: model, positive, negative,
    empty_conditioning, cfg, neg_scale."""
    graph = _custom_sampled(node("PerpNegGuider", model=["4", 0], positive=["6", 0], negative=["7", 0],
                                 empty_conditioning=["16", 0], cfg=7.5, neg_scale=1.2))  # fmt: skip
    graph["16"] = node("CLIPTextEncode", text="", clip=["4", 1])
    record = read(graph)
    assert (record.prompt, record.negative_prompt, record.cfg_scale) == (
        "a lighthouse at dusk",
        "blurry",
        7.5,
    )
    assert record.extra["guider"] == {"class_type": "PerpNegGuider", "neg_scale": 1.2}


def test_basic_and_cfg_guiders_are_read_as_before_and_keep_no_guider_settings() -> None:
    """Core ``BasicGuider(model, conditioning)`` samples without CFG: no cfg, no negative."""
    basic = read(_custom_sampled(node("BasicGuider", model=["4", 0], conditioning=["6", 0])))
    assert (basic.prompt, basic.negative_prompt, basic.cfg_scale) == ("a lighthouse at dusk", None, None)
    assert "guider" not in basic.extra
    cfg = read(
        _custom_sampled(node("CFGGuider", model=["4", 0], positive=["6", 0], negative=["7", 0], cfg=3.5))
    )
    assert (cfg.prompt, cfg.negative_prompt, cfg.cfg_scale) == ("a lighthouse at dusk", "blurry", 3.5)
    assert "guider" not in cfg.extra


# -- core text encoders ----------------------------------------------------------------------------


def test_lumina2_encoders_give_their_user_prompt() -> None:
    """Core ``comfy_extras/nodes_lumina2.py`` ``CLIPTextEncodeLumina2``: system_prompt (a preset name,
    "superior" / "alignment"), user_prompt (the text), clip."""
    graph = sampled()
    graph["6"] = node("CLIPTextEncodeLumina2", system_prompt="superior", clip=["4", 1],
                      user_prompt="a girl with long silver hair reading under a cherry tree")  # fmt: skip
    graph["7"] = node(
        "CLIPTextEncodeLumina2", system_prompt="superior", user_prompt="blurry, ugly", clip=["4", 1]
    )
    record = read(graph)
    assert record.prompt == "a girl with long silver hair reading under a cherry tree"
    assert record.negative_prompt == "blurry, ugly"


@pytest.mark.parametrize(
    ("class_type", "inputs"),
    [
        # comfy_extras/nodes_hidream.py: clip_l, clip_g, t5xxl, llama (the text only in llama)
        ("CLIPTextEncodeHiDream", {"clip_l": "", "clip_g": "", "t5xxl": "", "llama": "a red fox in snow"}),
        # comfy_extras/nodes_hidream.py: the text only in clip_g
        ("CLIPTextEncodeHiDream", {"clip_l": "", "clip_g": "a red fox in snow", "t5xxl": "", "llama": ""}),
        # comfy_extras/nodes_hunyuan.py: bert, mt5xl
        ("CLIPTextEncodeHunyuanDiT", {"bert": "a red fox in snow", "mt5xl": "a red fox in snow"}),
        ("CLIPTextEncodeHunyuanDiT", {"bert": "", "mt5xl": "a red fox in snow"}),
        # comfy_extras/nodes_kandinsky5.py: clip_l, qwen25_7b
        ("CLIPTextEncodeKandinsky5", {"clip_l": "", "qwen25_7b": "a red fox in snow"}),
    ],
)
def test_core_encoders_whose_text_inputs_are_named_after_their_models(
    class_type: str, inputs: dict[str, str]
) -> None:
    graph = sampled()
    graph["6"] = node(class_type, clip=["4", 1], **inputs)
    assert read(graph).prompt == "a red fox in snow"


# -- output nodes ----------------------------------------------------------------------------------


def _draft_then_final(final_output: dict[str, Any], draft_prefix: str = "draft") -> Graph:
    """Pass ``3`` (seed 2626) saved by SaveImage ``draft_prefix``, then a latent hires pass ``13``
    (seed 6262) written by ``final_output`` (node ``15``, its image input linked to decode ``14``)."""
    graph = sampled(seed=2626)
    graph["9"] = node("SaveImage", filename_prefix=draft_prefix, images=["8", 0])
    graph["12"] = node("LatentUpscaleBy", upscale_method="nearest-exact", scale_by=1.5, samples=["3", 0])
    graph["13"] = node("KSampler", seed=6262, steps=12, cfg=5.0, sampler_name="euler", scheduler="normal",
                       denoise=0.45, model=["4", 0], positive=["6", 0], negative=["7", 0],
                       latent_image=["12", 0])  # fmt: skip
    graph["14"] = node("VAEDecode", samples=["13", 0], vae=["4", 2])
    graph["15"] = final_output
    return graph


def _cr_image_output(prefix: str, preset: str = "None") -> dict[str, Any]:
    """Comfyroll ``nodes/nodes_core.py`` ``CR_ImageOutput`` ("CR Image Output"): images, output_type,
    filename_prefix, prefix_presets ("None" / "yyyyMMdd": appends ``_`` + the day to the prefix),
    file_format; writes ``{prefix}_{counter:05}_.{file_format}``."""
    return node("CR Image Output", images=["14", 0], output_type="Save", filename_prefix=prefix,
                prefix_presets=preset, file_format="png", trigger=False)  # fmt: skip


def test_cr_image_output_is_an_output_node_matched_by_its_prefix() -> None:
    record = read(_draft_then_final(_cr_image_output("final")), "final_00001_.png")
    assert (record.seed, record.steps, record.cfg_scale, record.sampler) == (6262, 12, 5.0, "euler")
    assert record.extra["output_node"]["node_id"] == "15"
    # the draft is still the draft's
    assert read(_draft_then_final(_cr_image_output("final")), "draft_00001_.png").seed == 2626


def test_cr_image_output_with_a_date_preset_matches_the_prefix_followed_by_the_day() -> None:
    # a draft prefix that the name starts with too: only the day-suffixed form tells them apart
    graph = _draft_then_final(_cr_image_output("CR", preset="yyyyMMdd"), draft_prefix="CR_2025")
    record = read(graph, "CR_20250612_00001_.png")
    assert record.seed == 6262
    assert record.extra["output_node"]["filename_prefix"] == "CR_%date:yyyyMMdd%"
    # the day in the name is the generation day; the mtime (another day) cannot place it inside it
    assert (record.created_at_source, record.created_at_precision) == ("filename", TimePrecision.DAY)
    assert record.created_at == datetime(2025, 6, 12, tzinfo=UTC)


def test_vhs_video_combine_first_frame_png_is_matched_by_its_prefix() -> None:
    """VideoHelperSuite ``videohelpersuite/nodes.py`` ``VideoCombine``: images, frame_rate,
    filename_prefix, format…; the first frame's PNG is ``{filename}_{counter:05}.png``."""
    vhs = node("VHS_VideoCombine", images=["14", 0], frame_rate=8, loop_count=0,
               filename_prefix="AnimateDiff", format="video/h264-mp4", pingpong=False,
               save_output=True)  # fmt: skip
    record = read(_draft_then_final(vhs, draft_prefix="AnimateDiff_draft"), "AnimateDiff_00003.png")
    assert record.seed == 6262 and record.extra["output_node"]["class_type"] == "VHS_VideoCombine"


def test_jw_image_save_to_path_is_matched_by_the_file_name_its_path_ends_in() -> None:
    """jamesWalker55 ``comfyui-various`` ``comfyui_image_ops.py`` ``JWImageSaveToPath``: path (the
    whole file path), image; a batch is written as ``{stem}-{i}{suffix}``."""
    jw = node("JWImageSaveToPath", path="D:/art/finals/lighthouse_final.png", image=["14", 0])
    graph = _draft_then_final(jw, draft_prefix="drafts/lighthouse")
    record = read(graph, "lighthouse_final.png")
    assert (record.seed, record.steps, record.sampler) == (6262, 12, "euler")
    assert record.extra["output_node"] == {
        "node_id": "15",
        "class_type": "JWImageSaveToPath",
        "filename_prefix": None,
        "path": "D:/art/finals/lighthouse_final.png",
    }
    assert read(graph, "lighthouse_final-1.png").seed == 6262  # the second image of a batch
    assert read(graph, "lighthouse_00004_.png").seed == 2626  # the draft's own name
