"""What the repairs service offers workflows, and what the claim workflow answers: activity names, update
and query payloads. Pure pydantic, safe to import from workflow code. No personal data: a claim's contact,
address and description stay in the repairs database, keyed by RMA number."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.repairs.domain.claims import ClaimState, Direction, Event, ParcelEvent, Resolution
from services.warranty.contracts import ClaimTimerSeconds

RECORD_EVENT = "repairs.record_event"
ASSIGN_CENTRE = "repairs.assign_centre"
CREATE_LABEL = "repairs.create_label"
ESCALATE_SLA = "repairs.escalate_sla"


# -- workflow input and its answer -----------------------------------------------------------------------


class ClaimInput(BaseModel):
    rma: str
    serial: str
    fault_category: str  # a FAULT_CATEGORIES name
    incident_at: datetime
    retailer_id: str  # the retailer that filed it: only its own sales are found ("" when ops filed it)
    region: str
    filed_by: str  # the principal, e.g. "retailer:demo-retailer"
    carried: ClaimStatus | None = None  # set when the workflow continues as new


class Quote(BaseModel):
    currency_code: str
    amount_minor: int
    expires_at: datetime | None = None


class Shipment(BaseModel):
    direction: Direction
    tracking_number: str
    events: list[ParcelRecord] = Field(default_factory=list)


class ParcelRecord(BaseModel):
    event: ParcelEvent
    occurred_at: datetime


class Diagnosis(BaseModel):
    outcome: str  # COVERED_FAULT | NOT_COVERED | UNREPAIRABLE
    parts: list[str] = Field(default_factory=list)
    labour_minutes: int = 0
    remedy: str = ""  # for UNREPAIRABLE: REPLACEMENT | REFUND
    replacement_serial: str = ""
    notes: str = ""


class ClaimStatus(BaseModel):
    """The claim as the workflow sees it: the `status` query, and every update's answer."""

    rma: str
    serial: str
    sku: str = ""
    product_category: str = ""
    state: ClaimState = ClaimState.SUBMITTED
    received: bool = False
    decision: str = ""  # APPROVED | QUOTE_OFFERED | REJECTED | EXCHANGE
    decision_reason: str = ""
    coverage_kind: str = ""
    exchange: bool = False
    centre_id: str = ""
    diagnosis: Diagnosis | None = None
    quote: Quote | None = None
    shipments: list[Shipment] = Field(default_factory=list)
    resolution: Resolution | None = None
    sla_budget_seconds: int = 0
    sla_used_seconds: float = 0
    sla_running_since: datetime | None = None
    sla_due_at: datetime | None = None
    sla_breached: bool = False
    feedback_score: int | None = None
    seq: int = 0  # events recorded so far
    state_since: datetime | None = None
    reminders_sent: list[str] = Field(default_factory=list)
    timers: ClaimTimerSeconds = Field(default_factory=lambda: ClaimTimerSeconds())
    retailer_id: str = ""
    customer_id: str = ""


# -- updates ---------------------------------------------------------------------------------------------


class RepairStatusUpdate(BaseModel):
    centre_id: str  # the acting centre; must be the assigned one
    status: Event  # RECEIVED | DIAGNOSING | AWAITING_PARTS | REPAIRING | QUALITY_CHECK | READY_TO_SHIP


class DiagnosisUpdate(BaseModel):
    centre_id: str
    diagnosis: Diagnosis
    quote: Quote | None = None  # for NOT_COVERED


class QuoteDecision(BaseModel):
    accept: bool


class ParcelUpdate(BaseModel):
    direction: Direction
    tracking_number: str
    event: ParcelEvent
    occurred_at: datetime


class CancelRequest(BaseModel):
    by_ops: bool
    reason: str = ""


class Reassignment(BaseModel):
    centre_id: str
    reason: str = ""


class Feedback(BaseModel):
    score: int  # NPS, 0..10
    # The comment is stored by the repairs service, not carried through the workflow.


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


Shipment.model_rebuild()
ClaimInput.model_rebuild()
