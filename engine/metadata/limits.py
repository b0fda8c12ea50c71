"""Hard bounds that keep one hostile file from costing more than a bounded amount of work.

All sizes are in bytes. A value over a bound is skipped (and noted in ``RawMetadata.errors``), the
rest of the file is still read.
"""

from __future__ import annotations

MAX_TEXT_BYTES = 8 * 1024 * 1024
"""Largest text value kept, compressed or not (zTXt/iTXt inflate is cut at this size: bomb guard)."""

MAX_INFLATE_TOTAL_BYTES = 32 * 1024 * 1024
"""Most bytes inflated from all compressed chunks of one file together (many small bombs)."""

MAX_JSON_DEPTH = 64
"""Deepest JSON nesting a tool reader accepts before treating the document as malformed."""

MAX_JSON_CONTAINERS = 250_000
"""Most arrays and objects in one JSON document a tool reader parses (``[`` and ``{`` counted, those
inside strings too: an upper bound); a document with more is treated as malformed. Each costs the parse
56 to 230 bytes (an empty list, a one-key object) for the 3 to 8 characters it is written in: 8 MB of
nested ``[[…]]`` (a zTXt of a few kB) held 350 MB, and InvokeAI metadata and graph of 8 MB each, read
together, 400 MB. The largest real metadata seen (a ComfyUI workflow of 50 kB) holds about 1,000; a
graph of :data:`MAX_GRAPH_NODES` nodes some 30,000 to 150,000."""

MAX_JSON_ITEMS = 1_000_000
"""Most commas in one JSON document a tool reader parses (an upper bound on its array items and object
members, commas in strings counted too); a document with more is treated as malformed. A string item
costs the parse some 60 bytes for the 5 characters of ``"ab",``: InvokeAI metadata and graph of 8 MB
of them each, read together, held 213 MB. Real metadata holds a few thousand."""

MAX_GRAPH_NODES = 5000
"""Largest ComfyUI API graph walked; bigger graphs keep only what the text fields give."""

MAX_LORAS = 1000
"""Most LoRA references a tool reader takes from one text or list (the tags of a prompt, the items of a
``loras`` field); the rest are ignored. Real files name a few dozen at most, but a zTXt of a few kB holds
8 MB of ``<lora:a:1>`` tags or a comma-separated list of a million names: a reference for each took 2 to
5 s and up to 290 MB."""

MAX_TEXT_FIELDS = 1000
"""Most fields a tool reader takes from one text it splits itself (a Mochi Diffusion caption's ``Key:
value`` fields or lines, a Midjourney prompt's ``--parameters``); those after are ignored and the text
after them is never split. Real texts hold a few dozen at most (Mochi Diffusion writes 21 keys,
Midjourney has some 30 parameters), but a compressed XMP or zTXt of a few kB holds 8 MB of ``; Date: ``
or ``--a``: a field for each took 1 to 1.6 s and up to 160 MB."""

MAX_EXIF_ENTRIES = 1000
"""Most IFD entries read from one IFD."""

MAX_TEXT_TOTAL_BYTES = 16 * 1024 * 1024
"""Most text kept from one file, all values together (PNG text chunks and XMP, JPEG comments and IPTC),
in characters (never more than the bytes they were read from). Each value is bounded by
:data:`MAX_TEXT_BYTES`, but a file of many values was kept whole: 60 tEXt chunks of 1 MB cost an
import 1.6 GB and 11 s (the texts go to ``extra``, serialised and stored). Values past the bound are
skipped with a note; the ones met first are kept."""

MAX_METADATA_ERRORS = 100
"""Most notes in one record's ``extra["metadata_errors"]``; one more says that others were left out.
Each note was checked against all the others before being added: 100,000 corrupt zTXt chunks (a 2.7 MB
PNG) took over a minute."""
