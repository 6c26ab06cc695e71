"""The claim workflow on the time-skipping server, one workflow per environment (several at once can hang
that server). The warranty and repairs activities are stood in for by functions registered under the same
names; they record what the workflow asked, so tests assert on the real calls."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contracts.claims import ClaimInput, ClaimStatus, Receipt, claim_workflow_id
from contracts.notifications import SEND_NOTIFICATION, DeliveryReport, NotificationRequest
from contracts.queues import CLAIMS as TASK_QUEUE
from contracts.queues import NOTIFICATIONS as NOTIFICATIONS_QUEUE
from contracts.queues import REPAIRS as REPAIRS_QUEUE
from contracts.queues import WARRANTY as WARRANTY_QUEUE
from contracts.repairs import (
    ASSESS_RISK,
    ASSIGN_CENTRE,
    CREATE_LABEL,
    ESCALATE_SLA,
    RECORD_EVENT,
    REGISTER_FROM_RECEIPT,
    CentreChoice,
    CentreQuery,
    EventRecord,
    Label,
    LabelRequest,
    ReceiptRegistered,
    ReceiptRegistration,
    RiskAssessment,
    RiskQuery,
    SlaEscalation,
)
from contracts.warranty import (
    CHECK_ENTITLEMENT,
    MOVE_TO_REPLACEMENT,
    ClaimTimerSeconds,
    EntitlementDecision,
    EntitlementQuery,
    ReplacementMove,
    ReplacementMoved,
)
from tests.conftest import TEMPORAL_TEST_SERVER
from tests.stack import until
from workflows import search_attributes as sa
from workflows.claim.workflow import ClaimWorkflow

DAY = 86_400
TIMERS = ClaimTimerSeconds(
    ship_reminder=3 * DAY,
    shipment_deadline=14 * DAY,
    quote_reminder=2 * DAY,
    quote_deadline=7 * DAY,
    survey_delay=2 * DAY,
    survey_window=14 * DAY,
    repair_sla=10 * DAY,
)


def covered(kind: str = "STANDARD") -> EntitlementDecision:
    return EntitlementDecision(
        found=True,
        covered=True,
        coverage_kind=kind,
        reason="WITHIN_STANDARD_WARRANTY" if kind == "STANDARD" else "WITHIN_RETURN_WINDOW",
        sku="KETTLE-2000",
        product_category="small-appliance",
        retailer_id="demo-retailer",
        customer_id="cus_test",
        repair_sla_days=10,
        timers=TIMERS,
    )


def not_covered(*, paid_repair_minor: int = 0) -> EntitlementDecision:
    return covered().model_copy(
        update={
            "covered": False,
            "coverage_kind": "NONE",
            "reason": "EXPIRED",
            "paid_repair_currency": "EUR" if paid_repair_minor else "",
            "paid_repair_minor": paid_repair_minor,
        }
    )


@dataclass
class Stand:
    """What the stand-in activities answer, and everything the workflow asked of them."""

    decision: EntitlementDecision = field(default_factory=covered)
    centre: str = "centre-a"
    events: list[EventRecord] = field(default_factory=list)
    labels: list[LabelRequest] = field(default_factory=list)
    escalations: list[SlaEscalation] = field(default_factory=list)
    moves: list[ReplacementMove] = field(default_factory=list)
    messages: list[NotificationRequest] = field(default_factory=list)
    slow: set[str] = field(default_factory=set)  # templates whose sending takes a second
    slow_records: bool = False  # each record takes a fifth of a second to write: the claim moves on meanwhile
    assessment: RiskAssessment = field(default_factory=lambda: RiskAssessment(flags=[]))
    risk_queries: list[RiskQuery] = field(default_factory=list)
    registrations: list[str] = field(default_factory=list)
    refuse_receipt: bool = False  # the warranty service will not register it

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def sent(self, recipient: str = "claim:") -> list[str]:
        """The templates asked for, in order, for recipients starting with `recipient`."""
        return [m.template for m in self.messages if m.recipient.startswith(recipient)]

    def notifier(self) -> Callable[..., Any]:
        @activity.defn(name=SEND_NOTIFICATION)
        async def send(request: NotificationRequest) -> DeliveryReport:
            if request.template in self.slow:
                await asyncio.sleep(1)
            self.messages.append(request)
            return DeliveryReport(sent=1)

        return send

    def activities(self) -> tuple[list[Callable[..., Any]], list[Callable[..., Any]]]:
        @activity.defn(name=CHECK_ENTITLEMENT)
        async def check(query: EntitlementQuery) -> EntitlementDecision:
            return self.decision

        @activity.defn(name=MOVE_TO_REPLACEMENT)
        async def move(request: ReplacementMove) -> ReplacementMoved:
            if request.replacement_serial == "SN-TAKEN":
                raise ApplicationError("serial SN-TAKEN is already registered", type="SERIAL_TAKEN", non_retryable=True)
            self.moves.append(request)
            return ReplacementMoved(serial=request.serial, replacement_serial=request.replacement_serial)

        @activity.defn(name=RECORD_EVENT)
        async def record(event: EventRecord) -> None:
            if self.slow_records:
                await asyncio.sleep(0.2)
            assert [e.seq for e in self.events] == list(range(1, event.seq)), "events recorded in order, once"
            self.events.append(event)

        @activity.defn(name=ASSIGN_CENTRE)
        async def assign(query: CentreQuery) -> CentreChoice:
            return CentreChoice(centre_id=self.centre)

        @activity.defn(name=CREATE_LABEL)
        async def label(request: LabelRequest) -> Label:
            self.labels.append(request)
            return Label(tracking_number=f"TRK{len(self.labels)}{request.direction.value[3:6]}")

        @activity.defn(name=ESCALATE_SLA)
        async def escalate(request: SlaEscalation) -> None:
            self.escalations.append(request)

        @activity.defn(name=ASSESS_RISK)
        async def assess(query: RiskQuery) -> RiskAssessment:
            self.risk_queries.append(query)
            return self.assessment

        @activity.defn(name=REGISTER_FROM_RECEIPT)
        async def register(request: ReceiptRegistration) -> ReceiptRegistered:
            if self.refuse_receipt:
                raise ApplicationError("INVALID_ARGUMENT: sku is not a known product", non_retryable=True)
            self.registrations.append(request.rma)
            self.decision = covered()  # the unit is registered now: the entitlement check finds it
            return ReceiptRegistered(serial="SN-1")

        return [check, move], [record, assign, label, escalate, assess, register]


@dataclass
class Claims:
    env: WorkflowEnvironment
    client: Client
    stand: Stand
    handles: list[WorkflowHandle[ClaimWorkflow, ClaimStatus]] = field(default_factory=list)

    async def written(self, status: ClaimStatus) -> None:
        """Wait until the stand's read model holds every change up to `status`: the workflow writes its records
        behind the update (the repairs API writes the ones an update hands back before it answers; here the
        test is the caller, so it waits for the workflow's own writes)."""

        async def caught_up() -> bool:
            return bool(self.stand.events) and self.stand.events[-1].seq >= status.seq

        await until(caught_up, what=f"the claim's records up to seq {status.seq}")

    async def file(
        self, rma: str = "RMA-TEST1", receipt: Receipt | None = None
    ) -> tuple[WorkflowHandle[ClaimWorkflow, ClaimStatus], ClaimStatus]:
        start = WithStartWorkflowOperation(
            ClaimWorkflow.run,
            ClaimInput(
                rma=rma,
                serial="SN-1",
                fault_category="ELECTRICAL",
                incident_at=datetime(2026, 1, 1, tzinfo=UTC),
                retailer_id="demo-retailer",
                region="eu-west",
                filed_by="retailer:demo-retailer",
                receipt=receipt,
            ),
            id=claim_workflow_id(rma),
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            task_queue=TASK_QUEUE,
        )
        answer = await self.client.execute_update_with_start_workflow(
            ClaimWorkflow.file, start_workflow_operation=start, id=f"file-{rma}"
        )
        handle = await start.workflow_handle()
        self.handles.append(handle)
        return handle, answer

    async def resume(
        self, rma: str, carried: ClaimStatus, handled: list[str]
    ) -> WorkflowHandle[ClaimWorkflow, ClaimStatus]:
        """A claim's next run after a continue-as-new: its status and the update ids it carried out."""
        claim = ClaimInput(
            rma=rma,
            serial=carried.serial,
            fault_category="ELECTRICAL",
            incident_at=datetime(2026, 1, 1, tzinfo=UTC),
            retailer_id="demo-retailer",
            region="eu-west",
            filed_by="retailer:demo-retailer",
            carried=carried.model_copy(update={"rma": rma}),
            handled_updates=handled,
        )
        handle = await self.client.start_workflow(
            ClaimWorkflow.run, claim, id=claim_workflow_id(rma), task_queue=TASK_QUEUE
        )
        self.handles.append(handle)
        return handle


HISTORIES = Path(__file__).parent / "histories"
RECORD = os.environ.get("AFTERCARE_RECORD_HISTORIES") == "1"


@pytest.fixture
async def claims(request: pytest.FixtureRequest) -> AsyncIterator[Claims]:
    """A fresh environment per test. With AFTERCARE_RECORD_HISTORIES=1 each test's history is stored for the
    replay test (tests/workflows/test_replay.py); do that when a path is added, never to paper over a change."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=TEMPORAL_TEST_SERVER
    )
    async with env:
        kinds = {
            "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
            "DATETIME": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
            "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
            "KEYWORD_LIST": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
        }
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={
                    key.name: kinds[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")] for key in sa.ALL
                },
            )
        )
        stand = Stand()
        warranty, repairs = stand.activities()
        async with (
            Worker(env.client, task_queue=TASK_QUEUE, workflows=[ClaimWorkflow]),
            Worker(env.client, task_queue=WARRANTY_QUEUE, activities=warranty),
            Worker(env.client, task_queue=REPAIRS_QUEUE, activities=repairs),
            Worker(env.client, task_queue=NOTIFICATIONS_QUEUE, activities=[stand.notifier()]),
        ):
            claims = Claims(env, env.client, stand)
            yield claims
            if RECORD:
                for handle in claims.handles:
                    history = await handle.fetch_history()
                    HISTORIES.mkdir(exist_ok=True)
                    (HISTORIES / f"{request.node.name.removeprefix('test_')}.json").write_text(history.to_json())


def new_id() -> str:
    return str(uuid.uuid4())


def days(n: float) -> timedelta:
    return timedelta(days=n)
