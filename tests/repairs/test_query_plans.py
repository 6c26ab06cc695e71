"""How the next slow list is caught: every list a caller pages through, and the expiry reminder's scan, walks
an index in its own order on SQLite: no full scan and no sort of what it found. A change that loses an index
(a filter on a new column, an order the index does not give) fails here, in the suite, instead of showing up
as a p99 in a benchmark run weeks later. (PostgreSQL plans by its statistics, so it is held by the benchmarks.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from services.kit.db import Database
from services.repairs import persistence as repairs
from services.repairs.persistence.repository import ClaimFilters, claims_page
from services.warranty import persistence as warranty
from services.warranty.persistence.repository import ending_page, warranties_page

NOW = datetime(2026, 12, 1, tzinfo=UTC)


class Explain:
    """SQLite's plan for a statement, on the services' own schemas (one file each, attached side by side)."""

    def __init__(self, db: Database, warranty_file: Path):
        self.db, self.warranty_file = db, warranty_file

    async def plan(self, statement: Any) -> list[str]:
        sql = str(statement.compile(dialect=sqlite.dialect()))
        async with self.db.engine.connect() as conn:
            await conn.exec_driver_sql(f"ATTACH DATABASE '{self.warranty_file}' AS w")
            rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql.replace("?", "NULL"))).all()
            await conn.exec_driver_sql("DETACH DATABASE w")
        return [str(row[-1]) for row in rows]  # id, parent, unused, detail


@pytest.fixture
async def explain(tmp_path: Path) -> AsyncIterator[Explain]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'repairs.db'}")
    await db.migrate(repairs.MIGRATIONS, "repairs")
    other = Database(f"sqlite+aiosqlite:///{tmp_path / 'warranty.db'}")
    await other.migrate(warranty.MIGRATIONS, "warranty")
    await other.dispose()
    yield Explain(db, tmp_path / "warranty.db")
    await db.dispose()


def walks_an_index(steps: list[str], index: str) -> bool:
    return any(f"USING INDEX {index}" in s or f"USING COVERING INDEX {index}" in s for s in steps) and not any(
        "TEMP B-TREE" in s or s.startswith("SCAN ") for s in steps
    )


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        (ClaimFilters(centre_id="berlin-1"), "ix_claims_centre"),
        (ClaimFilters(retailer_id="demo-retailer"), "ix_claims_retailer"),
        (ClaimFilters(state="REPAIRING"), "ix_claims_state"),
        (ClaimFilters(serial="SN-1"), "ix_claims_serial"),
        (ClaimFilters(centre_id="berlin-1", state="REPAIRING"), "ix_claims_"),
        (ClaimFilters(retailer_id="demo-retailer", sla_breached=True), "ix_claims_retailer"),
    ],
)
@pytest.mark.parametrize("before_id", [None, 5000])
async def test_list_claims_walks_an_index_newest_first(
    explain: Explain, filters: ClaimFilters, index: str, before_id: int | None
) -> None:
    steps = await explain.plan(claims_page(filters, before_id, 51))
    assert walks_an_index(steps, index), steps


@pytest.mark.parametrize(
    ("retailer", "customer", "index"),
    [("demo-retailer", None, "ix_warranties_retailer_id"), (None, "cus_x", "ix_warranties_customer_id")],
)
async def test_list_warranties_walks_an_index_newest_first(
    explain: Explain, retailer: str | None, customer: str | None, index: str
) -> None:
    steps = await explain.plan(warranties_page(retailer, customer, 100, 51))
    assert walks_an_index(steps, index), steps


@pytest.mark.parametrize("after", [None, (NOW + timedelta(days=3), 77)])
async def test_the_expiry_reminder_reads_a_range_of_the_coverage_end_index(
    explain: Explain, after: tuple[datetime, int] | None
) -> None:
    steps = await explain.plan(ending_page(NOW, NOW + timedelta(days=30), after, 500))
    assert walks_an_index(steps, "ix_warranties_coverage_end"), steps
    assert any("coverage_end>" in s.replace(" ", "") for s in steps), steps  # a range, not the whole index
