"""What ops are alerted to: a review past its SLA, a repair past its SLA, a parcel the carrier reports in trouble."""

from __future__ import annotations

from contracts.claims import ClaimStatus
from contracts.notifications import NotificationRequest
from lifecycle.notices import parcel
from lifecycle.notices.message import message


def for_ops(kind: str, s: ClaimStatus) -> list[NotificationRequest]:
    """The alert a recorded note (`kind`) raises for ops, if any."""
    if kind == "REVIEW_OVERDUE":
        reasons = ", ".join(s.review.reasons) if s.review else ""
        since = s.state_since.isoformat() if s.state_since else ""
        return [message(s, "review_overdue", "ops", {"rma": s.rma, "reasons": reasons or "-", "since_at": since})]
    if kind == "SLA_BREACHED":
        due = s.sla_due_at.isoformat() if s.sla_due_at else ""
        return [message(s, "sla_breached", "ops", {"rma": s.rma, "centre_id": s.centre_id or "-", "due_at": due})]
    if kind == parcel.NOTE and (shipment := parcel.in_trouble(s)):
        where = {"rma": s.rma, "centre_id": s.centre_id or "-", **parcel.variables(shipment)}
        return [message(s, "parcel_alert", "ops", where)]
    return []
