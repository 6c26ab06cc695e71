"""The whole system for integration tests: the warranty, repairs and notifications services on free ports,
over real databases, with their activity workers and the claims worker against a real Temporal dev server,
and the mail, SMS and webhook sinks on real sockets. Registered as a plugin in tests/conftest.py.

The dev server is shared by the session; at the end of each test the workflows it left running are
terminated, so no timer or message of one test reaches the next one's workers."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from aftercare.notifications.v1 import notifications_pb2_grpc
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.repairs.v1 import repairs_pb2_grpc
from aftercare.warranty.v1 import warranty_pb2 as wpb
from aftercare.warranty.v1 import warranty_pb2_grpc
from google.type import postal_address_pb2
from temporalio.client import Client
from temporalio.worker import Worker

from contracts.queues import CLAIMS as CLAIMS_QUEUE
from devtools.sinks import HttpSink, MailSink, start_http_sink, start_mail_sink
from services import registry
from services.kit.service import ServiceApp
from services.kit.temporal import connect
from services.notifications.settings import NotificationsSettings
from services.repairs.server import RepairsApp
from tests.conftest import free_port
from tests.warranty.conftest import civil
from workflows.worker import WORKFLOWS

SKU = "KETTLE-3000"
CATEGORY = "small-appliance"
RETAILER, OTHER_RETAILER = "retailer:demo-retailer", "retailer:other-retailer"
CENTRE, OTHER_CENTRE, CARRIER = "centre:demo-centre", "centre:other-centre", "carrier:local"


def new_id() -> str:
    return str(uuid.uuid4())


def new_serial() -> str:
    return f"SN-{uuid.uuid4().hex[:10].upper()}"


@dataclass
class Stack:
    warranty: warranty_pb2_grpc.WarrantyServiceStub
    repairs: repairs_pb2_grpc.RepairsServiceStub
    notifications: notifications_pb2_grpc.NotificationsServiceStub
    temporal: Client
    keys: dict[str, str]
    mail: MailSink
    http: HttpSink
    http_url: str  # the HTTP sink's base URL: /sms and /webhooks/<name>
    smtp_port: int
    notifications_settings: NotificationsSettings
    mail_server: asyncio.Server | None = None
    targets: dict[str, str] = field(default_factory=dict)  # service name -> host:port, for CLI tests
    repairs_app: RepairsApp | None = None

    async def mail_down(self) -> None:
        assert self.mail_server is not None
        self.mail_server.close()
        await self.mail_server.wait_closed()
        self.mail_server = None

    async def mail_up(self) -> None:
        self.mail_server = await start_mail_sink(self.mail, "127.0.0.1", self.smtp_port)

    def as_(self, principal: str) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.keys[principal]}")]

    async def product(self, *, paid_repair_minor: int = 0, return_window_days: int = 0) -> None:
        policy = wpb.WarrantyPolicy(
            coverage_months=24,
            return_window_days=return_window_days,
            repair_sla_days=10,
            covered_fault_categories=[wpb.FAULT_CATEGORY_ELECTRICAL],
        )
        if paid_repair_minor:
            policy.paid_repair_price.currency_code, policy.paid_repair_price.amount_minor = "EUR", paid_repair_minor
        product = wpb.Product(sku=SKU, display_name="Kettle 3000", category=CATEGORY, policy=policy)
        product.launch_time.FromDatetime(datetime(2024, 1, 1, tzinfo=UTC))
        await self.warranty.CreateProduct(
            wpb.CreateProductRequest(request_id=new_id(), product=product), metadata=self.as_("ops")
        )

    async def centre(self, centre_id: str = "demo-centre", region: str = "DE", capacity: int = 10) -> None:
        centre = rpb.ServiceCentre(
            id=centre_id, display_name=centre_id.title(), region=region, categories=[CATEGORY], daily_capacity=capacity
        )
        await self.repairs.CreateServiceCentre(
            rpb.CreateServiceCentreRequest(request_id=new_id(), centre=centre), metadata=self.as_("ops")
        )

    async def sale(self, serial: str, *, retailer: str = RETAILER, days_ago: int = 100) -> None:
        await self.warranty.RegisterSale(
            wpb.RegisterSaleRequest(
                request_id=new_id(),
                serial=serial,
                sku=SKU,
                purchase_time=civil(datetime.now(UTC) - timedelta(days=days_ago)),
                sale_reference="R-1",
                contact=wpb.Contact(email="jo@example.com", locale="fr"),
            ),
            metadata=self.as_(retailer),
        )

    async def file(
        self,
        serial: str,
        *,
        principal: str = RETAILER,
        request_id: str | None = None,
        region: str = "DE",
        **fields: Any,
    ) -> rpb.Claim:
        response = await self.repairs.FileClaim(
            claim_request(serial, request_id, region, **fields), metadata=self.as_(principal)
        )
        return response.claim

    async def status(
        self, rma: str, status: rpb.RepairStatus.ValueType, principal: str = CENTRE, request_id: str | None = None
    ) -> rpb.Claim:
        request = rpb.UpdateRepairStatusRequest(request_id=request_id or new_id(), rma=rma, status=status)
        return (await self.repairs.UpdateRepairStatus(request, metadata=self.as_(principal))).claim

    async def parcel(
        self,
        claim: rpb.Claim,
        direction: rpb.Direction.ValueType,
        event: rpb.ParcelEvent.ValueType,
        at: datetime | None = None,
    ) -> rpb.Claim:
        tracking = next(s.tracking_number for s in claim.shipments if s.direction == direction)
        request = rpb.RecordShipmentEventRequest(
            request_id=new_id(),
            rma=claim.rma,
            direction=direction,
            tracking_number=tracking,
            event=event,
        )
        request.event_time.FromDatetime(at or datetime.now(UTC))
        return (await self.repairs.RecordShipmentEvent(request, metadata=self.as_(CARRIER))).claim

    async def repair_and_close(self, rma: str, *, score: int = 10, answered_by: str = RETAILER) -> rpb.Claim:
        """From RECEIVED: the centre repairs a covered fault, the carrier delivers it back, the customer
        answers the survey; the claim is CLOSED."""
        await self.status(rma, rpb.REPAIR_STATUS_DIAGNOSING)
        diagnosis = rpb.Diagnosis(covered_fault=rpb.Diagnosis.CoveredFault(parts=["HEATER-7"], labour_minutes=25))
        await self.repairs.RecordDiagnosis(
            rpb.RecordDiagnosisRequest(request_id=new_id(), rma=rma, diagnosis=diagnosis), metadata=self.as_(CENTRE)
        )
        await self.status(rma, rpb.REPAIR_STATUS_QUALITY_CHECK)
        claim = await self.status(rma, rpb.REPAIR_STATUS_READY_TO_SHIP)
        await self.parcel(claim, rpb.DIRECTION_TO_CUSTOMER, rpb.PARCEL_EVENT_DELIVERED)
        feedback = rpb.SubmitFeedbackRequest(request_id=new_id(), rma=rma, score=score)
        return (await self.repairs.SubmitFeedback(feedback, metadata=self.as_(answered_by))).claim

    async def get(self, rma: str, principal: str = "ops") -> rpb.Claim:
        return (await self.repairs.GetClaim(rpb.GetClaimRequest(rma=rma), metadata=self.as_(principal))).claim


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    """Poll a condition the system reaches on its own (bounded by the test's timeout)."""
    while not await check():  # noqa: ASYNC110 - the condition lives in another service, not in an Event
        await asyncio.sleep(0.1)


def claim_request(
    serial: str, request_id: str | None = None, region: str = "DE", **fields: Any
) -> rpb.FileClaimRequest:
    return rpb.FileClaimRequest(
        request_id=request_id or new_id(),
        serial=serial,
        fault_category=fields.get("fault_category", rpb.FAULT_CATEGORY_ELECTRICAL),
        description=fields.get("description", "It stopped heating."),
        contact=rpb.CustomerContact(email="jo@example.com", locale="fr"),
        return_address=postal_address_pb2.PostalAddress(
            region_code=region,
            locality="Berlin",
            postal_code="10115",
            address_lines=["Invalidenstr. 1"],
            recipients=["Jo"],
        ),
    )


async def terminate_running(client: Client) -> None:
    """End every workflow still running on the shared dev server (claims left waiting on long timers)."""
    async for execution in client.list_workflows('ExecutionStatus="Running"'):
        try:
            await client.get_workflow_handle(execution.id, run_id=execution.run_id).terminate("test over")
        except Exception:  # noqa: BLE001 - it may have finished meanwhile
            pass


@pytest.fixture
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    new_database: Callable[[str], Awaitable[str]],
    dev_keys: dict[str, str],
    temporal_dev_server: str,
) -> AsyncIterator[Stack]:
    common: dict[str, Any] = {"var_dir": tmp_path, "grpc_port": 0, "temporal_address": temporal_dev_server}
    mail, http = MailSink(tmp_path / "sinks"), HttpSink(tmp_path / "sinks")
    smtp_port, http_port = free_port(), free_port()
    mail_server = await start_mail_sink(mail, "127.0.0.1", smtp_port)
    http_runner = await start_http_sink(http, "127.0.0.1", http_port)
    ports: dict[str, int] = {}

    def own(name: str) -> dict[str, Any]:
        """What a service gets besides `common`, in registry order (so it may name those started before)."""
        if name == "warranty":
            return {"customer_id_key": "test-key"}
        if name == "notifications":
            return {
                "repairs_target": f"127.0.0.1:{ports['repairs']}",
                "warranty_target": f"127.0.0.1:{ports['warranty']}",
                "smtp_port": smtp_port,
                "sms_url": f"http://127.0.0.1:{http_port}/sms",
                "webhook_dev_targets": True,
                "provider_timeout_seconds": 5,
            }
        return {}

    apps: dict[str, ServiceApp] = {}
    for entry in registry.SERVICES:
        app = entry.build(database_url=await new_database(entry.name), **own(entry.name), **common)
        apps[entry.name] = app
        ports[entry.name] = await app.start()
    repairs, notifications = apps["repairs"], apps["notifications"]
    assert isinstance(repairs, RepairsApp) and isinstance(notifications.settings, NotificationsSettings)
    client = await connect(repairs.settings)
    # A test marked `notifications_worker_elsewhere` runs the notifications worker itself (as a process).
    elsewhere = request.node.get_closest_marker("notifications_worker_elsewhere") is not None
    stack: Stack | None = None
    workers = [Worker(client, task_queue=CLAIMS_QUEUE, workflows=WORKFLOWS)] + [
        Worker(client, task_queue=app.task_queue, activities=app.activities())
        for app in apps.values()
        if not (elsewhere and app is notifications)
    ]
    try:
        async with (
            contextlib.AsyncExitStack() as running,
            grpc.aio.insecure_channel(f"127.0.0.1:{ports['warranty']}") as w,
            grpc.aio.insecure_channel(f"127.0.0.1:{ports['repairs']}") as r,
            grpc.aio.insecure_channel(f"127.0.0.1:{ports['notifications']}") as n,
        ):
            for worker in workers:
                await running.enter_async_context(worker)
            stack = Stack(
                warranty_pb2_grpc.WarrantyServiceStub(w),
                repairs_pb2_grpc.RepairsServiceStub(r),
                notifications_pb2_grpc.NotificationsServiceStub(n),
                client,
                dev_keys,
                mail,
                http,
                f"http://127.0.0.1:{http_port}",
                smtp_port,
                notifications.settings,
                mail_server,
                {**{name: f"127.0.0.1:{port}" for name, port in ports.items()}, "temporal": temporal_dev_server},
                repairs,
            )
            yield stack
            await terminate_running(client)
    finally:
        for app in reversed(apps.values()):
            await app.stop()
        if stack is not None and stack.mail_server is not None:
            mail_server = stack.mail_server  # the test may have restarted it
        mail_server.close()
        await mail_server.wait_closed()
        await http_runner.cleanup()
