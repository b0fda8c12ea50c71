"""Model and LoRA file names (engine.model_files) and the session codes' folded form of them."""

from __future__ import annotations

from engine.model_files import is_weights_file_name, model_file_stem
from engine.sessions.record_stream import normalise_model_name


def test_model_file_stem_keeps_the_case_and_the_normalised_name_folds_it() -> None:
    assert model_file_stem("models\\SDXL\\JuggernautXL_v9.SafeTensors") == "JuggernautXL_v9"
    assert model_file_stem("flux1-dev.gguf ") == "flux1-dev"
    assert model_file_stem("midjourney v6.1") == "midjourney v6.1"
    assert normalise_model_name("models/SDXL/JuggernautXL_v9.safetensors") == "juggernautxl_v9"
    assert normalise_model_name("") is None
    assert normalise_model_name("dir/.safetensors") is None


def test_a_weights_file_name_is_told_by_its_extension_in_any_case() -> None:
    assert is_weights_file_name("juggernautXL_v9.SafeTensors")
    assert not is_weights_file_name("juggernautXL v9")
