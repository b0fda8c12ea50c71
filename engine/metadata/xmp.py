"""Light XMP field lookup (no XML parser: no entity expansion, no network, linear time).

Finds ``prefix:Name`` either as an attribute (``prefix:Name="…"``) or as an element, taking the
first ``rdf:li`` when the element holds an ``rdf:Alt``/``rdf:Seq``/``rdf:Bag``. XML character
references and the five predefined entities are decoded; nothing else is expanded.
"""

from __future__ import annotations

import html

_SEPARATORS = frozenset(" \t\r\n/>")

_last_document: tuple[str, dict[str, str | None]] = ("", {})
"""The XMP document read last (by identity) and the values read from it: every reader of one file is
handed the same ``raw.xmp`` string, and several ask for the same property (``dc:description``: the
A1111, Mochi Diffusion and Draw Things readers), whose decoding is the costly part (8 MB of character
references: ~1.3 s of CPU). One entry only, so at most one document (≤ ``MAX_TEXT_BYTES``) and its
values stay alive between files. Thread-safe without a lock: the pair is replaced whole, and a reader
that finds another document's pair reads its value itself."""


def xmp_value(xmp: str | None, name: str) -> str | None:
    """The text of XMP property ``name`` (e.g. ``xmp:CreatorTool``), or ``None``.

    Uses ``str.find`` only (no backtracking regex), so hostile XMP costs linear time; each property of
    one document is found and decoded once however many readers ask for it (``_last_document``).
    """
    global _last_document
    if not xmp or name not in xmp:
        return None
    document, values = _last_document
    if document is not xmp:
        values = {}
        _last_document = (xmp, values)
    if name not in values:
        values[name] = _read_value(xmp, name)
    return values[name]


def _read_value(xmp: str, name: str) -> str | None:
    element = _element_text(xmp, name)
    if element is not None:
        return element
    attribute = f"{name}="
    pos = xmp.find(attribute)
    while pos >= 0:
        value_start = pos + len(attribute)
        if (pos == 0 or xmp[pos - 1] in " \t\r\n") and xmp[value_start : value_start + 1] in ('"', "'"):
            quote = xmp[value_start]
            value_end = xmp.find(quote, value_start + 1)
            if value_end < 0:
                return None
            return html.unescape(xmp[value_start + 1 : value_end]) or None
        pos = xmp.find(attribute, pos + 1)
    return None


def _element_text(xmp: str, name: str) -> str | None:
    open_tag = f"<{name}"
    start = xmp.find(open_tag)
    while start >= 0:
        after = start + len(open_tag)
        if xmp[after : after + 1] and xmp[after] in _SEPARATORS:
            open_end = xmp.find(">", after)
            if open_end < 0 or xmp[open_end - 1] == "/":
                return None
            close = xmp.find(f"</{name}>", open_end)
            if close < 0:
                return None
            inner = xmp[open_end + 1 : close]
            item = inner.find("<rdf:li")
            if item >= 0:
                item_open_end = inner.find(">", item)
                item_close = inner.find("</rdf:li>", item_open_end)
                if item_open_end < 0 or item_close < 0:
                    return None
                inner = inner[item_open_end + 1 : item_close]
            if "<" in inner:
                return None
            return html.unescape(inner.strip()) or None
        start = xmp.find(open_tag, after)
    return None
