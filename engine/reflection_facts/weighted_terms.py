"""Prompt text → ordered weighted terms, and what changed between two prompts.

A *term* is one comma-separated piece of a prompt at one attention weight, lowercased with its
whitespace collapsed: ``"a lighthouse, (stormy sea:1.2), [fog]"`` has the terms ``a lighthouse``
(1.0), ``stormy sea`` (1.2) and ``fog`` (0.909). The weight syntax is Automatic1111's (also used by
Forge, SD.Next, ComfyUI and InvokeAI's legacy syntax):

- ``(text:1.2)`` sets the weight; ``(text)`` multiplies by 1.1 and ``[text]`` by 1/1.1, nesting
  multiplies; ``\\(`` is a literal bracket;
- ``<lora:name:0.8>`` / ``<lyco:…>`` is a LoRA tag: the term ``lora:name`` (the name keeps its case)
  at weight 0.8 (1.0 when the tag has none); any other ``<…>`` tag is kept verbatim as one term;
- Midjourney parameters (``--ar 16:9``, ``--stylize 250``) are one term each, verbatim;
- separators are ``,``, ``;``, ``|``, their full-width and ideographic forms (``，``, ``、``, ``；``,
  ``｜``: Chinese and Japanese prompts are written with these, as in :mod:`engine.features.prompt_text`),
  new lines and the ``BREAK`` keyword; a weighted group that contains commas yields one term per
  piece, each at the group's weight; a piece that is only stopwords ("a", "of the") is not a term;
  ``.``, ``:``, ``!``, ``?`` and their full-width forms (``。``, ``：``, ``！``, ``？``) are stripped
  from a term's ends but do not separate terms (``1.5``, ``12:30``);
- a square-bracket group with a ``:`` or ``|`` outside its inner round brackets is A1111's prompt
  editing (``[dog:wolf:0.5]``, ``[dog::0.5]``, ``[:wolf:0.5]``, ``[dog:5]``) or alternation
  (``[dog|wolf]``), not a de-emphasis: it is kept verbatim as text of its term, brackets, colons and
  bars included, with nothing inside it split or weighted (``a [dog:wolf:0.5] in snow`` is the one
  term ``a [dog:wolf:0.5] in snow`` at 1.0; changing the switch step changes the term's text, not a
  weight). Round brackets around it still weight it; a plain ``[word]`` or ``[[word]]`` (also
  NovelAI's nesting) is de-emphasis as above; a LoRA or other ``<…>`` tag inside the group is taken
  out of it and follows it as its own term.

Not interpreted (kept as text): prompt editing and alternation (above), Midjourney ``::``
multi-prompt weights, NovelAI ``{…}`` emphasis. Weights are rounded like every number in the
facts (:func:`engine.reflection_facts.number_format.plain_number`). When one term appears twice, the
first occurrence counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, compress
from operator import attrgetter

from engine.features.prompt_text import STOPWORDS
from engine.reflection_facts.number_format import plain_number

ROUND_BRACKET_FACTOR = 1.1
SQUARE_BRACKET_FACTOR = 1 / 1.1
LORA_TERM_PREFIX = "lora:"

_LORA_TAG = re.compile(r"<(?:lora|lyco):([^:<>]+)(?::([^:<>]*))?(?::[^<>]*)?>", re.IGNORECASE)
_OTHER_TAG = re.compile(r"<[^<>]*>")
_TOOL_PARAMETER = re.compile(
    r"(?:^|(?<=\s))--([a-z][a-z0-9]*)(?:\s+([^\s-][^\s,\uff0c\u3001]*))?", re.IGNORECASE
)
_ATTENTION = re.compile(
    r"\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]|[^\\()\[\]:]+|:",
)
_WEIGHT_SYNTAX = re.compile(r"[()\[\]\\]")
_BRACKETS = re.compile(r"[()\[\]]")
_PLACEHOLDER_MARK = "\ue000"  # a private-use character: never part of a real prompt's words
_PLACEHOLDER = re.compile(f"{_PLACEHOLDER_MARK}(\\d+){_PLACEHOLDER_MARK}")
_SEPARATORS = re.compile(r"[,;|\n\uff0c\u3001\uff1b\uff5c]+|\bBREAK\b")
_RAW_CUTS = re.compile(r"([,\uff0c\u3001])")
_DASH_AFTER_CUT = re.compile(r"[,\uff0c\u3001]-")
_ANGLES = re.compile(r"[<>]")
_NO_CUT = ("no cut",)
"""What :func:`_cut_moves` says of a chunk after which a prompt may not be cut."""
_TERM_TEXT = attrgetter("text")
_CUTS = re.compile(r"([,;|\uff0c\u3001\uff1b\uff5c])")
"""The separators a prompt may be cut at into separately parsed segments: those no :data:`_ATTENTION`
token but plain text can hold (a new line can be inside a ``:1.2\n)`` weight; ``BREAK`` is a word)."""
_HAS_WORD = re.compile(r"[^\W_]", re.UNICODE)
_EDGE_PUNCTUATION = " \t.:!?\"'`\u3002\uff1a\uff01\uff1f"
_GROUP_SYNTAX = re.compile(r"\\.|[\[\]():|]", re.DOTALL)
_TEXT_GROUP_PLACEHOLDER = re.compile(f",?({_PLACEHOLDER_MARK}\\d+{_PLACEHOLDER_MARK}),?")
_TEXT_GROUP_SYNTAX = "[]()\\:|,;\uff0c\u3001\uff1b\uff5c"
"""The characters of a prompt-editing or alternation group that would otherwise weight or split it."""
_TEXT_GROUP_ENCODING = str.maketrans({char: chr(0xE100 + at) for at, char in enumerate(_TEXT_GROUP_SYNTAX)})
_TEXT_GROUP_DECODING = str.maketrans({chr(0xE100 + at): char for at, char in enumerate(_TEXT_GROUP_SYNTAX)})
"""Private-use stand-ins for :data:`_TEXT_GROUP_SYNTAX`, so the group reads as plain text, and back."""
_READING_CHARACTERS = re.compile(
    f"[{_PLACEHOLDER_MARK}{chr(0xE100)}-{chr(0xE100 + len(_TEXT_GROUP_SYNTAX) - 1)}]"
)
"""The private-use characters the reading itself writes: the placeholder mark and the stand-ins."""


@dataclass(frozen=True, slots=True)
class PromptTerm:
    """One term of a prompt (``text`` lowercased, whitespace collapsed) at its attention ``weight``."""

    text: str
    weight: float = 1.0

    @property
    def is_lora(self) -> bool:
        return self.text.startswith(LORA_TERM_PREFIX)

    def display(self) -> str:
        """The term as a prompt would write it: ``fog``, ``(fog:1.2)`` or ``<lora:name:0.8>``."""
        if self.is_lora:
            return f"<{self.text}:{plain_number(self.weight)}>"
        if self.weight == 1.0:
            return self.text
        return f"({self.text}:{plain_number(self.weight)})"


@dataclass(frozen=True, slots=True)
class TermChange:
    """A term kept between two prompts whose weight moved from ``before`` to ``after``."""

    text: str
    before: float
    after: float

    def display(self) -> str:
        return f"{self.text} {plain_number(self.before)}→{plain_number(self.after)}"


@dataclass(frozen=True, slots=True)
class TermDiff:
    """What a prompt added, removed and re-weighted relative to the one before it (each in prompt order)."""

    added: tuple[PromptTerm, ...]
    removed: tuple[PromptTerm, ...]
    reweighted: tuple[TermChange, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.reweighted)


@lru_cache(maxsize=50_000)
def prompt_terms(prompt: str) -> tuple[PromptTerm, ...]:
    """The terms of ``prompt`` in prompt order (memoised: sessions reuse prompts heavily).

    The prompt is read in segments (:func:`_prompt_segments`), each memoised: the distinct prompts of
    a session are mostly small edits of one another, so a new prompt costs little more than looking up
    the segments it shares with the prompts before it."""
    if not prompt.isascii() and _READING_CHARACTERS.search(prompt) is not None:
        # the reading's own private-use characters, typed into a prompt, would read as placeholders
        # (an index error, or a tag the prompt does not hold) or as bracket stand-ins: shown as U+FFFD
        prompt = _READING_CHARACTERS.sub("\ufffd", prompt)
    segments = _prompt_segments(prompt)
    readings = list(map(_terms_chunk_by_chunk, segments))
    if None in readings:  # a weighted group spans separators, escapes, or a tag: read each as a whole
        readings = list(map(_terms_as_a_whole, segments))
    found: list[PromptTerm] = list(chain.from_iterable(readings))  # type: ignore[arg-type]
    texts = list(map(_TERM_TEXT, found))
    if len(set(texts)) == len(texts):
        return tuple(found)
    first = dict(zip(reversed(texts), reversed(found), strict=True))  # the first occurrence wins
    return tuple(map(first.__getitem__, dict.fromkeys(texts)))


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A prompt (or segment of one) made ready to split: tags and tool parameters left as placeholders
    naming their ``special`` terms, prompt-editing and alternation groups turned into plain text."""

    text: str
    special: tuple[PromptTerm, ...]
    has_text_groups: bool


@lru_cache(maxsize=100_000)
def _prepared(prompt: str) -> _Prepared:
    special: list[PromptTerm] = []  # tags and tool parameters, each left in the text as a placeholder
    text = prompt
    if "<" in text:
        text = _LORA_TAG.sub(lambda match: _placeholder(_lora_term(match), special), text)
        text = _OTHER_TAG.sub(
            lambda match: _placeholder(_verbatim_term(match.group(0).lower()), special), text
        )
    if "--" in text:
        text = _TOOL_PARAMETER.sub(
            lambda match: _placeholder(_verbatim_term(_tool_parameter(match)), special), text
        )
    has_text_groups = False
    if "[" in text:
        text, has_text_groups = _keep_text_groups(text)
    return _Prepared(text, tuple(special), has_text_groups)


@lru_cache(maxsize=100_000)
def _terms_chunk_by_chunk(segment: str) -> tuple[PromptTerm, ...] | None:
    """The terms of ``segment`` read one separator-free chunk at a time (each chunk memoised), or
    ``None`` when a chunk cannot be read on its own."""
    prepared = _prepared(segment)
    readings = [_chunk_or_placeholder(chunk, prepared.special) for chunk in _SEPARATORS.split(prepared.text)]
    if None in readings:
        return None
    return _decoded(list(chain.from_iterable(readings)), prepared)  # type: ignore[arg-type]


@lru_cache(maxsize=100_000)
def _terms_as_a_whole(segment: str) -> tuple[PromptTerm, ...]:
    """The terms of ``segment`` with its bracket groups read across separators."""
    prepared = _prepared(segment)
    found = [
        prepared.special[item] if isinstance(item, int) else item for item in _segmented_items(prepared.text)
    ]
    return _decoded(found, prepared)


def _decoded(found: list[PromptTerm], prepared: _Prepared) -> tuple[PromptTerm, ...]:
    if not prepared.has_text_groups:
        return tuple(found)
    return tuple(PromptTerm(term.text.translate(_TEXT_GROUP_DECODING), term.weight) for term in found)


def _prompt_segments(prompt: str) -> list[str]:
    """``prompt`` cut at commas (``,``, ``，``, ``、``) into segments whose terms, read one segment at a
    time and put together, are exactly those of the whole prompt.

    A cut is made only where everything before it is closed: every ``<`` of the segment so far is
    closed by the next ``>`` (so no tag spans the cut), no ``[`` group is open for
    :func:`_keep_text_groups`, and, once its tags and text groups are read, no weight group is open
    for :func:`_attention_pieces`; and no tool parameter is near it (a segment never starts with
    ``-``, and nothing is cut after a ``--``, whose value may hold a comma). The comma then splits the
    (weight 1) piece it lies in whether the prompt is read whole or in segments. (The private-use
    characters the reading itself uses, placeholders and text-group stand-ins, never reach here:
    :func:`prompt_terms` replaces them.) A prompt with a tag and a ``--``, or with a ``<`` or ``>``
    not paired as ``<…>``, is read whole: there
    a tag inside a tag or a tool parameter's value can take in a placeholder, whose number depends on
    the tags before it in the whole prompt.

    Most chunks between commas open and close nothing: they are segments of their own, found with
    bulk operations; only the chunks that move a group are looked at one by one."""
    if "\uff0c" in prompt or "\u3001" in prompt:
        parts = _RAW_CUTS.split(prompt)  # chunks at even indexes, the commas between them at odd ones
        chunks = parts[::2]
        dash_after_cut = _DASH_AFTER_CUT.search(prompt) is not None
    else:
        parts = None
        chunks = prompt.split(",")
        dash_after_cut = ",-" in prompt
    last = len(chunks) - 1
    if not last:
        return [prompt]
    if ("<" in prompt or ">" in prompt) and (
        "--" in prompt or "".join(_ANGLES.findall(prompt)) != "<>" * prompt.count("<")
    ):  # a tag inside a tag, or a tool parameter's value, can hold a placeholder's number
        return [prompt]
    moves = list(map(_cut_moves, chunks[:last]))
    if not dash_after_cut and moves.count(()) == last:  # nothing opens or closes anywhere
        return chunks

    def joined(first: int, stop: int) -> str:
        if stop - first == 1:
            return chunks[first]
        return ",".join(chunks[first:stop]) if parts is None else "".join(parts[2 * first : 2 * stop - 1])

    segments: list[str] = []
    open_groups: list[str] = []
    start = 0  # the chunk the segment being read starts with
    previous = -1  # the chunk looked at last
    watched = range(last) if dash_after_cut else compress(range(last), moves)
    for index in watched:
        chunk_moves = moves[index]
        if chunk_moves is _NO_CUT:  # the rest of the prompt is one segment
            break
        if start == previous + 1 and not open_groups:  # the chunks passed over are segments of their own
            segments += chunks[start:index]
            start = index
        previous = index
        for bracket in chunk_moves:
            if bracket == "(" or bracket == "[":
                open_groups.append(bracket)
                continue
            opening = "(" if bracket == ")" else "["
            for position in range(len(open_groups) - 1, -1, -1):  # the latest group of its kind
                if open_groups[position] == opening:
                    del open_groups[position]
                    break
        if not open_groups and not chunks[index + 1].startswith("-"):
            segments.append(joined(start, index + 1))
            start = index + 1
    else:
        if start == previous + 1 and not open_groups:
            segments += chunks[start:]
            return segments
    segments.append(joined(start, last + 1))
    return segments


@lru_cache(maxsize=100_000)
def _cut_moves(chunk: str) -> tuple[str, ...]:
    """How one comma-free chunk of a prompt opens and closes weight groups (:func:`_group_moves` of
    its prepared text), or :data:`_NO_CUT` when the prompt may not be cut after it whatever came
    before: it holds a ``--``, a ``<`` or ``>`` not paired as ``<…>``, or a ``[`` left open. Moves that
    close what they open, and nothing else, are given as none (``()``): they change no open group."""
    if "--" in chunk:
        return _NO_CUT
    if ("<" in chunk or ">" in chunk) and "".join(_ANGLES.findall(chunk)) != "<>" * chunk.count("<"):
        return _NO_CUT
    prepared = _prepared(chunk)
    if "[" in prepared.text and not _square_groups_close(prepared.text):
        return _NO_CUT
    moves = _group_moves(prepared.text)
    return () if _closes_what_it_opens(moves) else moves


def _closes_what_it_opens(moves: tuple[str, ...]) -> bool:
    """Whether ``moves`` close every group they open and nothing opened before them: then they leave
    any open groups as they found them (each close takes the latest open group of its kind, their own)."""
    open_groups: list[str] = []
    for bracket in moves:
        if bracket == "(" or bracket == "[":
            open_groups.append(bracket)
            continue
        opening = "(" if bracket == ")" else "["
        for position in range(len(open_groups) - 1, -1, -1):
            if open_groups[position] == opening:
                del open_groups[position]
                break
        else:
            return False
    return not open_groups


def _square_groups_close(text: str) -> bool:
    """Whether every ``[`` that :func:`_keep_text_groups` would open in ``text`` is closed in it."""
    depth = 0
    for match in _GROUP_SYNTAX.finditer(text):
        token = match.group(0)
        if token == "[":
            depth += 1
        elif token == "]" and depth:
            depth -= 1
    return depth == 0


def _keep_text_groups(text: str) -> tuple[str, bool]:
    """``text`` with each outermost prompt-editing or alternation group (a ``[…]`` with a ``:`` or ``|``
    outside its inner round brackets) turned into plain text: whitespace collapsed and the characters
    of :data:`_TEXT_GROUP_SYNTAX` replaced by private-use stand-ins, which :func:`prompt_terms` turns
    back. Tag placeholders inside a group move to just after it. Also whether there was any group."""
    open_groups: list[list[int]] = []  # per open "[": [start, round brackets open inside, is text]
    spans: list[tuple[int, int]] = []
    for match in _GROUP_SYNTAX.finditer(text):
        token = match.group(0)
        if token == "[":
            open_groups.append([match.start(), 0, 0])
        elif not open_groups or len(token) > 1:  # outside any "[…]", or an escaped character
            continue
        elif token == "]":
            start, _, is_text = open_groups.pop()
            if is_text:
                spans.append((start, match.end()))
        elif token == "(":
            open_groups[-1][1] += 1
        elif token == ")":
            open_groups[-1][1] = max(open_groups[-1][1] - 1, 0)
        elif open_groups[-1][1] == 0:  # a ":" or "|" of the group itself
            open_groups[-1][2] = 1
    if not spans:
        return text, False
    parts: list[str] = []
    end = 0
    for start, stop in sorted(spans):
        if start < end:  # inside a group already kept as text
            continue
        group = text[start:stop]
        placeholders = "".join(f",{found.group(1)}," for found in _TEXT_GROUP_PLACEHOLDER.finditer(group))
        group = " ".join(_TEXT_GROUP_PLACEHOLDER.sub("", group).split())
        parts += (text[end:start], group.translate(_TEXT_GROUP_ENCODING), placeholders)
        end = stop
    parts.append(text[end:])
    return "".join(parts), True


def _chunk_or_placeholder(chunk: str, special: Sequence[PromptTerm]) -> tuple[PromptTerm, ...] | None:
    if _PLACEHOLDER_MARK not in chunk:
        return _chunk_terms(chunk)
    placeholder = _PLACEHOLDER.fullmatch(chunk.strip())
    return None if placeholder is None else (special[int(placeholder.group(1))],)


@lru_cache(maxsize=100_000)
def _chunk_terms(chunk: str) -> tuple[PromptTerm, ...] | None:
    """The terms of one separator-free chunk, or ``None`` when its brackets do not open and close
    inside it (or it has escapes), so it cannot be read on its own. Memoised: the prompts of a session
    share most of their chunks, so each distinct chunk is parsed once."""
    if _WEIGHT_SYNTAX.search(chunk) is None:
        term = _normal_term(chunk)
        return () if term is None else (PromptTerm(term),)
    if "\\" in chunk or not _nests(chunk):
        return None
    return tuple(item for item in _segment_items(chunk) if isinstance(item, PromptTerm))  # no tags in it


def _nests(chunk: str) -> bool:
    """Whether every bracket of ``chunk`` closes the latest one opened, and all are closed."""
    stack: list[str] = []
    for bracket in _BRACKETS.findall(chunk):
        if bracket in "([":
            stack.append(bracket)
        elif not stack or stack.pop() != ("(" if bracket == ")" else "["):
            return False
    return not stack


def _segmented_items(text: str) -> list[PromptTerm | int]:
    """:func:`_weighted_items` of the whole ``text``, computed segment by segment (each memoised).

    ``text`` is cut at the :data:`_CUTS` separators where no bracket group is open. That gives the
    same terms as parsing it whole: no token of :data:`_ATTENTION` but plain text holds such a
    separator, so the tokens are those of the whole text; nothing open at a cut means no weight after
    it depends on anything before it; and the separator splits the (weight 1) piece it lies in, as
    :func:`_weighted_items` would. Prompts share most of their segments (a spanning group such as
    ``(masterpiece, best quality:1.2)`` or an escaped ``\\(name\\)`` included), so each distinct
    segment is parsed once however many prompts hold it."""
    parts = _CUTS.split(text)  # chunks at even indexes, the separators between them at odd ones
    items: list[PromptTerm | int] = []
    open_groups: list[str] = []
    start = 0
    for at in range(0, len(parts), 2):
        for bracket in _group_moves(parts[at]):
            if bracket == "(" or bracket == "[":
                open_groups.append(bracket)
                continue
            opening = "(" if bracket == ")" else "["
            for position in range(len(open_groups) - 1, -1, -1):  # the latest group of its kind
                if open_groups[position] == opening:
                    del open_groups[position]
                    break
        if not open_groups:
            items += _segment_items(parts[start] if start == at else "".join(parts[start : at + 1]))
            start = at + 2
    if start < len(parts):
        items += _segment_items("".join(parts[start:]))
    return items


@lru_cache(maxsize=100_000)
def _group_moves(chunk: str) -> tuple[str, ...]:
    """How ``chunk`` opens and closes bracket groups as :func:`_attention_pieces` reads it: ``(``/``[``
    opens one, ``)``/``]`` closes the latest open one of its kind if any (a ``:1.2)`` weight closes a
    ``(`` group; one that is not a number closes nothing; escapes are text)."""
    if _BRACKETS.search(chunk) is None:
        return ()
    moves: list[str] = []
    for match in _ATTENTION.finditer(chunk):
        token = match.group(0)
        lead = token[0]
        if lead in "()[]":
            moves.append(lead)
        elif lead == ":" and match.group(1) is not None and _is_number(match.group(1)):
            moves.append(")")
    return tuple(moves)


@lru_cache(maxsize=100_000)
def _segment_items(segment: str) -> tuple[PromptTerm | int, ...]:
    """:func:`_weighted_items` of one segment of a prompt (memoised)."""
    return _weighted_items(segment)


def _weighted_items(text: str) -> tuple[PromptTerm | int, ...]:
    """The terms of ``text`` parsed as a whole; a tag or tool parameter left as a placeholder is given
    as its index into the prompt's special terms (resolved by the caller)."""
    items: list[PromptTerm | int] = []
    for piece, weight in _attention_pieces(text):
        shown_weight = 1.0 if weight == 1.0 else float(plain_number(weight))
        for chunk in _SEPARATORS.split(piece):
            placeholder = _PLACEHOLDER.fullmatch(chunk.strip())
            if placeholder is not None:
                items.append(int(placeholder.group(1)))
                continue
            term = _normal_term(chunk)
            if term is not None:
                items.append(PromptTerm(term, shown_weight))
    return tuple(items)


def reset_term_caches() -> None:
    """Empty the per-prompt, per-segment and per-chunk memos (benchmarks use it to measure cold runs;
    results never depend on them)."""
    for memoised in (
        prompt_terms,
        _prepared,
        _terms_chunk_by_chunk,
        _terms_as_a_whole,
        _cut_moves,
        _chunk_terms,
        _segment_items,
        _group_moves,
        _normal_term,
    ):
        memoised.cache_clear()


def diff_terms(before: tuple[PromptTerm, ...], after: tuple[PromptTerm, ...]) -> TermDiff:
    """Terms of ``after`` missing from ``before`` (added), the reverse (removed), and shared terms whose
    weight changed (re-weighted)."""
    before_weights = {term.text: term.weight for term in before}
    after_texts = {term.text for term in after}
    added = tuple(term for term in after if term.text not in before_weights)
    removed = tuple(term for term in before if term.text not in after_texts)
    reweighted = tuple(
        TermChange(term.text, before_weights[term.text], term.weight)
        for term in after
        if term.text in before_weights and before_weights[term.text] != term.weight
    )
    return TermDiff(added, removed, reweighted)


def _lora_term(match: re.Match[str]) -> PromptTerm:
    name, weight_text = match.group(1).strip(), match.group(2)
    try:
        weight = float(weight_text) if weight_text else 1.0
    except ValueError:
        weight = 1.0
    return PromptTerm(LORA_TERM_PREFIX + name, float(plain_number(weight)))


def _verbatim_term(text: str) -> PromptTerm:
    return PromptTerm(" ".join(text.split()))


def _placeholder(term: PromptTerm, special: list[PromptTerm]) -> str:
    """Keep ``term`` aside and leave a separate chunk naming it, so it keeps its place in the prompt."""
    special.append(term)
    return f",{_PLACEHOLDER_MARK}{len(special) - 1}{_PLACEHOLDER_MARK},"


def _tool_parameter(match: re.Match[str]) -> str:
    name, value = match.group(1).lower(), match.group(2)
    return f"--{name} {value}" if value else f"--{name}"


def _attention_pieces(text: str) -> list[tuple[str, float]]:
    """Automatic1111's ``parse_prompt_attention``: ``text`` as (piece, weight) in order.

    Instead of re-multiplying every piece when a bracket closes, each piece remembers the groups
    open around it and its weight is the product of their factors at the end (same result, linear
    time). As in A1111, ``)`` closes the latest open ``(`` group and ``]`` the latest ``[`` group."""
    pieces: list[tuple[str, tuple[int, ...]]] = []
    factors: list[float] = []
    kinds: list[str] = []
    open_groups: tuple[int, ...] = ()
    for match in _ATTENTION.finditer(text):
        token = match.group(0)
        lead = token[0]
        if lead == "(" or lead == "[":
            open_groups = (*open_groups, len(factors))
            factors.append(ROUND_BRACKET_FACTOR if lead == "(" else SQUARE_BRACKET_FACTOR)
            kinds.append(lead)
        elif lead == ")" or lead == "]" or (lead == ":" and match.group(1) is not None):
            group = _latest(open_groups, kinds, "[" if lead == "]" else "(")
            weight = match.group(1)
            if group is None or (weight is not None and not _is_number(weight)):
                pieces.append((token.rstrip(")").rstrip() if weight is not None else token, open_groups))
                continue
            if weight is not None:
                factors[group] = float(weight)
            open_groups = tuple(member for member in open_groups if member != group)
        elif lead == "\\" and len(token) > 1:
            pieces.append((token[1:], open_groups))
        else:
            pieces.append((token, open_groups))
    weight_of: dict[tuple[int, ...], float] = {(): 1.0}
    merged: list[tuple[str, float]] = []
    for piece, groups in pieces:  # neighbours at one weight are one piece ("12:30" stays whole)
        weight = weight_of.get(groups)
        if weight is None:
            weight = weight_of[groups] = math.prod(factors[group] for group in groups)
        if merged and merged[-1][1] == weight:
            merged[-1] = (merged[-1][0] + piece, weight)
        else:
            merged.append((piece, weight))
    return merged


def _latest(open_groups: tuple[int, ...], kinds: list[str], bracket: str) -> int | None:
    """The latest open group of ``bracket`` kind, if any."""
    for group in reversed(open_groups):
        if kinds[group] == bracket:
            return group
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=100_000)
def _normal_term(chunk: str) -> str | None:
    """A chunk as a term, or ``None`` when it holds no word or only stopwords (memoised: prompts of
    a session share most chunks)."""
    term = " ".join(chunk.lower().split()).strip(_EDGE_PUNCTUATION)
    if not term or not _HAS_WORD.search(term):
        return None
    if all(word in STOPWORDS for word in term.split()):
        return None
    return term
