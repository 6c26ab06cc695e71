"""Benchmark the customer portal's claim page against the whole system as `make run` configures it.

    .venv/bin/python bench/portal.py [--customers 32] [--requests 1500]

Starts what `make run` starts in a scratch directory (stop `make run` first: the ports are the same), files
`--customers` claims, opens each one's portal link as its own customer (a session cookie each), then has all of
them load their claim page at once, `--requests` pages in all. Each page is a real GetClaim over gRPC with the
customer's signed grant, rendered in the customer's language. The floor, measured in the same run with the same
client and concurrency, is a static file from the same web server (`/static/portal.css`).

Targets (issue 14): claim page p99 ≤ 50 ms, and at least 0.5 of the static file's rate. Prints the figures as it
goes and, on its last line, one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import httpx
from aftercare.portal.v1 import portal_pb2, portal_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import system  # noqa: E402
from bench.claims import Bench  # noqa: E402
from bench.figures import latency, rounded  # noqa: E402
from devtools.keys import ensure_dev_keys  # noqa: E402
from services import registry  # noqa: E402

PORTAL = registry.entry("portal")
WEB = f"http://localhost:{PORTAL.http_port}"  # the portal's public URL under `make run`: its links and cookies


async def load(clients: list[httpx.AsyncClient], path: str, total: int) -> tuple[float, list[float]]:
    """`total` GETs of `path`, one lane per client, all at once: (pages per second, each page's seconds)."""
    per_lane = max(1, total // len(clients))
    times: list[float] = []

    async def lane(client: httpx.AsyncClient) -> None:
        for _ in range(per_lane):
            t0 = time.perf_counter()
            response = await client.get(path)
            times.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise SystemExit(f"GET {path}: {response.status_code} after {len(times)} pages")

    started = time.perf_counter()
    await asyncio.gather(*(lane(c) for c in clients))
    return len(times) / (time.perf_counter() - started), times


async def measure(
    name: str, run: Callable[[], Awaitable[tuple[float, list[float]]]], results: dict[str, Any]
) -> dict[str, Any]:
    rate, times = await run()
    figure = {"pages_per_s": rate, **latency(times)}
    results[name] = figure
    print(f"{name:<12} {rate:7.0f} pages/s  p50 {figure['p50_ms']:.1f} ms  p99 {figure['p99_ms']:.1f} ms", flush=True)
    return figure


async def run(args: argparse.Namespace) -> dict[str, Any]:
    var = Path(tempfile.mkdtemp(prefix="aftercare-bench-"))
    keys = dict(ensure_dev_keys(var / "api-keys.json"))
    results: dict[str, Any] = {"customers": args.customers, "requests": args.requests}
    clients: list[httpx.AsyncClient] = []
    try:
        async with (
            system.running(var),
            grpc.aio.insecure_channel("127.0.0.1:50051") as cw,
            grpc.aio.insecure_channel("127.0.0.1:50052") as cr,
            grpc.aio.insecure_channel(f"127.0.0.1:{PORTAL.port}") as cp,
        ):
            parties = Bench(cw, cr, keys)
            await parties.setup()
            portal = portal_pb2_grpc.PortalServiceStub(cp)
            ops = (("authorization", f"Bearer {keys['ops']}"),)
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            for _ in range(args.customers):
                claim = await parties.file(await parties.sale())
                link = await portal.CreateLink(portal_pb2.CreateLinkRequest(rma=claim.rma, locale="fr"), metadata=ops)
                client = httpx.AsyncClient(base_url=WEB, limits=limits, timeout=30)
                clients.append(client)
                opened = await client.get(link.url.removeprefix(WEB))
                if opened.status_code != 303:
                    raise SystemExit(f"the link did not open: {opened.status_code}")
            print(f"{args.customers} customers signed in; {args.requests} pages each run", flush=True)
            await load(clients, "/claim", len(clients) * 5)  # warm up
            static = await measure("static", lambda: load(clients, "/static/portal.css", args.requests), results)
            page = await measure("claim page", lambda: load(clients, "/claim", args.requests), results)
            results["ratio_to_static"] = page["pages_per_s"] / static["pages_per_s"]
            results["targets"] = {"p99_ms_max": 50, "ratio_min": 0.5}
            print(
                f"claim page ÷ static file: {results['ratio_to_static']:.2f} (target ≥ 0.5); "
                f"p99 {page['p99_ms']:.1f} ms (target ≤ 50)",
                flush=True,
            )
    finally:
        for client in clients:
            await client.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=32, help="customers loading their claim page at once")
    parser.add_argument("--requests", type=int, default=1500, help="pages in each measured run")
    args = parser.parse_args()
    print(json.dumps(rounded(asyncio.run(run(args)))))


if __name__ == "__main__":
    main()
