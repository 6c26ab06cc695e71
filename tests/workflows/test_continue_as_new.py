"""A claim continues as new when Temporal suggests it, even if nothing but updates that change nothing come in,
and remembers the update ids it carried out: on a real dev server told to suggest continue-as-new after 150
events (filing and the first repair update take about 80), a retry of an update from the run before is answered,
not applied again (Temporal recognises an update id only within one run)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from contracts.claims import (
    ClaimState,
    ClaimStatus,
    Direction,
    Event,
    ParcelEvent,
    ParcelUpdate,
    RepairStatusUpdate,
    claim_workflow_id,
)
from contracts.queues import CLAIMS, NOTIFICATIONS, REPAIRS, WARRANTY
from tests.conftest import dev_server
from tests.workflows.conftest import Claims, Stand
from tests.workflows.paths import parcel
from workflows.claim.workflow import ClaimWorkflow
from workflows.search_attributes import cli_flags

pytestmark = pytest.mark.timeout(120)
SUGGEST_AFTER = "limit.historyCount.suggestContinueAsNew=150"


@pytest.fixture
async def claims(tmp_path: Path) -> AsyncIterator[Claims]:
    with dev_server(tmp_path / "server.log", *cli_flags(), "--dynamic-config-value", SUGGEST_AFTER) as address:
        client = await Client.connect(address, data_converter=pydantic_data_converter)
        stand = Stand()
        warranty, repairs = stand.activities()
        async with (
            Worker(client, task_queue=CLAIMS, workflows=[ClaimWorkflow]),
            Worker(client, task_queue=WARRANTY, activities=warranty),
            Worker(client, task_queue=REPAIRS, activities=repairs),
            Worker(client, task_queue=NOTIFICATIONS, activities=[stand.notifier()]),
        ):
            yield Claims(WorkflowEnvironment.from_client(client), client, stand)


async def test_a_retry_in_the_run_after_a_continue_as_new_is_answered_not_applied(claims: Claims) -> None:
    first_handle, status = await claims.file()
    await parcel(first_handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    claim = claims.client.get_workflow_handle(claim_workflow_id("RMA-TEST1"), result_type=ClaimStatus)
    request = RepairStatusUpdate(centre_id="centre-a", status=Event.DIAGNOSING)
    diagnosing = await claim.execute_update(ClaimWorkflow.update_repair_status, request, id="req-1")
    carried_out_in = (await claim.describe()).run_id
    # Harmless updates (the same parcel event again: recorded once, changes nothing) until the run continues.
    shipment = next(s for s in diagnosing.shipments if s.direction is Direction.TO_CENTRE)
    for i in range(60):
        if (await claim.describe()).run_id != carried_out_in:
            break
        last = shipment.events[-1]
        duplicate = ParcelUpdate(
            direction=Direction.TO_CENTRE,
            tracking_number=shipment.tracking_number,
            event=last.event,
            occurred_at=last.occurred_at,
        )
        await claim.execute_update(ClaimWorkflow.record_parcel, duplicate, id=f"dup-{i}")
    assert (await claim.describe()).run_id != carried_out_in, "the run never continued as new"
    replayer = Replayer(workflows=[ClaimWorkflow], data_converter=pydantic_data_converter)
    continued = claims.client.get_workflow_handle(claim_workflow_id("RMA-TEST1"), run_id=carried_out_in)
    await replayer.replay_workflow(await continued.fetch_history())  # the run that continued replays

    again = await claim.execute_update(ClaimWorkflow.update_repair_status, request, id="req-1")
    assert again.state is ClaimState.DIAGNOSING and again.seq == diagnosing.seq  # answered, nothing applied twice
    assert claims.stand.kinds().count("DIAGNOSING") == 1
