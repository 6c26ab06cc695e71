"""The warranty service process: gRPC API on :50051 and the activity worker on task queue "warranty"."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

from aftercare.warranty.v1 import warranty_pb2, warranty_pb2_grpc

from contracts import queues
from services.kit.auth import KeyStore
from services.kit.batching import GroupCommitter
from services.kit.db import Database
from services.kit.grpc_server import GrpcServer, ServiceBinding, wait_for_shutdown_signal
from services.kit.settings import Settings
from services.kit.temporal import run_worker
from services.warranty import ERROR_DOMAIN
from services.warranty.activities import WarrantyActivities
from services.warranty.persistence import MIGRATIONS
from services.warranty.persistence.repository import WarrantyRepository
from services.warranty.servicer import Clock, WarrantyServicer, _utcnow

log = logging.getLogger("aftercare.warranty")
SERVICE_NAME = warranty_pb2.DESCRIPTOR.services_by_name["WarrantyService"].full_name


def customer_key(settings: Settings) -> bytes:
    """The secret behind opaque customer ids: configured, or generated once under var/ for local runs."""
    if settings.customer_id_key:
        return settings.customer_id_key.encode()
    path = settings.var_dir / "customer-id.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


class WarrantyApp:
    """Everything the API needs, started and stopped in order. Tests use it with a free port."""

    def __init__(self, settings: Settings, *, clock: Clock = _utcnow):
        self.settings = settings
        self.db = Database(settings.database_url)
        self.repo = WarrantyRepository(self.db)
        self.sales = GroupCommitter(self.repo.register_sales, max_batch=512, writers=1 if self.db.is_sqlite else 4)
        self.servicer = WarrantyServicer(self.repo, self.sales, customer_key(settings), clock)
        keys = KeyStore.from_config(settings.api_keys, settings.api_keys_file)
        binding = ServiceBinding(SERVICE_NAME, warranty_pb2_grpc.add_WarrantyServiceServicer_to_server, self.servicer)
        self.grpc = GrpcServer(settings, keys, [binding], ERROR_DOMAIN)

    async def start(self) -> int:
        await self.db.migrate(MIGRATIONS, "warranty")
        self.sales.start()
        port = await self.grpc.start()
        log.info("warranty ready", extra={"grpc": f"{self.settings.grpc_host}:{port}"})
        return port

    async def stop(self) -> None:
        await self.grpc.stop()
        await self.sales.stop()
        await self.db.dispose()


async def serve(settings: Settings) -> None:
    app = WarrantyApp(settings)
    await app.start()
    worker = None
    if settings.run_worker:
        activities = WarrantyActivities(app.repo)
        worker = asyncio.create_task(run_worker(settings, queues.WARRANTY, activities=activities.all()))
    await wait_for_shutdown_signal()
    log.info("warranty stopping")
    if worker is not None:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    await app.stop()
    log.info("warranty stopped")
