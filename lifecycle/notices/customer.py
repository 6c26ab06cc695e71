"""What the customer is told of their claim: a message on entering a state, one for each reminder note, and
"shipped" when the unit leaves for home. Each template names the variables its text needs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from contracts.claims import ClaimState, ClaimStatus, Direction
from contracts.notifications import NotificationRequest
from lifecycle.deadlines import info_deadline
from lifecycle.notices import parcel
from lifecycle.notices.message import message

S = ClaimState

# Entering a state tells the customer this.
ON_ENTRY = {
    S.AWAITING_REVIEW: "claim_under_review",
    S.AWAITING_CUSTOMER_INFO: "info_requested",
    S.REJECTED: "claim_rejected",
    S.EXPIRED: "claim_expired",
    S.CANCELLED: "claim_cancelled",
    S.RECEIVED: "device_received",
    S.AWAITING_QUOTE_DECISION: "quote_offered",
    S.REFUNDED: "refund_approved",
    S.DELIVERED: "delivered",
    S.CLOSED: "claim_closed",
}
# Notes the workflow records without a state change.
ON_NOTE = {
    "SHIP_REMINDER": "ship_reminder",
    "QUOTE_REMINDER": "quote_reminder",
    "SURVEY_SENT": "survey",
    "INFO_REMINDER": "info_reminder",
    parcel.NOTE: "parcel_exception",
}
_ACCEPTED_FROM = (S.SUBMITTED, S.AWAITING_REVIEW, S.AWAITING_QUOTE_DECISION)


def for_customer(kind: str, previous: ClaimState, s: ClaimStatus) -> list[NotificationRequest]:
    """The customer's messages for a recorded change (`kind`: an event or a note), given the state before it."""
    templates = [t for t in (_on_move(previous, s), ON_NOTE.get(kind)) if t]
    if kind == "LABEL_CREATED" and s.shipments and s.shipments[-1].direction is Direction.TO_CUSTOMER:
        templates.append("shipped")  # the unit leaves with this tracking number (one outbound label per claim)
    return [n for n in (_customer(t, s) for t in templates) if n is not None]


def _on_move(previous: ClaimState, s: ClaimStatus) -> str | None:
    """The template entering the claim's state sends, if it moved and the move says anything to the customer."""
    if s.state is previous:
        return None
    if s.state is S.AWAITING_SHIPMENT and previous in _ACCEPTED_FROM:
        return "claim_accepted"
    if s.state is S.REJECTED and s.review is not None and s.review.rejection_code:
        return "review_rejected"  # a person decided: the customer hears why
    if s.state is S.AWAITING_REVIEW and previous is S.AWAITING_CUSTOMER_INFO:
        return None  # the customer just answered: the portal said so on screen
    return ON_ENTRY.get(s.state)


def _customer(template: str, s: ClaimStatus) -> NotificationRequest | None:
    """The message, with the variables its template needs; None when the claim lacks what it would say."""
    fill = _VARIABLES.get(template)
    extra = fill(s) if fill else {}
    if extra is None:
        return None
    return message(s, template, f"claim:{s.rma}", {"rma": s.rma, **extra})


def _ship_by(s: ClaimStatus) -> dict[str, str] | None:
    since = s.state_since
    return {"ship_by_at": (since + timedelta(seconds=s.timers.shipment_deadline)).isoformat() if since else ""}


def _quote(s: ClaimStatus) -> dict[str, str] | None:
    if s.quote is None:
        return None
    return {
        "amount_minor": str(s.quote.amount_minor),
        "currency": s.quote.currency_code,
        "expires_at": s.quote.expires_at.isoformat() if s.quote.expires_at else "",
    }


def _info(s: ClaimStatus) -> dict[str, str] | None:
    answer_by = info_deadline(s)
    if s.review is None or answer_by is None:
        return None
    return {"needed": ",".join(s.review.requested), "answer_by_at": answer_by.isoformat()}


def _rejection(s: ClaimStatus) -> dict[str, str] | None:
    return {"reason": s.review.rejection_code if s.review else "OTHER"}


def _resolution(s: ClaimStatus) -> dict[str, str] | None:
    return {"resolution": s.resolution.value} if s.resolution is not None else None


def _shipped(s: ClaimStatus) -> dict[str, str] | None:
    resolved = _resolution(s)
    if resolved is None:
        return None
    home = [x for x in s.shipments if x.direction is Direction.TO_CUSTOMER]
    return resolved | {"tracking_number": home[-1].tracking_number if home else ""}


def _parcel_in_trouble(s: ClaimStatus) -> dict[str, str] | None:
    shipment = parcel.in_trouble(s)
    return parcel.variables(shipment) if shipment and parcel.still_travelling(s, shipment) else None


_VARIABLES: dict[str, Callable[[ClaimStatus], dict[str, str] | None]] = {
    "parcel_exception": _parcel_in_trouble,
    "ship_reminder": _ship_by,
    "quote_offered": _quote,
    "quote_reminder": _quote,
    "info_requested": _info,
    "info_reminder": _info,
    "review_rejected": _rejection,
    "claim_closed": _resolution,
    "shipped": _shipped,
}
