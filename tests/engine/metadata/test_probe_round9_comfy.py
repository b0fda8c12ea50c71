"""Probe round 9 (real ComfyUI API graphs from public repositories): the shapes the reader missed.

Each graph mirrors a published one (sources in the round's report): kijai's video wrappers
(``WanVideoSampler`` / ``CogVideoSampler``, whose latent is made inside the sampler and whose model
loaders name the model in a ``model`` widget), Easy-Use's ``easy cleanGpuUsed`` pass-through on the
model path, essentials' ``ImageResize+`` "keep proportion" before a VAEEncode, and a RIFE frame
interpolation between a video decode and its saver.
"""

from __future__ import annotations

from comfy_graph_builder import Graph, node, read, sampled

from engine.records import LoraRef

WAN_LORA = "Wan21_T2V_14B_lightx2v_cfg_step_distill_lora_rank32.safetensors"


def _wan_graph() -> Graph:
    """Wan 2.1 I2V through kijai's WanVideoWrapper, as a RunPod handler posts it."""
    return {
        "198": node(
            "WanVideoModelLoader",
            model="wan2.1_i2v_480p_14B_bf16.safetensors",
            base_precision="bf16",
            quantization="fp8_e5m2",
            load_device="offload_device",
            attention_mode="sageattn",
            lora=["264", 0],
        ),
        "261": node("WanVideoLoraSelect", lora=WAN_LORA, strength=0.7, low_mem_load=False, merge_loras=True),
        "264": node(
            "WanVideoLoraSelect", lora=WAN_LORA, strength=0, low_mem_load=False, prev_lora=["261", 0]
        ),
        "265": node("Text Prompt (JPS)", text="the woman turns toward the camera and smiles"),
        "266": node("Text Prompt (JPS)", text="blurry, static"),
        "267": node(
            "LoadWanVideoT5TextEncoder", model_name="umt5-xxl-enc-bf16.safetensors", precision="bf16"
        ),
        "269": node(
            "WanVideoTextEncode",
            positive_prompt=["265", 0],
            negative_prompt=["266", 0],
            force_offload=False,
            t5=["267", 0],
        ),
        "218": node("LoadImage", image="portrait.png"),
        "215": node(
            "WanVideoImageClipEncode", generation_width=720, generation_height=1280, image=["218", 0]
        ),
        "205": node(
            "WanVideoSampler",
            steps=5,
            cfg=1.0,
            shift=8.0,
            seed=7,
            scheduler="unipc",
            model=["198", 0],
            image_embeds=["215", 0],
            text_embeds=["269", 0],
        ),
        "202": node("WanVideoVAELoader", model_name="Wan2_1_VAE_bf16.safetensors"),
        "204": node("WanVideoDecode", vae=["202", 0], samples=["205", 0]),
        "94": node("VHS_VideoCombine", frame_rate=16, filename_prefix="wan/vid", images=["204", 0]),
    }


def test_wan_video_wrapper_sampler_gives_its_prompts_model_and_loras() -> None:
    rec = read(_wan_graph(), file_name="vid_00001.png")
    assert (rec.prompt, rec.negative_prompt) == (
        "the woman turns toward the camera and smiles",
        "blurry, static",
    )
    assert (rec.seed, rec.steps, rec.cfg_scale) == (7, 5, 1.0)
    assert rec.model == "wan2.1_i2v_480p_14B_bf16.safetensors"
    assert rec.loras == (LoraRef(WAN_LORA, 0.7),)  # the strength-0 row applies nothing


def _cogvideo_graph() -> Graph:
    """CogVideoX I2V through kijai's CogVideoX wrapper, its prompt from two chained Ollama nodes."""
    return {
        "1": node("DownloadAndLoadCogVideoModel", model="THUDM/CogVideoX-5b-I2V", precision="bf16"),
        "20": node("CLIPLoader", clip_name="t5xxl_fp8_e4m3fn.safetensors", type="sd3"),
        "84": node("OllamaGenerateAdvance", prompt="cherry blossom petals scattering", model="llama3:latest"),
        "85": node("OllamaGenerateAdvance", prompt=["84", 0], model="qwen2:latest"),
        "30": node("CogVideoTextEncode", prompt=["85", 0], strength=1, clip=["20", 0]),
        "31": node("CogVideoTextEncode", prompt="", strength=1, clip=["20", 0]),
        "36": node("LoadImage", image="ad.png"),
        "58": node("CogVideoImageEncode", pipeline=["1", 0], image=["36", 0]),
        "57": node(
            "CogVideoSampler",
            height=480,
            width=720,
            num_frames=49,
            steps=25,
            cfg=6,
            seed=65334758276105,
            scheduler="CogVideoXDPMScheduler",
            pipeline=["1", 0],
            positive=["30", 0],
            negative=["31", 0],
            image_cond_latents=["58", 0],
        ),
        "56": node("CogVideoDecode", pipeline=["57", 0], samples=["57", 1]),
        "44": node("VHS_VideoCombine", frame_rate=16, filename_prefix="CogVideoX-I2V", images=["56", 0]),
    }


def test_cogvideo_sampler_pipeline_and_chained_prompt_enhancers() -> None:
    """CogVideoSampler takes its model as ``pipeline``; its prompt is made by two chained Ollama
    nodes, so the artist's text is the first one's request."""
    rec = read(_cogvideo_graph(), file_name="CogVideoX-I2V_00001.png")
    assert rec.prompt == "cherry blossom petals scattering"
    assert (rec.seed, rec.steps, rec.cfg_scale) == (65334758276105, 25, 6.0)
    assert rec.model == "THUDM/CogVideoX-5b-I2V"


def test_model_through_an_object_pass_through_node() -> None:
    """Easy-Use's ``easy cleanGpuUsed`` hands on whatever its ``anything`` input carries."""
    graph = sampled(model=["40", 0])
    graph["40"] = node("easy cleanGpuUsed", anything=["41", 0])
    graph["41"] = node(
        "LoraLoaderModelOnly", lora_name="detail.safetensors", strength_model=0.5, model=["4", 0]
    )
    rec = read(graph)
    assert rec.model == "sd_xl_base_1.0.safetensors"
    assert rec.loras == (LoraRef("detail.safetensors", 0.5),)


def _encoded(resize: dict[str, object]) -> Graph:
    graph = sampled(["50", 0], denoise=0.8)
    graph["50"] = node("VAEEncode", pixels=["51", 0], vae=["4", 2])
    graph["51"] = resize
    graph["52"] = node("LoadImage", image="photo.jpg")
    return graph


def test_a_resize_that_keeps_proportions_gives_no_size() -> None:
    keep = node(
        "ImageResize+",
        width=1280,
        height=1280,
        method="keep proportion",
        condition="always",
        multiple_of=0,
        interpolation="nearest",
        image=["52", 0],
    )
    kj = node("ImageResizeKJ", width=1280, height=1280, keep_proportion=True, image=["52", 0])
    only_down = node(
        "ImageResize+",
        width=1024,
        height=1024,
        method="stretch",
        condition="downscale if bigger",
        multiple_of=0,
        interpolation="nearest",
        image=["52", 0],
    )
    for resize in (keep, kj, only_down):
        rec = read(_encoded(resize))
        assert (rec.width, rec.height) == (None, None), resize


def test_a_resize_to_an_exact_size_still_gives_it() -> None:
    stretch = node(
        "ImageResize+",
        width=896,
        height=1152,
        method="stretch",
        condition="always",
        multiple_of=0,
        interpolation="nearest",
        image=["52", 0],
    )
    rec = read(_encoded(stretch))
    assert (rec.width, rec.height) == (896, 1152)


def test_frame_interpolation_between_decode_and_saver_is_traced() -> None:
    """The saver behind ``RIFE VFI`` (input ``frames``) wrote the file: the refine pass it shows."""
    graph = sampled()
    graph["9"] = node("SaveImage", filename_prefix="base", images=["8", 0])
    graph["20"] = node(
        "KSampler",
        seed=22,
        steps=12,
        cfg=4.0,
        sampler_name="dpmpp_2m",
        scheduler="karras",
        denoise=0.5,
        model=["4", 0],
        positive=["6", 0],
        negative=["7", 0],
        latent_image=["3", 0],
    )
    graph["21"] = node("VAEDecode", samples=["20", 0], vae=["4", 2])
    graph["22"] = node("RIFE VFI", ckpt_name="rife49.pth", multiplier=2, frames=["21", 0])
    graph["23"] = node("VHS_VideoCombine", frame_rate=24, filename_prefix="vid", images=["22", 0])
    rec = read(graph, file_name="vid_00001.png")
    assert (rec.seed, rec.steps, rec.sampler) == (22, 12, "dpmpp_2m")
