"""A real HTTP server on loopback that speaks the OpenAI Chat Completions API, scripted per request.

Used by tests of the LLM client, the curator and the worker (which may run in another process: it is a
real socket server, on ``127.0.0.1`` and a free port, serving from a background thread)::

    with ScriptedOpenAIServer() as server:
        server.script(Fail.rate_limited(retry_after_seconds=1), Reply({"title": …}))
        ... OPENAI_BASE_URL=server.base_url ...
        assert server.requests[0].response_format_type == "json_schema"

Endpoints: ``POST /v1/chat/completions`` and ``GET /v1/models``. Each chat request takes the next
scripted action (or ``default_action`` when the script is empty) and is recorded, with its JSON body,
before it is answered, so tests can assert the messages, image parts and ``response_format`` sent.
Server-wide switches model a server's capabilities without using up the script:
``rejected_response_formats`` (e.g. ``{"json_schema"}`` → a 400 naming response_format) and
``required_api_key`` (a wrong bearer token → 401).

Actions: :class:`Reply` (content — text or a dict sent as JSON text — usage, model), :class:`Fail`
(any status, optional headers such as Retry-After), :class:`Stall` (sleep, then another action),
:class:`Hang` (until :meth:`ScriptedOpenAIServer.release` or stop), :class:`Disconnect` (close without
answering), :class:`RawResponse` (any bytes, for garbled bodies). Stopping the server releases every
stalled or hung request and closes every connection, so a test never waits on a leftover.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

DEFAULT_REFLECTION: dict[str, Any] = {
    "title": "An evening of neon rain",
    "summary": "You explored a rainy street at night, refining the light from one prompt to the next.",
    "style_patterns": ["Cool teal light against warm signage."],
    "evolution_notes": ["The prompt gained reflections on wet asphalt as the session went on."],
}


@dataclass(frozen=True)
class Reply:
    """A 200 Chat Completions answer. ``content`` as text is sent verbatim (malformed JSON included);
    a dict is sent as JSON text. ``model=None`` echoes the requested model."""

    content: str | Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_REFLECTION))
    prompt_tokens: int = 100
    completion_tokens: int = 50
    model: str | None = None
    finish_reason: str = "stop"
    include_usage: bool = True


@dataclass(frozen=True)
class Fail:
    """An error answer in OpenAI's error shape: ``{"error": {"message", "type", "code"}}``."""

    status: int
    message: str = "scripted failure"
    headers: Mapping[str, str] = field(default_factory=dict)
    error_type: str = "server_error"
    code: str | None = None

    @classmethod
    def rate_limited(
        cls, retry_after_seconds: float | None = None, retry_after_ms: int | None = None
    ) -> Fail:
        headers: dict[str, str] = {}
        if retry_after_seconds is not None:
            headers["retry-after"] = f"{retry_after_seconds:g}"
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        return cls(
            429, "Rate limit reached; please slow down.", headers, "rate_limit_error", "rate_limit_exceeded"
        )

    @classmethod
    def server_error(cls, status: int = 500) -> Fail:
        return cls(
            status, "The server had an error while processing your request.", error_type="server_error"
        )

    @classmethod
    def unauthorized(cls) -> Fail:
        return cls(
            401, "Incorrect API key provided.", error_type="invalid_request_error", code="invalid_api_key"
        )

    @classmethod
    def bad_request(cls, message: str = "Invalid request.") -> Fail:
        return cls(400, message, error_type="invalid_request_error")

    @classmethod
    def response_format_unsupported(cls, kind: str = "json_schema") -> Fail:
        return cls.bad_request(f"Invalid parameter: 'response_format' of type '{kind}' is not supported.")


@dataclass(frozen=True)
class Stall:
    """Sleep ``seconds`` (longer than the client's timeout, typically), then perform ``then`` (or the
    default action). The client usually gave up meanwhile; writing to it then is silently skipped."""

    seconds: float
    then: Action | None = None


@dataclass(frozen=True)
class Hang:
    """Hold the request until :meth:`ScriptedOpenAIServer.release` (then perform ``then`` or the default
    action) or until the server stops (then close without answering)."""

    then: Action | None = None


@dataclass(frozen=True)
class Disconnect:
    """Close the connection without answering (the client sees a connection error)."""


@dataclass(frozen=True)
class RawResponse:
    """Exactly these bytes as the body, e.g. HTML from a proxy or a cut-off JSON document."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"


Action = Reply | Fail | Stall | Hang | Disconnect | RawResponse
Responder = Callable[["RecordedRequest"], Action]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received, in arrival order."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any
    received_at: float  # time.monotonic()

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def response_format(self) -> dict[str, Any] | None:
        return self.body.get("response_format") if isinstance(self.body, dict) else None

    @property
    def response_format_type(self) -> str | None:
        """``json_schema``, ``json_object``, ``text`` or ``None`` when absent."""
        return (self.response_format or {}).get("type")

    def content_parts(self) -> Iterator[dict[str, Any]]:
        for message in self.messages:
            content = message.get("content")
            if isinstance(content, list):
                yield from (part for part in content if isinstance(part, dict))

    @property
    def image_urls(self) -> list[str]:
        """Every ``image_url`` part's URL (data URLs included), in message order."""
        return [
            part["image_url"]["url"]
            for part in self.content_parts()
            if part.get("type") == "image_url" and isinstance(part.get("image_url"), dict)
        ]

    def text(self) -> str:
        """All message text, joined: for asserting what the model was told."""
        pieces: list[str] = []
        for message in self.messages:
            content = message.get("content")
            if isinstance(content, str):
                pieces.append(content)
        pieces.extend(
            str(part.get("text", "")) for part in self.content_parts() if part.get("type") == "text"
        )
        return "\n".join(pieces)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: ScriptedOpenAIServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.owner = owner
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class ScriptedOpenAIServer:
    """See the module docstring. Thread-safe: the script and records are guarded by one lock."""

    def __init__(
        self,
        *,
        default_action: Action | Responder | None = None,
        rejected_response_formats: set[str] | None = None,
        required_api_key: str | None = None,
        models: tuple[str, ...] = ("scripted-curator",),
    ) -> None:
        self.default_action: Action | Responder = default_action or Reply()
        self.rejected_response_formats: set[str] = set(rejected_response_formats or ())
        self.required_api_key = required_api_key
        self.models = models
        self.requests: list[RecordedRequest] = []
        self._script: deque[Action] = deque()
        self._lock = threading.Condition()
        self._release = threading.Event()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --

    def start(self) -> ScriptedOpenAIServer:
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="scripted-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: releases stalled and hung requests, closes open connections. Idempotent."""
        if self._server is None:
            return
        self._stopping.set()
        self._release.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> ScriptedOpenAIServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What ``OPENAI_BASE_URL`` should be: ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting --

    def script(self, *actions: Action) -> None:
        """Queue actions, one per upcoming chat request."""
        with self._lock:
            self._script.extend(actions)

    @property
    def pending_actions(self) -> int:
        with self._lock:
            return len(self._script)

    def release(self) -> None:
        """Let every request held by :class:`Hang` (now or later) proceed."""
        self._release.set()

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def wait_for_requests(self, count: int, timeout_seconds: float = 10.0) -> list[RecordedRequest]:
        """Block until ``count`` chat requests arrived (e.g. a worker process is now mid-call)."""
        deadline = time.monotonic() + timeout_seconds
        with self._lock:
            while len(self.chat_requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.chat_requests)} of {count} chat requests arrived")
                self._lock.wait(left)
            return self.chat_requests

    # -- used by the handler --

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()

    def _record_and_choose(self, request: RecordedRequest) -> Action:
        self._record(request)
        with self._lock:
            rejected = self._rejected_format(request)
            if rejected is not None:
                return rejected
            if self.required_api_key is not None and request.headers.get("authorization") != (
                f"Bearer {self.required_api_key}"
            ):
                return Fail.unauthorized()
            if self._script:
                return self._script.popleft()
            default = self.default_action
        return default(request) if callable(default) else default

    def _rejected_format(self, request: RecordedRequest) -> Fail | None:
        kind = request.response_format_type
        if kind is None or kind not in self.rejected_response_formats:
            return None
        return Fail.response_format_unsupported(kind)

    def _resolve(self, action: Action | None, request: RecordedRequest) -> Action:
        if action is not None:
            return action
        default = self.default_action
        return default(request) if callable(default) else default


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        if self.path.rstrip("/").endswith("/models"):
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "atelier-tests"} for m in owner.models
            ]
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_json(404, _error_body("Not found.", "invalid_request_error", None))

    def do_POST(self) -> None:
        owner = self.server.owner
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        request = RecordedRequest(
            method="POST",
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            received_at=time.monotonic(),
        )
        if not self.path.rstrip("/").endswith("/chat/completions"):
            owner._record(request)
            self._send_json(404, _error_body("Not found.", "invalid_request_error", None))
            return
        self._perform(owner._record_and_choose(request), request)

    def _perform(self, action: Action, request: RecordedRequest) -> None:
        owner = self.server.owner
        try:
            if isinstance(action, Stall):
                if owner._stopping.wait(action.seconds):
                    return self._drop()
                return self._perform(owner._resolve(action.then, request), request)
            if isinstance(action, Hang):
                owner._release.wait()
                if owner._stopping.is_set():
                    return self._drop()
                return self._perform(owner._resolve(action.then, request), request)
            if isinstance(action, Disconnect):
                return self._drop()
            if isinstance(action, RawResponse):
                return self._send(action.status, action.body, action.content_type)
            if isinstance(action, Fail):
                return self._send_json(
                    action.status, _error_body(action.message, action.error_type, action.code), action.headers
                )
            return self._send_json(200, _completion_body(action, request))
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client gave up (timeout): nothing to answer to

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), "application/json", headers)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


def _error_body(message: str, error_type: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


def _completion_body(reply: Reply, request: RecordedRequest) -> dict[str, Any]:
    content = reply.content if isinstance(reply.content, str) else json.dumps(dict(reply.content))
    body: dict[str, Any] = {
        "id": f"chatcmpl-scripted-{int(request.received_at * 1e6)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": reply.model or request.model or "scripted-curator",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
    }
    if reply.include_usage:
        body["usage"] = {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        }
    return body
