"""The entitlement activity, hosted as the warranty worker hosts it, called by name from a workflow on the
time-skipping Temporal server (the claim workflow will call it the same way)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from aftercare.common.v1.money_pb2 import Money
from aftercare.warranty.v1 import warranty_pb2 as pb
from google.protobuf.duration_pb2 import Duration
from temporalio import workflow
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from contracts.queues import WARRANTY as TASK_QUEUE
from contracts.warranty import (
    CHECK_ENTITLEMENT,
    EntitlementDecision,
    EntitlementQuery,
    ReplacementMove,
    ReplacementMoved,
)
from services.warranty.activities import WarrantyActivities
from tests.conftest import TEMPORAL_TEST_SERVER
from tests.rpc import failure
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


async def test_decision_carries_the_policys_claim_timers_and_paid_repair(api: Api) -> None:
    product = pb.Product(
        sku="TIMED-1",
        display_name="Timed",
        category="small-appliance",
        policy=pb.WarrantyPolicy(
            coverage_months=12,
            return_window_days=0,
            repair_sla_days=5,
            covered_fault_categories=[pb.FAULT_CATEGORY_ELECTRICAL],
            claim_timers=pb.ClaimTimers(ship_reminder=Duration(seconds=30), shipment_deadline=Duration(seconds=90)),
            paid_repair_price=Money(currency_code="EUR", amount_minor=4900),
        ),
    )
    product.launch_time.FromDatetime(datetime(2024, 1, 1, tzinfo=UTC))
    created = await api.stub.CreateProduct(
        pb.CreateProductRequest(request_id=str(uuid.uuid4()), product=product), metadata=api.ops
    )
    timers = created.product.policy.claim_timers
    assert (timers.ship_reminder.seconds, timers.shipment_deadline.seconds) == (30, 90)
    assert (timers.quote_deadline.seconds, timers.repair_sla.seconds) == (7 * 86400, 5 * 86400)
    await api.register("SN-TIMED", sku="TIMED-1")
    activities = WarrantyActivities(api.app.repo)
    decision = await ActivityEnvironment().run(
        activities.check_entitlement, EntitlementQuery(serial="SN-TIMED", incident_at=datetime.now(UTC))
    )
    assert (decision.timers.ship_reminder, decision.timers.shipment_deadline) == (30, 90)
    assert decision.timers.repair_sla == 5 * 86400
    assert (decision.paid_repair_currency, decision.paid_repair_minor) == ("EUR", 4900)


async def test_timers_out_of_order_are_invalid(api: Api) -> None:
    product = pb.Product(
        sku="TIMED-2",
        display_name="Timed",
        category="small-appliance",
        policy=pb.WarrantyPolicy(
            coverage_months=12,
            repair_sla_days=5,
            covered_fault_categories=[pb.FAULT_CATEGORY_ELECTRICAL],
            claim_timers=pb.ClaimTimers(ship_reminder=Duration(seconds=90), shipment_deadline=Duration(seconds=30)),
        ),
    )
    product.launch_time.FromDatetime(datetime(2024, 1, 1, tzinfo=UTC))
    failed = await failure(
        api.stub.CreateProduct(pb.CreateProductRequest(request_id=str(uuid.uuid4()), product=product), metadata=api.ops)
    )
    assert failed.code is grpc.StatusCode.INVALID_ARGUMENT
    assert "product.policy.claim_timers.ship_reminder" in failed.fields


async def test_replacement_moves_the_warranty_once(api: Api, product: pb.Product) -> None:
    old = await api.register("SN-OLD", purchased=datetime.now(UTC) - timedelta(days=100))
    activities = WarrantyActivities(api.app.repo)
    move = ReplacementMove(serial="sn-old", replacement_serial="sn-new", reason="RMA-TEST")
    env = ActivityEnvironment()
    first = await env.run(activities.move_to_replacement, move)
    again = await env.run(activities.move_to_replacement, move)
    assert first == again == ReplacementMoved(serial="SN-OLD", replacement_serial="SN-NEW")
    new = (await api.stub.GetWarranty(pb.GetWarrantyRequest(serial="SN-NEW"), metadata=api.retailer)).warranty
    gone = (await api.stub.GetWarranty(pb.GetWarrantyRequest(serial="SN-OLD"), metadata=api.retailer)).warranty
    assert (new.customer_id, new.purchase_time, new.sku) == (old.customer_id, old.purchase_time, old.sku)
    assert gone.state == pb.Warranty.STATE_VOIDED
    with pytest.raises(ApplicationError) as caught:
        await env.run(
            activities.move_to_replacement, ReplacementMove(serial="SN-OLD", replacement_serial="SN-X", reason="R")
        )
    assert caught.value.type == "ALREADY_REPLACED" and caught.value.non_retryable
