"""What the repairs service offers workflows: its activities' names and payloads. Pure pydantic."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from contracts.claims import ClaimState, ClaimStatus, Direction

RECORD_EVENT = "repairs.record_event"
ASSIGN_CENTRE = "repairs.assign_centre"
CREATE_LABEL = "repairs.create_label"
ESCALATE_SLA = "repairs.escalate_sla"


# -- activities ------------------------------------------------------------------------------------------


class EventRecord(BaseModel):
    """One accepted change, written to the repairs database. Idempotent by (rma, seq)."""

    rma: str
    seq: int
    kind: str  # an Event that moved the claim, or a note: SHIP_REMINDER, LABEL_CREATED, SLA_BREACHED, ...
    occurred_at: datetime
    status: ClaimStatus
    detail: str = ""  # a short, non-personal note, e.g. "ops: customer asked by phone"


class CentreQuery(BaseModel):
    rma: str
    region: str
    product_category: str


class CentreChoice(BaseModel):
    centre_id: str = ""  # "" when no centre fits: the claim waits for ops


class LabelRequest(BaseModel):
    rma: str
    direction: Direction
    centre_id: str


class Label(BaseModel):
    tracking_number: str


class SlaEscalation(BaseModel):
    rma: str
    centre_id: str
    due_at: datetime
    state: ClaimState
