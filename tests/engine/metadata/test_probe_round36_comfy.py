"""Probe round 36: switches that hand on their first connected or their chosen input, encoders that put
words before the typed text, and passes whose result travels as SEGS or as a region's own prompt.

Each graph is written as ComfyUI writes it (the API ``prompt`` chunk) with a file name its output node
writes; the expected values are worked out by hand from the graph, tracing from the output node that
wrote the file back to its sampler and conditioning. Sources, and what was read wrong before this round:

- rgthree ``Any Switch (rgthree)`` (``rgthree/rgthree-comfy`` ``py/any_switch.py``: optional ``any_01``
  … ``any_05``, dynamic in newer versions; ``switch`` returns the first input that is not ``None``). An
  API graph holds only connected inputs (a muted branch's node and link are dropped), so the first
  present one is what it hands on. No public API graph with a repository the search tools could name
  was found (a Wan VACE setup script in the index switches its ``UnetLoaderGGUF`` through one, the
  "Model switch", shape reused here): built from the node definition. Failed before: the switch was
  read as an ordinary node, so the model behind it (no model), the text behind it (no prompt), the
  latent behind it (no size) and the image behind it (the output's trace lost, the first pass taken)
  were lost. rgthree's other switches are its ``Context Switch`` nodes (``py/context_switch.py``: the
  first non-empty ``ctx_NN``), read right before (guard below); the pack has no image or latent switch.
- Impact ``ImpactConditionalBranch`` (``ltdrdata/ComfyUI-Impact-Pack`` ``modules/impact/logics.py``:
  ``cond`` BOOLEAN, ``tt_value``/``ff_value`` lazy any-typed, ``(tt_value,) if cond else (ff_value,)``;
  ``ImpactCompare``, ``ImpactNeg``, ``ImpactLogicalOperators``, ``ImpactBoolean``, ``ImpactInt``,
  ``ImpactImageInfo`` of the same file). Built from the definitions. Failed before: neither branch was
  followed (no model, no prompt; the output's trace through it lost). Rule for a condition the graph
  cannot tell (a comparison of run-time values): the branch is unknown and nothing is taken through it,
  unless both inputs are the same value.
- Lora Manager ``Prompt (LoraManager)`` (``willmiao/ComfyUI-Lora-Manager`` ``py/nodes/prompt.py``: the
  truthy ``trigger_words`` / ``trigger_wordsN`` inputs, then ``text``, joined with ", ", encoded) fed by
  ``TriggerWord Toggle (LoraManager)`` (``py/nodes/trigger_word_toggle.py``: the active entries of
  ``toggle_trigger_words``; with strength adjustment ``(word:1.20)``; an empty list outputs
  ``orinalMessage``). The graph is ``yameprogrammer/comfyui-workflows`` ``T2I-moody.json`` (round 35's
  guard) with a LoRA loaded and its trigger words toggled. Failed before: the prompt was the typed text
  alone.
- Impact ``SEGSDetailer`` + ``SEGSPaste`` (``modules/impact/segs_nodes.py``: the detailer outputs the
  re-sampled crops as SEGS; the paste pastes them, or crops of ``ref_image_opt``, over ``image``). The
  graph is ``ltdrdata/ComfyUI-extension-tutorials`` ``ComfyUI-Impact-Pack/workflow/segs-detailer.json``
  (current node schemas; a ``SaveImage`` on the paste's output, which the tutorial leaves unconnected),
  and the same with its loaded image made by a text-to-image pass. Failed before: the trace went back
  along the paste's ``image`` to the first pass; the SEGS link was no pixel link.
- Inspire ``RegionalPromptSimple //Inspire`` and ``RegionalPromptColorMask //Inspire``
  (``ltdrdata/ComfyUI-Inspire-Pack`` ``inspire/regional_nodes.py``: a non-empty ``wildcard_prompt`` is
  encoded and replaces the ``basic_pipe``'s positive, empty keeps it), in the ``RegionalSampler`` graph
  of Impact's ``test/regional_prompt.json`` (round 35). Built from the definitions. Failed before: every
  region read its pipe's positive (the base prompt), so the regions' prompts were lost.
- Guards, read right before this round too: rgthree ``Context Switch`` taking its first linked context;
  the tutorial's SEGS graph on a loaded image (the detailer is the only pass); a ``SEGSPaste`` given
  ``ref_image_opt`` (crops of that image are pasted, so its pass describes the file); a Lora Manager
  prompt whose trigger words come straight from the loader (run-time words: left out, never the
  loader's LoRA syntax text); and two bounds, a conditional branch choosing itself or behind 2,000
  negations and 3,000 SEGS filters or 2,000 stacked pastes, each read within the CPU budget.
"""

from __future__ import annotations

from typing import Any

from comfy_graph_builder import MOODY_TEXT, MOODY_UNET, Graph, moody_graph, node, read, regional_prompt_graph
from comfy_graph_builder import REGIONAL_BASE as BASE
from comfy_graph_builder import REGIONAL_GIRL as GIRL
from comfy_graph_builder import REGIONAL_MAN as MAN
from comfy_graph_builder import REGIONAL_MODEL as V07
from comfy_graph_builder import link as _link
from comfy_graph_builder import record_settings as _settings

from tests.cpu_budget import run_within_cpu_budget


def _ksampler(seed: int, steps: int, denoise: float, model: int, latent: list[Any]) -> dict[str, Any]:
    return node(
        "KSampler",
        seed=seed,
        steps=steps,
        cfg=6.5,
        sampler_name="dpmpp_2m",
        scheduler="karras",
        denoise=denoise,
        model=_link(model),
        positive=_link(6),
        negative=_link(7),
        latent_image=latent,
    )


# -- rgthree: Any Switch ----------------------------------------------------------------------------
JUGGERNAUT = "juggernautXL_v9.safetensors"
PONY = "ponyDiffusionV6XL.safetensors"
LIGHTHOUSE = "a lighthouse on a cliff at dusk, volumetric light"
HARBOUR = "a harbour at noon, fishing boats"


def _any_switch(**inputs: Any) -> dict[str, Any]:
    return node("Any Switch (rgthree)", **inputs)


def _any_switches() -> Graph:
    """A model switch (its ``any_01`` branch muted, so absent), a prompt switch and a latent switch of
    two connected inputs each, a Power Lora Loader on the switched model, a hires pass and an image
    switch before the save (hires decode first)."""
    return {
        "4": node("CheckpointLoaderSimple", ckpt_name=JUGGERNAUT),
        "5": node("CheckpointLoaderSimple", ckpt_name=PONY),
        "20": _any_switch(any_02=_link(4), any_03=_link(5)),
        "21": node(
            "Power Lora Loader (rgthree)",
            PowerLoraLoaderHeaderWidget={"type": "PowerLoraLoaderHeaderWidget"},
            lora_1={"on": True, "lora": "add-detail-xl.safetensors", "strength": 0.6},
            **{"➕ Add Lora": ""},
            model=_link(20),
            clip=_link(4, 1),
        ),
        "30": node("PrimitiveStringMultiline", value=LIGHTHOUSE),
        "31": node("PrimitiveStringMultiline", value=HARBOUR),
        "32": _any_switch(any_01=_link(30), any_02=_link(31)),
        "6": node("CLIPTextEncode", text=_link(32), clip=_link(21, 1)),
        "7": node("CLIPTextEncode", text="blurry, lowres", clip=_link(21, 1)),
        "40": node("EmptyLatentImage", width=832, height=1216, batch_size=1),
        "41": node("LoadImage", image="sketch.png", upload="image"),
        "42": node("VAEEncode", pixels=_link(41), vae=_link(4, 2)),
        "43": _any_switch(any_01=_link(40), any_02=_link(42)),
        "3": _ksampler(4242, 30, 1.0, 21, _link(43)),
        "8": node("VAEDecode", samples=_link(3), vae=_link(4, 2)),
        "10": node("LatentUpscaleBy", samples=_link(3), upscale_method="nearest-exact", scale_by=1.5),
        "11": _ksampler(4243, 15, 0.5, 21, _link(10)),
        "12": node("VAEDecode", samples=_link(11), vae=_link(4, 2)),
        "44": _any_switch(any_01=_link(12), any_02=_link(8)),
        "9": node("SaveImage", filename_prefix="anyswitch", images=_link(44)),
    }


def test_any_switch_hands_on_its_first_connected_input_on_every_path() -> None:
    """The file is the hires pass's (the image switch's ``any_01``); its model is the first connected
    of the model switch (``any_02``: Juggernaut, with the Power Lora Loader's LoRA), its prompt the
    prompt switch's ``any_01`` text, its size the latent switch's ``any_01`` empty latent."""
    record = read(_any_switches(), "anyswitch_00001_.png")
    assert record.extra["primary_sampler"] == "11"
    assert (record.prompt, record.negative_prompt) == (LIGHTHOUSE, "blurry, lowres")
    expected = (
        4243,
        15,
        6.5,
        "dpmpp_2m",
        "karras",
        JUGGERNAUT,
        [("add-detail-xl.safetensors", 0.6)],
        832,
        1216,
    )
    assert _settings(record) == expected
    assert record.denoise == 0.5


def test_any_switch_with_its_first_branch_muted_hands_on_the_next() -> None:
    """Muting the hires group drops its nodes and the image switch's ``any_01``: the file is the first
    pass's; muting the empty latent drops the latent switch's ``any_01``: the pass samples the encoded
    sketch (no size the graph can tell)."""
    graph = _any_switches()
    for node_id in ("10", "11", "12", "40"):
        del graph[node_id]
    del graph["44"]["inputs"]["any_01"]
    del graph["43"]["inputs"]["any_01"]
    record = read(graph, "anyswitch_00002_.png")
    assert [entry["node_id"] for entry in record.extra["samplers"]] == ["3"]
    expected = (
        4242,
        30,
        6.5,
        "dpmpp_2m",
        "karras",
        JUGGERNAUT,
        [("add-detail-xl.safetensors", 0.6)],
        None,
        None,
    )
    assert _settings(record) == expected
    assert record.source_image == "sketch.png"
    assert record.prompt == LIGHTHOUSE


def test_any_switch_with_nothing_connected_hands_on_nothing() -> None:
    """A switch with no connected input outputs ``None``: no prompt behind it (never a guess)."""
    graph = _any_switches()
    graph["32"] = _any_switch()
    record = read(graph, "anyswitch_00003_.png")
    assert record.prompt is None and record.seed == 4243


def test_a_cycle_or_a_long_chain_of_any_switches_ends_quickly() -> None:
    """Switches that take each other, and a chain of 3,000 of them, end within the walk budget."""
    graph = _any_switches()
    graph["32"] = _any_switch(any_01=_link(33))
    graph["33"] = _any_switch(any_01=_link(32), any_02=_link(30))
    record = run_within_cpu_budget(lambda: read(graph, "anyswitch_00004_.png"), 1.0, "the cycle")
    assert record.seed == 4243 and record.model == JUGGERNAUT
    chained = _any_switches()
    for number in range(1000, 4000):
        chained[str(number)] = _any_switch(any_01=_link(number + 1))
    chained["4000"] = _any_switch(any_01=_link(40))
    chained["3"]["inputs"]["latent_image"] = _link(1000)
    chained["6"]["inputs"]["text"] = _link(1000)
    record = run_within_cpu_budget(lambda: read(chained, "anyswitch_00005_.png"), 1.0, "the chain")
    assert record.seed == 4243 and record.model == JUGGERNAUT


def test_guard_context_switch_takes_its_first_linked_context() -> None:
    """rgthree ``Context Switch`` (``ctx_01`` muted): the fields of ``ctx_02``'s context, never those of
    the later one that sets another model."""
    graph: Graph = {
        "4": node("CheckpointLoaderSimple", ckpt_name=JUGGERNAUT),
        "5": node("CheckpointLoaderSimple", ckpt_name=PONY),
        "6": node("CLIPTextEncode", text=LIGHTHOUSE, clip=_link(4, 1)),
        "7": node("CLIPTextEncode", text="blurry, lowres", clip=_link(4, 1)),
        "40": node("EmptyLatentImage", width=832, height=1216, batch_size=1),
        "50": node(
            "Context (rgthree)",
            model=_link(4),
            clip=_link(4, 1),
            vae=_link(4, 2),
            positive=_link(6),
            negative=_link(7),
            latent=_link(40),
        ),
        "51": node("Context (rgthree)", base_ctx=_link(50), model=_link(5)),
        "52": node("Context Switch (rgthree)", ctx_02=_link(50), ctx_03=_link(51)),
        "3": node(
            "KSampler",
            seed=4242,
            steps=30,
            cfg=6.5,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=1.0,
            model=_link(52, 1),
            positive=_link(52, 4),
            negative=_link(52, 5),
            latent_image=_link(52, 6),
        ),
        "8": node("VAEDecode", samples=_link(3), vae=_link(52, 3)),
        "9": node("SaveImage", filename_prefix="anyswitch", images=_link(8)),
    }
    record = read(graph, "anyswitch_00006_.png")
    assert (record.prompt, record.negative_prompt) == (LIGHTHOUSE, "blurry, lowres")
    assert _settings(record) == (4242, 30, 6.5, "dpmpp_2m", "karras", JUGGERNAUT, [], 832, 1216)


# -- Impact: ImpactConditionalBranch ------------------------------------------------------------------
REALVIS = "realvisxlV50.safetensors"
DREAMSHAPER = "dreamshaperXL_lightning.safetensors"
PHOTO = "portrait photo of an old fisherman, golden hour"
PAINTING = "oil painting of an old fisherman, impasto"


def _branch(cond: Any, tt_value: list[Any], ff_value: list[Any]) -> dict[str, Any]:
    return node("ImpactConditionalBranch", cond=cond, tt_value=tt_value, ff_value=ff_value)


def _branches(cond: Any) -> Graph:
    """A model branch and a prompt branch on one condition ``cond``; an image branch before the save
    (a hires decode as ``tt_value``)."""
    return {
        "4": node("CheckpointLoaderSimple", ckpt_name=REALVIS),
        "5": node("CheckpointLoaderSimple", ckpt_name=DREAMSHAPER),
        "60": _branch(cond, _link(4), _link(5)),
        "62": node("PrimitiveStringMultiline", value=PHOTO),
        "63": node("PrimitiveStringMultiline", value=PAINTING),
        "61": _branch(cond, _link(62), _link(63)),
        "6": node("CLIPTextEncode", text=_link(61), clip=_link(4, 1)),
        "7": node("CLIPTextEncode", text="cartoon, blurry", clip=_link(4, 1)),
        "40": node("EmptyLatentImage", width=1024, height=1024, batch_size=1),
        "3": _ksampler(808, 28, 1.0, 60, _link(40)),
        "8": node("VAEDecode", samples=_link(3), vae=_link(4, 2)),
        "10": node("LatentUpscaleBy", samples=_link(3), upscale_method="nearest-exact", scale_by=1.5),
        "11": _ksampler(809, 12, 0.4, 60, _link(10)),
        "12": node("VAEDecode", samples=_link(11), vae=_link(4, 2)),
        "64": _branch(cond, _link(12), _link(8)),
        "9": node("SaveImage", filename_prefix="branch", images=_link(64)),
    }


def test_conditional_branch_follows_the_branch_a_literal_condition_chooses() -> None:
    """``cond`` True: the hires pass, on RealVis, with the photo prompt; False: the first pass, on
    DreamShaper, with the painting prompt."""
    record = read(_branches(True), "branch_00001_.png")
    assert record.extra["primary_sampler"] == "11" and record.prompt == PHOTO
    assert _settings(record) == (809, 12, 6.5, "dpmpp_2m", "karras", REALVIS, [], 1024, 1024)
    record = read(_branches(False), "branch_00002_.png")
    assert record.extra["primary_sampler"] == "3" and record.prompt == PAINTING
    assert _settings(record) == (808, 28, 6.5, "dpmpp_2m", "karras", DREAMSHAPER, [], 1024, 1024)


def test_conditional_branch_reads_a_condition_the_graphs_values_decide() -> None:
    """``ImpactBoolean``, ``ImpactCompare`` of two ``ImpactInt`` (2048 >= 1536), ``ImpactNeg`` of it and
    ``ImpactLogicalOperators`` ("and" with a ``PrimitiveBoolean``) are worked out as Impact does."""
    cases = {
        "ImpactBoolean True": ({"70": node("ImpactBoolean", value=True)}, True),
        "a >= b": (
            {
                "71": node("ImpactInt", value=2048),
                "72": node("ImpactInt", value=1536),
                "70": node("ImpactCompare", cmp="a >= b", a=_link(71), b=_link(72)),
            },
            True,
        ),
        "not (a >= b)": (
            {
                "71": node("ImpactInt", value=2048),
                "72": node("ImpactInt", value=1536),
                "73": node("ImpactCompare", cmp="a >= b", a=_link(71), b=_link(72)),
                "70": node("ImpactNeg", value=_link(73)),
            },
            False,
        ),
        "ff": ({"70": node("ImpactCompare", cmp="ff", a=_link(4), b=_link(5))}, False),
        "and": (
            {
                "74": node("PrimitiveBoolean", value=True),
                "75": node("ImpactBoolean", value=True),
                "70": node("ImpactLogicalOperators", operator="and", bool_a=_link(74), bool_b=_link(75)),
            },
            True,
        ),
    }
    for name, (logic, chosen) in cases.items():
        graph = _branches(_link(70)) | logic
        record = read(graph, "branch_00003_.png")
        assert (record.prompt, record.model) == ((PHOTO, REALVIS) if chosen else (PAINTING, DREAMSHAPER)), (
            name
        )
        assert record.extra["primary_sampler"] == ("11" if chosen else "3"), name


def test_conditional_branch_on_a_run_time_condition_takes_nothing_unless_both_sides_agree() -> None:
    """``cond`` compares the generated image's width (``ImpactImageInfo``, known only at run time): the
    model and prompt branches are unknown and give nothing; the image branch leaves the output's trace
    unknown, so the first pass describes the file. A branch whose two inputs are the same link hands it
    on whatever the condition."""
    graph = _branches(_link(70)) | {
        "76": node("ImpactImageInfo", value=_link(8)),
        "77": node("ImpactInt", value=1024),
        "70": node("ImpactCompare", cmp="a > b", a=_link(76, 2), b=_link(77)),
    }
    record = read(graph, "branch_00004_.png")
    assert (record.prompt, record.model, list(record.loras)) == (None, None, [])
    assert record.extra["primary_sampler"] == "3" and record.seed == 808
    graph["60"]["inputs"]["ff_value"] = _link(4)
    record = read(graph, "branch_00005_.png")
    assert record.model == REALVIS


def test_guard_a_conditional_branch_that_chooses_itself_ends_quickly() -> None:
    """Bound: a condition linked back to the branch, and a chain of 2,000 negations (deeper than the
    walk reads: unknown), end within budget."""
    graph = _branches(_link(61))
    record = run_within_cpu_budget(lambda: read(graph, "branch_00006_.png"), 1.0, "the cycle")
    assert record.prompt is None
    chained = _branches(_link(2000))
    for number in range(2000, 4000):
        chained[str(number)] = node("ImpactNeg", value=_link(number + 1))
    chained["4000"] = node("ImpactBoolean", value=True)
    record = run_within_cpu_budget(lambda: read(chained, "branch_00007_.png"), 1.0, "the chain")
    assert record.seed in (808, 809)


# -- Lora Manager: Prompt (LoraManager) with trigger words ---------------------------------------
MOODY_LORA = "moodyPortrait_zit"


def _moody(toggle: dict[str, Any], **prompt_inputs: Any) -> Graph:
    """``T2I-moody.json`` with a LoRA in the Lora Manager loader and ``toggle`` as the trigger-word
    toggle's widgets; the prompt node's inputs besides ``clip`` and ``text``: ``prompt_inputs``."""
    return moody_graph(toggle, (MOODY_LORA, 0.8), **prompt_inputs)


MOODY_SETTINGS = (
    320187269393257,
    20,
    1.0,
    "res_multistep",
    "simple",
    MOODY_UNET,
    [(MOODY_LORA, 0.8)],
    1024,
    1024,
)


def test_lora_manager_prompt_encodes_the_active_trigger_words_before_the_text() -> None:
    """Group mode: the active group ("moody portrait") joined before the text with ", "; the inactive
    group is left out."""
    toggle = {
        "group_mode": True,
        "default_active": True,
        "allow_strength_adjustment": False,
        "toggle_trigger_words": {
            "__value__": [
                {"text": "moody portrait", "active": True, "strength": None, "highlighted": False},
                {"text": "film grain, soft light", "active": False, "strength": None, "highlighted": False},
            ]
        },
        "orinalMessage": "moody portrait,, film grain, soft light",
    }
    record = read(_moody(toggle, trigger_words1=_link(37)), "z-image-turbo_00002_.png")
    assert (record.prompt, record.negative_prompt) == ("moody portrait, " + MOODY_TEXT, None)
    assert _settings(record) == MOODY_SETTINGS


def test_lora_manager_prompt_joins_every_trigger_input_in_order_with_weighted_words() -> None:
    """Word mode with strength adjustment: "(moody portrait:1.2)" is read as word and weight and written
    back as the node formats it; a second trigger input (a string node) comes after the first."""
    toggle = {
        "group_mode": False,
        "default_active": True,
        "allow_strength_adjustment": True,
        "toggle_trigger_words": {
            "__value__": [
                {"text": "(moody portrait:1.2)", "active": True, "strength": None},
                {"text": "film grain", "active": True, "strength": 0.9},
                {"text": "soft light", "active": False, "strength": 1.0},
            ]
        },
        "orinalMessage": "moody portrait, film grain, soft light",
    }
    graph = _moody(toggle, trigger_words1=_link(37), trigger_words2=_link(51))
    graph["51"] = node("PrimitiveString", value="ohwx woman")
    record = read(graph, "z-image-turbo_00003_.png")
    assert record.prompt == "(moody portrait:1.20), (film grain:0.90), ohwx woman, " + MOODY_TEXT


def test_lora_manager_prompt_of_the_older_schema_and_its_prompt_output() -> None:
    """The older node's one ``trigger_words`` input and a plain list of entries; a second encoder fed the
    prompt node's PROMPT string output (output 1) encodes the same joined text."""
    toggle = {
        "group_mode": True,
        "default_active": True,
        "toggle_trigger_words": [{"text": "moody portrait", "active": True}],
        "orinalMessage": "moody portrait",
    }
    graph = _moody(toggle, trigger_words=_link(37))
    record = read(graph, "z-image-turbo_00004_.png")
    assert record.prompt == "moody portrait, " + MOODY_TEXT
    graph["52"] = node("CLIPTextEncode", text=_link(48, 1), clip=_link(38, 1))
    graph["47"]["inputs"]["positive"] = _link(52)
    record = read(graph, "z-image-turbo_00005_.png")
    assert record.prompt == "moody portrait, " + MOODY_TEXT


def test_lora_manager_toggle_with_an_empty_list_outputs_its_message() -> None:
    """A toggle whose list is empty outputs its ``orinalMessage`` as it is."""
    toggle = {
        "group_mode": True,
        "toggle_trigger_words": {"__value__": []},
        "orinalMessage": "moody portrait",
    }
    record = read(_moody(toggle, trigger_words1=_link(37)), "z-image-turbo_00007_.png")
    assert record.prompt == "moody portrait, " + MOODY_TEXT


def test_guard_lora_manager_trigger_words_straight_from_the_loader_are_left_out() -> None:
    """The loader's ``trigger_words`` output holds the LoRA files' words, looked up at run time: the
    prompt is the typed text, never with the loader's ``<lora:…>`` text before it."""
    record = read(_moody({}, trigger_words1=_link(38, 2)), "z-image-turbo_00006_.png")
    assert record.prompt == MOODY_TEXT


# -- Impact: SEGSDetailer + SEGSPaste -------------------------------------------------------------
EPICREALISM = "SD1.5/epicrealism_naturalSinRC1VAE.safetensors"
DETAILED = "best quality:1.4, detailed"
LOW_QUALITY = "low quality:1.4, worst quality:1.4"


def _segs_detailer() -> Graph:
    """``segs-detailer.json`` (current schemas; reroutes resolved) with a ``SaveImage`` on the paste."""
    return {
        "1": node("LoadImage", image="0001_SDXL_detailer.jpeg", upload="image"),
        "7": node("UltralyticsDetectorProvider", model_name="bbox/face_yolov8m.pt"),
        "8": node("SAMLoader", model_name="sam_vit_b_01ec64.pth", device_mode="AUTO"),
        "2": node(
            "ImpactSimpleDetectorSEGS",
            bbox_detector=_link(7),
            image=_link(1),
            sam_model_opt=_link(8),
            bbox_threshold=0.5,
            bbox_dilation=0,
            crop_factor=3,
            drop_size=10,
            sub_threshold=0.5,
            sub_dilation=0,
            sub_bbox_expansion=0,
            sam_mask_hint_threshold=0.7,
        ),
        "9": node("CheckpointLoaderSimple", ckpt_name=EPICREALISM),
        "10": node("CLIPTextEncode", text=DETAILED, clip=_link(9, 1)),
        "11": node("CLIPTextEncode", text=LOW_QUALITY, clip=_link(9, 1)),
        "12": node(
            "ToBasicPipe",
            model=_link(9),
            clip=_link(9, 1),
            vae=_link(9, 2),
            positive=_link(10),
            negative=_link(11),
        ),
        "4": node(
            "SEGSDetailer",
            image=_link(1),
            segs=_link(2),
            guide_size=256,
            guide_size_for=True,
            max_size=768,
            seed=175808616555701,
            steps=20,
            cfg=8.0,
            sampler_name="euler",
            scheduler="normal",
            denoise=0.5,
            noise_mask=True,
            force_inpaint=False,
            basic_pipe=_link(12),
            refiner_ratio=0.2,
            batch_size=1,
            cycle=1,
            inpaint_model=False,
            noise_mask_feather=20,
        ),
        "5": node("PreviewImage", images=_link(1)),
        "6": node("SEGSPreview", segs=_link(4), alpha_mode=True, min_alpha=0.2, fallback_image_opt=_link(1)),
        "13": node("SEGSPaste", image=_link(1), segs=_link(4), feather=5, alpha=255),
        "18": node("SaveImage", filename_prefix="ComfyUI", images=_link(13)),
    }


def _generated_segs_detailer() -> Graph:
    """The same graph with its image made by a text-to-image pass (a 512 × 768 latent)."""
    graph = _segs_detailer()
    del graph["1"]
    graph |= {
        "20": node("EmptyLatentImage", width=512, height=768, batch_size=1),
        "22": node("CLIPTextEncode", text="photo of a woman in a garden, detailed face", clip=_link(9, 1)),
        "21": node(
            "KSampler",
            seed=7,
            steps=25,
            cfg=7.0,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=1.0,
            model=_link(9),
            positive=_link(22),
            negative=_link(11),
            latent_image=_link(20),
        ),
        "23": node("VAEDecode", samples=_link(21), vae=_link(9, 2)),
    }
    for node_id, key in (
        ("2", "image"),
        ("4", "image"),
        ("5", "images"),
        ("6", "fallback_image_opt"),
        ("13", "image"),
    ):
        graph[node_id]["inputs"][key] = _link(23)
    return graph


DETAILER_SETTINGS = (175808616555701, 20, 8.0, "euler", "normal", EPICREALISM, [])


def test_guard_segs_detailer_on_a_loaded_image_is_the_only_pass() -> None:
    """The tutorial graph: the pasted SEGS are the detailer's; a detailer of a loaded image has no
    generation size; the source is the loaded image."""
    record = read(_segs_detailer(), "ComfyUI_00001_.png")
    assert record.extra["output_node"]["node_id"] == "18"
    assert (record.prompt, record.negative_prompt) == (DETAILED, LOW_QUALITY)
    assert _settings(record) == (*DETAILER_SETTINGS, None, None)
    assert record.denoise == 0.5 and record.source_image == "0001_SDXL_detailer.jpeg"


def test_segs_paste_output_is_described_by_the_detailer_whose_segs_it_pastes() -> None:
    """The paste's ``image`` is the text-to-image pass's, its ``segs`` the detailer's: the detailer's
    seed, steps, cfg, sampler, prompts (from its BASIC_PIPE) and denoise, the first pass's size."""
    record = read(_generated_segs_detailer(), "ComfyUI_00002_.png")
    assert record.extra["primary_sampler"] == "4"
    assert (record.prompt, record.negative_prompt) == (DETAILED, LOW_QUALITY)
    assert _settings(record) == (*DETAILER_SETTINGS, 512, 768)
    assert record.denoise == 0.5


def test_segs_paste_behind_a_segs_filter_still_reaches_the_detailer() -> None:
    """An ``ImpactSEGSOrderedFilter`` (the largest face only) between the detailer and the paste."""
    graph = _generated_segs_detailer()
    graph["24"] = node(
        "ImpactSEGSOrderedFilter", segs=_link(4), target="area(=w*h)", order=True, take_start=0, take_count=1
    )
    graph["25"] = node(
        "ImpactSEGSOrderedFilter", segs=_link(24), target="x1", order=False, take_start=0, take_count=1
    )
    graph["13"]["inputs"]["segs"] = _link(25)
    record = read(graph, "ComfyUI_00003_.png")
    assert record.extra["primary_sampler"] == "4"
    assert _settings(record) == (*DETAILER_SETTINGS, 512, 768)


def test_guard_segs_paste_with_a_reference_image_pastes_crops_of_that_image() -> None:
    """With ``ref_image_opt`` given, the paste pastes crops of it (here the first pass's own image):
    the first pass describes the file."""
    graph = _generated_segs_detailer()
    graph["13"]["inputs"]["ref_image_opt"] = _link(23)
    record = read(graph, "ComfyUI_00004_.png")
    assert record.extra["primary_sampler"] == "21" and record.seed == 7


def test_guard_long_chains_of_segs_filters_and_of_pastes_end_quickly() -> None:
    """Bound: 3,000 SEGS filters between detailer and paste; 2,000 pastes each pasting over the last."""
    graph = _generated_segs_detailer()
    for number in range(1000, 4000):
        graph[str(number)] = node("ImpactSEGSOrderedFilter", segs=_link(number + 1), target="x1", order=False)
    graph["4000"] = node("ImpactSEGSOrderedFilter", segs=_link(4), target="x1", order=False)
    graph["13"]["inputs"]["segs"] = _link(1000)
    record = run_within_cpu_budget(lambda: read(graph, "ComfyUI_00005_.png"), 1.0, "the filters")
    assert record.seed in (7, 175808616555701)
    pasted = _generated_segs_detailer()
    for number in range(1000, 3000):
        pasted[str(number)] = node("SEGSPaste", image=_link(number + 1), segs=_link(2), feather=5, alpha=255)
    pasted["3000"] = node("SEGSPaste", image=_link(13), segs=_link(2), feather=5, alpha=255)
    pasted["18"]["inputs"]["images"] = _link(1000)
    record = run_within_cpu_budget(lambda: read(pasted, "ComfyUI_00006_.png"), 1.0, "the pastes")
    assert record.seed in (7, 175808616555701)


# -- Inspire: RegionalPromptSimple / RegionalPromptColorMask ------------------------------------


def _inspire_region(pipe: int, mask: list[Any], wildcard_prompt: Any) -> dict[str, Any]:
    return node(
        "RegionalPromptSimple //Inspire",
        basic_pipe=_link(pipe),
        mask=mask,
        cfg=8.0,
        sampler_name="euler",
        scheduler="normal",
        wildcard_prompt=wildcard_prompt,
        controlnet_in_pipe=False,
        sigma_factor=1.0,
    )


def _inspire_regional() -> Graph:
    """Impact's ``regional_prompt.json`` sampler with its two regions made by Inspire's
    ``RegionalPromptSimple`` (their own prompts as ``wildcard_prompt``) on the base pipe."""
    graph = regional_prompt_graph()
    for node_id in ("9", "10", "13", "17", "18", "21"):  # the regions' own pipes and providers
        del graph[node_id]
    graph["12"] = _inspire_region(5, _link(1, 1), GIRL)
    graph["20"] = _inspire_region(5, _link(15, 1), MAN)
    return graph


def test_inspire_regional_prompt_simple_samples_its_region_with_its_own_prompt() -> None:
    """Each region's non-empty ``wildcard_prompt`` replaces its pipe's positive: the base prompt, then
    the regions' in ``CombineRegionalPrompts`` order."""
    record = read(_inspire_regional(), "ComfyUI_temp_inspr_00001_.png")
    assert record.prompt == "\n".join([BASE, GIRL, MAN])
    assert record.negative_prompt == "lowres, bad anatomy"
    assert _settings(record) == (212608453650633, 20, 8.0, "euler", "normal", V07, [], 1024, 768)


def test_inspire_region_with_an_empty_prompt_keeps_its_pipes_and_a_color_mask_region_its_own() -> None:
    """An empty ``wildcard_prompt`` keeps the positive of the pipe it is given (an ``EditBasicPipe``
    with the man's text); ``RegionalPromptColorMask`` (its REGIONAL_PROMPTS output 0) overrides the
    same way, with a prompt from a string node."""
    graph = _inspire_regional()
    graph["18"] = node("CLIPTextEncode", text=MAN, clip=_link(6, 1))
    graph["17"] = node("EditBasicPipe", basic_pipe=_link(5), positive=_link(18))
    graph["20"] = _inspire_region(17, _link(15, 1), "")
    graph["30"] = node("PrimitiveStringMultiline", value=GIRL)
    graph["12"] = node(
        "RegionalPromptColorMask //Inspire",
        basic_pipe=_link(5),
        color_mask=_link(1),
        mask_color="#FF0000",
        cfg=8.0,
        sampler_name="euler",
        scheduler="normal",
        wildcard_prompt=_link(30),
        controlnet_in_pipe=False,
        sigma_factor=1.0,
    )
    record = read(graph, "ComfyUI_temp_inspr_00002_.png")
    assert record.prompt == "\n".join([BASE, GIRL, MAN])
