"""Each service's migrations from an empty database give exactly the schema its models describe, and
re-running them is a no-op."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from services.kit.db import Database
from services.notifications import persistence as notifications
from services.notifications.persistence import tables as _notifications_tables  # noqa: F401 - registers the models
from services.portal import persistence as portal
from services.portal.persistence import tables as _portal_tables  # noqa: F401 - registers the models
from services.repairs import persistence as repairs
from services.repairs.persistence import tables as _repairs_tables  # noqa: F401 - registers the models
from services.warranty import persistence as warranty
from services.warranty.persistence import tables as _warranty_tables  # noqa: F401 - registers the models

SERVICES = {
    "warranty": (
        warranty.MIGRATIONS,
        {"products", "product_policies", "warranties", "extended_plans", "ownership_transfers", "request_log"},
        "0005",
    ),
    "repairs": (
        repairs.MIGRATIONS,
        {
            "service_centres",
            "claims",
            "claim_events",
            "shipping_labels",
            "sla_escalations",
            "attachments",
            "info_answers",
            "request_log",
        },
        "0004",
    ),
    "notifications": (
        notifications.MIGRATIONS,
        {"deliveries", "delivery_attempts", "preferences", "webhook_endpoints", "request_log"},
        "0001",
    ),
    "portal": (portal.MIGRATIONS, {"links", "codes", "sessions", "request_log"}, "0001"),
}


def _diff(conn: Connection, service: str, tables: set[str]) -> list[object]:
    context = MigrationContext.configure(conn, opts={"version_table": f"alembic_version_{service}"})
    ours = MetaData()
    for name in tables:
        SQLModel.metadata.tables[name].to_metadata(ours)
    return [d for d in compare_metadata(context, ours) if not (isinstance(d, tuple) and d[0] == "remove_table")]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrate_from_empty_matches_the_models(database_url: str, service: str) -> None:
    migrations, tables, head = SERVICES[service]
    assert isinstance(migrations, Path)
    db = Database(database_url)
    try:
        await db.migrate(migrations, service)
        async with db.engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            assert tables | {f"alembic_version_{service}"} <= names
            assert await conn.run_sync(_diff, service, tables) == []
        await db.migrate(migrations, service)  # a second start changes nothing
        async with db.engine.connect() as conn:
            version = (await conn.exec_driver_sql(f"SELECT version_num FROM alembic_version_{service}")).all()
        assert version == [(head,)]
    finally:
        await db.dispose()
