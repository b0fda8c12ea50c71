"""``multipart/form-data`` requests to ``/graphql``: the GraphQL multipart request spec, with limits.

A multipart request carries an ``operations`` field (the usual JSON request, with ``null`` where each
file goes), a ``map`` field (``{"0": ["variables.files.0"], ...}``) and one file part per map key
(https://github.com/jaydenseric/graphql-multipart-request-spec). Only uploads use it.

Limits (:class:`UploadLimits`, from ``ATELIER_UPLOAD_*`` settings), enforced while the body streams
in, never after holding it: the whole body (``Content-Length`` first, then counted), each file part,
and the number of file parts; any of them answers 413 ``PAYLOAD_TOO_LARGE`` with a message naming
the limit, before a resolver runs (nothing is stored). File parts are spooled by Starlette (1 MiB in
memory, the rest in a temporary file) and closed once the response is sent. The ``operations`` and
``map`` fields are JSON under the same checks as a JSON body (size, nesting); a map that does not fit
``operations`` or names a file part the request lacks is a 400 ``BAD_REQUEST`` saying which.

Who may send one: a multipart body is read only for a token holding ``library:write`` (the scope
of every field that takes files); anonymous requests get 401 ``UNAUTHENTICATED`` and other tokens
403 ``FORBIDDEN`` before a byte of the body is read, so nobody else can make the server spool files.

CSRF: a browser can post a multipart form across sites without a preflight, but it cannot add an
``Authorization`` header to it, and that header is the only way this API authenticates (no cookies):
a forged upload is anonymous and refused.
"""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from cross_web.request import StarletteRequestAdapter
from cross_web.request._base import FormData as AdapterFormData
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response

from api.graphql import error_codes
from api.graphql.http_guard import MAX_BODY_BYTES, GuardedGraphQL, Receive, Scope, Send, error_response
from api.graphql.permissions import AUTHENTICATION_REQUIRED, LIBRARY_WRITE
from catalog.accounts.service import AuthenticatedPrincipal
from catalog.settings import AtelierSettings

MAX_FORM_FIELDS = 8
"""The spec needs two non-file fields (``operations``, ``map``); a few more are tolerated."""
_FORM_KEY = "atelier.upload_form"
"""Where the parsed form waits in the ASGI scope to be closed after the response."""
_LIMITS_KEY = "atelier.upload_limits"
"""Where the request's :class:`UploadLimits` are in the ASGI scope, for the request adapter."""


@dataclass(frozen=True, slots=True)
class UploadLimits:
    max_file_bytes: int
    max_request_bytes: int
    max_files: int

    @classmethod
    def from_settings(cls, settings: AtelierSettings) -> UploadLimits:
        return cls(
            max_file_bytes=settings.upload_max_file_bytes,
            max_request_bytes=settings.upload_max_request_bytes,
            max_files=settings.upload_max_files,
        )


def is_multipart(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return bool(value.decode("latin-1").strip().lower().startswith("multipart/form-data"))
    return False


class _LimitedParser(MultiPartParser):
    """Starlette's parser, refusing (413) a file part past ``max_file_bytes`` or one file too many."""

    def __init__(self, request: Request, stream: Any, limits: UploadLimits) -> None:
        super().__init__(
            request.headers,
            stream,
            max_files=float("inf"),
            max_fields=MAX_FORM_FIELDS,
            max_part_size=MAX_BODY_BYTES,
        )
        self._limits = limits
        self._file_count = 0
        self._file_bytes = 0

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        self._file_bytes = 0
        if self._current_part.file is not None:
            self._file_count += 1
            if self._file_count > self._limits.max_files:
                raise HTTPException(
                    413, f"A multipart request carries at most {self._limits.max_files} files."
                )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current_part
        if part.file is not None:
            self._file_bytes += end - start
            if self._file_bytes > self._limits.max_file_bytes:
                raise HTTPException(
                    413,
                    f"The file `{part.file.filename}` is larger than {self._limits.max_file_bytes:,} bytes "
                    "(the limit per uploaded file).",
                )
        super().on_part_data(data, start, end)


class _UploadRequestAdapter(StarletteRequestAdapter):
    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self._starlette_request = request

    async def get_form_data(self) -> AdapterFormData:
        request = self._starlette_request
        async with aclosing(request.stream()) as stream:
            parser = _LimitedParser(request, stream, request.scope[_LIMITS_KEY])
            try:
                form = await parser.parse()
            except MultiPartException as error:
                raise HTTPException(400, f"The multipart body cannot be read: {error.message}") from error
        request.scope[_FORM_KEY] = form
        return AdapterFormData(files=form, form=form)


class UploadingGraphQL(GuardedGraphQL):
    """:class:`GuardedGraphQL` that also takes multipart requests (uploads) under :class:`UploadLimits`."""

    request_adapter_class = _UploadRequestAdapter

    def __init__(self, *args: Any, upload_limits: UploadLimits, **kwargs: Any) -> None:
        kwargs["multipart_uploads_enabled"] = True
        super().__init__(*args, **kwargs)
        self.upload_limits = upload_limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[_LIMITS_KEY] = self.upload_limits
            if is_multipart(scope) and scope.get("method") == "POST":
                refusal = await self.refuse_upload(Request(scope))
                if refusal is not None:  # answered before a byte of the body is read
                    await refusal(scope, receive, send)
                    return
        try:
            await super().__call__(scope, receive, send)
        finally:
            form: FormData | None = scope.pop(_FORM_KEY, None) if scope["type"] == "http" else None
            if form is not None:
                await form.close()

    async def refuse_upload(self, request: Request) -> Response | None:
        """A refusal to send before reading a multipart body, or ``None`` to read it (the default);
        the app refuses requests whose token may not upload (:func:`upload_refusal`)."""
        return None

    def body_limit(self, scope: Scope) -> tuple[int, str]:
        if is_multipart(scope):
            return self.upload_limits.max_request_bytes, "the limit for a multipart upload request"
        return super().body_limit(scope)

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, Any]:
        """``operations`` with each file placed where ``map`` says (the spec), or a 400 saying what
        does not fit."""
        form = (await request.get_form_data()).form
        operations_text, map_text = form.get("operations"), form.get("map")
        if not isinstance(operations_text, str) or not isinstance(map_text, str):
            raise HTTPException(
                400,
                "A multipart GraphQL request needs the form fields `operations` (the request's JSON) and "
                "`map` (which file goes where), before the files (GraphQL multipart request spec).",
            )
        operations = self.parse_json(operations_text)
        files_map = self.parse_json(map_text)
        if not isinstance(files_map, dict) or not all(
            isinstance(paths, list) and all(isinstance(path, str) for path in paths)
            for paths in files_map.values()
        ):
            raise HTTPException(
                400, 'The multipart `map` must be an object of lists of paths: {"0": ["variables.file"]}.'
            )
        for key, paths in files_map.items():
            upload = form.get(key)
            if not isinstance(upload, UploadFile):
                raise HTTPException(
                    400, f"The multipart `map` names the file `{key}`, which the request lacks."
                )
            for path in paths:
                _place(operations, path, upload)
        if not isinstance(operations, dict):
            raise HTTPException(400, "Batched multipart requests are not supported: send one operation.")
        return operations


def upload_refusal(principal: AuthenticatedPrincipal | None) -> Response | None:
    """Why a multipart body from ``principal`` is not even read: anonymous (401 ``UNAUTHENTICATED``)
    or a token without ``library:write`` (403 ``FORBIDDEN``), which every field taking files needs;
    ``None`` when it may upload."""
    if principal is None:
        refusal = error_response(401, AUTHENTICATION_REQUIRED, error_codes.UNAUTHENTICATED)
        refusal.headers["WWW-Authenticate"] = "Bearer"
        return refusal
    if LIBRARY_WRITE not in principal.scopes:
        return error_response(
            403, f"This token lacks the `{LIBRARY_WRITE}` scope (needed to upload).", error_codes.FORBIDDEN
        )
    return None


def _place(operations: object, path: str, upload: UploadFile) -> None:
    """Put ``upload`` at ``path`` (``variables.files.0``) in ``operations``; the containers on the way
    must exist (the spec has the client put ``null`` where each file goes)."""
    keys = path.split(".")
    if "variables" not in keys[:2]:
        raise HTTPException(
            400, f"The multipart `map` path `{path}` is not inside the operation's variables."
        )
    target: object = operations
    for position, key in enumerate(keys):
        last = position == len(keys) - 1
        index = _list_index(key, len(target)) if isinstance(target, list) else None
        if isinstance(target, list) and index is not None:
            if last:
                target[index] = upload
            else:
                target = target[index]
        elif isinstance(target, dict) and (last or key in target):
            if last:
                target[key] = upload
            else:
                target = target[key]
        else:
            raise HTTPException(400, f"The multipart `map` path `{path}` does not fit `operations`.")


def _list_index(key: str, length: int) -> int | None:
    """``key`` as a position in a list of ``length`` items, or ``None``: only plain ASCII decimal
    digits count (``str.isdigit`` also takes ``²`` and ``١``, which are no index a client means) and
    at most 18 of them, so ``int`` never meets a number past its digit limit."""
    if not (key.isascii() and key.isdigit()) or len(key) > 18:
        return None
    index = int(key)
    return index if index < length else None
