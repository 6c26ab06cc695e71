"""The claim workflow's agreement with the repairs service and ops tools: the claim vocabulary (one enum of
states, shared by proto, domain and search attribute), the workflow's name and id, its update and query
names, its input and status models, the update payloads and the refusal types its validators answer with.
Pure pydantic and names. No personal data: a claim's contact, address and description stay in the repairs
database, keyed by RMA number."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from contracts.warranty import ClaimTimerSeconds

# -- the vocabulary --------------------------------------------------------------------------------------


class ClaimState(StrEnum):
    SUBMITTED = "SUBMITTED"
    AWAITING_REVIEW = "AWAITING_REVIEW"  # a person decides: the approval policy or a risk rule asked for it
    AWAITING_CUSTOMER_INFO = "AWAITING_CUSTOMER_INFO"  # ops asked the customer for something
    AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
    AWAITING_QUOTE_DECISION = "AWAITING_QUOTE_DECISION"
    IN_TRANSIT_TO_CENTRE = "IN_TRANSIT_TO_CENTRE"
    RECEIVED = "RECEIVED"
    DIAGNOSING = "DIAGNOSING"
    REPAIRING = "REPAIRING"
    AWAITING_PARTS = "AWAITING_PARTS"
    QUALITY_CHECK = "QUALITY_CHECK"
    READY_TO_SHIP = "READY_TO_SHIP"
    IN_TRANSIT_TO_CUSTOMER = "IN_TRANSIT_TO_CUSTOMER"
    DELIVERED = "DELIVERED"
    REFUNDED = "REFUNDED"  # unrepairable and refunded: nothing ships back; the survey follows
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class Event(StrEnum):
    # intake: the entitlement decision
    APPROVED = "APPROVED"
    QUOTE_OFFERED = "QUOTE_OFFERED"
    REJECTED = "REJECTED"
    # review (approval policy, risk rules): APPROVED, QUOTE_OFFERED and REJECTED also end a review
    REVIEW_REQUIRED = "REVIEW_REQUIRED"
    INFO_REQUESTED = "INFO_REQUESTED"
    INFO_PROVIDED = "INFO_PROVIDED"
    INFO_EXPIRED = "INFO_EXPIRED"
    # the unit's trip to the centre (carrier events, or the centre confirming receipt)
    SHIPPED_TO_CENTRE = "SHIPPED_TO_CENTRE"
    RECEIVED = "RECEIVED"
    SHIPMENT_EXPIRED = "SHIPMENT_EXPIRED"
    # at the centre
    DIAGNOSING = "DIAGNOSING"
    DIAGNOSED_COVERED = "DIAGNOSED_COVERED"
    DIAGNOSED_NOT_COVERED = "DIAGNOSED_NOT_COVERED"
    DIAGNOSED_REPLACE = "DIAGNOSED_REPLACE"
    DIAGNOSED_REFUND = "DIAGNOSED_REFUND"
    AWAITING_PARTS = "AWAITING_PARTS"
    REPAIRING = "REPAIRING"
    QUALITY_CHECK = "QUALITY_CHECK"
    READY_TO_SHIP = "READY_TO_SHIP"
    # the customer's decision on a quote (a timeout counts as declined)
    QUOTE_ACCEPTED = "QUOTE_ACCEPTED"
    QUOTE_DECLINED = "QUOTE_DECLINED"
    # the trip home
    SHIPPED_TO_CUSTOMER = "SHIPPED_TO_CUSTOMER"
    DELIVERED = "DELIVERED"
    # the end
    FEEDBACK = "FEEDBACK"
    SURVEY_CLOSED = "SURVEY_CLOSED"
    CUSTOMER_CANCEL = "CUSTOMER_CANCEL"
    OPS_CANCEL = "OPS_CANCEL"
    REASSIGN = "REASSIGN"


class Resolution(StrEnum):
    REPAIRED = "REPAIRED"
    REPLACED = "REPLACED"
    REFUNDED = "REFUNDED"
    RETURNED_UNREPAIRED = "RETURNED_UNREPAIRED"
    EXCHANGED = "EXCHANGED"


class Direction(StrEnum):
    TO_CENTRE = "TO_CENTRE"
    TO_CUSTOMER = "TO_CUSTOMER"


class ParcelEvent(StrEnum):
    LABEL_CREATED = "LABEL_CREATED"
    PICKED_UP = "PICKED_UP"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    EXCEPTION = "EXCEPTION"


# -- the workflow: name, id, updates, query, refusals ----------------------------------------------------

WORKFLOW = "ClaimWorkflow"
_ID_PREFIX = "claim-"


def claim_workflow_id(rma: str) -> str:
    """The claim's workflow id, readable in the Temporal UI: `claim-<RMA>`."""
    return _ID_PREFIX + rma


def rma_of(workflow_id: str) -> str:
    """The RMA number in a claim's workflow id."""
    if not workflow_id.startswith(_ID_PREFIX):
        raise ValueError(f"not a claim workflow id: {workflow_id!r}")
    return workflow_id.removeprefix(_ID_PREFIX)


class Update(StrEnum):
    """The claim workflow's update names (the method names running histories recorded)."""

    FILE = "file"  # Update-with-Start at intake: answers with the entitlement decision
    REPAIR_STATUS = "update_repair_status"
    DIAGNOSIS = "record_diagnosis"
    QUOTE_DECISION = "decide_quote"
    PARCEL = "record_parcel"
    CANCEL = "cancel"
    REASSIGN = "reassign"
    FEEDBACK = "submit_feedback"
    REVIEW = "decide_review"
    REQUEST_INFO = "request_information"
    ANSWER_INFO = "answer_information"


STATUS_QUERY = "claim_status"


class Refusal(StrEnum):
    """The ApplicationError types the workflow's validators refuse an update with."""

    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"  # details: {"state": ..., "event": ...}
    NOT_ASSIGNED = "NOT_ASSIGNED"
    UNKNOWN_PARCEL = "UNKNOWN_PARCEL"
    FEEDBACK_ALREADY_GIVEN = "FEEDBACK_ALREADY_GIVEN"
    INVALID_STATUS = "INVALID_STATUS"
    INVALID_DIAGNOSIS = "INVALID_DIAGNOSIS"
    INVALID_CENTRE = "INVALID_CENTRE"
    INVALID_SCORE = "INVALID_SCORE"
    RECEIPT_REFUSED = "RECEIPT_REFUSED"  # the warranty service would not register the receipt's sale
    REPLACEMENT_REFUSED = "REPLACEMENT_REFUSED"  # the replacement serial cannot take the warranty (e.g. taken)
    NOTHING_REQUESTED = "NOTHING_REQUESTED"  # an answer, or a request, that names nothing


# -- workflow input and its answer -----------------------------------------------------------------------


class Receipt(BaseModel):
    """What a receipt says about a sale nobody registered (FileClaim's proof_of_purchase). No personal data:
    the contact stays with the claim in the repairs database."""

    sku: str
    retailer_id: str
    purchase_date: str  # as on the receipt, YYYY-MM-DD (the warranty service checks the whole time on approval)


class ClaimInput(BaseModel):
    rma: str
    serial: str
    fault_category: str  # a FAULT_CATEGORIES name
    incident_at: datetime
    retailer_id: str  # the retailer that filed it: only its own sales are found ("" when ops filed it)
    region: str
    filed_by: str  # the principal, e.g. "retailer:demo-retailer"
    receipt: Receipt | None = None  # for a serial nobody registered: review, then registration on approval
    carried: ClaimStatus | None = None  # set when the workflow continues as new
    handled_updates: list[str] = Field(default_factory=list)  # update ids carried out before it did


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
    root_cause: str = ""  # <FAULT_CATEGORY>/<CAUSE> or NO_FAULT_FOUND (services/repairs/domain/root_causes.py)


class InfoNeeded(StrEnum):
    """What ops may ask the customer for (RequestInformation); each has its sentence on the portal."""

    PROOF_OF_PURCHASE = "PROOF_OF_PURCHASE"
    PHOTOS = "PHOTOS"
    DESCRIPTION = "DESCRIPTION"
    UNIT_CONDITION = "UNIT_CONDITION"


class RiskFlag(BaseModel):
    """A risk rule that fired on the claim: its reason code, the rule's version, whether it was enforced (or
    only recorded, in shadow mode) and its sentence for the timeline (no personal data)."""

    code: str
    version: int
    enforced: bool
    sentence: str


class Review(BaseModel):
    """Why the claim waits for a person, and what it waits on. `pending` is the event an approval applies:
    APPROVED (the unit is covered, or ops covers it) or QUOTE_OFFERED (a paid repair at the policy's price)."""

    reasons: list[str] = Field(default_factory=list)  # MANUAL_POLICY, QUOTE_ABOVE_LIMIT, or a flag's code
    pending: Event = Event.APPROVED
    requested: list[InfoNeeded] = Field(default_factory=list)  # while AWAITING_CUSTOMER_INFO
    rejection_code: str = ""
    rounds: int = 0  # information requests made
    registers: bool = False  # an unregistered serial: approval registers the sale from the receipt first


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
    review: Review | None = None  # set once the claim has gone to review
    risk_flags: list[RiskFlag] = Field(default_factory=list)  # every rule that fired, enforced or in shadow


# -- updates ---------------------------------------------------------------------------------------------


class Acted(BaseModel):
    """An update's actor, recorded on the timeline: `<kind>:<id>` (retailer:demo, centre:berlin-1, ops:alice,
    customer:cus_…, carrier:dhl); "" in histories from before actors were recorded."""

    actor: str = ""


class RepairStatusUpdate(Acted):
    centre_id: str  # the acting centre; must be the assigned one
    status: Event  # RECEIVED | DIAGNOSING | AWAITING_PARTS | REPAIRING | QUALITY_CHECK | READY_TO_SHIP


class DiagnosisUpdate(Acted):
    centre_id: str
    diagnosis: Diagnosis
    quote: Quote | None = None  # for NOT_COVERED


class QuoteDecision(Acted):
    accept: bool


class ParcelUpdate(Acted):
    direction: Direction
    tracking_number: str
    event: ParcelEvent
    occurred_at: datetime


class CancelRequest(Acted):
    by_ops: bool
    reason: str = ""


class Reassignment(Acted):
    centre_id: str
    reason: str = ""


class Feedback(Acted):
    score: int  # NPS, 0..10
    # The comment is stored by the repairs service, not carried through the workflow.


class ReviewDecision(Acted):
    """ApproveClaim (approve=True) or RejectClaim, with a reason code and ops' short note (no personal data)."""

    approve: bool
    reason_code: str = ""
    note: str = ""


class InformationRequest(Acted):
    needed: list[InfoNeeded]


class InformationAnswer(Acted):
    """The customer's answer: the text itself stays in the repairs database; this says what came with it."""

    attachments: int = 0
    with_text: bool = False


Shipment.model_rebuild()
ClaimInput.model_rebuild()
