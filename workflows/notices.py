"""What a claim's change tells whom: the customer's messages, the retailer's webhook and the ops alert.
Pure: the claim workflow calls it after each recorded change and sends what it returns.

Each message's business key is `claim-<RMA>/<seq>/<template>`: the change's sequence number makes it
unique per claim and the same on every replay or retry, so the notifications service sends it once."""

from __future__ import annotations

from datetime import timedelta

from contracts.claims import ClaimState, ClaimStatus, Direction, claim_workflow_id
from contracts.notifications import NotificationRequest
from services.repairs.domain.claims import info_deadline

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
}


def notices(kind: str, previous: ClaimState, status: ClaimStatus) -> list[NotificationRequest]:
    """The messages a recorded change (`kind`: an event or a note) sends, given the state before it."""
    s = status
    moved = s.state is not previous
    templates: list[str] = []
    if (
        moved
        and s.state is S.AWAITING_SHIPMENT
        and previous in (S.SUBMITTED, S.AWAITING_REVIEW, S.AWAITING_QUOTE_DECISION)
    ):
        templates.append("claim_accepted")
    elif moved and s.state is S.REJECTED and s.review is not None and s.review.rejection_code:
        templates.append("review_rejected")  # a person decided: the customer hears why
    elif moved and s.state is S.AWAITING_REVIEW and previous is S.AWAITING_CUSTOMER_INFO:
        pass  # the customer just answered: the portal said so on screen
    elif moved and s.state in ON_ENTRY:
        templates.append(ON_ENTRY[s.state])
    if kind in ON_NOTE:
        templates.append(ON_NOTE[kind])
    if kind == "LABEL_CREATED" and s.shipments and s.shipments[-1].direction is Direction.TO_CUSTOMER:
        templates.append("shipped")  # the unit leaves with this tracking number (one outbound label per claim)
    out = [n for n in (_customer(t, s) for t in templates) if n is not None]
    if kind == "REVIEW_OVERDUE":
        reasons = ", ".join(s.review.reasons) if s.review else ""
        since = s.state_since.isoformat() if s.state_since else ""
        out.append(_message(s, "review_overdue", "ops", {"rma": s.rma, "reasons": reasons or "-", "since_at": since}))
    if kind == "SLA_BREACHED":
        due = s.sla_due_at.isoformat() if s.sla_due_at else ""
        out.append(_message(s, "sla_breached", "ops", {"rma": s.rma, "centre_id": s.centre_id or "-", "due_at": due}))
    if moved and s.retailer_id:
        variables = {
            "rma": s.rma,
            "serial": s.serial,
            "sku": s.sku,
            "state": s.state.value,
            "previous_state": previous.value,
            "event": kind,
            "occurred_at": s.state_since.isoformat() if s.state_since else "",
        }
        if s.resolution is not None:
            variables["resolution"] = s.resolution.value
        if s.review is not None and s.state is S.REJECTED and s.review.rejection_code:
            variables["reason"] = s.review.rejection_code
        if s.review is not None and s.state is S.AWAITING_CUSTOMER_INFO:
            variables["needed"] = ",".join(s.review.requested)
        out.append(_message(s, "claim.state_changed", f"retailer:{s.retailer_id}", variables))
    return out


def _customer(template: str, s: ClaimStatus) -> NotificationRequest | None:
    variables = {"rma": s.rma}
    if template == "ship_reminder":
        since = s.state_since
        variables["ship_by_at"] = (since + timedelta(seconds=s.timers.shipment_deadline)).isoformat() if since else ""
    elif template in ("quote_offered", "quote_reminder"):
        if s.quote is None:
            return None
        variables |= {
            "amount_minor": str(s.quote.amount_minor),
            "currency": s.quote.currency_code,
            "expires_at": s.quote.expires_at.isoformat() if s.quote.expires_at else "",
        }
    elif template in ("info_requested", "info_reminder"):
        answer_by = info_deadline(s)
        if s.review is None or answer_by is None:
            return None
        variables["needed"] = ",".join(s.review.requested)
        variables["answer_by_at"] = answer_by.isoformat()
    elif template == "review_rejected":
        variables["reason"] = s.review.rejection_code if s.review else "OTHER"
    elif template in ("shipped", "claim_closed"):
        if s.resolution is None:
            return None
        variables["resolution"] = s.resolution.value
        if template == "shipped":
            home = [x for x in s.shipments if x.direction is Direction.TO_CUSTOMER]
            variables["tracking_number"] = home[-1].tracking_number if home else ""
    return _message(s, template, f"claim:{s.rma}", variables)


def _message(s: ClaimStatus, template: str, recipient: str, variables: dict[str, str]) -> NotificationRequest:
    return NotificationRequest(
        key=f"{claim_workflow_id(s.rma)}/{s.seq}/{template}",
        template=template,
        recipient=recipient,
        variables=variables,
        rma=s.rma,
        serial=s.serial,
        retailer_id=s.retailer_id,
        centre_id=s.centre_id,
    )
