"""The entitlement activity, hosted as the warranty worker hosts it, called by name from a workflow on the
time-skipping Temporal server (the claim workflow will call it the same way)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from aftercare.warranty.v1 import warranty_pb2 as pb
from temporalio import workflow
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from services.warranty import TASK_QUEUE
from services.warranty.activities import WarrantyActivities
from services.warranty.contracts import CHECK_ENTITLEMENT, EntitlementDecision, EntitlementQuery
from tests.conftest import TEMPORAL_TEST_SERVER
from tests.warranty.conftest import Api


@workflow.defn(sandboxed=False)
class AskEntitlement:
    @workflow.run
    async def run(self, query: EntitlementQuery) -> EntitlementDecision:
        return await workflow.execute_activity(
            CHECK_ENTITLEMENT,
            query,
            task_queue=TASK_QUEUE,
            result_type=EntitlementDecision,
            start_to_close_timeout=timedelta(seconds=10),
        )


async def ask(api: Api, query: EntitlementQuery) -> EntitlementDecision:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=TEMPORAL_TEST_SERVER
    )
    async with env:
        activities = WarrantyActivities(api.app.repo)
        async with (
            Worker(env.client, task_queue=TASK_QUEUE, activities=activities.all()),
            Worker(env.client, task_queue="test-workflows", workflows=[AskEntitlement]),
        ):
            return await env.client.execute_workflow(
                AskEntitlement.run,
                query,
                id=f"ask-{uuid.uuid4()}",
                task_queue="test-workflows",
            )


async def test_activity_decides_for_a_registered_serial(api: Api, product: pb.Product) -> None:
    warranty = await api.register("SN-ACT", purchased=datetime.now(UTC) - timedelta(days=50))
    query = EntitlementQuery(serial="sn-act", incident_at=datetime.now(UTC), fault_category="ELECTRICAL")
    decision = await ask(api, query)
    assert decision.found and decision.covered
    assert (decision.coverage_kind, decision.reason) == ("STANDARD", "WITHIN_STANDARD_WARRANTY")
    assert (decision.sku, decision.product_category, decision.retailer_id) == (
        "KETTLE-2000",
        "small-appliance",
        "demo-retailer",
    )
    assert decision.customer_id == warranty.customer_id and decision.repair_sla_days == 10


async def test_activity_answers_unknown_serial_without_failing(api: Api) -> None:
    decision = await ask(api, EntitlementQuery(serial="SN-GHOST", incident_at=datetime.now(UTC)))
    assert (decision.found, decision.covered, decision.reason) == (False, False, "UNKNOWN_SERIAL")
