"""The async SQLModel engine and sessions. SQLite (WAL, one file per service under var/) by default;
PostgreSQL when given a URL. Alembic migrations are applied at start.

Writes that read first (read-modify-write) use `Database.write()`: on SQLite it begins IMMEDIATE, so two
writers queue instead of failing on lock upgrade; on PostgreSQL it is a normal transaction and the
repository locks the row with SELECT ... FOR UPDATE."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",  # an acknowledged commit survives power loss, not only a crash
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
)


class Database:
    def __init__(self, url: str, *, pool_size: int = 10):
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"hide_parameters": True}  # errors must not quote personal data
        if self.is_sqlite:
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs |= {"pool_size": pool_size, "max_overflow": pool_size, "pool_pre_ping": True}
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            _tune_sqlite(self.engine)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that commits on success and rolls back on error."""
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
            async with AsyncSession(bind=conn, expire_on_commit=False) as session, session.begin():
                yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection in a write transaction, for bulk statements on the hot path."""
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
            async with conn.begin():
                yield conn

    async def migrate(self, migrations: Path, service: str) -> None:
        """Apply the service's Alembic migrations up to head (safe with replicas starting at once)."""
        async with self.engine.connect() as conn:
            await conn.run_sync(_upgrade, migrations, service, self.is_sqlite)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _upgrade(conn: Connection, migrations: Path, service: str, is_sqlite: bool) -> None:
    if not is_sqlite:  # one migrator at a time across replicas
        key = int.from_bytes(hashlib.sha256(f"aftercare-migrate-{service}".encode()).digest()[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(migrations))
        cfg.attributes["connection"] = conn
        cfg.attributes["version_table"] = f"alembic_version_{service}"
        command.upgrade(cfg, "head")
        conn.commit()
    finally:
        if not is_sqlite:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


def run_migrations_env() -> None:
    """The body of every service's alembic env.py (online mode, on the connection given by migrate())."""
    from alembic import context

    conn = context.config.attributes["connection"]
    context.configure(
        connection=conn,
        version_table=context.config.attributes["version_table"],
        render_as_batch=conn.dialect.name == "sqlite",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _tune_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred and late).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite has no time zones: store naive UTC, read back aware)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; Aftercare stores aware UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_unique_violation(exc: IntegrityError) -> bool:
    text_ = str(exc.orig).lower()
    return "unique" in text_ or "duplicate key" in text_
