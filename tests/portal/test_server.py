"""The portal process's web server: it starts inside the service loop and, stopped, lets go of its port."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from services import registry
from services.portal.server import PortalApp
from tests.conftest import free_port

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


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
    # asyncio turns Nagle off only on sockets whose proto says TCP; with proto 0 every response written in two
    # parts (headers, then a file) stalled 40 ms on a delayed ACK (bench/portal.py: 44 ms a static file).
    assert app._socket is not None and app._socket.proto == socket.IPPROTO_TCP
    async with httpx.AsyncClient() as web:
        assert (await web.get(f"http://127.0.0.1:{port}/healthz")).text == "ok"
    await app.stop()
    with socket.socket() as again:  # the port is free again
        again.bind(("127.0.0.1", port))


async def test_a_session_is_found_until_it_expires_and_not_after(tmp_path: Path) -> None:
    from services.kit.db import Database
    from services.portal.persistence import MIGRATIONS
    from services.portal.persistence.repository import PortalRepository
    from services.portal.persistence.tables import SessionRow

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}")
    await db.migrate(MIGRATIONS, "portal")
    repo = PortalRepository(db)
    ends = NOW + timedelta(minutes=60)
    row = SessionRow(sid_hash="h" * 64, csrf="c", subject="claim", ref="RMA-A", created_at=NOW, expires_at=ends)
    await repo.add_session(row)
    assert (await repo.session("h" * 64, ends - timedelta(microseconds=1))) is not None
    assert (await repo.session("h" * 64, ends)) is None
    assert (await repo.session("x" * 64, NOW)) is None
    await db.dispose()
