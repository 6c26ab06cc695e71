"""Who sees what of a claim, and who an action is by: the repairs API's one answer to each.

- `can_see`: which claims a caller may read at all (another party's claim reads as unknown);
- `as_seen_by`: how much of a claim each reader sees (ops and services all; retailers and centres not the risk
  rules' findings; the portal only what is safe to show its customer);
- `actor_of`: who an action is by, for the timeline;
- the roles that read claims, file them for a customer, and act for one."""

from __future__ import annotations

from aftercare.repairs.v1 import repairs_pb2 as pb

from services.kit import grants
from services.kit.auth import Principal, Role
from services.kit.grants import Purpose, Subject
from services.repairs import mapping
from services.repairs.persistence.tables import ClaimRow

READERS = (Role.RETAILER, Role.CENTRE, Role.OPS, Role.SERVICE)
CUSTOMER_CHANNELS = (Role.RETAILER, Role.OPS)
# The customer, through the portal, on the one claim its link grants (services/kit/grants.py).
CUSTOMER_ACTIONS = (*CUSTOMER_CHANNELS, Role.PORTAL)


def can_see(principal: Principal, row: ClaimRow) -> bool:
    """Ops, services and carriers see every claim; a retailer its own; a centre those assigned to it; the portal
    the one its grant names."""
    if principal.role is Role.PORTAL:
        return grants.grants(Subject.CLAIM, row.rma, Purpose.CLAIM)
    if principal.role is Role.RETAILER:
        return row.retailer_id == principal.id
    if principal.role is Role.CENTRE:
        return row.centre_id == principal.id
    return True


def as_seen_by(principal: Principal, claim: pb.Claim) -> pb.Claim:
    """The claim as this caller may read it: whole for ops and services; without the risk rules' findings and
    without naming the operators for retailers and centres; customer-safe for the portal."""
    if principal.role is Role.PORTAL:
        return mapping.customer_safe(claim)
    if principal.role in (Role.OPS, Role.SERVICE):
        return claim
    seen = mapping.without_risk(claim)
    for event in seen.timeline:
        if event.actor.kind == Role.OPS:
            event.actor.id = ""  # which operator acted is ops' own business
    return seen


def actor_of(principal: Principal, row: ClaimRow) -> str:
    """Who an action is by, for the timeline: the customer (by their opaque id) when it came through the portal,
    else the principal itself ("ops", "ops:jo-smith", "retailer:demo-retailer", "centre:berlin-1")."""
    if principal.role is Role.PORTAL:
        return f"customer:{mapping.status_of(row).customer_id}"
    return str(principal)


def retailer_of(principal: Principal) -> str:
    return principal.id if principal.role is Role.RETAILER else ""
