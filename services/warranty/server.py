"""The warranty service: gRPC API on :50051 and the activity worker on task queue "warranty" (wiring only)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aftercare.warranty.v1 import warranty_pb2, warranty_pb2_grpc

from contracts import queues
from services.kit.batching import GroupCommitter
from services.kit.service import ServiceApp
from services.warranty import ERROR_DOMAIN
from services.warranty.activities import WarrantyActivities
from services.warranty.api.base import Clock, _utcnow
from services.warranty.persistence import MIGRATIONS
from services.warranty.persistence.repository import WarrantyRepository
from services.warranty.servicer import WarrantyServicer
from services.warranty.settings import WarrantySettings


class WarrantyApp(ServiceApp):
    name = "warranty"
    task_queue = queues.WARRANTY
    error_domain = ERROR_DOMAIN
    migrations = MIGRATIONS
    settings_type = WarrantySettings

    def __init__(self, settings: WarrantySettings, *, clock: Clock = _utcnow):
        super().__init__(settings)
        self.repo = WarrantyRepository(self.db)
        self.sales = GroupCommitter(self.repo.register_sales, max_batch=512, writers=1 if self.db.is_sqlite else 4)
        self.servicer = WarrantyServicer(self.repo, self.sales, settings.customer_key(), clock)
        service = warranty_pb2.DESCRIPTOR.services_by_name["WarrantyService"].full_name
        self.serve_api(service, warranty_pb2_grpc.add_WarrantyServiceServicer_to_server, self.servicer)

    async def on_start(self) -> None:
        self.sales.start()

    async def on_stop(self) -> None:
        await self.sales.stop()

    def activities(self) -> Sequence[Callable[..., Any]]:
        return WarrantyActivities(self.repo).all()
