"""The repairs service: gRPC API on :50052 and the activity worker on task queue "repairs" (wiring only)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

from aftercare.repairs.v1 import repairs_pb2, repairs_pb2_grpc

from contracts import queues
from services.kit.grpc_server import aio_channel
from services.kit.service import ServiceApp
from services.kit.temporal import connect
from services.repairs import ERROR_DOMAIN
from services.repairs.activities import RepairsActivities
from services.repairs.attachments import Attachments, LocalDirectoryStore
from services.repairs.carriers import carrier
from services.repairs.metrics import count_claims
from services.repairs.persistence import MIGRATIONS
from services.repairs.persistence.attachments import AttachmentsRepository
from services.repairs.persistence.repository import RepairsRepository
from services.repairs.sales import WarrantySales
from services.repairs.servicer import RepairsServicer
from services.repairs.settings import RepairsSettings
from services.repairs.workflow_client import ClaimWorkflows


class RepairsApp(ServiceApp):
    name = "repairs"
    task_queue = queues.REPAIRS
    error_domain = ERROR_DOMAIN
    migrations = MIGRATIONS
    settings_type = RepairsSettings

    def __init__(self, settings: RepairsSettings):
        super().__init__(settings)
        self.repo = RepairsRepository(self.db)
        self.workflows = ClaimWorkflows(lambda: connect(settings))
        store = LocalDirectoryStore(settings.attachments_dir or settings.var_dir / "attachments")
        self.attachments = Attachments(AttachmentsRepository(self.db), store, lambda: datetime.now(UTC))
        self.servicer = RepairsServicer(self.repo, self.workflows, attachments=self.attachments)
        self.sales = WarrantySales(aio_channel(settings.warranty_target, settings), settings.own_service_key())
        self.repairs_activities = RepairsActivities(
            self.repo, carrier(settings.carrier), settings.rule_set(), self.sales
        )
        service = repairs_pb2.DESCRIPTOR.services_by_name["RepairsService"].full_name
        self.serve_api(service, repairs_pb2_grpc.add_RepairsServiceServicer_to_server, self.servicer)

    def activities(self) -> Sequence[Callable[..., Any]]:
        return self.repairs_activities.all()

    def background(self) -> Sequence[Coroutine[Any, Any, None]]:
        counting = [count_claims(self.repo)] if self.settings.metrics_port else []
        return [*super().background(), *counting]

    async def on_stop(self) -> None:
        await self.sales.close()
        await super().on_stop()
