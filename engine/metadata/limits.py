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

MAX_GRAPH_NODES = 5000
"""Largest ComfyUI API graph walked; bigger graphs keep only what the text fields give."""

MAX_EXIF_ENTRIES = 1000
"""Most IFD entries read from one IFD."""
