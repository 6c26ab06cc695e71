"""The records a killed repairs process did not write arrive within seconds of its restart (issue 28: the read
model lagged the workflow by about 25 s after `kill -9`).

A process killed while it polls the repairs task queue takes a write-behind `record_event` task with it: the
server handed it over and waits for its answer. Here a raw poll plays that process (it takes the task and never
answers), then a fresh worker plays the restarted one, on a real dev server. The write must land a few seconds
later, not after the default 30 s activity timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import PollActivityTaskQueueRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.claims import ClaimState, Direction, Event, ParcelEvent, RepairStatusUpdate
from contracts.queues import CLAIMS, NOTIFICATIONS, REPAIRS, WARRANTY
from contracts.repairs import RECORD_EVENT
from tests.conftest import dev_server
from tests.stack import until
from tests.workflows.conftest import Claims, Stand
from tests.workflows.paths import parcel
from workflows.claim.calls import WRITE_TIMEOUT
from workflows.claim.workflow import ClaimWorkflow
from workflows.search_attributes import cli_flags

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def claims(tmp_path: Path) -> AsyncIterator[Claims]:
    with dev_server(tmp_path / "server.log", *cli_flags()) as address:
        client = await Client.connect(address, data_converter=pydantic_data_converter)
        stand = Stand()
        warranty, _ = stand.activities()
        async with (
            Worker(client, task_queue=CLAIMS, workflows=[ClaimWorkflow]),
            Worker(client, task_queue=WARRANTY, activities=warranty),
            Worker(client, task_queue=NOTIFICATIONS, activities=[stand.notifier()]),
        ):
            yield Claims(WorkflowEnvironment.from_client(client), client, stand)


async def taken_and_dropped(client: Client) -> str:
    """One repairs activity task, taken as a worker takes it and never answered: the process died with it."""
    while True:
        task = await client.workflow_service.poll_activity_task_queue(
            PollActivityTaskQueueRequest(
                namespace=client.namespace, task_queue=TaskQueue(name=REPAIRS), identity="killed-repairs-process"
            )
        )
        if task.task_token:
            return task.activity_type.name


async def test_a_write_taken_by_a_killed_process_lands_soon_after_the_restart(claims: Claims) -> None:
    _, repairs = claims.stand.activities()
    async with Worker(claims.client, task_queue=REPAIRS, activities=repairs):  # the repairs process, alive
        handle, status = await claims.file()
        received = await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
        await claims.written(received)

    dropped = asyncio.create_task(taken_and_dropped(claims.client))  # it polls, then is killed with the task
    request = RepairStatusUpdate(centre_id="centre-a", status=Event.DIAGNOSING)
    diagnosing = await handle.execute_update(ClaimWorkflow.update_repair_status, request)  # its API died: unwritten
    assert await asyncio.wait_for(dropped, 30) == RECORD_EVENT
    assert claims.stand.events[-1].seq < diagnosing.seq

    restarted = time.monotonic()
    async with Worker(claims.client, task_queue=REPAIRS, activities=repairs):  # the restarted process

        async def agrees() -> bool:
            last = claims.stand.events[-1]
            return last.seq == diagnosing.seq and last.status.state is ClaimState.DIAGNOSING

        await until(agrees, within=60, what="the read model holds the change")
        lag = time.monotonic() - restarted
        print(f"the read model agreed {lag:.1f} s after the restart (write timeout {WRITE_TIMEOUT.seconds} s)")
        assert lag < WRITE_TIMEOUT.total_seconds() + 5  # the timeout and a retry's backoff, not the default 30 s
