"""Fixtures every test may use: a real database (SQLite, or PostgreSQL with AFTERCARE_TEST_DATABASE_URL),
dev API keys, and the Temporal binaries installed by the lock file (never downloaded)."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from devtools.keys import ensure_dev_keys

pytest_plugins = ["tests.stack"]

PG_URL = os.environ.get("AFTERCARE_TEST_DATABASE_URL", "")
BIN = Path(sys.executable).parent
TEMPORAL_TEST_SERVER = str(BIN / "temporal-test-server")
TEMPORAL_DEV_SERVER = str(BIN / "temporal")


@pytest.fixture
async def new_database(tmp_path: Path) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """Makes new, empty databases for one test (one per service), dropped after it."""
    if not PG_URL:

        async def sqlite(name: str) -> str:
            return f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"

        yield sqlite
        return
    base = make_url(PG_URL)
    admin = await asyncpg.connect(
        host=base.host,
        port=base.port or 5432,
        user=base.username,
        password=base.password,
        database=base.database or "postgres",
    )
    made: list[str] = []

    async def postgres(name: str) -> str:
        db = f"aftercare_t_{name}_{uuid.uuid4().hex[:12]}"
        await admin.execute(f'CREATE DATABASE "{db}"')
        made.append(db)
        return base.set(database=db).render_as_string(hide_password=False)

    try:
        yield postgres
        for db in made:
            await admin.execute(f'DROP DATABASE "{db}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def database_url(new_database: Callable[[str], Awaitable[str]]) -> str:
    """A new, empty database for one test."""
    return await new_database("test")


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A free port for a server that a test starts later, below the kernel's ephemeral range: a port handed
    out for `bind(0)` meanwhile (every gRPC server on port 0, every outgoing connection) can never take it."""
    floor = _ephemeral_floor()
    for _ in range(200):
        port = random.randrange(10_000, max(floor, 10_001))
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


@contextmanager
def dev_server(log_path: Path, *flags: str) -> Iterator[str]:
    """A real Temporal dev server (in memory, no UI) with `flags` (search attributes, namespaces), while the
    block runs; its address."""
    port = free_port()
    log = log_path.open("wb")
    argv = [TEMPORAL_DEV_SERVER, "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--headless"]
    server = subprocess.Popen([*argv, "--log-level", "warn", *flags], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the Temporal dev server did not start; see its log") from None
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def temporal_dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real Temporal dev server (the project's search attributes) for the session; its address. Tests share
    its default namespace and tell their claims apart by RMA."""
    from workflows.search_attributes import cli_flags

    with dev_server(tmp_path_factory.mktemp("temporal") / "server.log", *cli_flags()) as address:
        yield address


@pytest.fixture
def dev_keys(tmp_path: Path) -> dict[str, str]:
    return dict(ensure_dev_keys(tmp_path / "api-keys.json"))
