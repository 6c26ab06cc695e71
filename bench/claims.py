"""Benchmark claims against the whole system as `make run` configures it.

    .venv/bin/python bench/claims.py [--claims 40] [--in-flight 8] [--updates 200] [--open 10000]
                                     [--parts happy,update,list] [--postgres URL]

Starts what `make run` starts (the Temporal dev server on its tuned SQLite file, the warranty and repairs
services with their activity workers, the claims worker) in a scratch directory (bench/system.py; with
--postgres, each service on its own scratch PostgreSQL database), so stop `make run` first (the ports are the
same). This process is the client. Every figure is set beside a floor from the same run:

- **Happy path**: claims taken from FileClaim to CLOSED over gRPC (carrier events, the centre's statuses
  and diagnosis, feedback), `--in-flight` at a time. The floor is a workflow with the same number of
  updates, each running the same number of activities as the real one does (counted from a real claim's
  history), with no-op bodies, driven straight through the Temporal client on the same server.
- **UpdateRepairStatus** round trip at the gRPC client, one at a time (REPAIRING <-> AWAITING_PARTS), p50
  and p99, beside a bare no-op update on the same Temporal server.
- **ListClaims** for a centre holding `--open` open claims (seeded straight into the repairs database):
  p50/p99 of a 50-row page, first page and a deep page.

It prints figures as it goes and, on its last line, one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from aftercare.repairs.v1 import repairs_pb2 as rpb
from sqlalchemy import insert, text
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import system  # noqa: E402
from bench.figures import latency, rounded  # noqa: E402
from cli import dev  # noqa: E402
from clients.parties import Parties, claim_request  # noqa: E402
from contracts.claims import ClaimStatus, claim_workflow_id  # noqa: E402
from devtools.keys import ensure_dev_keys  # noqa: E402
from services.kit.db import Database  # noqa: E402
from services.repairs.domain.rma import new_rma  # noqa: E402
from services.repairs.persistence.tables import ClaimRow  # noqa: E402

SKU, CATEGORY, CENTRE = "BENCH-KETTLE", "small-appliance", "demo-centre"
FLOOR_QUEUE = "bench-floor"


# -- the floor: the same shape of work with no-op bodies -----------------------------------------------------


@activity.defn(name="bench.noop")
async def noop() -> None:
    return None


@workflow.defn(sandboxed=False)
class FloorWorkflow:
    """Intake runs plan[0] activities; each later update runs plan[i]; the last update ends the run."""

    def __init__(self) -> None:
        self.step = 0
        self.done = False

    @workflow.run
    async def run(self, plan: list[int]) -> None:
        self.plan = plan
        await self._activities(plan[0])
        self.step = 1
        await workflow.wait_condition(lambda: self.done)

    async def _activities(self, n: int) -> None:
        for _ in range(n):
            await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=30))

    @workflow.update
    async def intake(self) -> int:
        await workflow.wait_condition(lambda: self.step >= 1)
        return self.step

    @workflow.update
    async def advance(self, n: int) -> int:
        await self._activities(n)
        self.step += 1
        if self.step >= len(self.plan):
            self.done = True
        return self.step

    @workflow.update
    async def bare(self) -> int:
        return self.step

    @workflow.update
    async def bare_with_activity(self) -> int:
        await self._activities(1)
        return self.step


# -- helpers -----------------------------------------------------------------------------------------------


class Bench(Parties):
    """The parties the benchmarks act as, with the bench's product, centre and customer."""

    centre = f"centre:{CENTRE}"

    async def setup(self) -> None:
        await self.create_product(SKU, category=CATEGORY, display_name="Bench kettle")
        await self.create_centre(CENTRE, region="DE", category=CATEGORY, capacity=100_000, display_name="Bench centre")

    async def sale(self) -> str:
        serial = f"BN-{uuid.uuid4().hex[:12].upper()}"
        bought = datetime.now(UTC) - timedelta(days=60)
        await self.register_sale(serial, SKU, purchased_at=bought, email="bench@example.com", sale_reference="bench")
        return serial

    async def file(self, serial: str) -> rpb.Claim:
        request = claim_request(serial, email="bench@example.com", locale="en", description="bench", line="Bench 1")
        return await self.file_claim(request)

    async def happy_path(self, serial: str) -> str:
        claim = await self.file(serial)
        trip = (rpb.PARCEL_EVENT_PICKED_UP, rpb.PARCEL_EVENT_DELIVERED)
        await self.move_parcel(claim, rpb.DIRECTION_TO_CENTRE, *trip)
        done = await self.repair_and_close(claim.rma, centre=self.centre, score=9, trip_home=trip)
        assert done.state == rpb.CLAIM_STATE_CLOSED, done.state
        return claim.rma


async def plan_of(client: Client, rma: str) -> list[int]:
    """Activities per step of a real claim: the intake, then each update, from its history."""
    history = await client.get_workflow_handle(claim_workflow_id(rma)).fetch_history()
    plan: list[int] = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            plan.append(0)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED and plan:
            plan[-1] += 1
    return plan


async def in_parallel(n: int, width: int, job: Callable[[int], Awaitable[None]]) -> float:
    """Run job(0..n-1), `width` at a time; the elapsed seconds."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def lane() -> None:
        while not queue.empty():
            await job(queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(width)))
    return time.perf_counter() - started


async def floor_claim(client: Client, plan: list[int]) -> None:
    start = WithStartWorkflowOperation(
        FloorWorkflow.run,
        plan,
        id=f"floor-{uuid.uuid4().hex}",
        task_queue=FLOOR_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    await client.execute_update_with_start_workflow(FloorWorkflow.intake, start_workflow_operation=start)
    handle = await start.workflow_handle()
    for n in plan[1:]:
        await handle.execute_update(FloorWorkflow.advance, n)
    await handle.result()


async def seed_open_claims(database_url: str, n: int) -> None:
    now = datetime.now(UTC)
    db = Database(database_url)
    try:
        rows = []
        for i in range(n):
            rma = new_rma()
            status = ClaimStatus(rma=rma, serial=f"SEED-{i:07d}", sku=SKU, centre_id=CENTRE, state="REPAIRING")
            rows.append(
                {
                    "rma": rma,
                    "serial": status.serial,
                    "open_serial": status.serial,
                    "sku": SKU,
                    "state": "REPAIRING",
                    "centre_id": CENTRE,
                    "retailer_id": "demo-retailer",
                    "sla_breached": False,
                    "filed_by": "retailer:demo-retailer",
                    "request_id": rma,
                    "request_hash": "",
                    "fault_category": "ELECTRICAL",
                    "region": "DE",
                    "incident_at": now,
                    "status": status.model_dump_json(),
                    "seq": 1,
                    "description": "",
                    "email": "",
                    "phone": "",
                    "locale": "en",
                    "return_address": "{}",
                    "feedback_comment": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        async with db.connection() as conn:
            for i in range(0, n, 1000):
                await conn.execute(insert(ClaimRow), rows[i : i + 1000])
        async with db.engine.connect() as conn:  # statistics, as a database that grew to this size has them
            await conn.execute(text("ANALYZE claims"))
            await conn.commit()
    finally:
        await db.dispose()


# -- the run -----------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    var = Path(tempfile.mkdtemp(prefix="aftercare-bench-"))
    keys = dict(ensure_dev_keys(var / "api-keys.json"))
    results: dict[str, Any] = {"database": "postgresql" if args.postgres else "sqlite"}
    async with system.running(var, args.postgres) as databases:
        client = await Client.connect(f"127.0.0.1:{dev.TEMPORAL_PORT}")
        async with (
            grpc.aio.insecure_channel("127.0.0.1:50051") as cw,
            grpc.aio.insecure_channel("127.0.0.1:50052") as cr,
            Worker(client, task_queue=FLOOR_QUEUE, workflows=[FloorWorkflow], activities=[noop]),
        ):
            parties = Bench(cw, cr, keys)
            await parties.setup()

            if "happy" in args.parts:
                await happy_path(args, client, parties, results)
            if "update" in args.parts:
                await update_round_trip(args, client, parties, results)
            if "list" in args.parts:
                await list_claims(args, databases["repairs"], parties, results)
    return results


async def happy_path(args: argparse.Namespace, client: Client, parties: Bench, results: dict[str, Any]) -> None:
    """Whole claims from filing to closing against the floor workflow of the same shape."""
    warm = await parties.happy_path(await parties.sale())
    steps = await plan_of(client, warm)
    await floor_claim(client, steps)
    serials = [await parties.sale() for _ in range(args.claims)]

    async def real(i: int) -> None:
        await parties.happy_path(serials[i])

    async def floor(i: int) -> None:
        await floor_claim(client, steps)

    real_s = await in_parallel(args.claims, args.in_flight, real)
    floor_s = await in_parallel(args.claims, args.in_flight, floor)
    happy = {
        "claims": args.claims,
        "in_flight": args.in_flight,
        "updates_per_claim": len(steps),
        "activities_per_claim": sum(steps),
        "claims_per_s": args.claims / real_s,
        "floor_claims_per_s": args.claims / floor_s,
        "ratio": floor_s / real_s,
    }
    results["happy_path"] = happy
    print(
        f"happy path   {happy['claims_per_s']:.2f} claims/s ({len(steps)} updates, {sum(steps)} activities "
        f"each, {args.in_flight} in flight)  floor {happy['floor_claims_per_s']:.2f}/s  "
        f"ratio {happy['ratio']:.2f}  (target >= 0.7)",
        flush=True,
    )


async def update_round_trip(args: argparse.Namespace, client: Client, parties: Bench, results: dict[str, Any]) -> None:
    """UpdateRepairStatus one at a time against a bare update on the same server."""
    claim = await parties.file(await parties.sale())
    claim = await parties.move_parcel(claim, rpb.DIRECTION_TO_CENTRE, rpb.PARCEL_EVENT_DELIVERED)
    await parties.report(claim.rma, parties.centre, rpb.REPAIR_STATUS_DIAGNOSING)
    covered = rpb.Diagnosis(covered_fault=rpb.Diagnosis.CoveredFault(labour_minutes=1), root_cause="ELECTRICAL/WIRING")
    await parties.diagnose(claim.rma, parties.centre, covered)
    toggles = [rpb.REPAIR_STATUS_AWAITING_PARTS, rpb.REPAIR_STATUS_REPAIRING]
    times: list[float] = []
    for i in range(args.updates):
        t0 = time.perf_counter()
        await parties.report(claim.rma, parties.centre, toggles[i % 2])
        times.append(time.perf_counter() - t0)
    start = WithStartWorkflowOperation(
        FloorWorkflow.run,
        [0, 0],
        id=f"floor-bare-{uuid.uuid4().hex}",
        task_queue=FLOOR_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )
    await client.execute_update_with_start_workflow(FloorWorkflow.intake, start_workflow_operation=start)
    handle = await start.workflow_handle()
    bare: list[float] = []
    for _ in range(args.updates):
        t0 = time.perf_counter()
        await handle.execute_update(FloorWorkflow.bare)
        bare.append(time.perf_counter() - t0)
    one: list[float] = []
    for _ in range(args.updates):
        t0 = time.perf_counter()
        await handle.execute_update(FloorWorkflow.bare_with_activity)
        one.append(time.perf_counter() - t0)
    await handle.execute_update(FloorWorkflow.advance, 0)
    update = {
        "update_repair_status": latency(times),
        "bare_update": latency(bare),
        "bare_update_one_noop_activity": latency(one),
    }
    results["update_round_trip"] = update
    u, b, o = update["update_repair_status"], update["bare_update"], update["bare_update_one_noop_activity"]
    print(
        f"UpdateRepairStatus  p50 {u['p50_ms']:.1f} ms  p99 {u['p99_ms']:.1f} ms  (target 40/100)   "
        f"bare update p50 {b['p50_ms']:.1f} / p99 {b['p99_ms']:.1f} ms   "
        f"bare update with one no-op activity p50 {o['p50_ms']:.1f} / p99 {o['p99_ms']:.1f} ms",
        flush=True,
    )


async def list_claims(args: argparse.Namespace, repairs_db: str, parties: Bench, results: dict[str, Any]) -> None:
    """ListClaims for a centre with many open claims: the first page and paging on."""
    await seed_open_claims(repairs_db, args.open)
    centre_key = parties.as_(f"centre:{CENTRE}")
    first: list[float] = []
    deep: list[float] = []
    token = ""
    for _ in range(200):
        t0 = time.perf_counter()
        page = await parties.repairs.ListClaims(rpb.ListClaimsRequest(page_size=50), metadata=centre_key)
        first.append(time.perf_counter() - t0)
        assert len(page.claims) == 50
        t0 = time.perf_counter()
        page = await parties.repairs.ListClaims(
            rpb.ListClaimsRequest(page_size=50, page_token=token), metadata=centre_key
        )
        deep.append(time.perf_counter() - t0)
        token = page.next_page_token  # walks down the list, 50 at a time
    listing = {"open_claims": args.open, "first_page": latency(first), "next_pages": latency(deep)}
    results["list_claims"] = listing
    print(
        f"ListClaims ({args.open:,} open for one centre, 50 a page)  first page p50 "
        f"{listing['first_page']['p50_ms']:.1f} ms p99 {listing['first_page']['p99_ms']:.1f} ms   "
        f"paging on p99 {listing['next_pages']['p99_ms']:.1f} ms  (target p99 <= 20)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=40, help="claims taken through the happy path")
    parser.add_argument("--in-flight", type=int, default=8, help="claims in flight at once")
    parser.add_argument("--updates", type=int, default=200, help="round trips measured for each update kind")
    parser.add_argument("--open", type=int, default=10_000, help="open claims seeded for the ListClaims figure")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (each service gets a scratch database there)")
    parser.add_argument(
        "--parts",
        type=lambda text: set(text.split(",")),
        default={"happy", "update", "list"},
        help="which figures, comma-separated: happy,update,list (default all)",
    )
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(json.dumps(rounded(results)))


if __name__ == "__main__":
    main()
