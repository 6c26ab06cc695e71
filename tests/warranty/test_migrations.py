"""Migrations from an empty database give exactly the schema the models describe, and re-running is a no-op."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from services.kit.db import Database
from services.warranty.persistence import MIGRATIONS
from services.warranty.persistence import tables as _tables  # noqa: F401 - registers the models

WARRANTY_TABLES = {"products", "product_policies", "warranties", "extended_plans", "ownership_transfers", "request_log"}


def _diff(conn: Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"version_table": "alembic_version_warranty"})
    metadata = SQLModel.metadata
    return [
        d for d in compare_metadata(context, metadata) if not (isinstance(d, tuple) and d[0] == "remove_table")
    ]  # other services' tables are not ours


async def test_migrate_from_empty_matches_the_models(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.migrate(MIGRATIONS, "warranty")
        async with db.engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            assert WARRANTY_TABLES | {"alembic_version_warranty"} <= names
            assert await conn.run_sync(_diff) == []
        await db.migrate(MIGRATIONS, "warranty")  # a second start changes nothing
        async with db.engine.connect() as conn:
            version = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version_warranty")).all()
        assert version == [("0002",)]
    finally:
        await db.dispose()
