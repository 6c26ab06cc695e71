"""Scale-out on one machine: two replicas of each service (each with its activity worker) and two claims
workers, as separate processes, against one Temporal dev server and one PostgreSQL. A few hundred claims run
to CLOSED through both repairs replicas while one replica of every kind is SIGKILLed and restarted midway.
Then every claim closed exactly once, and each event's e-mail reached the mail sink under one Message-ID.

Runs on PostgreSQL only (AFTERCARE_TEST_DATABASE_URL, as in CI's second pass): replicas share a database."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.repairs.v1 import repairs_pb2_grpc
from aftercare.warranty.v1 import warranty_pb2 as wpb
from aftercare.warranty.v1 import warranty_pb2_grpc
from google.type import postal_address_pb2

from cli.dev import grpc_healthy
from devtools.sinks import HttpSink, MailSink, start_http_sink, start_mail_sink
from tests.conftest import PG_URL, free_port
from tests.stack import until
from tests.warranty.conftest import civil

pytestmark = [
    pytest.mark.skipif(not PG_URL, reason="replicas share a database: runs with AFTERCARE_TEST_DATABASE_URL"),
    pytest.mark.timeout(900),
]

CLAIMS = int(os.environ.get("AFTERCARE_SCALE_CLAIMS", "200"))
IN_FLIGHT = 24
SKU, CATEGORY = "SCALE-KETTLE", "small-appliance"
RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)


@dataclass
class Replica:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    port: int = 0  # gRPC port (0: the claims worker has none)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cli.main", *self.argv],
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    async def ready(self) -> None:
        async def up() -> bool:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-2000:]
            if not self.port:
                return self.log.read_text().count("worker ready") >= self.starts
            return await grpc_healthy(self.port)

        await until(up, within=120, what=f"{self.name} ready")


@dataclass
class Cluster:
    replicas: dict[str, list[Replica]]
    keys: dict[str, str]
    channels: dict[str, list[grpc.aio.Channel]] = field(default_factory=dict)
    turn: itertools.count[int] = field(default_factory=itertools.count)

    async def call(self, service: str, method: str, request: Any, principal: str) -> Any:
        """One RPC with the caller's request_id, to the next replica; retried on another while one is down."""
        metadata = [("authorization", f"Bearer {self.keys[principal]}")]
        for attempt in itertools.count():
            channel = self.channels[service][next(self.turn) % 2]
            stub: Any = (
                repairs_pb2_grpc.RepairsServiceStub(channel)
                if service == "repairs"
                else warranty_pb2_grpc.WarrantyServiceStub(channel)
            )
            try:
                return await getattr(stub, method)(request, metadata=metadata, timeout=30)
            except grpc.aio.AioRpcError as error:
                if error.code() not in RETRYABLE or attempt > 60:
                    raise
                await asyncio.sleep(0.25)
        raise AssertionError("unreachable")


@pytest.fixture
async def cluster(
    tmp_path: Path,
    new_database: Callable[[str], Awaitable[str]],
    dev_keys: dict[str, str],
    temporal_dev_server: str,
) -> AsyncIterator[tuple[Cluster, MailSink]]:
    mail = MailSink(tmp_path / "sinks")
    smtp_port, http_port = free_port(), free_port()
    mail_server = await start_mail_sink(mail, "127.0.0.1", smtp_port)
    http_runner = await start_http_sink(HttpSink(tmp_path / "sinks"), "127.0.0.1", http_port)
    databases = {s: await new_database(s) for s in ("warranty", "repairs", "notifications", "portal")}
    ports = {s: [free_port(), free_port()] for s in databases}
    web_ports = [free_port(), free_port()]  # the portal's replicas' web servers
    common = {
        "AFTERCARE_VAR_DIR": str(tmp_path),
        "AFTERCARE_TEMPORAL_ADDRESS": temporal_dev_server,
        "AFTERCARE_CUSTOMER_ID_KEY": "scale-test-key",
        # A service's replicas reach the others through their second replica (the one never killed).
        "AFTERCARE_WARRANTY_TARGET": f"127.0.0.1:{ports['warranty'][1]}",
        "AFTERCARE_REPAIRS_TARGET": f"127.0.0.1:{ports['repairs'][1]}",
        "AFTERCARE_NOTIFICATIONS_TARGET": f"127.0.0.1:{ports['notifications'][1]}",
        "AFTERCARE_PORTAL_TARGET": f"127.0.0.1:{ports['portal'][1]}",
        "AFTERCARE_SMTP_PORT": str(smtp_port),
        "AFTERCARE_SMS_URL": f"http://127.0.0.1:{http_port}/sms",
    }
    replicas = _replicas(tmp_path, databases, ports, web_ports, common)
    every = [r for group in replicas.values() for r in group]
    try:
        for replica in every:
            replica.start()
        await asyncio.gather(*(r.ready() for r in every))
        channels = {s: [grpc.aio.insecure_channel(f"127.0.0.1:{p}") for p in ports[s]] for s in ("warranty", "repairs")}
        yield Cluster(dict(replicas), dev_keys, channels), mail
        for group in channels.values():
            for ch in group:
                await ch.close()
    finally:
        _stop(every)
        mail_server.close()
        await http_runner.cleanup()


def _replicas(
    tmp_path: Path, databases: dict[str, str], ports: dict[str, list[int]], web_ports: list[int], common: dict[str, str]
) -> dict[str, list[Replica]]:
    """Two replicas of each service (each on its own port, one database per service) and of the claims worker."""
    replicas: dict[str, list[Replica]] = defaultdict(list)
    for service, database in databases.items():
        for i, port in enumerate(ports[service]):
            env = {**common, "AFTERCARE_DATABASE_URL": database, "AFTERCARE_GRPC_PORT": str(port)}
            if service == "portal":
                env["AFTERCARE_HTTP_PORT"] = str(web_ports[i])
            replicas[service].append(
                Replica(f"{service}-{i}", ["serve", service], env, tmp_path / f"{service}-{i}.log", port)
            )
    for i in range(2):
        replicas["claims"].append(Replica(f"claims-{i}", ["worker", "claims"], common, tmp_path / f"claims-{i}.log"))
    return replicas


def _stop(every: list[Replica]) -> None:
    """Terminate every replica still running, and kill one that does not stop within 20 s."""
    for replica in every:
        if replica.proc is not None and replica.proc.poll() is None:
            replica.proc.terminate()
    for replica in every:
        if replica.proc is not None:
            try:
                replica.proc.wait(20)
            except subprocess.TimeoutExpired:
                replica.proc.kill()


def rid(rma_or_serial: str, step: str) -> str:
    return f"scale:{rma_or_serial}:{step}"  # stable: a retry after a kill is the same request


async def one_claim(c: Cluster, i: int, serial: str) -> str:
    """A customer's claim from filing to CLOSED, each party through the API with stable request ids."""
    request = rpb.FileClaimRequest(
        request_id=rid(serial, "file"),
        serial=serial,
        fault_category=rpb.FAULT_CATEGORY_ELECTRICAL,
        description="No heat.",
        contact=rpb.CustomerContact(email=f"c{i}@example.com", locale="en"),
        return_address=postal_address_pb2.PostalAddress(
            region_code="DE", locality="Berlin", address_lines=["Str. 1"], recipients=["C"]
        ),
    )
    claim = (await c.call("repairs", "FileClaim", request, "retailer:demo-retailer")).claim
    rma, centre = claim.rma, f"centre:{claim.centre_id}"
    assert claim.shipments, claim
    tracking = {s.direction: s.tracking_number for s in claim.shipments}

    async def parcel(direction: rpb.Direction.ValueType, event: rpb.ParcelEvent.ValueType) -> rpb.Claim:
        nonlocal tracking
        req = rpb.RecordShipmentEventRequest(
            request_id=rid(rma, f"{direction}.{event}"),
            rma=rma,
            direction=direction,
            tracking_number=tracking[direction],
            event=event,
        )
        req.event_time.FromDatetime(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=int(event)))
        return (await c.call("repairs", "RecordShipmentEvent", req, "carrier:local")).claim

    async def status(s: rpb.RepairStatus.ValueType) -> rpb.Claim:
        req = rpb.UpdateRepairStatusRequest(request_id=rid(rma, f"status.{s}"), rma=rma, status=s)
        return (await c.call("repairs", "UpdateRepairStatus", req, centre)).claim

    await parcel(rpb.DIRECTION_TO_CENTRE, rpb.PARCEL_EVENT_PICKED_UP)
    await parcel(rpb.DIRECTION_TO_CENTRE, rpb.PARCEL_EVENT_DELIVERED)
    await status(rpb.REPAIR_STATUS_DIAGNOSING)
    diagnosis = rpb.Diagnosis(
        covered_fault=rpb.Diagnosis.CoveredFault(parts=["HEATER-7"], labour_minutes=20),
        root_cause="ELECTRICAL/HEATING_ELEMENT",
    )
    req = rpb.RecordDiagnosisRequest(request_id=rid(rma, "diagnosis"), rma=rma, diagnosis=diagnosis)
    await c.call("repairs", "RecordDiagnosis", req, centre)
    await status(rpb.REPAIR_STATUS_QUALITY_CHECK)
    claim = await status(rpb.REPAIR_STATUS_READY_TO_SHIP)
    tracking = {s.direction: s.tracking_number for s in claim.shipments}
    await parcel(rpb.DIRECTION_TO_CUSTOMER, rpb.PARCEL_EVENT_PICKED_UP)
    await parcel(rpb.DIRECTION_TO_CUSTOMER, rpb.PARCEL_EVENT_DELIVERED)
    feedback = rpb.SubmitFeedbackRequest(request_id=rid(rma, "feedback"), rma=rma, score=9)
    claim = (await c.call("repairs", "SubmitFeedback", feedback, "retailer:demo-retailer")).claim
    assert claim.state == rpb.CLAIM_STATE_CLOSED, rma
    return str(rma)


async def test_claims_close_once_each_with_one_message_per_event_while_replicas_die(
    cluster: tuple[Cluster, MailSink],
) -> None:
    c, mail = cluster
    product = wpb.Product(
        sku=SKU,
        display_name="Scale Kettle",
        category=CATEGORY,
        policy=wpb.WarrantyPolicy(
            coverage_months=24, repair_sla_days=10, covered_fault_categories=[wpb.FAULT_CATEGORY_ELECTRICAL]
        ),
    )
    product.launch_time.FromDatetime(datetime(2024, 1, 1, tzinfo=UTC))
    await c.call(
        "warranty", "CreateProduct", wpb.CreateProductRequest(request_id="scale:product", product=product), "ops"
    )
    for centre in ("demo-centre", "other-centre"):
        centre_pb = rpb.ServiceCentre(
            id=centre, display_name=centre, region="DE", categories=[CATEGORY], daily_capacity=1000
        )
        await c.call(
            "repairs",
            "CreateServiceCentre",
            rpb.CreateServiceCentreRequest(request_id=f"scale:{centre}", centre=centre_pb),
            "ops",
        )
    serials = [f"SCALE-{i:05d}" for i in range(CLAIMS)]
    sales = [
        wpb.RegisterSaleRequest(
            request_id=rid(s, "sale"),
            serial=s,
            sku=SKU,
            purchase_time=civil(datetime.now(UTC) - timedelta(days=100)),
            sale_reference="R",
            contact=wpb.Contact(email=f"c{i}@example.com", locale="en"),
        )
        for i, s in enumerate(serials)
    ]
    batch = await c.call(
        "warranty", "BatchRegisterSales", iter([wpb.BatchRegisterSalesRequest(sales=sales)]), "retailer:demo-retailer"
    )
    assert batch.registered_count == CLAIMS

    gate = asyncio.Semaphore(IN_FLIGHT)
    done = 0

    async def run(i: int) -> str:
        nonlocal done
        async with gate:
            rma = await one_claim(c, i, serials[i])
        done += 1
        return rma

    claims = [asyncio.create_task(run(i)) for i in range(CLAIMS)]

    async def halfway() -> bool:
        return done >= CLAIMS // 3

    await until(halfway, within=600, what="a third of the claims closed")
    victims = [group[0] for group in c.replicas.values()]  # one replica of every kind
    for replica in victims:
        replica.kill()
    for replica in victims:
        replica.start()
    await asyncio.gather(*(r.ready() for r in victims))
    rmas = await asyncio.gather(*claims)

    # Every claim closed, none twice: one CLOSED in each timeline.
    assert len(set(rmas)) == CLAIMS
    for rma in rmas:
        got = await c.call("repairs", "GetClaim", rpb.GetClaimRequest(rma=rma), "ops")
        closed = [e for e in got.claim.timeline if e.state == rpb.CLAIM_STATE_CLOSED]
        assert len(closed) == 1, (rma, [e.kind for e in got.claim.timeline])

    # One message per event: accepted, received, shipped, delivered, closed for each claim, each once.
    per_claim = 5

    async def all_mailed() -> bool:
        return len({m.message_id for m in mail.messages}) >= per_claim * CLAIMS

    await until(all_mailed, within=300, what="five e-mails for every claim")
    ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for m in mail.messages:
        ids[(m.to[0], m.subject)].add(m.message_id)
    assert all(len(v) == 1 for v in ids.values()), [k for k, v in ids.items() if len(v) > 1]
    assert len(ids) == per_claim * CLAIMS
    copies = len(mail.messages) - len(ids)
    print(
        f"{CLAIMS} claims, {len(ids)} messages, {copies} resent copies (same Message-ID), "
        f"restarted {[r.name for r in victims]}"
    )
    assert all(r.starts == 2 for r in victims)
