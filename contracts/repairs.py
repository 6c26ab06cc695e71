"""What the repairs service offers workflows: its activities' names and payloads. Pure pydantic."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from contracts.claims import ClaimState, ClaimStatus, Direction, RiskFlag

RECORD_EVENT = "repairs.record_event"
ASSIGN_CENTRE = "repairs.assign_centre"
CREATE_LABEL = "repairs.create_label"
ESCALATE_SLA = "repairs.escalate_sla"
ASSESS_RISK = "repairs.assess_risk"
REGISTER_FROM_RECEIPT = "repairs.register_from_receipt"


# -- activities ------------------------------------------------------------------------------------------


class EventRecord(BaseModel):
    """One accepted change, written to the repairs database. Idempotent by (rma, seq)."""

    rma: str
    seq: int
    kind: str  # an Event that moved the claim, or a note: SHIP_REMINDER, LABEL_CREATED, SLA_BREACHED, ...
    occurred_at: datetime
    status: ClaimStatus
    detail: str = ""  # a short, non-personal note, e.g. "ops: customer asked by phone"
    actor: str = ""  # who made the change: "system", "ops:alice", "customer:cus_…", "centre:berlin-1", ...


class UpdateAnswer(ClaimStatus):
    """What a claim update answers since the write-behind patch: the claim's status, and the changes made since
    the last answer (this update's, and any a timer made meanwhile). The workflow writes each change to the
    repairs database with `record_event`, in order, without holding the update for it; the repairs API writes
    the ones it is handed before it answers its caller (`RepairsRepository.record` is idempotent by (rma, seq)),
    so whoever reads after the answer reads the change. An older worker's plain ClaimStatus reads as one with
    no records; an older API reading this as a ClaimStatus ignores them and reads what record_event wrote."""

    records: list[EventRecord] = Field(default_factory=list)


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


class RiskQuery(BaseModel):
    """The claim's facts the workflow knows; the activity adds the serial's other claims and judges them."""

    rma: str
    serial: str
    now: datetime  # the workflow's time, so a replay or a retry judges the same moment
    fault_category: str
    customer_id: str = ""
    retailer_id: str = ""
    purchased_at: datetime | None = None
    unit_value_minor: int = 0
    repeat_repair_days: int = 0  # the product's repeat-repair cover: 0 for none


class RiskAssessment(BaseModel):
    flags: list[RiskFlag]
    repeat_of: str = ""  # the RMA of a closed repair of the same fault within the product's repeat-repair cover


class ReceiptRegistration(BaseModel):
    """Register the sale of a claim's unit from its receipt (ops approved it): the repairs service reads the
    receipt and the contact from the claim and asks the warranty service. Idempotent by RMA."""

    rma: str


class ReceiptRegistered(BaseModel):
    serial: str
    already_registered: bool = False  # someone registered the serial meanwhile: the claim goes on with that sale
