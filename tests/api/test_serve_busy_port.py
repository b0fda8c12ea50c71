"""``atelier serve`` on a port something else holds says so, and never that it is ready.

The "Atelier is ready" banner (token, curl example) was printed before uvicorn bound its socket, so a
busy port printed it and then exited with the bind error. It is now printed once the port is bound.
"""

from __future__ import annotations

import socket

from catalog.settings import AtelierSettings
from tests.api.conftest import run_atelier


async def test_a_busy_port_is_an_error_without_the_ready_banner(settings: AtelierSettings) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = await run_atelier(settings, "serve", "--host", "127.0.0.1", "--port", str(port))
    output = result.stdout + result.stderr
    assert result.code != 0, output
    assert "address already in use" in output
    assert "Atelier is ready" not in output
