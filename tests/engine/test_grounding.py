"""Grounding: a reflection may cite only the numbers and names of the session's facts — and ordinary
prose about the work is not mistaken for a citation."""

from __future__ import annotations

import pytest

from engine.grounding import (
    GroundingVocabulary,
    ReflectionText,
    find_unsupported,
    ground_reflection,
    unsupported_claims,
)

VOCABULARY = GroundingVocabulary(
    numbers=frozenset({62.0, 113.0, 7.5, 30.0, 1024.0, 1536.0, 0.55, 0.8, 3.0, 123456789.0, 5000.0, 21.0}),
    names=frozenset(
        {
            "juggernautXL_v9.safetensors",
            "models/Stable-diffusion/sd_xl_base_1.0.safetensors",
            "add_detail",
            "dpmpp_2m",
            "karras",
            "euler",
        }
    ),
)


def flagged(text: str) -> list[tuple[str, str]]:
    return [(claim.token, claim.kind) for claim in find_unsupported(text, VOCABULARY)]


@pytest.mark.parametrize(
    "text",
    [
        "Across 62 images you kept CFG at 7.5 with 30 steps.",
        "Every frame was 1024x1536, and later 1024 × 1536 again.",
        "A 30-step schedule, seed 123456789, and 5,000 images in the library.",
        "Denoise settled at 55% (0.55) after the 3rd phase.",
        "The session lasted 113 minutes, nearly 2 hours, or about 2h.",
        "It began at 21:30.",
    ],
)
def test_numbers_that_are_in_the_facts_pass(text: str) -> None:
    assert flagged(text) == []


def test_an_invented_number_is_flagged_with_its_sentence() -> None:
    [claim] = find_unsupported("You kept CFG at 7.5. Late in the evening the CFG climbed to 12.", VOCABULARY)
    assert (claim.token, claim.kind) == ("12", "number")
    assert claim.sentence == "Late in the evening the CFG climbed to 12."


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("Each render took 40 steps.", "40"),
        ("A 25-step pass came next.", "25-step"),
        ("Sizes moved to 832x1216.", "832x1216"),
        ("Denoise dropped to 35%.", "35%"),
        ("Seed 42 came back twice.", "42"),
        ("The LoRA sat at 0.6.", "0.6"),
        ("The session lasted 4 hours.", "4"),
        ("Around 80 images were kept.", "80"),
    ],
)
def test_numbers_missing_from_the_facts_are_flagged(text: str, token: str) -> None:
    assert flagged(text) == [(token, "number")]


def test_durations_match_in_any_unit_and_hedges_widen_the_match() -> None:
    assert flagged("The session ran 6780 seconds.") == []  # 113 minutes
    assert flagged("It ran about 115 minutes.") == []  # within 10 % of 113
    assert flagged("It ran 115 minutes.") == [("115", "number")]  # exact claims stay exact
    assert flagged("More than 50 images and under 70 of them kept.") == []  # 62 in [50, 100] and [35, 70]
    assert flagged("More than 200 images.") == [("200", "number")]  # nothing in [200, 400]


def test_percentages_and_thousands_match_their_other_spellings() -> None:
    assert flagged("Denoise at 80%.") == []  # 0.8
    assert flagged("A 5k library.") == []  # 5000


@pytest.mark.parametrize(
    "text",
    [
        "The evening moved through three phases.",
        "The first image already had the teal light.",
        "One step further, the reflections sharpened.",
        "An 80s palette in 4K, with a 35mm look and a 3D sheen.",
        "1. The prompt gained wet asphalt.",
        "The model stayed the same while LoRA weights moved.",
        "Neon Rain: A LoRA Study in Three Movements",
        "Using warm light and soft rain, e.g. the quieter frames.",
    ],
)
def test_ordinary_prose_is_not_a_claim(text: str) -> None:
    assert flagged(text) == []


def test_spelled_numbers_are_checked_next_to_parameters_and_durations() -> None:
    assert flagged("CFG of seven held, then thirty steps.") == [("seven", "number")]
    assert flagged("About two hours of work.") == []  # 113 minutes ≈ 2 h
    assert flagged("Five hours of work.") == [("Five", "number")]


@pytest.mark.parametrize(
    "text",
    [
        "Everything ran on juggernautXL_v9.",
        "Everything ran on juggernautXL_v9.safetensors.",
        "The Juggernaut XL v9 checkpoint carried the session.",
        "The Juggernaut model carried the session.",
        "The SDXL 1.0 base opened the evening.",
        "Using DPM++ 2M Karras throughout, with the add_detail LoRA at 0.8.",
        "Using Euler in the first phase.",
        "<lora:add_detail:0.8> was in every prompt.",
    ],
)
def test_names_in_the_facts_pass_in_their_usual_spellings(text: str) -> None:
    assert flagged(text) == []


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("You switched to dreamshaper_8 for the final pass.", "dreamshaper_8"),
        ("The final pass used epiCRealism.", "epiCRealism"),
        ("A brief detour through realisticVisionV60B1.safetensors.", "realisticVisionV60B1.safetensors"),
        ("The juggernautXL_v9_lightning variant sped things up.", "juggernautXL_v9_lightning"),
        ("The model Deliberate took over.", "Deliberate"),
        ("The Pony checkpoint appeared once.", "Pony"),
        ("Everything was rendered using SD1.5.", "SD1.5"),
        ("A Flux model handled the upscale.", "Flux"),
    ],
)
def test_names_missing_from_the_facts_are_flagged(text: str, token: str) -> None:
    assert flagged(text) == [(token, "name")]


def test_numbers_inside_an_unsupported_name_are_not_reported_twice() -> None:
    assert flagged("Then flux1-dev-fp8 took over.") == [("flux1-dev-fp8", "name")]


def test_unsupported_claims_are_located_per_field() -> None:
    reflection = ReflectionText(
        title="Neon rain",
        summary="CFG 7.5 throughout. Then CFG 12.",
        style_patterns=("Teal light.",),
        evolution_notes=("Steps stayed at 30.", "dreamshaper_8 closed the night."),
    )
    located = unsupported_claims(reflection, VOCABULARY)
    assert [(c.field, c.claim.token) for c in located] == [
        ("summary", "12"),
        ("evolution_notes[1]", "dreamshaper_8"),
    ]


def test_grounding_drops_unsupported_sentences_and_keeps_the_rest_in_place() -> None:
    reflection = ReflectionText(
        title="Neon rain",
        summary="You kept CFG at 7.5. Then CFG 12 rose.\n\nLater dreamshaper_8 arrived. It ended calmly.",
        style_patterns=("Teal light.", "CFG 15 everywhere."),
        evolution_notes=("Steps stayed at 30. Then 45.",),
    )

    grounded = ground_reflection(
        reflection, VOCABULARY, fallback_title="Fallback", fallback_summary="Fallback."
    )

    assert grounded.text == ReflectionText(
        title="Neon rain",
        summary="You kept CFG at 7.5.\n\nIt ended calmly.",
        style_patterns=("Teal light.",),
        evolution_notes=("Steps stayed at 30.",),
    )
    assert grounded.dropped_sentences == (
        "Then CFG 12 rose.",
        "Later dreamshaper_8 arrived.",
        "CFG 15 everywhere.",
        "Then 45.",
    )
    assert not grounded.used_fallback_title and not grounded.used_fallback_summary
    assert unsupported_claims(grounded.text, VOCABULARY) == ()


def test_an_emptied_title_or_summary_takes_the_callers_fallback() -> None:
    reflection = ReflectionText(title="CFG 12 Nights", summary="All on dreamshaper_8.")

    grounded = ground_reflection(
        reflection,
        VOCABULARY,
        fallback_title="An evening session",
        fallback_summary="A session of 62 images.",
    )

    assert grounded.text.title == "An evening session"
    assert grounded.text.summary == "A session of 62 images."
    assert grounded.used_fallback_title and grounded.used_fallback_summary
    assert [c.claim.token for c in grounded.unsupported] == ["12", "dreamshaper_8"]


def test_a_grounded_reflection_is_returned_unchanged() -> None:
    reflection = ReflectionText(
        title="Neon rain",
        summary="Across 62 images, juggernautXL_v9 at CFG 7.5.\nThe street grew wetter.",
        style_patterns=("Teal light, 1024x1536.",),
        evolution_notes=("The add_detail LoRA arrived at 0.8.",),
    )
    grounded = ground_reflection(reflection, VOCABULARY, fallback_title="x", fallback_summary="y")
    assert grounded.text == reflection and grounded.dropped_sentences == () and grounded.unsupported == ()


def test_sentences_are_not_split_inside_decimals_or_after_abbreviations() -> None:
    [claim] = find_unsupported(
        "CFG 7.5 held, e.g. in the quiet frames, until 9.5 arrived. Then calm.", VOCABULARY
    )
    assert claim.sentence == "CFG 7.5 held, e.g. in the quiet frames, until 9.5 arrived."
