"""Benchmark the warranty service's write and read paths against a real server process.

    .venv/bin/python bench/register_sales.py [--warranties 1000000] [--seconds 8] [--postgres URL]

The server runs as its own process (`aftercare serve warranty --no-worker`) on a fresh database; this
process is only the client. Every figure is set beside a floor measured in the same run:

- unary RegisterSale at 64 in flight, against an empty RPC (health Check) through the same server stack
  (same interceptor chain, same channel, same concurrency). Every acknowledged sale is committed (SQLite
  WAL with synchronous=FULL) before its answer is sent.
- streamed BatchRegisterSales, against a bare bulk INSERT of the same rows into a fresh database of the
  same kind, one transaction per 1,000 rows, with no validation and no RPC.
- CheckEntitlement with --warranties registered (seeded by bulk insert, purchases spread over two years),
  p50/p99 at 1 in flight and RPC/s at 64 in flight against the empty RPC; CPU per call from /proc.
- The database's size per warranty, and the daily expiry reminder's whole scan (its activity, page by page,
  as the schedule runs it): seconds, warranties read, warranties due.

It prints a table as it goes and, on its last line, one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from aftercare.warranty.v1 import warranty_pb2 as pb
from aftercare.warranty.v1 import warranty_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import system  # noqa: E402
from contracts.warranty import REMINDER_WINDOW, ExpiringQuery  # noqa: E402
from devtools.keys import ensure_dev_keys  # noqa: E402
from services.kit.db import Database  # noqa: E402
from services.kit.timestamps import civil  # noqa: E402
from services.warranty.activities import WarrantyActivities  # noqa: E402
from services.warranty.domain.timezones import add_months  # noqa: E402
from services.warranty.persistence import MIGRATIONS  # noqa: E402
from services.warranty.persistence.repository import WarrantyRepository  # noqa: E402
from services.warranty.persistence.tables import WarrantyRow  # noqa: E402

SKU = "BENCH-1"
RETAILER = "retailer:demo-retailer"
IN_FLIGHT = 64
COVERAGE_MONTHS = 24
_W = WarrantyRow.__table__  # type: ignore[attr-defined]
PURCHASED = datetime.now(UTC) - timedelta(days=40)

Call = Callable[[int], Awaitable[None]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`aftercare serve warranty` in its own process, with its CPU time read from /proc."""

    def __init__(self, var: Path, database_url: str):
        self.port = free_port()
        env = dict(
            os.environ,
            AFTERCARE_VAR_DIR=str(var),
            AFTERCARE_GRPC_PORT=str(self.port),
            AFTERCARE_DATABASE_URL=database_url,
            AFTERCARE_LOG_LEVEL="WARNING",
            AFTERCARE_RATE_LIMIT_PER_SECOND="0",  # measure the service, not its limit
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "warranty", "--no-worker"], cwd=ROOT, env=env
        )

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def wait_ready(self, channel: grpc.aio.Channel) -> None:
        health = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with {self.process.returncode}")
            try:
                reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.2)
        raise SystemExit("the server did not become ready in 60 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def sale(serial: str) -> pb.RegisterSaleRequest:
    return pb.RegisterSaleRequest(
        request_id=str(uuid.uuid4()),
        serial=serial,
        sku=SKU,
        purchase_time=civil(PURCHASED),
        sale_reference="BENCH",
        contact=pb.Contact(email="bench@example.com", locale="en"),
    )


def bare_row(serial: str, now: datetime, purchased: datetime = PURCHASED) -> dict[str, Any]:
    """What the service stores for a sale, as a plain row (the customer id is a fixed stand-in)."""
    row = {
        "serial": serial,
        "sku": SKU,
        "policy_version": 1,
        "retailer_id": "demo-retailer",
        "sale_reference": "BENCH",
        "purchased_at": purchased.replace(microsecond=0),
        "purchase_time_zone": "+00:00",
        "customer_id": "cus_bench",
        "email": "bench@example.com",
        "phone": "",
        "locale": "en",
        "state": "ACTIVE",
        "void_reason": "",
        "voided_at": None,
        "transfer_count": 0,
        "extended_months": 0,
        "request_id": str(uuid.uuid4()),
        "request_hash": "bench",
        "created_at": now,
        "updated_at": now,
    }
    if "coverage_end" in _W.c:  # the schema before the coverage-end column had none (the "before" runs)
        row["coverage_end"] = add_months(purchased.replace(microsecond=0), COVERAGE_MONTHS, UTC)
    return row


async def bulk_insert(
    database_url: str, serials: list[str], *, chunk: int = 1000, progress: bool = False, spread: bool = False
) -> float:
    """Insert the rows with plain INSERTs, one transaction per chunk; returns the seconds taken. With `spread`,
    purchases fall over the last two years (each still covered), so some warranties are near their end."""
    db = Database(database_url)
    await db.migrate(MIGRATIONS, "warranty")
    now = datetime.now(UTC)
    table = _W
    started = time.perf_counter()
    try:
        for i in range(0, len(serials), chunk):
            rows = [
                bare_row(s, now, now - timedelta(days=2 + (i + k) % 718) if spread else PURCHASED)
                for k, s in enumerate(serials[i : i + chunk])
            ]
            async with db.connection() as conn:
                await conn.execute(insert(table), rows)
            if progress and (i // chunk) % 50 == 0:
                print(f"  seeded {i + len(rows):>9,} / {len(serials):,}", flush=True)
    finally:
        await db.dispose()
    return time.perf_counter() - started


async def closed_loop(
    call: Call, *, in_flight: int, seconds: float | None = None, total: int | None = None
) -> dict[str, float]:
    """Keep `in_flight` calls running until `seconds` pass or `total` calls are made; latencies in ms."""
    latencies: list[float] = []
    counter = iter(range(sys.maxsize))
    deadline = time.perf_counter() + seconds if seconds else float("inf")

    async def lane() -> None:
        while time.perf_counter() < deadline:
            n = next(counter)
            if total is not None and n >= total:
                return
            started = time.perf_counter()
            await call(n)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(in_flight)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "calls": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def show(name: str, figures: dict[str, float], floor: float | None = None) -> None:
    ratio = f"  ratio {figures['rps'] / floor:.2f}" if floor else ""
    extra = f"  cpu/call {figures['cpu_us_per_call']:.0f} us" if "cpu_us_per_call" in figures else ""
    print(
        f"{name:<34} {figures['rps']:>9,.0f}/s  p50 {figures['p50_ms']:6.2f} ms  p99 {figures['p99_ms']:6.2f} ms"
        f"{extra}{ratio}",
        flush=True,
    )


async def measured(server: Server, call: Call, **kwargs: Any) -> dict[str, float]:
    cpu = server.cpu_seconds()
    figures = await closed_loop(call, **kwargs)
    figures["cpu_us_per_call"] = (server.cpu_seconds() - cpu) / figures["calls"] * 1e6
    return figures


async def run(args: argparse.Namespace) -> dict[str, Any]:
    var = Path(tempfile.mkdtemp(prefix="aftercare-bench-"))
    keys = ensure_dev_keys(var / "api-keys.json")
    url = args.database_url or f"sqlite+aiosqlite:///{var / 'warranty.db'}"
    bare_url = args.bare_database_url or f"sqlite+aiosqlite:///{var / 'bare.db'}"
    server = Server(var, url)
    results: dict[str, Any] = {"database": url.split(":", 1)[0], "in_flight": IN_FLIGHT}
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            await server.wait_ready(channel)
            stub = warranty_pb2_grpc.WarrantyServiceStub(channel)
            health = health_pb2_grpc.HealthStub(channel)
            ops = [("authorization", f"Bearer {keys['ops']}")]
            retailer = [("authorization", f"Bearer {keys[RETAILER]}")]
            product = pb.Product(
                sku=SKU,
                display_name="Bench product",
                category="bench",
                policy=pb.WarrantyPolicy(
                    coverage_months=COVERAGE_MONTHS,
                    return_window_days=30,
                    repair_sla_days=10,
                    covered_fault_categories=[pb.FAULT_CATEGORY_ELECTRICAL],
                ),
            )
            product.launch_time.FromDatetime(datetime(2020, 1, 1, tzinfo=UTC))
            await stub.CreateProduct(
                pb.CreateProductRequest(request_id=str(uuid.uuid4()), product=product), metadata=ops
            )

            async def empty(_: int) -> None:
                await health.Check(health_pb2.HealthCheckRequest(), metadata=retailer)

            async def register(n: int) -> None:
                await stub.RegisterSale(sale(f"U{n:09d}"), metadata=retailer)

            print(f"warranty service pid {server.process.pid}, {results['database']}, {IN_FLIGHT} in flight")
            await closed_loop(empty, in_flight=IN_FLIGHT, seconds=1)  # warm up
            floor = await measured(server, empty, in_flight=IN_FLIGHT, seconds=args.seconds)
            show("empty RPC (health.Check)", floor)
            unary = await measured(server, register, in_flight=IN_FLIGHT, seconds=args.seconds)
            show("RegisterSale (unary)", unary, floor["rps"])
            results["empty_rpc"] = floor
            results["register_sale"] = {**unary, "ratio_to_empty": unary["rps"] / floor["rps"]}

            # Streamed batch against a bare bulk insert of the same rows.
            serials = [f"B{n:09d}" for n in range(args.batch)]
            chunks = [
                pb.BatchRegisterSalesRequest(sales=[sale(s) for s in serials[i : i + 1000]])
                for i in range(0, len(serials), 1000)
            ]

            async def stream() -> Any:
                for chunk in chunks:
                    yield chunk

            started = time.perf_counter()
            reply = await stub.BatchRegisterSales(stream(), metadata=retailer)
            streamed = time.perf_counter() - started
            assert reply.registered_count == len(serials), reply.failed_count
            bare = await bulk_insert(bare_url, serials)
            batch = {
                "sales": len(serials),
                "streamed_per_s": len(serials) / streamed,
                "bare_insert_per_s": len(serials) / bare,
                "ratio_to_bare": bare / streamed,
            }
            print(
                f"{'BatchRegisterSales (streamed)':<34} {batch['streamed_per_s']:>9,.0f}/s  "
                f"bare insert {batch['bare_insert_per_s']:,.0f}/s  ratio {batch['ratio_to_bare']:.2f}",
                flush=True,
            )
            results["batch_register_sales"] = batch

            # CheckEntitlement with many warranties on record.
            on_record = unary["calls"] + len(serials)
            seed = max(10_000, args.warranties - on_record)
            print(f"seeding {seed:,} more warranties by bulk insert ({on_record:,} already registered)")
            await bulk_insert(url, [f"S{n:09d}" for n in range(seed)], chunk=5000, progress=True, spread=True)
            incident = datetime.now(UTC) - timedelta(days=1)

            async def check(n: int) -> None:
                request = pb.CheckEntitlementRequest(serial=f"S{(n * 7919) % max(seed, 1):09d}")
                request.incident_time.FromDatetime(incident)
                reply = await stub.CheckEntitlement(request, metadata=retailer)
                assert reply.covered

            await closed_loop(check, in_flight=1, seconds=1)  # warm up
            single = await measured(server, check, in_flight=1, seconds=args.seconds)
            show("CheckEntitlement, 1 in flight", single)
            floor2 = await measured(server, empty, in_flight=IN_FLIGHT, seconds=args.seconds)
            show("empty RPC (health.Check)", floor2)
            many = await measured(server, check, in_flight=IN_FLIGHT, seconds=args.seconds)
            show("CheckEntitlement, 64 in flight", many, floor2["rps"])
            results["check_entitlement"] = {
                "warranties": seed + on_record,
                "one_in_flight": single,
                "in_flight_64": {**many, "ratio_to_empty": many["rps"] / floor2["rps"]},
                "empty_rpc": floor2,
            }
            results["database_bytes_per_warranty"] = await database_bytes(url) / (seed + on_record)
            print(f"database size {results['database_bytes_per_warranty']:,.0f} bytes per warranty")
            results["expiry_reminder_scan"] = await reminder_scan(url)
    finally:
        server.stop()
    return results


async def database_bytes(url: str) -> int:
    """The service database's size on disk (SQLite: the file and its WAL; PostgreSQL: pg_database_size)."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    db = Database(url)
    try:
        async with db.connection() as conn:
            return int((await conn.execute(text("SELECT pg_database_size(current_database())"))).scalar_one())
    finally:
        await db.dispose()


async def reminder_scan(url: str) -> dict[str, float]:
    """The daily expiry reminder's whole scan, page by page through its activity, as the schedule runs it."""
    db = Database(url)
    activities = WarrantyActivities(WarrantyRepository(db))
    now, after, scanned, due, pages = datetime.now(UTC), 0, 0, 0, 0
    started = time.perf_counter()
    try:
        while True:
            page = await activities.find_expiring(
                ExpiringQuery(now=now, within_seconds=int(REMINDER_WINDOW.total_seconds()), after_id=after, limit=500)
            )
            scanned, due, pages, after = (
                scanned + page.scanned,
                due + len(page.warranties),
                pages + 1,
                page.next_after_id,
            )
            if not after:
                break
    finally:
        await db.dispose()
    seconds = time.perf_counter() - started
    print(f"expiry reminder scan: {seconds:.2f} s, {pages:,} pages, {scanned:,} warranties read, {due:,} due")
    return {"seconds": seconds, "pages": pages, "read": scanned, "due": due}


async def on_postgres(args: argparse.Namespace) -> dict[str, Any]:
    """The run, on two scratch PostgreSQL databases when --postgres names a server."""
    if not args.postgres:
        return await run(args)
    async with system.scratch_postgres(args.postgres, ["warranty", "bare"]) as urls:
        args.database_url, args.bare_database_url = urls["warranty"], urls["bare"]
        return await run(args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warranties", type=int, default=1_000_000, help="warranties on record for CheckEntitlement")
    parser.add_argument("--batch", type=int, default=20_000, help="sales in the streamed batch (one stream)")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each timed phase")
    parser.add_argument(
        "--postgres", help="a PostgreSQL server URL: the service's and the floor's databases are scratch ones there"
    )
    parser.add_argument("--database-url", help="the service's database (default: a fresh SQLite file)")
    parser.add_argument("--bare-database-url", help="a second empty database for the bare-insert floor")
    results = asyncio.run(on_postgres(parser.parse_args()))
    print(json.dumps(results, default=round))


if __name__ == "__main__":
    main()
