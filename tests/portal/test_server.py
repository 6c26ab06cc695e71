"""The portal process's web server: it starts inside the service loop and, stopped, lets go of its port."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from services import registry
from services.portal.server import PortalApp
from tests.conftest import free_port


async def test_a_stopped_portal_lets_go_of_its_web_port(tmp_path: Path) -> None:
    port = free_port()
    app = registry.entry("portal").build(
        var_dir=tmp_path,
        grpc_port=0,
        http_port=port,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
    )
    assert isinstance(app, PortalApp)
    await app.start()
    async with httpx.AsyncClient() as web:
        assert (await web.get(f"http://127.0.0.1:{port}/healthz")).text == "ok"
    await app.stop()
    with socket.socket() as again:  # the port is free again
        again.bind(("127.0.0.1", port))
