"""Where a claim update's time goes on the Temporal server `make run` starts: the anatomy of one hop.

    .venv/bin/python bench/dispatch.py [--updates 100]

Starts only the Temporal dev server, as `make run` starts it (same flags, its own scratch file, ports 17233 and
18233 so that `make run` may keep running), and one workflow with four updates, each timed at the client:

- **bare**: the update answers from the workflow's state. The floor: one workflow task on the sticky queue.
- **eager activity**: the update runs one no-op activity on the workflow's own task queue and worker, which
  the server hands back with the workflow task's completion (eager execution), without matching.
- **activity on another worker**: one no-op activity on another task queue served by another worker, as a
  claim's `repairs.record_event` runs on the repairs service's worker: dispatched through matching.
- **local activity**: the no-op runs inside the workflow task (a marker in history), no dispatch at all.

For the activity on another worker it also splits the history's own times: scheduled to started (the
dispatch through matching), started to completed (the activity), completed to the next workflow task.
It ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import rounded  # noqa: E402
from cli import dev  # noqa: E402

PORT, UI_PORT = 17233, 18233
QUEUE, OTHER_QUEUE = "bench-dispatch", "bench-dispatch-other"


@activity.defn(name="bench.noop")
async def noop() -> None:
    return None


@workflow.defn(sandboxed=False)
class Anatomy:
    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.done)

    @workflow.update
    async def bare(self) -> None:
        return None

    @workflow.update
    async def eager_activity(self) -> None:
        await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=30))

    @workflow.update
    async def other_worker(self) -> None:
        await workflow.execute_activity(noop, task_queue=OTHER_QUEUE, start_to_close_timeout=timedelta(seconds=30))

    @workflow.update
    async def local_activity(self) -> None:
        await workflow.execute_local_activity(noop, start_to_close_timeout=timedelta(seconds=30))

    @workflow.update
    async def finish(self) -> None:
        self.done = True


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def temporal(var: Path) -> subprocess.Popen[bytes]:
    plan = dev.processes(var)[0]  # make run's Temporal, moved to the bench's ports
    argv = [str(a) for a in plan.argv]
    argv[argv.index("--port") + 1], argv[argv.index("--ui-port") + 1] = str(PORT), str(UI_PORT)
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    server = temporal(Path(tempfile.mkdtemp(prefix="aftercare-bench-")))
    try:
        for _ in range(150):
            try:
                client = await Client.connect(f"127.0.0.1:{PORT}")
                break
            except RuntimeError:
                await asyncio.sleep(0.2)
        else:
            raise SystemExit("the Temporal dev server did not start")
        async with (
            Worker(client, task_queue=QUEUE, workflows=[Anatomy], activities=[noop]),
            Worker(client, task_queue=OTHER_QUEUE, activities=[noop]),
        ):
            handle = await client.start_workflow(Anatomy.run, id=f"anatomy-{uuid.uuid4()}", task_queue=QUEUE)
            results: dict[str, Any] = {}
            for name in ("bare", "eager_activity", "other_worker", "local_activity"):
                times = []
                for _ in range(args.updates):
                    t0 = time.perf_counter()
                    await handle.execute_update(name)
                    times.append((time.perf_counter() - t0) * 1000)
                results[name] = {"p50_ms": p(times, 50), "p99_ms": p(times, 99)}
                print(f"{name:<16} p50 {p(times, 50):6.1f} ms   p99 {p(times, 99):6.1f} ms", flush=True)
            await handle.execute_update("finish")
            results["other_worker_history"] = await split(handle)
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


async def split(handle: Any) -> dict[str, float]:
    """The server's own times around each activity that ran on the other worker."""
    events = (await handle.fetch_history()).events
    gaps: dict[str, list[float]] = {"dispatch_ms": [], "activity_ms": [], "to_next_workflow_task_ms": []}
    scheduled: dict[int, float] = {}
    started: dict[int, float] = {}
    completed_at: float | None = None
    for e in events:
        t = e.event_time.ToMicroseconds() / 1000
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            if e.activity_task_scheduled_event_attributes.task_queue.name == OTHER_QUEUE:
                scheduled[e.event_id] = t
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            sid = e.activity_task_started_event_attributes.scheduled_event_id
            if sid in scheduled:
                gaps["dispatch_ms"].append(t - scheduled[sid])
                started[sid] = t
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            sid = e.activity_task_completed_event_attributes.scheduled_event_id
            if sid in started:
                gaps["activity_ms"].append(t - started[sid])
                completed_at = t
        elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED and completed_at is not None:
            gaps["to_next_workflow_task_ms"].append(t - completed_at)
            completed_at = None
    split = {name: p(values, 50) for name, values in gaps.items() if values}
    print(
        "other worker, by the history's times (p50): "
        + ", ".join(f"{name.removesuffix('_ms').replace('_', ' ')} {ms:.1f} ms" for name, ms in split.items()),
        flush=True,
    )
    return split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=100, help="round trips timed for each update")
    print(json.dumps(rounded(asyncio.run(run(parser.parse_args())))))


if __name__ == "__main__":
    main()
