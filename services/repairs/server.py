"""The repairs service process: gRPC API on :50052 and the activity worker on task queue "repairs"."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aftercare.repairs.v1 import repairs_pb2, repairs_pb2_grpc

from contracts import queues
from contracts.claims import ClaimState
from services.kit import metrics
from services.kit.auth import KeyStore
from services.kit.db import Database
from services.kit.grpc_server import GrpcServer, ServiceBinding, wait_for_shutdown_signal
from services.kit.settings import Settings
from services.kit.temporal import connect, run_worker
from services.repairs import ERROR_DOMAIN
from services.repairs.activities import RepairsActivities
from services.repairs.carriers import carrier
from services.repairs.persistence import MIGRATIONS
from services.repairs.persistence.repository import RepairsRepository
from services.repairs.servicer import RepairsServicer
from services.repairs.workflow_client import ClaimWorkflows

log = logging.getLogger("aftercare.repairs")
SERVICE_NAME = repairs_pb2.DESCRIPTOR.services_by_name["RepairsService"].full_name


class RepairsApp:
    """Everything the API needs, started and stopped in order. Tests use it with a free port."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.database_url)
        self.repo = RepairsRepository(self.db)
        self.workflows = ClaimWorkflows(lambda: connect(settings))
        self.servicer = RepairsServicer(self.repo, self.workflows)
        self.activities = RepairsActivities(self.repo, carrier(settings.carrier))
        keys = KeyStore.from_config(settings.api_keys, settings.api_keys_file)
        binding = ServiceBinding(SERVICE_NAME, repairs_pb2_grpc.add_RepairsServiceServicer_to_server, self.servicer)
        self.grpc = GrpcServer(settings, keys, [binding], ERROR_DOMAIN)

    async def start(self) -> int:
        await self.db.migrate(MIGRATIONS, "repairs")
        port = await self.grpc.start()
        log.info("repairs ready", extra={"grpc": f"{self.settings.grpc_host}:{port}"})
        return port

    async def stop(self) -> None:
        await self.grpc.stop()
        await self.db.dispose()


async def count_claims(repo: RepairsRepository, every: float = 15.0) -> None:
    """Keep the claims-per-state gauge current (every state is shown, 0 when none)."""
    while True:
        try:
            counts = await repo.count_by_state()
            for state in ClaimState:
                metrics.CLAIMS.labels(state.value).set(counts.get(state.value, 0))
        except Exception:
            log.warning("claim counts unavailable", exc_info=True)
        await asyncio.sleep(every)


async def serve(settings: Settings) -> None:
    app = RepairsApp(settings)
    await app.start()
    counting = asyncio.create_task(count_claims(app.repo)) if settings.metrics_port else None
    worker = None
    if settings.run_worker:
        worker = asyncio.create_task(run_worker(settings, queues.REPAIRS, activities=app.activities.all()))
    await wait_for_shutdown_signal()
    log.info("repairs stopping")
    if worker is not None:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    if counting is not None:
        counting.cancel()
    await app.stop()
    log.info("repairs stopped")
