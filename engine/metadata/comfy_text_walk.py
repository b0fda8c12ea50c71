"""The bookkeeping of ComfyUI text walks: what one walk has read, and what a graph's walks have settled.

A text walk (:meth:`engine.metadata.comfygraph.GraphWalker.string`) resolves the string a link carries
through string nodes: concatenations, replaces, switches, stylers, generators. :class:`TextWalk` is one
walk's state (the outputs it has read, the path it is on, its budgets); :class:`SettledTexts` keeps,
for a whole graph, the texts of the node outputs some walk read *without meeting any bound*: no
cycle, no step, depth or character budget, no part cut by one. Such a text is what the output
carries whatever walk asks for it, so a later walk takes it as it is instead of reading its nodes
again. Without that, every prompt a graph's samplers resolve re-read the string nodes below it: a
crafted graph of 80 layers of concatenations, each taking the layer below some 70 times, took 26 s
to read; it now takes a fraction of a second.

A settled text is reused on the walk's own budgets: it counts the outputs, the depth and the
characters its first reading took (:meth:`TextWalk.reuse`), and a walk that could not afford them
reads the nodes itself, meeting its bound where it did before. What the first reading noted on the
way (prompt styles, text generators) is noted again on each reuse, as a new reading would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from engine.metadata.limits import MAX_TEXT_BYTES

WALK_BUDGET = 400
"""Most nodes any single backward walk visits."""
MAX_TEXT_DEPTH = 100
"""Most node outputs one inside another that a text walk reads, so a long chain of string nodes ends
long before Python's stack does."""
TEXT_BUDGET = MAX_TEXT_BYTES
"""Most characters the joins and replaces of one text walk make in all: a lattice of concatenations
that each take a lower one twice, or a chain of replaces that each double their text, doubles the text
at every level."""
GRAPH_TEXT_BUDGET = 8 * MAX_TEXT_BYTES
"""Most characters the text walks of one graph make in all, so a graph whose thousands of samplers each
read such a lattice stays about as fast as one that reads it a few times. A reused settled text counts
the characters its first reading made, as if made again."""
GRAPH_TEXT_READS = 20 * WALK_BUDGET
"""Most node outputs the text walks of one graph read in all (a settled text reused is not read again).
Texts that met a bound are not settled, so without this a graph whose string chains run past
``MAX_TEXT_DEPTH`` had every one of its walks read them again: 160 layers of concatenations, each
taking the one below some 70 times, took 53 s; past it, walks give nothing."""
SETTLED_TEXT_CHARACTERS = MAX_TEXT_BYTES
"""Most characters of settled texts one graph keeps (memory bound); past it, walks read for
themselves (and pay their budgets) as they did before texts were settled."""

OutputKey = tuple[str, int]
"""A node output: ``(node id, output index)``."""
NoteKind = Literal["style", "generated"]
Notes = dict[tuple[OutputKey, NoteKind], Any]
"""What a reading noted, in the order first noted: a prompt style (the style name) or a text generator
(``(class_type, request)``), keyed by the output whose reading noted it, so an output read again in
one walk notes nothing more."""


@dataclass(frozen=True, slots=True)
class SettledText:
    """The text one node output carries, as a walk that met no bound read it.

    ``steps`` / ``depth`` / ``made`` are what that reading cost: outputs started (this one included),
    outputs one inside another (this one included), characters its joins and replaces made.
    ``notes`` are what the reading and every part it took noted (:data:`Notes`).
    """

    text: str | None
    steps: int
    depth: int
    made: int
    notes: tuple[tuple[tuple[OutputKey, NoteKind], Any], ...]


class TextWalk:
    """What one text walk has read.

    The walk reads each node output once. Two outputs of one node are two values (WAS ``Text String``
    outputs 0 and 1 both joined by one concatenation); one output met again (two parts linked to it,
    a lower concatenation that several upper ones take) gives the text :attr:`texts` kept for it, at
    the cost of a look-up, so the walk stays linear in the outputs it reads. :attr:`open` holds the
    outputs being read (the path the walk is on): a link back to one of them is a cycle, which gives
    nothing. At most ``WALK_BUDGET + 1`` outputs are read (and at most ``reads_left``, what the graph's
    walks have left of ``GRAPH_TEXT_READS``), at most ``MAX_TEXT_DEPTH`` one inside another, and the
    walk's joins and replaces make at most ``budget`` characters in all (past that they give
    nothing). :attr:`refusals` counts every time one of those bounds gave nothing: a text read while
    it stayed the same is settled (:class:`SettledTexts`).

    Each output being read collects what it and its parts note (:meth:`note`, :meth:`take`); an output
    ends (:meth:`end`) by handing its notes to the output that took it, so :attr:`notes` ends with
    everything the walk noted, each note once.
    """

    __slots__ = (
        "budget",
        "deepest",
        "made",
        "noted",
        "notes",
        "open",
        "reading",
        "reads",
        "reads_left",
        "refusals",
        "steps",
        "texts",
    )

    def __init__(self, budget: int, reads_left: int) -> None:
        self.texts: dict[OutputKey, str | None] = {}
        self.open: set[OutputKey] = set()
        self.steps = 0
        """Outputs the walk has started to read (settled texts it reused count what they cost)."""
        self.reads = 0
        """Outputs the walk has started to read itself."""
        self.reads_left = reads_left
        """Most outputs the walk may read itself."""
        self.budget = budget
        """Most characters the walk's joins and replaces may make."""
        self.made = 0
        """Characters the walk's joins and replaces have made."""
        self.refusals = 0
        """Times a bound (cycle, steps, depth, characters) gave nothing, or a text read under one was
        taken again."""
        self.deepest = 0
        """Most outputs open at once so far (the depth a settled text's reading reached counts)."""
        self.reading: list[OutputKey] = []
        """The outputs being read, outermost first."""
        self.notes: list[Notes] = [{}]
        """What each output being read has noted so far, outermost first after the walk's own."""
        self.noted: dict[OutputKey, Notes] = {}
        """What each output the walk has read noted (only those that noted something)."""

    def enter(self, key: OutputKey) -> bool:
        """Start reading ``key``, or ``False`` (read nothing) at a cycle or past a budget."""
        if (
            key in self.open
            or self.steps > WALK_BUDGET
            or len(self.open) >= MAX_TEXT_DEPTH
            or self.reads >= self.reads_left
        ):
            self.refusals += 1
            return False
        self.reads += 1
        self.steps += 1
        self.open.add(key)
        self.deepest = max(self.deepest, len(self.open))
        self.reading.append(key)
        self.notes.append({})
        return True

    def end(self, key: OutputKey, text: str | None) -> Notes:
        """Close ``key`` (the output :meth:`enter` opened last) as read to ``text``; its notes go to
        the output that took it, and are returned."""
        self.open.discard(key)
        self.reading.pop()
        notes = self.notes.pop()
        self.texts[key] = text
        if notes:
            self.noted[key] = notes
            self.take(notes)
        return notes

    def leave(self, key: OutputKey) -> None:
        """Close ``key`` (the output :meth:`enter` opened last) without a text of its own: it was
        read for a part of it only; its notes go to the output that took it."""
        self.open.discard(key)
        self.reading.pop()
        self.take(self.notes.pop())

    def note(self, kind: NoteKind, value: Any) -> None:
        """Note ``value`` for the output being read (once per output and kind)."""
        self.notes[-1].setdefault((self.reading[-1], kind), value)

    def take(self, notes: Notes) -> None:
        """Add a part's ``notes`` to the output being read (those it has already are kept where
        they are)."""
        top = self.notes[-1]
        for note_key, value in notes.items():
            top.setdefault(note_key, value)

    def make(self, length: int) -> bool:
        """Count a text of ``length`` characters that a join or replace is about to make, or ``False``
        (make nothing) when the walk would pass its budget."""
        if self.made + length > self.budget:
            self.refusals += 1
            return False
        self.made += length
        return True

    def reuse(self, key: OutputKey, settled: SettledText) -> bool:
        """Take ``settled`` as what ``key`` reads to at the walk's current place, counting what its
        reading cost, or ``False`` when the walk cannot afford that (it then reads the nodes
        itself)."""
        if (
            self.steps + settled.steps > WALK_BUDGET + 1
            or len(self.open) + settled.depth > MAX_TEXT_DEPTH
            or self.made + settled.made > self.budget
        ):
            return False
        self.steps += settled.steps
        self.made += settled.made
        self.deepest = max(self.deepest, len(self.open) + settled.depth)
        self.texts[key] = settled.text
        if settled.notes:
            notes = dict(settled.notes)
            self.noted[key] = notes
            self.take(notes)
        return True

    def taken_again(self, key: OutputKey, *, settled: bool) -> str | None:
        """The text of ``key``, read earlier in this walk; its notes go to the output being read. A
        text that is not ``settled`` was read under a bound (or is too long to keep), so it may be cut
        and counts as a refusal: the output taking it is not settled either."""
        if not settled:
            self.refusals += 1
        notes = self.noted.get(key)
        if notes:
            self.take(notes)
        return self.texts[key]


@dataclass(slots=True)
class _Reading:
    """Where a walk stood when it started reading one output (:meth:`SettledTexts.start`)."""

    key: OutputKey
    steps: int
    made: int
    refusals: int
    outer_deepest: int


class SettledTexts:
    """The settled texts of one graph's walks, by node output (see the module's docstring).

    Invariant: a text is kept only when its reading met no bound, and every part it took was settled
    itself (a part taken again from the walk's own :attr:`TextWalk.texts` that is not settled counts
    as a refusal), so it equals what an unbounded reading of the graph gives, and its notes are all
    those of the parts it took. At most ``SETTLED_TEXT_CHARACTERS`` characters are kept in all.
    """

    __slots__ = ("_kept", "_room")

    def __init__(self) -> None:
        self._kept: dict[OutputKey, SettledText] = {}
        self._room = SETTLED_TEXT_CHARACTERS

    def get(self, key: OutputKey) -> SettledText | None:
        return self._kept.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._kept

    @staticmethod
    def start(key: OutputKey, walk: TextWalk) -> _Reading:
        """Note where ``walk`` stands as it starts reading ``key`` (just entered)."""
        reading = _Reading(key, walk.steps - 1, walk.made, walk.refusals, walk.deepest)
        walk.deepest = len(walk.open)
        return reading

    def finish(self, reading: _Reading, text: str | None, notes: Notes, walk: TextWalk) -> None:
        """Settle ``text`` (with ``notes``) as what ``reading.key`` carries if its reading met no bound
        (and there is room); ``walk`` has closed the key (:meth:`TextWalk.end`)."""
        depth = walk.deepest - len(walk.open)
        walk.deepest = max(reading.outer_deepest, walk.deepest)
        size = len(text) if text is not None else 0
        if walk.refusals != reading.refusals or size > self._room:
            return
        self._room -= size
        self._kept[reading.key] = SettledText(
            text, walk.steps - reading.steps, depth, walk.made - reading.made, tuple(notes.items())
        )


def joined_length(parts: list[str], separator: str) -> int:
    """``len(separator.join(parts))``, without joining."""
    return sum(map(len, parts)) + len(separator) * max(len(parts) - 1, 0)


def replaced_length(text: str, find: str, replacement: str) -> int:
    """``len(text.replace(find, replacement))``, without replacing."""
    return len(text) + text.count(find) * (len(replacement) - len(find))
