"""The one service loop. A service is a `ServiceApp`: its database (migrated at start), its gRPC API and its
Temporal activity worker over the same domain. It declares what it is (name, task queue, error domain,
migrations, settings) and builds its own parts; `serve` runs any of them until SIGINT or SIGTERM, with health,
metrics and a graceful stop. `services/registry.py` lists the services; everything that starts one reads it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import grpc

from services.kit.auth import KeyStore
from services.kit.db import Database
from services.kit.grpc_server import GrpcServer, ServiceBinding, wait_for_shutdown_signal
from services.kit.idempotency import purge_daily
from services.kit.settings import Settings
from services.kit.temporal import run_worker


class ServiceApp:
    """Everything one service runs, started and stopped in order. Tests use it with a free port.

    A subclass sets the class attributes, builds its repository and servicer in `__init__` (then calls
    `serve_api`), and overrides the hooks it needs: `on_start`/`on_stop` for its own resources,
    `activities` for its worker, `background` for tasks that run while it serves."""

    name: ClassVar[str]  # as in the registry, the database file and the logs
    task_queue: ClassVar[str]  # where its activity worker polls (contracts.queues); "" for none
    error_domain: ClassVar[str]  # ErrorInfo.domain of its refusals
    migrations: ClassVar[Path]  # its Alembic folder
    settings_type: ClassVar[type[Settings]] = Settings

    def __init__(self, settings: Settings):
        self.settings = settings
        self.log = logging.getLogger(f"aftercare.{self.name}")
        self.db = Database(settings.database_url)
        self.keys = KeyStore.from_config(settings.api_keys.get_secret_value(), settings.api_keys_file)
        self.grpc: GrpcServer | None = None

    def serve_api(self, full_name: str, add: Callable[[Any, grpc.aio.Server], None], servicer: Any) -> None:
        """Serve `servicer` (the generated `add_..._to_server` adds it) with the kit's interceptor."""
        self.grpc = GrpcServer(self.settings, self.keys, [ServiceBinding(full_name, add, servicer)], self.error_domain)

    async def start(self) -> int:
        """Migrate, start the service's own parts, then the API; the API's port."""
        assert self.grpc is not None, f"{type(self).__name__} must call serve_api in __init__"
        await self.db.migrate(self.migrations, self.name)
        await self.on_start()
        port = await self.grpc.start()
        self.log.info(f"{self.name} ready", extra={"grpc": f"{self.settings.grpc_host}:{port}"})
        return port

    async def stop(self) -> None:
        """The API first (health NOT_SERVING, then in-flight RPCs get the grace), then the rest."""
        if self.grpc is not None:
            await self.grpc.stop()
        await self.on_stop()
        await self.db.dispose()

    async def on_start(self) -> None:
        """Start what the service owns besides its database and API."""

    async def on_stop(self) -> None:
        """Close what the service owns besides its database and API."""

    def activities(self) -> Sequence[Callable[..., Any]]:
        """The activities its worker runs on `task_queue`."""
        return ()

    def background(self) -> Sequence[Coroutine[Any, Any, None]]:
        """Tasks that run while it serves (cancelled at stop): the request log's daily purge, and a service's own
        (a subclass adds them to these)."""
        return [purge_daily(self.db, timedelta(days=self.settings.request_log_retention_days))]


async def serve(app: ServiceApp) -> None:
    """Run a service until SIGINT or SIGTERM: its API, its activity worker (unless `run_worker` is off) and its
    background tasks; then stop them in order."""
    await app.start()
    tasks = [asyncio.create_task(job) for job in app.background()]
    if app.settings.run_worker and app.task_queue:
        tasks.append(asyncio.create_task(run_worker(app.settings, app.task_queue, activities=app.activities())))
    await wait_for_shutdown_signal()
    app.log.info(f"{app.name} stopping")
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await app.stop()
    app.log.info(f"{app.name} stopped")
