"""What the selling retailer's systems hear: one signed webhook (`claim.state_changed`) per move of a claim
on its sale, with what the claim's new state needs (the resolution, a rejection's reason code, what the
customer was asked for). Never the risk rules' findings, nor any personal data."""

from __future__ import annotations

from contracts.claims import ClaimState, ClaimStatus
from contracts.notifications import NotificationRequest
from lifecycle.notices.message import message

S = ClaimState


def for_retailer(kind: str, previous: ClaimState, s: ClaimStatus) -> list[NotificationRequest]:
    """The webhook a recorded change sends the claim's retailer: one for every move, none for a note."""
    if s.state is previous or not s.retailer_id:
        return []
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
    return [message(s, "claim.state_changed", f"retailer:{s.retailer_id}", variables)]
