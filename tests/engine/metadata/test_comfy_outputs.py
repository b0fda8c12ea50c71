"""Multi-output and multi-pass ComfyUI graphs: the values read are those of the pass that made the file.

Each graph below is built node by node in the shapes real workflows take (three saves around a
FaceDetailer, a two-stage graph of four starts blended into a final pass, an LLM prompt enhancer,
previews), and read from a real PNG whose name is what ComfyUI would have written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from metadata_png_builder import build_png, text_chunk

from engine.metadata import read_image_bytes
from engine.metadata.comfy_outputs import choose_output, execution_rank, output_nodes
from engine.metadata.comfygraph import is_link
from engine.records import GenerationRecord

Graph = dict[str, dict[str, Any]]


def read(graph: Graph, file_name: str) -> GenerationRecord:
    data = build_png(text_chunk("prompt", json.dumps(graph)))
    return read_image_bytes(data, file_name=file_name, mtime=datetime(2026, 1, 3, tzinfo=UTC)).record


def node(class_type: str, **inputs: Any) -> dict[str, Any]:
    return {"class_type": class_type, "inputs": inputs}


def sampler(
    seed: int, positive: str, latent: str, *, denoise: float = 1.0, steps: int = 20
) -> dict[str, Any]:
    return node(
        "KSampler",
        seed=seed,
        steps=steps,
        cfg=4.5,
        sampler_name="euler",
        scheduler="simple",
        denoise=denoise,
        model=["1", 0],
        positive=[positive, 0],
        negative=["n", 0],
        latent_image=[latent, 0],
    )


def three_saves_with_face_detailer() -> Graph:
    """Base pass saved as YeFLUX, a refine pass saved as YeFLUX_R, a FaceDetailer pass saved as ComfyUI."""
    return {
        "1": node("CheckpointLoaderSimple", ckpt_name="flux1-dev.safetensors"),
        "p": node("CLIPTextEncode", text="a knight in a misty forest", clip=["1", 1]),
        "n": node("CLIPTextEncode", text="blurry", clip=["1", 1]),
        "fp": node("CLIPTextEncode", text="detailed face, freckles", clip=["1", 1]),
        "e": node("EmptyLatentImage", width=896, height=1152, batch_size=1),
        "10": sampler(111, "p", "e"),
        "11": node("VAEDecode", samples=["10", 0], vae=["1", 2]),
        "12": node("SaveImage", filename_prefix="YeFLUX", images=["11", 0]),
        "20": node("LatentUpscaleBy", samples=["10", 0], scale_by=1.5),
        "21": sampler(222, "p", "20", denoise=0.45, steps=12),
        "22": node("VAEDecode", samples=["21", 0], vae=["1", 2]),
        "23": node("SaveImage", filename_prefix="YeFLUX_R", images=["22", 0]),
        "30": node(
            "FaceDetailer",
            image=["22", 0],
            model=["1", 0],
            clip=["1", 1],
            vae=["1", 2],
            seed=333,
            steps=8,
            cfg=3.0,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=0.35,
            positive=["fp", 0],
            negative=["n", 0],
        ),
        "31": node("SaveImage", filename_prefix="ComfyUI", images=["30", 0]),
    }


@pytest.mark.parametrize(
    ("file_name", "seed", "prompt", "denoise"),
    [
        ("ComfyUI_00013_.png", 333, "detailed face, freckles", 0.35),
        ("YeFLUX_R_00002_.png", 222, "a knight in a misty forest", 0.45),
        ("YeFLUX_00002_.png", 111, "a knight in a misty forest", 1.0),
        ("downloads__YeFLUX_R_00002_.png", 222, "a knight in a misty forest", 0.45),
    ],
)
def test_each_saved_file_gets_the_pass_that_made_it(
    file_name: str, seed: int, prompt: str, denoise: float
) -> None:
    rec = read(three_saves_with_face_detailer(), file_name)
    assert (rec.seed, rec.prompt, rec.denoise) == (seed, prompt, denoise)
    assert (rec.width, rec.height) == (896, 1152)  # generation size: the first pass's latent
    assert rec.model == "flux1-dev.safetensors"
    listed = {entry["node_id"]: entry for entry in rec.extra["samplers"]}
    assert set(listed) == {"10", "21", "30"}  # every pass is kept, with its own seed
    assert {entry["seed"] for entry in listed.values()} == {111, 222, 333}
    other_prompts = {entry.get("prompt") for entry in listed.values()} - {None}
    assert prompt not in other_prompts  # a pass's prompt is listed only where it differs
    assert other_prompts  # and the differing one is there


def test_a_renamed_file_comes_from_the_last_output_to_run() -> None:
    rec = read(three_saves_with_face_detailer(), "knight.png")
    assert rec.extra["output_node"]["node_id"] == "31"
    assert rec.seed == 333


def two_stage_graph() -> Graph:
    """Four KSamplerAdvanced starts blended into a final KSampler at denoise 0.54."""
    graph: Graph = {
        "1": node("CheckpointLoaderSimple", ckpt_name="sdxl.safetensors"),
        "p": node("CLIPTextEncode", text="harbour at dawn, watercolor", clip=["1", 1]),
        "n": node("CLIPTextEncode", text="lowres", clip=["1", 1]),
        "e": node("EmptyLatentImage", width=1024, height=1024, batch_size=1),
    }
    for index in range(4):
        graph[f"s{index}"] = node(
            "KSamplerAdvanced",
            add_noise="enable",
            noise_seed=1000 + index,
            steps=30,
            cfg=6.0,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            start_at_step=0,
            end_at_step=18,
            return_with_leftover_noise="enable",
            model=["1", 0],
            positive=["p", 0],
            negative=["n", 0],
            latent_image=["e", 0],
        )
    graph["b1"] = node("LatentBlend", samples1=["s0", 0], samples2=["s1", 0], blend_factor=0.5)
    graph["b2"] = node("LatentBlend", samples1=["s2", 0], samples2=["s3", 0], blend_factor=0.5)
    graph["b3"] = node("LatentBlend", samples1=["b1", 0], samples2=["b2", 0], blend_factor=0.5)
    graph["f"] = sampler(4242, "p", "b3", denoise=0.54, steps=24)
    graph["d"] = node("VAEDecode", samples=["f", 0], vae=["1", 2])
    graph["save"] = node("SaveImage", filename_prefix="harbour", images=["d", 0])
    return graph


def test_a_two_stage_graph_reads_the_final_pass() -> None:
    rec = read(two_stage_graph(), "harbour_00007_.png")
    assert (rec.seed, rec.steps, rec.denoise) == (4242, 24, 0.54)
    assert rec.prompt == "harbour at dawn, watercolor"
    assert (rec.width, rec.height) == (1024, 1024)
    assert sorted(entry["seed"] for entry in rec.extra["samplers"]) == [1000, 1001, 1002, 1003, 4242]


def enhancer_graph(request: Any) -> Graph:
    return {
        "1": node("CheckpointLoaderSimple", ckpt_name="base.safetensors"),
        "t": node("Text Multiline", text="a lighthouse in a storm"),
        "tpl": node(
            "PrimitiveStringMultiline", value="You are a prompt engineer. Expand the user's prompt.\n"
        ),
        "cat": node("StringConcatenate", string_a=["tpl", 0], string_b=["t", 0], delimiter=""),
        "llm": node("OllamaGenerate", prompt=request, model="llama3", keep_alive=5),
        "p": node("CLIPTextEncode", text=["llm", 0], clip=["1", 1]),
        "n": node("CLIPTextEncode", text="", clip=["1", 1]),
        "e": node("EmptyLatentImage", width=768, height=768, batch_size=1),
        "k": sampler(5, "p", "e"),
        "d": node("VAEDecode", samples=["k", 0], vae=["1", 2]),
        "s": node("SaveImage", filename_prefix="ComfyUI", images=["d", 0]),
    }


@pytest.mark.parametrize("request_link", [["t", 0], ["cat", 0]], ids=["text-node", "template+text"])
def test_a_prompt_written_by_an_llm_enhancer_keeps_the_artists_text(request_link: list[Any]) -> None:
    rec = read(enhancer_graph(request_link), "ComfyUI_00001_.png")
    assert rec.prompt == "a lighthouse in a storm"
    assert rec.extra["prompt_is_generator_input"] is True
    assert rec.extra["prompt_generators"][0]["class_type"] == "OllamaGenerate"


def test_a_preview_file_is_matched_to_the_preview_node() -> None:
    graph = three_saves_with_face_detailer()
    graph["40"] = node("PreviewImage", images=["11", 0])  # a preview of the base pass
    assert read(graph, "ComfyUI_temp_abcde_00187_.png").seed == 111
    assert read(graph, "ComfyUI_00014_.png").seed == 333  # the save, not the preview


def test_output_choice_survives_cycles_and_dangling_links() -> None:
    graph = three_saves_with_face_detailer()
    graph["20"]["inputs"]["samples"] = ["21", 0]  # a cycle between the upscale and the refine pass
    graph["12"]["inputs"]["images"] = ["missing", 0]  # a dangling link: no longer an output

    def link(value: Any) -> bool:
        return is_link(value, graph)

    outputs = output_nodes(graph, link)
    assert outputs == ["23", "31"]
    assert set(execution_rank(graph, link)) >= set(outputs)
    assert (
        choose_output(
            graph, outputs, "YeFLUX_R_00001_.png", lambda nid: "YeFLUX_R" if nid == "23" else None, link
        )
        == "23"
    )
    rec = read(graph, "ComfyUI_00001_.png")
    assert rec.seed == 333


def base_and_refiner(*, refiner_adds_noise: str) -> Graph:
    """SDXL's stock two-model graph: the base pass stops at step 25 with its noise left in, and the
    refiner finishes it with its own checkpoint and prompts."""

    def advanced(
        seed: int, add_noise: str, model: str, positive: str, latent: str, start: int
    ) -> dict[str, Any]:
        return node(
            "KSamplerAdvanced",
            add_noise=add_noise,
            noise_seed=seed,
            steps=30,
            cfg=7.0,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            start_at_step=start,
            end_at_step=25 if start == 0 else 10000,
            return_with_leftover_noise="enable" if start == 0 else "disable",
            model=[model, 0],
            positive=[positive, 0],
            negative=["n", 0],
            latent_image=[latent, 0],
        )

    return {
        "base": node("CheckpointLoaderSimple", ckpt_name="sd_xl_base_1.0.safetensors"),
        "ref": node("CheckpointLoaderSimple", ckpt_name="sd_xl_refiner_1.0.safetensors"),
        "p": node(
            "CLIPTextEncodeSDXL",
            text_g="portrait of a knight",
            text_l="portrait of a knight",
            clip=["base", 1],
        ),
        "rp": node("CLIPTextEncodeSDXLRefiner", ascore=6, text="portrait of a knight", clip=["ref", 1]),
        "n": node("CLIPTextEncode", text="blurry", clip=["base", 1]),
        "e": node("EmptyLatentImage", width=832, height=1216, batch_size=1),
        "10": advanced(42, "enable", "base", "p", "e", 0),
        "11": advanced(7, refiner_adds_noise, "ref", "rp", "10", 25),
        "d": node("VAEDecode", samples=["11", 0], vae=["ref", 2]),
        "s": node("SaveImage", filename_prefix="ComfyUI", images=["d", 0]),
    }


def test_a_refiner_that_adds_no_noise_has_the_seed_of_the_pass_it_continues() -> None:
    """A ``KSamplerAdvanced`` with ``add_noise: disable`` never uses its seed widget (often left at 0):
    the image's seed is the base pass's, whose noise the refiner finishes."""
    rec = read(base_and_refiner(refiner_adds_noise="disable"), "ComfyUI_00001_.png")
    assert rec.seed == 42
    assert (rec.prompt, rec.width, rec.height) == ("portrait of a knight", 832, 1216)
    assert rec.model == "sd_xl_refiner_1.0.safetensors"  # the pass that made the pixels
    listed = {entry["node_id"]: entry for entry in rec.extra["samplers"]}
    assert (
        listed["11"]["seed"] == 7
        and listed["11"]["adds_noise"] is False
        and listed["11"]["noise_from"] == "10"
    )
    assert listed["10"]["seed"] == 42 and "adds_noise" not in listed["10"]
    # a refiner that adds noise of its own keeps its own seed
    assert read(base_and_refiner(refiner_adds_noise="enable"), "ComfyUI_00001_.png").seed == 7


def test_a_custom_sampler_continuing_with_disable_noise_has_the_first_pass_seed() -> None:
    graph = three_saves_with_face_detailer()
    graph["21"] = node(
        "SamplerCustomAdvanced",
        noise=["dn", 0],
        guider=["g", 0],
        sampler=["ks", 0],
        sigmas=["sig", 0],
        latent_image=["20", 0],
    )
    graph["dn"] = node("DisableNoise")
    graph["g"] = node("CFGGuider", model=["1", 0], positive=["p", 0], negative=["n", 0], cfg=3.5)
    graph["ks"] = node("KSamplerSelect", sampler_name="euler")
    graph["sig"] = node("BasicScheduler", model=["1", 0], scheduler="simple", steps=12, denoise=0.45)
    rec = read(graph, "YeFLUX_R_00002_.png")
    assert (rec.seed, rec.steps, rec.denoise, rec.cfg_scale) == (111, 12, 0.45, 3.5)


def test_the_efficient_loaders_latent_gives_the_size() -> None:
    graph = {
        "1": node(
            "Efficient Loader",
            ckpt_name="dreamshaper_8.safetensors",
            lora_name="add_detail.safetensors",
            lora_model_strength=0.7,
            lora_clip_strength=0.7,
            positive="a cozy cabin in the snowy woods",
            negative="bad quality",
            empty_latent_width=512,
            empty_latent_height=768,
            batch_size=1,
        ),
        "2": node(
            "KSampler (Efficient)",
            seed=777,
            steps=25,
            cfg=6.5,
            sampler_name="euler_ancestral",
            scheduler="normal",
            denoise=1.0,
            model=["1", 0],
            positive=["1", 1],
            negative=["1", 2],
            latent_image=["1", 3],
        ),
        "3": node("SaveImage", filename_prefix="ComfyUI", images=["2", 5]),
    }
    rec = read(graph, "ComfyUI_00001_.png")
    assert (rec.prompt, rec.seed, rec.width, rec.height) == ("a cozy cabin in the snowy woods", 777, 512, 768)
    assert [(lora.name, lora.weight) for lora in rec.loras] == [("add_detail.safetensors", 0.7)]


def test_a_node_id_of_digits_int_cannot_read_is_an_ordinary_id() -> None:
    """A graph keyed ``"²"`` (``str.isdigit`` but not ``int``) was a reader bug: the file read as nothing."""
    graph = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.safetensors"}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox", "clip": ["1", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512}},
        "²": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 7,
                "steps": 20,
                "cfg": 7.0,
                "sampler_name": "euler",
                "model": ["1", 0],
                "positive": ["3", 0],
                "latent_image": ["5", 0],
            },
        },
        "9": {"class_type": "SaveImage", "inputs": {"images": ["²", 0], "filename_prefix": "ComfyUI"}},
    }
    data = build_png(text_chunk("prompt", json.dumps(graph)))
    record = read_image_bytes(
        data, file_name="ComfyUI_00001_.png", mtime=datetime(2025, 1, 1, tzinfo=UTC)
    ).record
    assert (record.tool, record.prompt, record.seed) == ("comfyui", "a red fox", 7)
