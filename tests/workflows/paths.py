"""What the claim path tests share: a claim moved through its updates as its centre and its carrier would."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.client import WorkflowHandle

from contracts.claims import (
    ClaimStatus,
    Diagnosis,
    DiagnosisUpdate,
    Direction,
    Event,
    ParcelEvent,
    ParcelUpdate,
    RepairStatusUpdate,
)
from tests.workflows.conftest import Claims
from workflows.claim.workflow import ClaimWorkflow

Handle = WorkflowHandle[ClaimWorkflow, ClaimStatus]


def at() -> datetime:
    return datetime.now(UTC)


async def parcel(handle: Handle, status: ClaimStatus, direction: Direction, event: ParcelEvent) -> ClaimStatus:
    tracking = next(s.tracking_number for s in status.shipments if s.direction is direction)
    return await handle.execute_update(
        ClaimWorkflow.record_parcel,
        ParcelUpdate(direction=direction, tracking_number=tracking, event=event, occurred_at=at()),
    )


async def centre(handle: Handle, status: Event) -> ClaimStatus:
    return await handle.execute_update(
        ClaimWorkflow.update_repair_status, RepairStatusUpdate(centre_id="centre-a", status=status)
    )


async def diagnose(handle: Handle, outcome: str, **fields: object) -> ClaimStatus:
    quote = fields.pop("quote", None)
    return await handle.execute_update(
        ClaimWorkflow.record_diagnosis,
        DiagnosisUpdate(centre_id="centre-a", diagnosis=Diagnosis(outcome=outcome, **fields), quote=quote),
    )


async def to_diagnosing(claims: Claims) -> tuple[Handle, ClaimStatus]:
    handle, status = await claims.file()
    status = await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    return handle, await centre(handle, Event.DIAGNOSING)
