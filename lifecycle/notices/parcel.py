"""A parcel in trouble: the carrier reported an EXCEPTION (lost, damaged, returned to sender) on one of the
claim's shipments. Ops are alerted to every one; the customer is told while the unit is still on that trip
(a late exception on a parcel that has arrived tells them nothing they need)."""

from __future__ import annotations

from contracts.claims import ClaimState, ClaimStatus, Direction, ParcelEvent, Shipment

NOTE = "PARCEL_EXCEPTION"  # what the workflow records for it (workflows/claim/updates.py)
S = ClaimState
ON_THE_WAY = {
    Direction.TO_CENTRE: frozenset({S.AWAITING_SHIPMENT, S.IN_TRANSIT_TO_CENTRE}),
    Direction.TO_CUSTOMER: frozenset({S.READY_TO_SHIP, S.IN_TRANSIT_TO_CUSTOMER}),
}


def in_trouble(s: ClaimStatus) -> Shipment | None:
    """The shipment with the latest exception, if any."""
    reported = [
        (record.occurred_at, i)
        for i, shipment in enumerate(s.shipments)
        for record in shipment.events
        if record.event is ParcelEvent.EXCEPTION
    ]
    return s.shipments[max(reported)[1]] if reported else None


def still_travelling(s: ClaimStatus, shipment: Shipment) -> bool:
    """The unit is still on the trip this shipment makes."""
    return s.state in ON_THE_WAY[shipment.direction]


def variables(shipment: Shipment) -> dict[str, str]:
    return {"tracking_number": shipment.tracking_number, "direction": shipment.direction.value}
