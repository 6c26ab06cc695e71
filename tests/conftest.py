"""Fixtures every test may use: a real database (SQLite, or PostgreSQL with AFTERCARE_TEST_DATABASE_URL),
dev API keys, and the Temporal binaries installed by the lock file (never downloaded)."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from services.kit.auth import ensure_dev_keys

PG_URL = os.environ.get("AFTERCARE_TEST_DATABASE_URL", "")
BIN = Path(sys.executable).parent
TEMPORAL_TEST_SERVER = str(BIN / "temporal-test-server")
TEMPORAL_DEV_SERVER = str(BIN / "temporal")


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A new, empty database for one test."""
    if not PG_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    base = make_url(PG_URL)
    name = f"aftercare_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(
        host=base.host,
        port=base.port or 5432,
        user=base.username,
        password=base.password,
        database=base.database or "postgres",
    )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield base.set(database=name).render_as_string(hide_password=False)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def dev_keys(tmp_path: Path) -> dict[str, str]:
    return dict(ensure_dev_keys(tmp_path / "api-keys.json"))
