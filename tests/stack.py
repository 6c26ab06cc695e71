"""The whole system for integration tests: the warranty, repairs and notifications services on free ports,
over real databases, with their activity workers and the claims worker against a real Temporal dev server,
and the mail, SMS and webhook sinks on real sockets. Registered as a plugin in tests/conftest.py.

The dev server is shared by the session; at the end of each test the workflows it left running are
terminated, so no timer or message of one test reaches the next one's workers."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import grpc
import pytest
from aftercare.notifications.v1 import notifications_pb2_grpc
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.warranty.v1 import warranty_pb2 as wpb
from temporalio.client import Client
from temporalio.worker import Worker

from clients.parties import CENTRE, RETAILER, Parties, claim_request, new_id
from contracts.queues import CLAIMS as CLAIMS_QUEUE
from devtools.sinks import HttpSink, MailSink, start_http_sink, start_mail_sink
from services import registry
from services.kit.service import ServiceApp
from services.kit.temporal import connect
from services.notifications.settings import NotificationsSettings
from services.portal.server import PortalApp
from services.repairs.server import RepairsApp
from tests.conftest import free_port
from workflows.worker import WORKFLOWS

SKU = "KETTLE-3000"
CATEGORY = "small-appliance"
OTHER_RETAILER, OTHER_CENTRE, CARRIER = "retailer:other-retailer", "centre:other-centre", "carrier:local"
__all__ = ["CENTRE", "RETAILER", "Stack", "claim_request", "new_id", "new_serial", "until"]


def new_serial() -> str:
    return f"SN-{uuid.uuid4().hex[:10].upper()}"


class Stack(Parties):
    """The running system, acted on as each party (clients/parties.py) with the tests' defaults, and the
    parts a test may look into or break: the Temporal client, the sinks, the repairs app."""

    notifications: notifications_pb2_grpc.NotificationsServiceAsyncStub
    portal_url: str = ""  # the portal's web server

    def __init__(
        self,
        channels: Mapping[str, grpc.aio.Channel],
        keys: dict[str, str],
        temporal: Client,
        mail: MailSink,
        http: HttpSink,
        http_url: str,
        smtp_port: int,
        notifications_settings: NotificationsSettings,
        mail_server: asyncio.Server | None,
        targets: dict[str, str],
        repairs_app: RepairsApp,
    ):
        super().__init__(channels["warranty"], channels["repairs"], keys, channels["notifications"])
        self.temporal, self.mail, self.http, self.http_url = (
            temporal,
            mail,
            http,
            http_url,
        )  # http_url: /sms, /webhooks/<name>
        self.smtp_port, self.notifications_settings, self.mail_server = smtp_port, notifications_settings, mail_server
        self.targets = targets  # service name -> host:port, for CLI tests
        self.repairs_app = repairs_app

    async def mail_down(self) -> None:
        assert self.mail_server is not None
        self.mail_server.close()
        await self.mail_server.wait_closed()
        self.mail_server = None

    async def mail_up(self) -> None:
        self.mail_server = await start_mail_sink(self.mail, "127.0.0.1", self.smtp_port)

    async def product(
        self,
        *,
        paid_repair_minor: int = 0,
        return_window_days: int = 0,
        plan: tuple[int, int] = (0, 0),
        approval: wpb.ApprovalPolicy | None = None,
    ) -> None:
        await self.create_product(
            SKU,
            category=CATEGORY,
            display_name="Kettle 3000",
            paid_repair_minor=paid_repair_minor,
            return_window_days=return_window_days,
            plan=plan,
            approval=approval,
        )

    async def centre(self, centre_id: str = "demo-centre", region: str = "DE", capacity: int = 10) -> None:
        await self.create_centre(
            centre_id, display_name=centre_id.title(), region=region, category=CATEGORY, capacity=capacity
        )

    async def sale(self, serial: str, *, retailer: str = RETAILER, days_ago: int = 100) -> None:
        till = timezone(timedelta(hours=1))
        bought = datetime.now(till) - timedelta(days=days_ago)
        await self.register_sale(serial, SKU, purchased_at=bought, locale="fr", retailer=retailer)

    async def file(
        self,
        serial: str,
        *,
        principal: str = RETAILER,
        request_id: str | None = None,
        region: str = "DE",
        **fields: Any,
    ) -> rpb.Claim:
        return await self.file_claim(claim_request(serial, request_id=request_id, region=region, **fields), principal)

    async def status(
        self, rma: str, status: rpb.RepairStatus.ValueType, principal: str = CENTRE, request_id: str | None = None
    ) -> rpb.Claim:
        return await self.report(rma, principal, status, request_id=request_id)

    async def parcel(
        self,
        claim: rpb.Claim,
        direction: rpb.Direction.ValueType,
        event: rpb.ParcelEvent.ValueType,
        at: datetime | None = None,
    ) -> rpb.Claim:
        return await self.move_parcel(claim, direction, event, at=at)


async def until(check: Callable[[], Awaitable[bool]], *, within: float = 60.0, what: str = "") -> None:
    """Poll a condition the system reaches on its own; fail naming it if it is not reached `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not reached within {within:.0f}s: {what or check.__name__}")
        await asyncio.sleep(0.1)


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
    smtp_port, http_port, portal_port, portal_http = free_port(), free_port(), free_port(), free_port()
    mail_server = await start_mail_sink(mail, "127.0.0.1", smtp_port)
    http_runner = await start_http_sink(http, "127.0.0.1", http_port)
    ports: dict[str, int] = {}

    def own(name: str) -> dict[str, Any]:
        """What a service gets besides `common`, in registry order (so it may name those started before)."""
        if name == "warranty":
            return {"customer_id_key": "test-key"}
        if name == "repairs":
            return {"warranty_target": f"127.0.0.1:{ports['warranty']}"}
        if name == "notifications":
            return {
                "repairs_target": f"127.0.0.1:{ports['repairs']}",
                "warranty_target": f"127.0.0.1:{ports['warranty']}",
                "smtp_port": smtp_port,
                "sms_url": f"http://127.0.0.1:{http_port}/sms",
                "webhook_dev_targets": True,
                "provider_timeout_seconds": 5,
                "portal_target": f"127.0.0.1:{portal_port}",
            }
        if name == "portal":  # started last, on the port notifications was given
            return {
                "grpc_port": portal_port,
                "http_port": portal_http,
                "public_url": f"http://127.0.0.1:{portal_http}",
                "repairs_target": f"127.0.0.1:{ports['repairs']}",
                "warranty_target": f"127.0.0.1:{ports['warranty']}",
                "notifications_target": f"127.0.0.1:{ports['notifications']}",
            }
        return {}

    apps: dict[str, ServiceApp] = {}
    try:
        for entry in registry.SERVICES:
            app = entry.build(database_url=await new_database(entry.name), **{**common, **own(entry.name)})
            apps[entry.name] = app
            ports[entry.name] = await app.start()
    except BaseException:  # one that did not start: stop those that did, and their sinks
        for started in reversed(apps.values()):
            await started.stop()
        mail_server.close()
        await http_runner.cleanup()
        raise
    repairs, notifications = apps["repairs"], apps["notifications"]
    assert isinstance(repairs, RepairsApp) and isinstance(notifications.settings, NotificationsSettings)
    client = await connect(repairs.settings)
    # A test marked `notifications_worker_elsewhere` runs the notifications worker itself (as a process).
    elsewhere = request.node.get_closest_marker("notifications_worker_elsewhere") is not None
    stack: Stack | None = None
    workers = [Worker(client, task_queue=CLAIMS_QUEUE, workflows=WORKFLOWS)] + [
        Worker(client, task_queue=app.task_queue, activities=app.activities())
        for app in apps.values()
        if app.task_queue and not (elsewhere and app is notifications)
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
                {"warranty": w, "repairs": r, "notifications": n},
                dev_keys,
                client,
                mail,
                http,
                f"http://127.0.0.1:{http_port}",
                smtp_port,
                notifications.settings,
                mail_server,
                {**{name: f"127.0.0.1:{port}" for name, port in ports.items()}, "temporal": temporal_dev_server},
                repairs,
            )
            portal = apps["portal"]
            assert isinstance(portal, PortalApp)
            stack.portal_url = f"http://127.0.0.1:{portal.http_port}"
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
