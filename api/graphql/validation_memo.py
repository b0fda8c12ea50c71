"""Which documents passed validation already, so a repeated one is not validated again; and a parse
cache that leaves failures to strawberry.

Validating a page's document (graphql-core's rules plus ours: depth, aliases, storable literals, one
operation) cost about as much as resolving it; a client sends the same few documents over and over.
A document is remembered, by the SHA-256 of its text and the ``operationName`` the client sent, only
after it validated with no error under this schema's rules; invalid documents are validated every
time (their errors are built per request). What validation cannot know from the text — the variables'
values — is checked per request, whatever the memo says (:mod:`api.graphql.request_checks`).

Invariant: one memo per schema (the rules are fixed when the schema is built); bounded to
:data:`REMEMBERED_DOCUMENTS` entries, least recently used first out. Used from one event loop: reads
and writes happen between awaits, never concurrently.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator

from strawberry.extensions import ParserCache

REMEMBERED_DOCUMENTS = 512


class ValidDocuments:
    def __init__(self, capacity: int = REMEMBERED_DOCUMENTS) -> None:
        self._capacity = capacity
        self._known: OrderedDict[tuple[bytes, str | None], None] = OrderedDict()

    @staticmethod
    def key(query: str, operation_name: str | None) -> tuple[bytes, str | None]:
        return hashlib.sha256(query.encode("utf-8", errors="surrogatepass")).digest(), operation_name

    def __contains__(self, key: tuple[bytes, str | None]) -> bool:
        if key not in self._known:
            return False
        self._known.move_to_end(key)
        return True

    def add(self, key: tuple[bytes, str | None]) -> None:
        self._known[key] = None
        self._known.move_to_end(key)
        while len(self._known) > self._capacity:
            self._known.popitem(last=False)


class ParsedDocuments(ParserCache):
    """strawberry's ``ParserCache`` (LRU by the document's text), except that a document that fails to
    parse is left to strawberry's own parsing step, which reports it as a request error (a failure
    raised from the extension would not be one, and failures are not cached anyway)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        except Exception:
            context.graphql_document = None
        yield
