"""Benchmark notifications against the whole system as `make run` configures it.

    .venv/bin/python bench/notifications.py [--emails 400] [--in-flight 16] [--claims 20] [--postgres URL]

Starts what `make run` starts (Temporal dev server, sinks, warranty, repairs, notifications, the claims
worker) in a scratch directory (bench/system.py; on PostgreSQL with --postgres), so stop `make run` first
(the ports are the same). This process is the client. Every figure is set beside a floor from the same run:

- **Emails per second through the activity**: one bench workflow runs `notifications.send_notification`
  `--emails` times, `--in-flight` at once, each a new business key for a warranty owner (so each resolves the
  contact over gRPC, reads preferences, renders, writes the delivery log and sends over SMTP). The floor is
  the same workflow running as many no-op activities of the same shape through the same Temporal server,
  `--in-flight` at once: what Temporal's dispatch alone allows. Raw aiosmtplib sends of a message of the same
  size to the same SMTP sink are printed beside it, for scale.
- **Claim change to message in the sink**: `--claims` claims, one at a time; the time from the carrier's
  "delivered to the centre" call to the "we have received your unit" e-mail's arrival in the SMTP sink
  (the sink's own receive time), p50 and p99.

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
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import grpc
from aftercare.repairs.v1 import repairs_pb2 as rpb
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import system  # noqa: E402
from bench.claims import Bench  # noqa: E402
from bench.figures import latency, rounded  # noqa: E402
from cli import dev  # noqa: E402
from clients.parties import new_id  # noqa: E402
from contracts.notifications import SEND_NOTIFICATION, DeliveryReport, NotificationRequest  # noqa: E402
from contracts.queues import NOTIFICATIONS as NOTIFICATIONS_QUEUE  # noqa: E402
from devtools.keys import ensure_dev_keys  # noqa: E402

BENCH_QUEUE = "bench-notifications"


@workflow.defn(sandboxed=False)
class FanOutWorkflow:
    """Runs an activity for each request, `width` at a time: the real send_notification, or the floor's no-op."""

    @workflow.run
    async def run(self, requests: list[NotificationRequest], width: int, activity: str, queue: str) -> int:
        sent = 0
        for start in range(0, len(requests), width):
            batch = requests[start : start + width]
            reports = await asyncio.gather(
                *(
                    workflow.execute_activity(
                        activity,
                        r,
                        task_queue=queue,
                        result_type=DeliveryReport,
                        start_to_close_timeout=timedelta(seconds=60),
                    )
                    for r in batch
                )
            )
            sent += sum(r.sent for r in reports)
        return sent


@activity.defn(name="bench.noop_send")
async def noop_send(request: NotificationRequest) -> DeliveryReport:
    """The floor: an activity of the same shape (a request in, a report out) that does nothing."""
    return DeliveryReport(sent=1)


def mail_lines(var: Path) -> list[dict[str, Any]]:
    path = var / "sinks" / "mail.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def raw_smtp(n: int, width: int, size: int) -> float:
    async def one(i: int) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "bench@aftercare.local", "bench@example.com", f"raw {i}"
        msg.set_content("x" * size)
        await aiosmtplib.send(msg, hostname="127.0.0.1", port=dev.SMTP_SINK_PORT, start_tls=False)

    started = time.perf_counter()
    for start in range(0, n, width):
        await asyncio.gather(*(one(i) for i in range(start, min(n, start + width))))
    return time.perf_counter() - started


async def run(args: argparse.Namespace) -> dict[str, Any]:
    var = Path(tempfile.mkdtemp(prefix="aftercare-bench-"))
    keys = dict(ensure_dev_keys(var / "api-keys.json"))
    results: dict[str, Any] = {"database": "postgresql" if args.postgres else "sqlite"}
    async with system.running(var, args.postgres):
        client = await Client.connect(f"127.0.0.1:{dev.TEMPORAL_PORT}", data_converter=pydantic_data_converter)
        async with (
            grpc.aio.insecure_channel("127.0.0.1:50051") as cw,
            grpc.aio.insecure_channel("127.0.0.1:50052") as cr,
            Worker(client, task_queue=BENCH_QUEUE, workflows=[FanOutWorkflow], activities=[noop_send]),
        ):
            parties = Bench(cw, cr, keys)
            await parties.setup()

            # 1. e-mails per second through the activity vs raw SMTP sends
            serial = await parties.sale()

            def requests(n: int, tag: str) -> list[NotificationRequest]:
                return [
                    NotificationRequest(
                        key=f"bench/{tag}/{i}/{uuid.uuid4().hex}",
                        template="device_received",
                        recipient=f"warranty:{serial}",
                        variables={"rma": f"RMA-BNCH-{i:04d}"},
                    )
                    for i in range(n)
                ]

            async def fan_out(batch: list[NotificationRequest], floor: bool = False) -> float:
                activity, queue = (
                    ("bench.noop_send", BENCH_QUEUE) if floor else (SEND_NOTIFICATION, NOTIFICATIONS_QUEUE)
                )
                t0 = time.perf_counter()
                sent = await client.execute_workflow(
                    FanOutWorkflow.run,
                    args=[batch, args.in_flight, activity, queue],
                    id=f"bench-{new_id()}",
                    task_queue=BENCH_QUEUE,
                )
                assert sent == len(batch), sent
                return time.perf_counter() - t0

            await fan_out(requests(args.in_flight, "warm"))
            size = len(mail_lines(var)[-1]["text"]) + len(mail_lines(var)[-1]["html"])
            await fan_out(requests(args.in_flight, "warm-floor"), floor=True)
            through_s = await fan_out(requests(args.emails, "run"))
            floor_s = await fan_out(requests(args.emails, "floor"), floor=True)
            raw_s = await raw_smtp(args.emails, args.in_flight, size)
            emails = {
                "emails": args.emails,
                "in_flight": args.in_flight,
                "through_activity_per_s": args.emails / through_s,
                "noop_activity_floor_per_s": args.emails / floor_s,
                "ratio": floor_s / through_s,
                "raw_smtp_per_s": args.emails / raw_s,
            }
            results["emails"] = emails
            print(
                f"e-mails      {emails['through_activity_per_s']:.1f}/s through the activity "
                f"({args.in_flight} in flight)  floor: no-op activities {emails['noop_activity_floor_per_s']:.1f}/s  "
                f"ratio {emails['ratio']:.2f} (target >= 0.7)   raw aiosmtplib {emails['raw_smtp_per_s']:.1f}/s",
                flush=True,
            )

            # 2. claim state change -> the customer's e-mail in the sink
            waits: list[float] = []
            for _ in range(args.claims):
                claim = await parties.file(await parties.sale())
                claim = await parties.move_parcel(claim, rpb.DIRECTION_TO_CENTRE, rpb.PARCEL_EVENT_PICKED_UP)
                t0 = time.time()
                await parties.move_parcel(claim, rpb.DIRECTION_TO_CENTRE, rpb.PARCEL_EVENT_DELIVERED)
                arrived = None
                deadline = time.monotonic() + 30
                while arrived is None and time.monotonic() < deadline:
                    for line in reversed(mail_lines(var)[-20:]):
                        if claim.rma in line["subject"] and "received" in line["subject"]:
                            arrived = datetime.fromisoformat(line["received_at"]).astimezone(UTC).timestamp()
                            break
                    else:
                        await asyncio.sleep(0.005)
                if arrived is None:
                    raise SystemExit(f"no e-mail for {claim.rma} within 30 s")
                waits.append(arrived - t0)
            change = latency(waits)
            results["state_change_to_sink"] = change
            print(
                f"change→sink  device_received e-mail after the carrier's delivery call: "
                f"p50 {change['p50_ms']:.0f} ms  p99 {change['p99_ms']:.0f} ms  (n={len(waits)})",
                flush=True,
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=400, help="e-mails sent through the activity")
    parser.add_argument("--in-flight", type=int, default=16, help="sends at once (activity and raw floor)")
    parser.add_argument("--claims", type=int, default=20, help="claims measured from state change to sink")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (each service gets a scratch database there)")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(json.dumps(rounded(results)))


if __name__ == "__main__":
    main()
