"""What the claim page says: the state in plain words, who the claim waits on and until when, what happens
next, and which actions the customer has. Pure: it reads plain values the portal took from GetClaim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from lifecycle.transitions import TERMINAL


class WaitingOn(StrEnum):
    CUSTOMER = "customer"
    CARRIER = "carrier"
    CENTRE = "centre"
    US = "us"  # the intake, a review
    NOBODY = "nobody"  # the claim is over


# A customer may cancel until the unit is on its way (DESIGN.md: any state before RECEIVED; once the parcel
# moves, the workflow refuses it and the page no longer offers it).
CANCELLABLE = frozenset(
    {"SUBMITTED", "AWAITING_REVIEW", "AWAITING_CUSTOMER_INFO", "AWAITING_SHIPMENT", "AWAITING_QUOTE_DECISION"}
)
AT_CENTRE = frozenset({"RECEIVED", "DIAGNOSING", "REPAIRING", "AWAITING_PARTS", "QUALITY_CHECK", "READY_TO_SHIP"})
WAITING_ON = {
    "SUBMITTED": WaitingOn.US,
    "AWAITING_REVIEW": WaitingOn.US,
    "AWAITING_CUSTOMER_INFO": WaitingOn.CUSTOMER,
    "AWAITING_SHIPMENT": WaitingOn.CUSTOMER,
    "AWAITING_QUOTE_DECISION": WaitingOn.CUSTOMER,
    "IN_TRANSIT_TO_CENTRE": WaitingOn.CARRIER,
    "IN_TRANSIT_TO_CUSTOMER": WaitingOn.CARRIER,
    "DELIVERED": WaitingOn.CUSTOMER,
    "REFUNDED": WaitingOn.CUSTOMER,
} | dict.fromkeys(AT_CENTRE, WaitingOn.CENTRE)


@dataclass(frozen=True)
class ClaimFacts:
    state: str  # the ClaimState name, e.g. "AWAITING_SHIPMENT"
    ship_by: datetime | None = None
    quote_expires: datetime | None = None
    sla_due: datetime | None = None
    has_quote: bool = False
    feedback_given: bool = False
    has_inbound_label: bool = False
    answer_by: datetime | None = None  # while we wait for the customer's information


@dataclass(frozen=True)
class ClaimView:
    state: str  # the text key of the state's plain words: "state.<STATE>"
    next: str  # the text key of what happens next: "next.<STATE>"
    waiting_on: WaitingOn
    by: datetime | None  # until when, if there is a deadline
    can_cancel: bool
    can_decide_quote: bool
    can_answer_survey: bool
    label: bool  # the inbound label is worth offering (the unit still has to go)
    can_answer_info: bool = False  # ops asked for something: the info page takes the answer
    survey_answered: bool = False  # the survey page thanks, rather than saying it is not open
    can_add_photos: bool = False  # the claim is still open: photos still help


def view(facts: ClaimFacts) -> ClaimView:
    state = facts.state
    waiting = WaitingOn.NOBODY if state in TERMINAL else WAITING_ON.get(state, WaitingOn.US)
    by = {
        "AWAITING_SHIPMENT": facts.ship_by,
        "AWAITING_QUOTE_DECISION": facts.quote_expires,
        "AWAITING_CUSTOMER_INFO": facts.answer_by,
    }.get(state, facts.sla_due if state in AT_CENTRE else None)
    # An expired claim that never had a label expired waiting for the customer's answer, not for the unit.
    words = "EXPIRED_UNANSWERED" if state == "EXPIRED" and not facts.has_inbound_label else state
    return ClaimView(
        state=f"state.{words}",
        next=f"next.{words}",
        waiting_on=waiting,
        by=by,
        can_cancel=state in CANCELLABLE,
        can_decide_quote=state == "AWAITING_QUOTE_DECISION" and facts.has_quote,
        can_answer_survey=state in {"DELIVERED", "REFUNDED"} and not facts.feedback_given,
        label=state == "AWAITING_SHIPMENT" and facts.has_inbound_label,
        can_answer_info=state == "AWAITING_CUSTOMER_INFO",
        survey_answered=facts.feedback_given,
        can_add_photos=waiting is not WaitingOn.NOBODY,
    )


def moves(states: list[str]) -> list[int]:
    """The customer's timeline: the positions of the events that moved the claim to another state (notes,
    reminders and staff changes that leave the state as it was are internal)."""
    kept, last = [], ""
    for i, state in enumerate(states):
        if state != last:
            kept.append(i)
            last = state
    return kept
