"""The whole system as `make run` starts it, in a scratch directory, for the benchmarks that need all of it
(bench/claims.py, bench/notifications.py). On SQLite by default; given a PostgreSQL server URL, each service gets
its own scratch database there, dropped afterwards."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli import dev  # noqa: E402
from services import registry  # noqa: E402


@asynccontextmanager
async def scratch_postgres(server_url: str, names: Iterable[str]) -> AsyncIterator[dict[str, str]]:
    """A scratch database per name on the PostgreSQL server, dropped afterwards; each one's URL by name."""
    server = make_url(server_url)
    urls: dict[str, str] = {}
    try:
        for name in names:
            database = f"aftercare_bench_{name}_{os.getpid()}"
            await _admin(server, f'CREATE DATABASE "{database}"')
            urls[name] = server.set(database=database).render_as_string(hide_password=False)
        yield urls
    finally:
        for url in urls.values():
            await _admin(server, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@asynccontextmanager
async def running(var: Path, postgres: str | None = None) -> AsyncIterator[dict[str, str]]:
    """Start Temporal, the sinks, every service and the claims worker; yield each service's database URL."""
    (var / "logs").mkdir(exist_ok=True)
    plan = dev.processes(var)
    busy = [port for p in plan for port in p.ports if not dev._port_free(port)]
    if busy:
        raise SystemExit(f"ports in use: {busy}; stop `make run` first")
    names = sorted(e.name for e in registry.SERVICES)
    async with AsyncExitStack() as stack:
        urls = {name: f"sqlite+aiosqlite:///{var / f'{name}.db'}" for name in names}
        if postgres:
            urls = await stack.enter_async_context(scratch_postgres(postgres, names))
        for process in plan:
            if process.name in urls:
                process.env["AFTERCARE_DATABASE_URL"] = urls[process.name]
        started: list[dev.Process] = []
        try:
            for process in plan:
                process.echo = False
                started.append(process)
                await dev._start(process, var)
            yield urls
        finally:
            await dev._stop(started)


async def _admin(server: URL, sql: str) -> None:
    """Run one statement on the server's `postgres` database (CREATE and DROP DATABASE)."""
    plain = server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = await asyncpg.connect(plain, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
