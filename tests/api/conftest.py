"""An in-process ASGI client for the real app (lifespan run, real database) and authenticated users."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.context import utc_now
from catalog.accounts import service as accounts
from catalog.database import SessionFactory, unit_of_work
from catalog.settings import AtelierSettings


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def query(self, document: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": document, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@asynccontextmanager
async def app_http(
    settings: AtelierSettings,
    *,
    raise_app_exceptions: bool = True,
    clock: Callable[[], datetime] = utc_now,
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the real app in this process, its lifespan (pools, arq) running meanwhile.
    ``raise_app_exceptions=False``: a crash comes back as the 500 a real client would see.
    ``clock``: the app's time source (a fixed instant for tests of "today")."""
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url="http://atelier.test") as http:
            yield http


@pytest.fixture
async def client(settings: AtelierSettings) -> AsyncIterator[GraphQLClient]:
    async with app_http(settings) as http:
        yield GraphQLClient(http)


async def make_user_with_token(factory: SessionFactory, handle: str, scopes: list[str] | None = None) -> str:
    async with unit_of_work(factory) as session:
        await accounts.get_or_create_user(session, handle)
        issued = await accounts.issue_token(session, handle, scopes=scopes)
    return issued.plaintext


ATELIER = Path(sys.executable).with_name("atelier")


def modules_imported_by(*args: str, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """``atelier *args`` run under ``python -X importtime`` (must exit 0): the modules it imported and
    its stdout, so a test can hold a command's start-up to what it needs."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(ATELIER), *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    return imported, result.stdout


@dataclass(frozen=True)
class CommandResult:
    code: int
    stdout: str
    stderr: str


def atelier_env(settings: AtelierSettings, **overrides: str) -> dict[str, str]:
    """The environment of an ``atelier`` subprocess against the test's database, Redis and home
    (offline models, wide enough for whole problem lines), with ``overrides`` on top."""
    return (
        os.environ
        | {
            "DATABASE_URL": settings.database_url or "",
            "REDIS_URL": settings.redis_url or "",
            "ATELIER_HOME": str(settings.home),
            "HF_HUB_OFFLINE": "1",
            "COLUMNS": "200",
        }
        | overrides
    )


async def run_atelier(settings: AtelierSettings, *args: str, **environment: str) -> CommandResult:
    """The installed ``atelier`` entry point, as a user runs it, against the test's database and Redis
    (``environment``: variables set on top)."""
    env = atelier_env(settings, **environment)
    process = await asyncio.create_subprocess_exec(
        str(ATELIER), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return CommandResult(process.returncode, stdout.decode(), stderr.decode())


async def start_serve(
    env: dict[str, str], port: int, *args: str, stderr: int = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """``atelier serve --port PORT *args`` as a real process in ``env`` (stdout discarded; stderr piped,
    or as given)."""
    return await asyncio.create_subprocess_exec(
        str(ATELIER),
        "serve",
        "--port",
        str(port),
        *args,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=stderr,
    )


@pytest.fixture
async def lenient_http(settings: AtelierSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app over HTTP where a crash comes back as the 500 a real client would see (instead of
    the exception), so tests can assert on status codes of requests meant to break things."""
    async with app_http(settings, raise_app_exceptions=False) as http:
        yield http


def free_port() -> int:
    """A loopback port nobody listens on right now (for a server the test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until_healthy(base_url: str, process: asyncio.subprocess.Process) -> None:
    """Wait until ``atelier serve`` at ``base_url`` answers ``/healthz`` (the test timeout bounds it)."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        while process.returncode is None:
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"serve exited with {process.returncode} before it was healthy")
