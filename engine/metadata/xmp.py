"""Light XMP field lookup by pattern (no XML parser: no entity expansion, no network, linear time).

Finds ``prefix:Name`` either as an attribute (``prefix:Name="…"``) or as an element, taking the
first ``rdf:li`` when the element holds an ``rdf:Alt``/``rdf:Seq``/``rdf:Bag``. XML character
references and the five predefined entities are decoded; nothing else is expanded.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

_LI = re.compile(r"<rdf:li\b[^>]*>(.*?)</rdf:li>", re.DOTALL)


@lru_cache(maxsize=64)
def _patterns(name: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    escaped = re.escape(name)
    attribute = re.compile(rf"\b{escaped}\s*=\s*\"([^\"]*)\"")
    element = re.compile(rf"<{escaped}\b[^>]*?(?:/>|>(.*?)</{escaped}>)", re.DOTALL)
    return attribute, element


def xmp_value(xmp: str | None, name: str) -> str | None:
    """The text of XMP property ``name`` (e.g. ``xmp:CreatorTool``), or ``None``."""
    if not xmp or name not in xmp:
        return None
    attribute, element = _patterns(name)
    match = element.search(xmp)
    if match is not None and match.group(1) is not None:
        inner = match.group(1)
        item = _LI.search(inner)
        text = item.group(1) if item else inner
        if "<" not in text:
            return html.unescape(text.strip()) or None
    match = attribute.search(xmp)
    if match is not None:
        return html.unescape(match.group(1)) or None
    return None
