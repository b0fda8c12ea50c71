"""Prompt text → weighted terms, and what changed between two prompts."""

from __future__ import annotations

from engine.reflection_facts import PromptTerm, diff_terms, prompt_terms


def shown(prompt: str) -> list[str]:
    return [term.display() for term in prompt_terms(prompt)]


def test_terms_are_comma_pieces_lowercased_without_stopword_only_pieces() -> None:
    assert shown("A Lighthouse  on a cliff, Stormy Sea, of the,  oil painting.") == [
        "a lighthouse on a cliff",
        "stormy sea",
        "oil painting",
    ]


def test_weight_syntax_sets_multiplies_and_nests() -> None:
    terms = {term.text: term.weight for term in prompt_terms("(fog:1.3), (glow), ((rain)), [dust], [[ash]]")}
    assert terms == {"fog": 1.3, "glow": 1.1, "rain": 1.21, "dust": 0.909, "ash": 0.826}


def test_a_weighted_group_spanning_commas_weights_each_piece() -> None:
    assert shown("(red hair, blue eyes:1.2), portrait") == ["(red hair:1.2)", "(blue eyes:1.2)", "portrait"]


def test_a_weight_inside_a_phrase_splits_it_at_the_weight() -> None:
    assert shown("a (red:1.4) car") == ["(red:1.4)", "car"]


def test_lora_tags_become_lora_terms_keeping_the_name_case() -> None:
    terms = prompt_terms("castle, <lora:DetailTweakerXL:0.8>, <lora:filmGrain>, <embedding:EasyNegative>")
    assert [term.display() for term in terms] == [
        "castle",
        "<lora:DetailTweakerXL:0.8>",
        "<lora:filmGrain:1>",
        "<embedding:easynegative>",
    ]
    assert [term.is_lora for term in terms] == [False, True, True, False]


def test_tags_keep_their_place_in_the_prompt() -> None:
    assert shown("castle, <lora:inkStyle:0.7>, moat --ar 3:2, night") == [
        "castle",
        "<lora:inkStyle:0.7>",
        "moat",
        "--ar 3:2",
        "night",
    ]
    assert shown("(castle, <lora:inkStyle:0.5>:1.2), moat") == ["(castle:1.2)", "<lora:inkStyle:0.5>", "moat"]


def test_midjourney_parameters_and_break_and_escapes() -> None:
    assert shown("koi pond BREAK ink wash --ar 16:9 --stylize 250") == [
        "koi pond",
        "ink wash",
        "--ar 16:9",
        "--stylize 250",
    ]
    assert shown(r"sign saying \(open\), neon") == ["sign saying (open)", "neon"]


def test_a_colon_outside_a_group_is_text() -> None:
    assert shown("clock at 12:30, (moon:0.5)") == ["clock at 12:30", "(moon:0.5)"]


def test_the_first_occurrence_of_a_repeated_term_counts() -> None:
    assert prompt_terms("(fog:1.4), rain, fog") == (PromptTerm("fog", 1.4), PromptTerm("rain"))


def test_unbalanced_brackets_follow_automatic1111() -> None:
    # An unclosed "(" weights everything after it by 1.1; a stray ")" stays text.
    assert shown("(glow, rain") == ["(glow:1.1)", "(rain:1.1)"]
    assert shown("glow), rain") == ["glow)", "rain"]


def test_diff_reports_added_removed_and_reweighted_terms_in_prompt_order() -> None:
    before = prompt_terms("lighthouse, (stormy sea:1.2), midday, oil painting")
    after = prompt_terms("lighthouse at dusk, lighthouse, (stormy sea:1.5), oil painting, <lora:fog:0.6>")
    diff = diff_terms(before, after)
    assert [term.display() for term in diff.added] == ["lighthouse at dusk", "<lora:fog:0.6>"]
    assert [term.display() for term in diff.removed] == ["midday"]
    assert [change.display() for change in diff.reweighted] == ["stormy sea 1.2→1.5"]
    assert not diff.is_empty


def test_reordering_is_not_a_change() -> None:
    diff = diff_terms(prompt_terms("a, b, c"), prompt_terms("c, b, a"))
    assert diff.is_empty


def test_full_width_and_ideographic_commas_separate_terms() -> None:
    """Before: ``，`` ``、`` and ``；`` were not separators, so each of these prompts was one term (and
    ``。`` stayed on its end), unlike engine.features.prompt_text."""
    assert shown("少女，长发，蓝眼睛，樱花。") == ["少女", "长发", "蓝眼睛", "樱花"]
    assert shown("少女、長い髪、青い目") == ["少女", "長い髪", "青い目"]
    assert shown("少女；(樱花:1.2)｜夜") == ["少女", "(樱花:1.2)", "夜"]


def test_a_one_term_edit_of_a_cjk_prompt_changes_that_term_only() -> None:
    """Before: editing 长发 (long hair) to 短发 (short hair) was reported as the whole prompt removed and
    the whole new prompt added."""
    diff = diff_terms(prompt_terms("少女，长发，蓝眼睛，樱花"), prompt_terms("少女，短发，蓝眼睛，樱花"))
    assert [term.text for term in diff.added] == ["短发"]
    assert [term.text for term in diff.removed] == ["长发"]
    assert diff.reweighted == ()


def test_a1111_alternation_and_prompt_editing_are_text_not_de_emphasis() -> None:
    """Before: the square brackets were read as de-emphasis: ``[dog|wolf]`` gave (dog:0.909) and
    (wolf:0.909), ``[dog:wolf:0.5]`` gave (dog:wolf:0.5:0.909), and 0.909 became an allowed prompt
    weight."""
    assert shown("a cat, [dog|wolf], forest") == ["a cat", "[dog|wolf]", "forest"]
    assert shown("[dog:wolf:0.5], [dog::0.5], [:wolf:0.5], a [dog:wolf:5] in snow") == [
        "[dog:wolf:0.5]",
        "[dog::0.5]",
        "[:wolf:0.5]",
        "a [dog:wolf:5] in snow",
    ]
    assert shown("[red, blue|green], [(fox:1.2):wolf:0.5]") == ["[red, blue|green]", "[(fox:1.2):wolf:0.5]"]


def test_changing_the_switch_step_of_a_prompt_edit_changes_its_text_not_a_weight() -> None:
    """Before: [dog:wolf:0.3] → [dog:wolf:0.7] was (dog:wolf:0.3:0.909) removed and (dog:wolf:0.7:0.909)
    added."""
    diff = diff_terms(prompt_terms("a cat, [dog:wolf:0.3]"), prompt_terms("a cat, [dog:wolf:0.7]"))
    assert diff.added == (PromptTerm("[dog:wolf:0.7]"),)
    assert diff.removed == (PromptTerm("[dog:wolf:0.3]"),)
    assert diff.reweighted == ()


def test_brackets_around_a_prompt_edit_still_weight_it_and_plain_square_brackets_de_emphasise() -> None:
    """Before: the edit inside ``(…:1.2)`` and the alternation inside ``[[…]]`` were split and weighted
    as de-emphasised pieces."""
    assert shown("([dog:wolf:0.5]:1.2), [[dog|wolf]], [[ash]], [dust]") == [
        "([dog:wolf:0.5]:1.2)",
        "([dog|wolf]:0.909)",
        "(ash:0.826)",
        "(dust:0.909)",
    ]


def test_private_use_characters_typed_into_a_prompt_are_text_not_placeholders() -> None:
    """The reading marks tags with U+E000-numbered placeholders and bracket groups with U+E1xx stand-ins;
    a prompt holding them (pasted from anywhere) raised an IndexError — failing the whole reflection —
    or read as a tag or bracket it does not hold. They are shown as U+FFFD."""
    assert prompt_terms("x, \ue0000\ue000") == (PromptTerm("x"), PromptTerm("\ufffd0\ufffd"))
    assert prompt_terms("(a \ue0003\ue000:1.2), b") == (PromptTerm("a \ufffd3\ufffd", 1.2), PromptTerm("b"))
    assert prompt_terms("[cat \ue101 dog|wolf]") == prompt_terms("[cat \ufffd dog|wolf]")
