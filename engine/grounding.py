"""Grounding: what a written reflection may cite, and checking a text against it.

Pure (no I/O, no global state, deterministic). A reflection is sold as observations about the artist's
own work, so every number it cites (CFG, steps, counts, durations, seeds, sizes) and every model or
LoRA name it names must be in the session's facts. :class:`GroundingVocabulary` is that set, built by
:meth:`engine.reflection_facts.SessionFacts.grounding_vocabulary`.

Rules, chosen to catch inventions while keeping false positives on ordinary prose low:

Numbers (digits only)
    * Every digit group is a claim: ``7``, ``7.5``, ``5,000``, ``40%``, ``1st``, ``30-step``, ``2h``,
      ``90min``; ``1024x1024`` and ``20-30`` are two claims; the sign is ignored (``-1`` is ``1``).
    * Compared as floats with a 1e-9 relative tolerance. ``40%`` also matches ``0.4``; ``5k`` also
      matches ``5000``. A duration (``2h``, ``90 min``, ``45-second``) also matches the same length in
      seconds, minutes or hours, so the facts may hold any one of those units.
    * A hedge right before a number widens the match: *about, around, roughly, approximately, nearly,
      almost, some, close to, just under/over, ~* → within ±10 %; *over, more than, at least, above* →
      a fact between n and 2n; *under, less than, fewer than, below, up to, at most, within* → a fact
      between n/2 and n.
    * Not claims: numbers inside a grounded name (``juggernautXL_v9``, ``SDXL 1.0`` when a vocabulary
      name holds ``sdxl…10``, ``DPM++ 2M`` when it holds ``dpmpp_2m``); style vocabulary (``2D``, ``3D``,
      ``4K``, ``8K``, ``16K``, ``720p``, ``1080p``, ``35mm``); eras (``80s``, ``1990s``).
    * Spelled-out numbers ("three phases", "the first image") are prose and not checked — except next
      to a parameter or a duration ("twenty steps", "CFG of seven", "two hours"), where they are; small
      step counts stay prose ("one step further").

Parameter values
    * A digit number *attached* to a parameter keyword is grounded only by that parameter's values
      (:attr:`GroundingVocabulary.parameters`), with the hedges above; when the vocabulary holds no
      value for the parameter, by every number (as any other number: never stricter than that).
      Keywords: *CFG, guidance* → ``cfg``; *steps* (and *step* after a number) → ``steps``;
      *denoise, denoising* → ``denoise``; *strength* → ``denoise`` or ``lora_weight``; *seed(s)* →
      ``seed``; *size(s), resolution(s), dimensions, width, height* and *px, pixel(s)* after a number
      → ``size`` (a ``1024x1024`` there is two dimensions); *weight(s)* → ``lora_weight`` or
      ``prompt_weight``; *LoRA(s), LyCORIS* → ``lora_weight``. No keyword: *steps* with *prompt…*
      earlier in its clause ("3 prompt steps", "the prompt grew over 12 steps": prompt evolution),
      and a keyword right after a word naming another setting (*batch/sample/file… size*,
      *hires/refiner/upscale steps*, *variation seed*, *refiner CFG*).
    * Forward: a keyword's clause is the next tokens (at most 10) while each is a number or a link
      word: articles; verbs of a level (*is, was, stayed, sat, held, kept, set, settled, fixed,
      peaked, started, ended …*) or of a movement (*went, rose, fell, climbed, dropped, moved,
      changed, ranged, swept, switched …*; *at* right after one of these ends the clause: "changed
      at 34" is a position); *of, at, to, from, between, and, or, through, then, into, near, back*;
      the hedge words; *value(s), scale, setting(s), level(s), range*; a few adverbs (*steadily,
      finally, only …*). Plural *seeds, sizes, resolutions, LoRAs*, and *LoRA* and *LyCORIS*, allow
      only *of, at, like, and, or, x* ("seeds climbed to 700" counts them; "the LoRA was used from 7
      to 12" gives positions). The clause ends at any other word, at another keyword, at a clause
      mark (``, ; : ( ) [ ] " …``; whitespace, ``–``, ``-``, ``/``, ``~``, ``≈``, ``×`` and an
      apostrophe are none; a comma right after a number goes on while a list of values does: "5, 6
      and 7.5", "5, then 7.5"), or after a number followed by a *closing* word (*in, on, for, with,
      at, over, across, by, during, while, when, throughout, was, gave …*: "CFG 7 in phase 2"). A
      number in the clause is attached when the token after it is a closing word, a clause mark, the
      end, another number or *to, and, or, through, then, back, x*; any other word (a noun: "over 3
      phases", "54 images", "12 times") leaves it unattached and ends the clause. A keyword closing a
      list of keywords without values of their own ("CFG and steps held at 7 and 30") reaches
      forward for nothing: the values may be the others'.
    * Backward: a number right before *CFG, guidance, steps, step, denoise, denoising, strength,
      weight, size, resolution, px, pixel(s)* (only whitespace or a hyphen between) is attached —
      and with it the first number of a range ending there ("20–30 steps", "from 20 to 30 steps",
      "between 20 and 30 steps") — unless the keyword is followed by a counted noun ("3 CFG values",
      "2 denoise passes") or directly by a number of its own ("seed 42 CFG 7": 42 is not CFG's).
      A number carrying the keyword as its unit (``30-step``, ``1024px``) is attached the same way.
      A step count below 5 before *step(s)* stays a plain number ("2 steps back"), as in prose.
      A backward attachment wins over a forward one.
    * A percentage attaches only to ``denoise`` and the weights (``55%`` is ``0.55``); a size
      (``832x1216``) only to ``size``; ordinals, durations, ``2x`` and ``5k`` never attach (and end
      a clause). Spelled-out numbers next to a parameter ("CFG of seven", "twenty steps") are checked
      against that parameter's values too.

Names
    * A token is a name claim when it looks like a checkpoint/LoRA identifier: it carries a model-file
      extension (``.safetensors``, ``.ckpt``, ``.pt``, ``.pth``, ``.bin``, ``.gguf``), holds an
      underscore, an inner CamelCase step (``epiCRealism``), or mixes letters and digits (``SD1.5``,
      ``flux1-dev``, ``v9``).
    * Right after *model(s), checkpoint(s), LoRA(s), LyCORIS, embedding(s)* or *using*, and right before
      *model, checkpoint, LoRA*, a capitalised word (``Juggernaut``) or an acronym (``SDXL``) is a name
      claim too — unless the sentence is written in Title Case (titles), where capitals mean nothing.
    * A name is grounded when, lowercased, stripped of path and extension, ``+`` read as ``p`` and
      everything but letters and digits removed, it is a substring of a vocabulary name treated the
      same way (``Juggernaut`` and ``juggernautXL_v9`` match ``juggernautXL_v9.safetensors``).
      Multi-word spellings of a vocabulary name (``Juggernaut XL v9``, ``DPM++ 2M Karras``) are
      recognised whole.

A claim is reported with its sentence; sentences end at ``.``, ``!``, ``?`` or ``…`` followed by a space
(not inside ``7.5``, not after *e.g., i.e., vs., approx., ca., etc.* followed by a lowercase word or a
digit) and at every line break.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from engine.grounding_parameters import attached_parameters, keyword_parameters
from engine.grounding_tokens import (
    HYPHEN_UNIT_NUMBER,
    PLAIN_NUMBER,
    RANGE,
    SECONDS_PER_UNIT,
    SIZE_FORM,
    SMALLEST_SPELLED_STEP_COUNT,
    STYLE_TERM,
    SUFFIXED_NUMBER,
    TOKEN,
    Token,
    is_numeric_form,
)
from engine.model_files import is_weights_file_name, model_file_stem

ClaimKind = Literal["number", "name"]
MatchMode = Literal["exact", "approximate", "at_least", "at_most"]


def _no_parameters() -> Mapping[str, frozenset[float]]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class GroundingVocabulary:
    """Everything a reflection may cite.

    ``numbers``: every numeric value present in the facts (counts, CFG values, steps, seeds, minutes,
    sizes, weights …), as floats. ``names``: model, LoRA, sampler and scheduler names exactly as the
    facts hold them (matching is case-insensitive and may use the name without its file extension).
    ``parameters``: per parameter (keys from :data:`PARAMETER_NAMES`: ``cfg``, ``steps``, ``denoise``,
    ``seed``, ``size`` — widths and heights —, ``lora_weight``, ``prompt_weight``) every value the
    facts hold for it; a number stated as that parameter's value must be one of them. A parameter
    that is missing or empty is unknown, and its values are checked against ``numbers``. The mapping
    is a read-only copy of the one given.
    """

    numbers: frozenset[float]
    names: frozenset[str]
    parameters: Mapping[str, frozenset[float]] = field(default_factory=_no_parameters)

    def __post_init__(self) -> None:
        frozen = MappingProxyType({name: frozenset(values) for name, values in self.parameters.items()})
        object.__setattr__(self, "parameters", frozen)


@dataclass(frozen=True, slots=True)
class UnsupportedClaim:
    """One citation not found in the facts: the sentence it sits in, the token as written, its kind."""

    sentence: str
    token: str
    kind: ClaimKind


@dataclass(frozen=True, slots=True)
class ReflectionText:
    """The text fields of a reflection, as plain data (``engine`` cannot see the pydantic model)."""

    title: str
    summary: str
    style_patterns: tuple[str, ...] = ()
    evolution_notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldClaim:
    """An unsupported claim and where it is: ``title``, ``summary``, ``style_patterns[2]`` …"""

    field: str
    claim: UnsupportedClaim


@dataclass(frozen=True, slots=True)
class GroundedReflection:
    """A reflection with every unsupported sentence removed.

    Invariants: ``text`` holds no unsupported claim except possibly inside the caller's fallbacks;
    ``title`` and ``summary`` are non-empty (the fallback replaces an emptied one); list items that
    lost every sentence are removed; ``dropped_sentences`` lists each removed sentence once, in reading
    order; ``unsupported`` is what was found in the input.
    """

    text: ReflectionText
    dropped_sentences: tuple[str, ...]
    unsupported: tuple[FieldClaim, ...]
    used_fallback_title: bool
    used_fallback_summary: bool


# --- public functions --------------------------------------------------------------------------------


def find_unsupported(text: str, vocabulary: GroundingVocabulary) -> list[UnsupportedClaim]:
    """Every number and model/LoRA name in ``text`` that the vocabulary does not hold, in reading
    order (one entry per offending token)."""
    return _find(text, _VocabularyIndex.of(vocabulary))


def unsupported_claims(reflection: ReflectionText, vocabulary: GroundingVocabulary) -> tuple[FieldClaim, ...]:
    """The unsupported claims of every field of a reflection, in field order."""
    index = _VocabularyIndex.of(vocabulary)
    return tuple(
        FieldClaim(field, claim) for field, text in _fields(reflection) for claim in _find(text, index)
    )


def ground_reflection(
    reflection: ReflectionText,
    vocabulary: GroundingVocabulary,
    *,
    fallback_title: str,
    fallback_summary: str,
) -> GroundedReflection:
    """Drop every sentence holding an unsupported claim.

    The fallbacks are the caller's neutral, grounded title and summary (they are used as given, never
    checked or invented here) and replace a title or summary that lost all of its sentences.
    """
    index = _VocabularyIndex.of(vocabulary)
    found: list[FieldClaim] = []
    dropped: list[str] = []

    def keep_supported(field: str, text: str) -> str:
        kept: list[str] = []
        pending = ""  # the whitespace before the next kept sentence: the widest across dropped ones
        for separator, sentence in _sentences_with_separators(text):
            pending = max(pending, separator, key=lambda gap: (gap.count("\n"), len(gap)))
            claims = _find_in_sentence(sentence, index)
            if claims:
                found.extend(FieldClaim(field, claim) for claim in claims)
                if sentence not in dropped:
                    dropped.append(sentence)
                continue
            kept.append((pending if kept else "") + sentence)
            pending = ""
        return "".join(kept)

    title = keep_supported("title", reflection.title)
    summary = keep_supported("summary", reflection.summary)
    patterns = tuple(
        kept
        for i, item in enumerate(reflection.style_patterns)
        if (kept := keep_supported(f"style_patterns[{i}]", item))
    )
    notes = tuple(
        kept
        for i, item in enumerate(reflection.evolution_notes)
        if (kept := keep_supported(f"evolution_notes[{i}]", item))
    )
    text = ReflectionText(
        title=title or fallback_title,
        summary=summary or fallback_summary,
        style_patterns=patterns,
        evolution_notes=notes,
    )
    return GroundedReflection(
        text=text,
        dropped_sentences=tuple(dropped),
        unsupported=tuple(found),
        used_fallback_title=not title,
        used_fallback_summary=not summary,
    )


# --- fields and sentences ----------------------------------------------------------------------------


def _fields(reflection: ReflectionText) -> Iterator[tuple[str, str]]:
    yield "title", reflection.title
    yield "summary", reflection.summary
    for i, item in enumerate(reflection.style_patterns):
        yield f"style_patterns[{i}]", item
    for i, item in enumerate(reflection.evolution_notes):
        yield f"evolution_notes[{i}]", item


_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])(?P<close>[\"'”’)\]]*)(?P<gap>\s+)|(?P<line_break>[ \t]*\n\s*)")
_ABBREVIATION_AT_END = re.compile(r"\b(?:e\.g|i\.e|vs|approx|ca|etc|cf|no)\.$", re.IGNORECASE)


def _sentences_with_separators(text: str) -> Iterator[tuple[str, str]]:
    """(whitespace before, sentence) pairs in reading order; sentences are stripped and non-empty, and
    joining them with their whitespace gives back ``text`` up to outer whitespace."""
    start = 0
    separator = ""
    for match in _SENTENCE_BREAK.finditer(text):
        end = match.start() + len(match.group("close") or "")
        gap = match.group("gap") or match.group("line_break")
        if "\n" not in gap and _continues_after_abbreviation(text[start:end], text[match.end() :]):
            continue
        sentence = text[start:end].strip()
        if sentence:
            yield separator, sentence
            separator = gap
        start = match.end()
    tail = text[start:].strip()
    if tail:
        yield separator, tail


def _continues_after_abbreviation(head: str, rest: str) -> bool:
    return _ABBREVIATION_AT_END.search(head) is not None and not rest[:1].isupper()


def _find(text: str, index: _VocabularyIndex) -> list[UnsupportedClaim]:
    return [
        claim
        for _, sentence in _sentences_with_separators(text)
        for claim in _find_in_sentence(sentence, index)
    ]


# --- the vocabulary, prepared for lookups ------------------------------------------------------------

_RELATIVE_TOLERANCE = 1e-9
_HEDGE_TOLERANCE = 0.10
_MIN_MASKED_NAME_CHARS = 3
_MIN_NAME_PREFIX_CHARS = 3


def _normalised_name(name: str) -> str:
    """Lowercase, no directory, no model-file extension, ``+`` as ``p``, letters and digits only."""
    base = model_file_stem(name)
    return "".join("p" if ch == "+" else ch.lower() for ch in base if ch.isalnum() or ch == "+")


def _sorted_magnitudes(numbers: frozenset[float]) -> tuple[float, ...]:
    return tuple(sorted({abs(n) for n in numbers if math.isfinite(n)}))


def _has_number_between(numbers: tuple[float, ...], low: float, high: float) -> bool:
    i = bisect.bisect_left(numbers, low)
    return i < len(numbers) and numbers[i] <= high


@dataclass(frozen=True, slots=True)
class _VocabularyIndex:
    sorted_numbers: tuple[float, ...]
    name_forms: tuple[str, ...]
    parameter_numbers: Mapping[str, tuple[float, ...]]  # only parameters with at least one value

    @classmethod
    def of(cls, vocabulary: GroundingVocabulary) -> _VocabularyIndex:
        forms = sorted(
            {form for name in vocabulary.names if (form := _normalised_name(name))}, key=len, reverse=True
        )
        parameters = {
            name: numbers
            for name, values in vocabulary.parameters.items()
            if (numbers := _sorted_magnitudes(values))
        }
        return cls(_sorted_magnitudes(vocabulary.numbers), tuple(forms), parameters)

    def has_number_between(self, low: float, high: float) -> bool:
        return _has_number_between(self.sorted_numbers, low, high)

    def matches(self, value: float, mode: MatchMode, parameters: Sequence[str] = ()) -> bool:
        """Whether a fact matches ``value`` under ``mode``: a value of one of ``parameters`` when the
        vocabulary knows any of them, else any number of the facts."""
        value = abs(value)
        if mode == "approximate":
            low, high = value * (1 - _HEDGE_TOLERANCE), value * (1 + _HEDGE_TOLERANCE)
        elif mode == "at_least":
            low, high = value, value * 2
        elif mode == "at_most":
            low, high = value / 2, value
        else:
            low, high = value, value
        slack = max(abs(high) * _RELATIVE_TOLERANCE, 1e-12)
        pools = [self.parameter_numbers[name] for name in parameters if name in self.parameter_numbers]
        return any(
            _has_number_between(pool, low - slack, high + slack) for pool in pools or [self.sorted_numbers]
        )

    def grounds_name(self, token: str) -> bool:
        form = _normalised_name(token)
        return bool(form) and any(form in name for name in self.name_forms)

    def name_continues(self, previous: str, token: str) -> bool:
        """Whether ``token`` (a version such as ``1.0``) continues the name ``previous`` in one
        vocabulary name: both appear in it, the token after the name."""
        head, tail = _normalised_name(previous), _normalised_name(token)
        if len(head) < _MIN_NAME_PREFIX_CHARS or not tail:
            return False
        for name in self.name_forms:
            at = name.find(head)
            if at >= 0 and tail in name[at + len(head) :]:
                return True
        return False


# --- tokens ------------------------------------------------------------------------------------------


_DURATION_UNITS_IN_SECONDS = (1.0, 60.0, 3600.0)

_APPROXIMATE_BEFORE = re.compile(
    r"(?:\b(?:about|around|roughly|approximately|approx\.?|nearly|almost|some|circa|ca\.|close to|"
    r"just under|just over|just below|just above)|~|≈)\s*$",
    re.IGNORECASE,
)
_AT_LEAST_BEFORE = re.compile(
    r"\b(?:over|more than|at least|upwards of|above|beyond|exceeding)\s*$", re.IGNORECASE
)
_AT_MOST_BEFORE = re.compile(
    r"\b(?:under|less than|fewer than|below|up to|at most|within)\s*$", re.IGNORECASE
)

_TRIGGERS_BEFORE_NAME = frozenset(
    {
        "model",
        "models",
        "checkpoint",
        "checkpoints",
        "lora",
        "loras",
        "lycoris",
        "embedding",
        "embeddings",
        "using",
    }
)
_TRIGGERS_AFTER_NAME = frozenset({"model", "checkpoint", "lora", "loras", "lycoris"})
_NOT_NAMES = frozenset(
    {
        "lora", "loras", "lycoris", "locon", "loha", "dora", "vae", "cfg", "the", "a", "an", "this", "that",
        "these", "those", "its", "their", "his", "her", "same", "new", "base", "main", "final", "first",
        "second", "one", "another", "each", "every", "which", "whose", "and", "or", "but", "with", "of",
        "in", "on", "for", "to", "from", "by", "as", "at", "was", "were", "is", "are", "it", "then", "here",
        "there", "when", "while", "after", "before", "both", "all", "only", "also", "named", "called",
        "weight", "weights", "strength", "choice", "family", "stack", "swap", "switch", "change", "changes",
        "version", "i", "you", "we", "your", "our", "my",
    }
)  # fmt: skip
_LIST_ENUMERATOR = re.compile(r"\(?\d{1,2}[.)](?=\s|$)")  # "1." / "2)" opening a list item
_NAME_FILLERS = frozenset({"named", "called", "the", "a", "an"})
_TITLE_CASE_SHARE = 0.6

_WORD_NUMBERS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_WORD_NUMBER = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[ -](?:one|two|three|four|five|six|seven|eight|nine))?|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"  # noqa: E501
_WORD_NUMBER_WITH_UNIT = re.compile(
    rf"\b(?P<number>{_WORD_NUMBER})[ -]+(?P<unit>steps?|seconds?|minutes?|hours?)\b", re.IGNORECASE
)
_WORD_NUMBER_AFTER_PARAMETER = re.compile(
    rf"\b(?P<keyword>cfg|guidance|seed|steps|denoise|denoising|strength)"
    rf"(?:\s+(?:scale|value|of|at|to|was|is|stayed|settled|sat|around|about|near|from))*"
    rf"\s+(?P<number>{_WORD_NUMBER})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _NumberClaim:
    token: str
    values: tuple[float, ...]  # any one of them may match
    mode: MatchMode


def _find_in_sentence(sentence: str, index: _VocabularyIndex) -> list[UnsupportedClaim]:
    enumerator = _LIST_ENUMERATOR.match(sentence)
    body_start = enumerator.end() if enumerator else 0
    tokens = [Token(m.group(), m.start(), m.end()) for m in TOKEN.finditer(sentence, body_start)]
    masked = _masked_token_indices(sentence, tokens, index)
    title_case = _is_title_case(tokens)
    attached = attached_parameters(sentence, tokens, masked)
    claims: list[tuple[int, UnsupportedClaim]] = []
    for i, token in enumerate(tokens):
        if i in masked:
            continue
        if _is_name_claim(i, tokens, sentence, title_case):
            if not index.grounds_name(token.text):
                claims.append((token.start, UnsupportedClaim(sentence, token.text, "name")))
            continue
        previous = tokens[i - 1] if i > 0 and _adjacent(sentence, tokens[i - 1], token) else None
        if previous is not None and index.name_continues(previous.text, token.text):
            continue
        following = tokens[i + 1].text if i + 1 < len(tokens) else ""
        parameters = attached.get(i, ())
        for number in _number_claims(token, following, sentence):
            if not any(index.matches(value, number.mode, parameters) for value in number.values):
                claims.append((token.start, UnsupportedClaim(sentence, number.token, "number")))
                break
    claims.extend(_spelled_number_claims(sentence, tokens, index))
    return [claim for _, claim in sorted(claims, key=lambda pair: pair[0])]


def _adjacent(sentence: str, left: Token, right: Token) -> bool:
    return sentence[left.end : right.start] in (" ", "-", "_", "")


def _masked_token_indices(sentence: str, tokens: Sequence[Token], index: _VocabularyIndex) -> set[int]:
    """Tokens that together spell a vocabulary name (``Juggernaut XL v9``): never claims."""
    positions: list[int] = []
    chars: list[str] = []
    for at, ch in enumerate(sentence):
        if ch.isalnum() or ch == "+":
            positions.append(at)
            chars.append("p" if ch == "+" else ch.lower())
    normalised = "".join(chars)
    starts = {token.start: i for i, token in enumerate(tokens)}
    ends = {token.end: i for i, token in enumerate(tokens)}
    masked: set[int] = set()
    for form in index.name_forms:
        if len(form) < _MIN_MASKED_NAME_CHARS:
            continue
        at = normalised.find(form)
        while at >= 0:
            first, last = starts.get(positions[at]), ends.get(positions[at + len(form) - 1] + 1)
            if first is not None and last is not None:
                masked.update(range(first, last + 1))
            at = normalised.find(form, at + 1)
    return masked


def _is_title_case(tokens: Sequence[Token]) -> bool:
    words = [t.text for t in tokens if t.text.isalpha() and len(t.text) >= 4]
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) >= _TITLE_CASE_SHARE


def _looks_like_identifier(text: str) -> bool:
    if is_weights_file_name(text):
        return True
    if text.lower() in _NOT_NAMES or is_numeric_form(text) or STYLE_TERM.fullmatch(text):
        return False
    has_letter = any(ch.isalpha() for ch in text)
    has_digit = any(ch.isdigit() for ch in text)
    camel_step = re.search(r"[a-z][A-Z]", text) is not None
    return has_letter and ("_" in text or camel_step or has_digit)


def _is_name_claim(i: int, tokens: Sequence[Token], sentence: str, title_case: bool) -> bool:
    text = tokens[i].text
    if _looks_like_identifier(text):
        return True
    if text.lower() in _NOT_NAMES or not text[:1].isalpha():
        return False
    acronym = len(text) >= 2 and text.isupper() and text.isalpha()
    capitalised = text[:1].isupper()
    if not (acronym or (capitalised and not title_case)):
        return False
    j = i - 1
    while j >= 0 and tokens[j].text.lower() in _NAME_FILLERS:
        j -= 1
    if j >= 0 and tokens[j].text.lower() in _TRIGGERS_BEFORE_NAME:
        return True
    at_sentence_start = i == 0
    following = tokens[i + 1].text.lower() if i + 1 < len(tokens) else ""
    return following in _TRIGGERS_AFTER_NAME and (acronym or not at_sentence_start)


def _number_claims(token: Token, following: str, sentence: str) -> list[_NumberClaim]:
    text = token.text
    if STYLE_TERM.fullmatch(text):
        return []
    mode = _hedge_before(sentence[: token.start])
    if size := SIZE_FORM.fullmatch(text):
        return [
            _NumberClaim(text, (float(size.group(1)),), mode),
            _NumberClaim(text, (float(size.group(2)),), mode),
        ]
    if RANGE.fullmatch(text):
        return [_NumberClaim(text, (float(part),), mode) for part in text.split("-")]
    if text.endswith("%") and PLAIN_NUMBER.fullmatch(text[:-1]):
        value = _to_float(text[:-1])
        return [_NumberClaim(text, (value, value / 100), mode)]
    if PLAIN_NUMBER.fullmatch(text):
        value = _to_float(text)
        return [_NumberClaim(text, _with_unit(value, following.lower()), mode)]
    suffixed = HYPHEN_UNIT_NUMBER.fullmatch(text) or SUFFIXED_NUMBER.fullmatch(text)
    if suffixed is not None and is_numeric_form(text):
        value = float(suffixed.group(1))
        return [_NumberClaim(text, _with_unit(value, suffixed.group(2).lower()), mode)]
    return []


def _to_float(text: str) -> float:
    return float(text.replace(",", ""))


def _with_unit(value: float, unit: str) -> tuple[float, ...]:
    """The values a number may match, given the unit written after it."""
    if unit in SECONDS_PER_UNIT:
        seconds = value * SECONDS_PER_UNIT[unit]
        return (value, *(seconds / per_unit for per_unit in _DURATION_UNITS_IN_SECONDS))
    if unit == "k":
        return (value, value * 1000)
    return (value,)


def _hedge_before(prefix: str) -> MatchMode:
    tail = prefix[-24:]
    if _APPROXIMATE_BEFORE.search(tail):
        return "approximate"
    if _AT_LEAST_BEFORE.search(tail):
        return "at_least"
    if _AT_MOST_BEFORE.search(tail):
        return "at_most"
    return "exact"


def _spelled_number_claims(
    sentence: str, tokens: Sequence[Token], index: _VocabularyIndex
) -> list[tuple[int, UnsupportedClaim]]:
    claims: list[tuple[int, UnsupportedClaim]] = []
    seen: set[int] = set()
    token_at = {token.start: i for i, token in enumerate(tokens)}
    for pattern in (_WORD_NUMBER_WITH_UNIT, _WORD_NUMBER_AFTER_PARAMETER):
        for match in pattern.finditer(sentence):
            start = match.start("number")
            if start in seen:
                continue
            seen.add(start)
            value = _word_number_value(match.group("number"))
            with_unit = pattern is _WORD_NUMBER_WITH_UNIT
            unit = match.group("unit").lower() if with_unit else ""
            if unit.startswith("step") and value < SMALLEST_SPELLED_STEP_COUNT:
                continue  # "one step further", "two steps back": idioms, not sampler settings
            keyword_start = match.start("unit") if with_unit else match.start("keyword")
            parameters = keyword_parameters(sentence, tokens, token_at.get(keyword_start))
            mode = _hedge_before(sentence[:start])
            if not any(index.matches(v, mode, parameters) for v in _with_unit(value, unit)):
                claims.append((start, UnsupportedClaim(sentence, match.group("number"), "number")))
    return claims


def _word_number_value(words: str) -> float:
    return float(sum(_WORD_NUMBERS[part] for part in re.split(r"[ -]", words.lower()) if part))
