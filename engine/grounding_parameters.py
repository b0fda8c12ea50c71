"""Which numbers of a sentence are stated as a generation parameter's value (CFG, steps, denoise,
seed, size, LoRA and prompt weights): the "Parameter values" rules of :mod:`engine.grounding`, whose
claim finder then grounds such a number by that parameter's values only. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from engine.grounding_tokens import (
    HYPHEN_UNIT_NUMBER,
    NUMBER,
    PLAIN_NUMBER,
    RANGE,
    SIZE_FORM,
    SMALLEST_SPELLED_STEP_COUNT,
    STYLE_TERM,
    SUFFIXED_NUMBER,
    Token,
    is_numeric_form,
)

CFG = "cfg"
STEPS = "steps"
DENOISE = "denoise"
SEED = "seed"
SIZE = "size"
LORA_WEIGHT = "lora_weight"
PROMPT_WEIGHT = "prompt_weight"
PARAMETER_NAMES = (CFG, STEPS, DENOISE, SEED, SIZE, LORA_WEIGHT, PROMPT_WEIGHT)
"""The keys of :attr:`engine.grounding.GroundingVocabulary.parameters` the claim finder looks up."""


# --- parameter values: which numbers are stated as a parameter's value --------------------------------

ForwardReach = Literal["none", "clause", "direct"]


@dataclass(frozen=True, slots=True)
class _Keyword:
    """A parameter word: the vocabulary parameters it names, how far it reaches forward (``clause``:
    through link words and verb forms; ``direct``: only through :data:`_DIRECT_LINKS`) and whether a
    number right before it is its value."""

    parameters: tuple[str, ...]
    forward: ForwardReach
    backward: bool


_KEYWORDS: dict[str, _Keyword] = {
    "cfg": _Keyword((CFG,), "clause", True),
    "guidance": _Keyword((CFG,), "clause", True),
    "steps": _Keyword((STEPS,), "clause", True),
    "step": _Keyword((STEPS,), "none", True),
    "denoise": _Keyword((DENOISE,), "clause", True),
    "denoising": _Keyword((DENOISE,), "clause", True),
    "strength": _Keyword((DENOISE, LORA_WEIGHT), "clause", True),
    "seed": _Keyword((SEED,), "clause", False),
    "seeds": _Keyword((SEED,), "direct", False),
    "size": _Keyword((SIZE,), "clause", True),
    "sizes": _Keyword((SIZE,), "direct", False),
    "resolution": _Keyword((SIZE,), "clause", True),
    "resolutions": _Keyword((SIZE,), "direct", False),
    "dimensions": _Keyword((SIZE,), "clause", False),
    "width": _Keyword((SIZE,), "clause", False),
    "height": _Keyword((SIZE,), "clause", False),
    "px": _Keyword((SIZE,), "none", True),
    "pixel": _Keyword((SIZE,), "none", True),
    "pixels": _Keyword((SIZE,), "none", True),
    "weight": _Keyword((LORA_WEIGHT, PROMPT_WEIGHT), "clause", True),
    "weights": _Keyword((LORA_WEIGHT, PROMPT_WEIGHT), "clause", False),
    "lora": _Keyword((LORA_WEIGHT,), "direct", False),
    "loras": _Keyword((LORA_WEIGHT,), "direct", False),
    "lycoris": _Keyword((LORA_WEIGHT,), "direct", False),
}
_STEP_KEYWORDS = frozenset({"step", "steps"})
_FRACTION_PARAMETERS = frozenset({DENOISE, LORA_WEIGHT, PROMPT_WEIGHT})  # "55%" may state 0.55
_MAX_CLAUSE_TOKENS = 10

_LEVEL_VERBS = frozenset(
    {
        "is", "was", "were", "are", "be", "been", "being", "stay", "stays", "stayed", "staying", "sat", "sit",
        "sits", "sitting", "held", "hold", "holds", "holding", "kept", "keep", "keeps", "set", "sets",
        "settled", "settle", "settles", "settling", "fixed", "locked", "pinned", "parked", "capped", "peaked",
        "peaks", "topped", "tops", "maxed", "bottomed", "started", "starts", "starting", "began", "begins",
        "ended", "ends", "ending", "finished", "opened", "opens", "closed", "closes", "landed", "lands",
        "hovered", "hovers", "hovering", "remained", "remains", "stood", "rested", "anchored",
    }
)  # fmt: skip
"""Verbs of a level: "CFG stayed at 7", "the seed was fixed at 1234"."""
_MOVEMENT_VERBS = frozenset(
    {
        "went", "go", "goes", "going", "rose", "rise", "rises", "rising", "risen", "fell", "fall", "falls",
        "falling", "fallen", "ran", "runs", "running", "swept", "sweeps", "sweeping", "moved", "moves",
        "moving", "climbed", "climbs", "climbing", "dropped", "drops", "dropping", "dipped", "increased",
        "increasing", "decreased", "decreasing", "raised", "lowered", "lifted", "shifted", "shifting",
        "changed", "changing", "varied", "varies", "varying", "ranged", "ranges", "ranging", "jumped",
        "stepped", "stepping", "slid", "eased", "edged", "crept", "creeps", "drifted", "swung", "oscillated",
        "oscillating", "alternated", "alternating", "bounced", "grew", "grows", "growing", "shrank",
        "doubled", "halved", "pushed", "pulled", "nudged", "bumped", "cranked", "dialed", "dialled", "tuned",
        "tweaked", "adjusted", "switched", "toggled", "cycled", "cycling", "explored", "tested", "tried",
        "reached", "reaches", "hit", "hits", "returned", "came",
    }
)  # fmt: skip
"""Verbs of a movement: "CFG rose from 5 to 7.5"; after them *at* is a position ("changed at 34")."""
_OTHER_CLAUSE_WORDS = frozenset(
    {
        "a", "an", "the", "its", "their", "s", "all", "way",
        "of", "at", "to", "from", "between", "and", "or", "through", "then", "into", "onto", "toward",
        "towards", "near", "back", "x",
        "about", "around", "roughly", "approximately", "approx", "nearly", "almost", "some", "circa", "ca",
        "close", "just", "under", "over", "above", "below", "beyond", "exceeding", "upwards", "more", "less",
        "fewer", "than", "least", "most", "within",
        "value", "values", "scale", "setting", "settings", "level", "levels", "range",
        "steadily", "gradually", "slowly", "quickly", "briefly", "finally", "eventually", "initially",
        "mostly", "mainly", "largely", "only", "exactly", "precisely", "still", "again", "also", "even",
        "always", "usually", "often", "consistently", "firmly",
    }
)  # fmt: skip
_CLAUSE_WORDS = _OTHER_CLAUSE_WORDS | _LEVEL_VERBS | _MOVEMENT_VERBS
"""Words that may stand between a keyword and its numbers."""
_DIRECT_LINKS = frozenset({"of", "at", "like", "and", "or", "x"})
_LINKS_AFTER_NUMBER = frozenset({"to", "and", "or", "through", "then", "back", "x"})
"""After a number these keep it attached and the clause going ("from 5 to 7.5", "5 and 7")."""
_CLOSERS_AFTER_NUMBER = frozenset(
    {
        "in", "on", "for", "with", "at", "over", "under", "across", "by", "during", "since", "until", "till",
        "throughout", "while", "when", "whereas", "where", "which", "that", "but", "so", "as", "because",
        "before", "after", "again", "instead", "too", "overall", "here", "there", "now", "once", "twice",
        "mostly", "mainly", "largely", "only", "briefly", "initially", "finally", "eventually", "gradually",
        "steadily", "slowly", "quickly", "exactly", "is", "was", "were", "are", "gave", "gives", "worked",
        "works", "proved", "seemed", "felt", "looked", "produced", "made", "brought", "stayed", "held",
        "remained", "came", "comes", "returned", "reappeared", "appeared", "showed", "led", "yielded",
        "delivered", "did", "does", "won", "suited", "helped", "mattered", "dominated", "stuck", "lasted",
        "recurred", "carried", "defined", "shaped",
    }
)  # fmt: skip
"""After a number these keep it attached and end the clause ("CFG 7 throughout", "CFG 7 in phase 2")."""
_COUNTED_AFTER_KEYWORD = frozenset(
    {
        "values", "settings", "levels", "changes", "sweeps", "passes", "runs", "options", "choices",
        "tests", "variations", "jumps", "shifts", "tweaks", "combinations", "ranges", "counts", "tries",
        "experiments", "edits", "adjustments", "swaps", "switches",
    }
)  # fmt: skip
"""A number before "CFG values" or "denoise passes" counts them: no backward attachment."""
_LIST_COMMA = re.compile(r"\s*,\s*")
_LIST_WORDS = frozenset({"and", "or", "then"})
_RANGE_OPENERS = frozenset({"from", "between"})
_RANGE_JOINERS = frozenset({"to", "and"})
_JOINING_GAP = re.compile(r"\s*(?:[~≈×]\s*)?|[–\-/'’]")
_BACKWARD_GAP = re.compile(r"\s*|-")
_NOT_THE_PARAMETER_AFTER = {
    **dict.fromkeys(
        ("step", "steps"), frozenset({"hires", "highres", "refiner", "upscale", "upscaler", "upscaling"})
    ),
    **dict.fromkeys(
        ("size", "sizes"),
        frozenset({"batch", "sample", "file", "brush", "font", "grid", "tile", "step", "group", "family"}),
    ),
    **dict.fromkeys(("seed", "seeds"), frozenset({"variation", "subseed"})),
    "cfg": frozenset({"refiner"}),
}
"""Words that, right before a keyword, make it another setting ("batch size 4", "hires steps 15")."""
_LIST_CONJUNCTIONS = frozenset({"and", "or"})
_KEYWORD_LIST_JOINERS = _LIST_CONJUNCTIONS | {"the", "its", "their"}


def attached_parameters(
    sentence: str, tokens: Sequence[Token], masked: set[int]
) -> dict[int, tuple[str, ...]]:
    """Token index → the parameters whose values alone may ground it (see the module docstring)."""
    attached: dict[int, tuple[str, ...]] = {}
    for i, token in enumerate(tokens):
        kind = _numeric_kind(token.text)
        if i in masked or kind is None or kind[0] != "unit":
            continue
        keyword = _KEYWORDS.get(kind[1])
        if keyword is not None and keyword.backward and _counts_as_value(kind[1], token.text):
            attached[i] = keyword.parameters
    for i, token in enumerate(tokens):
        if i in masked or not keyword_parameters(sentence, tokens, i):
            continue
        keyword = _KEYWORDS[token.text.lower()]
        if keyword.backward:
            _attach_backward(sentence, tokens, masked, i, keyword, attached)
    for i, token in enumerate(tokens):
        if i in masked or not keyword_parameters(sentence, tokens, i):
            continue
        keyword = _KEYWORDS[token.text.lower()]
        if keyword.forward != "none" and not _closes_a_keyword_list(sentence, tokens, i, attached):
            _attach_forward(sentence, tokens, masked, i, keyword, attached)
    return attached


def keyword_parameters(sentence: str, tokens: Sequence[Token], i: int | None) -> tuple[str, ...]:
    """The parameters the token at ``i`` names, or ``()`` when it is no parameter keyword there."""
    if i is None:
        return ()
    word = tokens[i].text.lower()
    keyword = _KEYWORDS.get(word)
    if keyword is None:
        return ()
    modifier = tokens[i - 1].text.lower() if i > 0 and _joined(sentence, tokens[i - 1], tokens[i]) else ""
    if modifier in _NOT_THE_PARAMETER_AFTER.get(word, ()):
        return ()
    if word in _STEP_KEYWORDS:  # "3 prompt steps", "the prompt grew over 12 steps": prompt evolution
        j = i - 1
        while j >= 0 and _joined(sentence, tokens[j], tokens[j + 1]):
            if tokens[j].text.lower().startswith("prompt"):
                return ()
            j -= 1
    return keyword.parameters


def _closes_a_keyword_list(
    sentence: str, tokens: Sequence[Token], k: int, attached: dict[int, tuple[str, ...]]
) -> bool:
    """Whether the keyword at ``k`` ends a list of keywords that have no value of their own yet
    ("CFG and steps held at 7 and 30", "CFG, steps and seed"): the values that follow may be the
    others', so none is attached. "At 30 steps and CFG 7" is no such list (steps has its 30), nor is
    "LoRA weight" or "denoising strength" (one setting in two words)."""
    listed = False
    j = k - 1
    while j >= 0:
        gap = sentence[tokens[j].end : tokens[j + 1].start]
        comma = _LIST_COMMA.fullmatch(gap) is not None
        if not (comma or _joined(sentence, tokens[j], tokens[j + 1])):
            return False
        listed = listed or comma
        word = tokens[j].text.lower()
        if word in _KEYWORDS and keyword_parameters(sentence, tokens, j):
            return listed and j - 1 not in attached
        if word not in _KEYWORD_LIST_JOINERS:
            return False
        listed = listed or word in _LIST_CONJUNCTIONS
        j -= 1
    return False


def _joined(sentence: str, left: Token, right: Token) -> bool:
    return _JOINING_GAP.fullmatch(sentence[left.end : right.start]) is not None


def _numeric_kind(text: str) -> tuple[str, str] | None:
    """``(kind, unit)`` of a number token: ``plain``, ``percent``, ``size``, ``range`` or ``unit``
    (``30-step``, ``1024px``, ``2h``, ``3rd``: the unit lowercased); ``None`` for words and style terms."""
    if STYLE_TERM.fullmatch(text):
        return None
    if SIZE_FORM.fullmatch(text):
        return "size", ""
    if RANGE.fullmatch(text):
        return "range", ""
    if text.endswith("%") and PLAIN_NUMBER.fullmatch(text[:-1]):
        return "percent", ""
    if PLAIN_NUMBER.fullmatch(text):
        return "plain", ""
    suffixed = HYPHEN_UNIT_NUMBER.fullmatch(text) or SUFFIXED_NUMBER.fullmatch(text)
    if suffixed is not None and is_numeric_form(text):
        return "unit", suffixed.group(2).lower()
    return None


def _attachable(kind: str, parameters: tuple[str, ...]) -> tuple[str, ...]:
    """The ``parameters`` a number of ``kind`` may state a value of."""
    if kind in ("plain", "range"):
        return parameters
    if kind == "percent":
        return tuple(name for name in parameters if name in _FRACTION_PARAMETERS)
    if kind == "size" and SIZE in parameters:
        return (SIZE,)
    return ()


def _counts_as_value(keyword: str, number: str) -> bool:
    """A step count below 5 before *step(s)* is prose ("2 steps back"); every other number is a value."""
    if keyword not in _STEP_KEYWORDS:
        return True
    digits = re.findall(NUMBER, number)
    return bool(digits) and min(float(d) for d in digits) >= SMALLEST_SPELLED_STEP_COUNT


def _attach_backward(
    sentence: str,
    tokens: Sequence[Token],
    masked: set[int],
    k: int,
    keyword: _Keyword,
    attached: dict[int, tuple[str, ...]],
) -> None:
    """ "7.5 CFG", "30 steps", "20–30 steps", "from 20 to 30 steps", "1024x1024 resolution"."""
    if (
        k == 0
        or k - 1 in masked
        or not _BACKWARD_GAP.fullmatch(sentence[tokens[k - 1].end : tokens[k].start])
    ):
        return
    if k + 1 < len(tokens) and _joined(sentence, tokens[k], tokens[k + 1]):
        after = tokens[k + 1].text
        if after.lower() in _COUNTED_AFTER_KEYWORD or _numeric_kind(after) is not None:
            return  # "3 CFG values"; "seed 42 CFG 7": the keyword's value follows it
    word = tokens[k].text.lower()
    value = tokens[k - 1]
    kind = _numeric_kind(value.text)
    parameters = _attachable(kind[0], keyword.parameters) if kind is not None else ()
    if not parameters or not _counts_as_value(word, value.text):
        return
    attached[k - 1] = parameters
    opener = _range_start(sentence, tokens, masked, k - 1)
    if opener is not None and _counts_as_value(word, tokens[opener].text):
        opener_kind = _numeric_kind(tokens[opener].text)
        if opener_kind is not None and (found := _attachable(opener_kind[0], keyword.parameters)):
            attached[opener] = found


def _range_start(sentence: str, tokens: Sequence[Token], masked: set[int], j: int) -> int | None:
    """The index of the number opening a range that ends at number ``j`` ("20–30", "from 20 to 30",
    "between 20 and 30"), if any."""
    if j >= 1 and j - 1 not in masked and sentence[tokens[j - 1].end : tokens[j].start] in ("–", "-"):
        return j - 1 if _numeric_kind(tokens[j - 1].text) is not None else None
    if j < 3 or any(n in masked for n in (j - 1, j - 2, j - 3)):
        return None
    opener, number, joiner = tokens[j - 3], tokens[j - 2], tokens[j - 1]
    if (
        opener.text.lower() in _RANGE_OPENERS
        and joiner.text.lower() in _RANGE_JOINERS
        and _numeric_kind(number.text) is not None
        and all(_joined(sentence, a, b) for a, b in ((opener, number), (number, joiner), (joiner, tokens[j])))
    ):
        return j - 2
    return None


def _attach_forward(
    sentence: str,
    tokens: Sequence[Token],
    masked: set[int],
    k: int,
    keyword: _Keyword,
    attached: dict[int, tuple[str, ...]],
) -> None:
    """ "CFG 7", "CFG went from 5 to 7.5", "seed 1234", "steps between 20 and 30"."""
    last = min(len(tokens), k + 1 + _MAX_CLAUSE_TOKENS)
    j = k + 1
    while j < last and j not in masked:
        if not (_joined(sentence, tokens[j - 1], tokens[j]) or _list_goes_on(sentence, tokens, j - 1)):
            return
        text = tokens[j].text
        word = text.lower()
        kind = _numeric_kind(text)
        if kind is not None:
            parameters = _attachable(kind[0], keyword.parameters)
            follow = _after_number(sentence, tokens, j)
            if not parameters or follow == "detach":
                return
            attached.setdefault(j, parameters)
            if follow == "close":
                return
        elif keyword_parameters(sentence, tokens, j) or not _links(word, keyword.forward):
            return
        elif word == "at" and tokens[j - 1].text.lower() in _MOVEMENT_VERBS:
            return  # "the CFG changed at 34": a position
        j += 1


def _links(word: str, reach: ForwardReach) -> bool:
    if reach == "direct":
        return word in _DIRECT_LINKS
    return word in _CLAUSE_WORDS


def _after_number(sentence: str, tokens: Sequence[Token], j: int) -> Literal["continue", "close", "detach"]:
    """What the token after the number at ``j`` makes of it: attached and the clause goes on,
    attached and the clause ends, or not attached (it counts the word after it) and the clause ends."""
    if _list_goes_on(sentence, tokens, j):
        return "continue"
    if j + 1 >= len(tokens) or not _joined(sentence, tokens[j], tokens[j + 1]):
        return "close"
    following = tokens[j + 1].text
    word = following.lower()
    if word in _LINKS_AFTER_NUMBER or _numeric_kind(following) is not None:
        return "continue"
    if word in _CLOSERS_AFTER_NUMBER:
        return "close"
    return "detach"


def _list_goes_on(sentence: str, tokens: Sequence[Token], j: int) -> bool:
    """Whether a list of values goes on past a comma after the number at ``j`` (", 6", ", then 7.5")."""
    if j + 1 >= len(tokens) or _numeric_kind(tokens[j].text) is None:
        return False
    if not _LIST_COMMA.fullmatch(sentence[tokens[j].end : tokens[j + 1].start]):
        return False
    following = tokens[j + 1]
    if _numeric_kind(following.text) is not None:
        return True
    return (
        following.text.lower() in _LIST_WORDS
        and j + 2 < len(tokens)
        and _joined(sentence, following, tokens[j + 2])
        and _numeric_kind(tokens[j + 2].text) is not None
    )
