"""The request log keeps what it must and no more (issue 13, item 15): requests older than the retention are
forgotten, newer ones are still recognised, and every service runs the purge while it serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from services import registry
from services.kit.db import Database
from services.kit.idempotency import RequestLog, purge, recall, remember


async def test_requests_past_the_retention_are_forgotten(tmp_path: Path, database_url: str) -> None:
    app = registry.entry("notifications").build(var_dir=tmp_path, grpc_port=0, database_url=database_url)
    await app.db.migrate(app.migrations, app.name)  # the request log is in every service's database
    db: Database = app.db
    try:
        await remember(db, "ops", "old", "f1", b"first")
        await remember(db, "ops", "new", "f2", b"second")
        async with db.write() as session:
            old = await session.get(RequestLog, ("ops", "old"))
            assert old is not None
            old.created_at = datetime.now(UTC) - timedelta(days=31)
            session.add(old)
        assert await purge(db, datetime.now(UTC) - timedelta(days=30)) == 1
        assert await recall(db, "ops", "old", "f1") is None  # a retry now is a new request
        assert await recall(db, "ops", "new", "f2") == b"second"
    finally:
        await db.dispose()


async def test_every_service_purges_its_request_log_while_it_serves(tmp_path: Path) -> None:
    for entry in registry.SERVICES:
        app = entry.build(var_dir=tmp_path, grpc_port=0, database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db")
        jobs = list(app.background())
        try:
            assert any(job.cr_code.co_name == "purge_daily" for job in jobs), entry.name  # type: ignore[attr-defined]
        finally:
            for job in jobs:
                job.close()
            await app.db.dispose()
