"""The whole system as `make run` starts it, in a scratch directory, for the benchmarks that need all of it
(bench/claims.py, bench/notifications.py). On SQLite by default; given a PostgreSQL server URL, each service gets
its own scratch database there, dropped afterwards."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli import dev  # noqa: E402
from services import registry  # noqa: E402


@asynccontextmanager
async def running(var: Path, postgres: str | None = None) -> AsyncIterator[dict[str, str]]:
    """Start Temporal, the sinks, every service and the claims worker; yield each service's database URL."""
    (var / "logs").mkdir(exist_ok=True)
    plan = dev.processes(var)
    busy = [port for p in plan for port in p.ports if not dev._port_free(port)]
    if busy:
        raise SystemExit(f"ports in use: {busy}; stop `make run` first")
    names = {e.name for e in registry.SERVICES}
    urls = {name: f"sqlite+aiosqlite:///{var / f'{name}.db'}" for name in names}
    made: list[str] = []
    if postgres:
        server = make_url(postgres)
        for name in sorted(names):
            database = f"aftercare_bench_{name}_{os.getpid()}"
            await _admin(server, f'CREATE DATABASE "{database}"')
            made.append(database)
            urls[name] = server.set(database=database).render_as_string(hide_password=False)
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
        for database in made:
            await _admin(make_url(postgres or ""), f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


async def _admin(server: URL, sql: str) -> None:
    """Run one statement on the server's `postgres` database (CREATE and DROP DATABASE)."""
    plain = server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = await asyncpg.connect(plain, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
