"""The claim lifecycle as data: states, events and the one transition table (DESIGN.md).

Pure: no I/O, no clock. The workflow's update validators, the workflow itself and the tests all ask
`next_state`; nothing else decides whether a move is legal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ClaimState(StrEnum):
    SUBMITTED = "SUBMITTED"
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


TERMINAL = frozenset({ClaimState.CLOSED, ClaimState.REJECTED, ClaimState.CANCELLED, ClaimState.EXPIRED})


class Event(StrEnum):
    # intake: the entitlement decision
    APPROVED = "APPROVED"
    QUOTE_OFFERED = "QUOTE_OFFERED"
    REJECTED = "REJECTED"
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


S, E = ClaimState, Event
_BEFORE_RECEIPT = frozenset({S.SUBMITTED, S.AWAITING_SHIPMENT, S.IN_TRANSIT_TO_CENTRE})
_AT_CENTRE = frozenset({S.RECEIVED, S.DIAGNOSING, S.REPAIRING, S.AWAITING_PARTS, S.QUALITY_CHECK})

# (state, event) -> next state, for moves that do not depend on whether the unit has been received.
_TABLE: dict[tuple[ClaimState, Event], ClaimState] = {
    (S.SUBMITTED, E.APPROVED): S.AWAITING_SHIPMENT,
    (S.SUBMITTED, E.QUOTE_OFFERED): S.AWAITING_QUOTE_DECISION,
    (S.SUBMITTED, E.REJECTED): S.REJECTED,
    (S.AWAITING_SHIPMENT, E.SHIPPED_TO_CENTRE): S.IN_TRANSIT_TO_CENTRE,
    (S.AWAITING_SHIPMENT, E.RECEIVED): S.RECEIVED,  # a carrier's "delivered" may be the first event seen
    (S.AWAITING_SHIPMENT, E.SHIPMENT_EXPIRED): S.EXPIRED,
    (S.IN_TRANSIT_TO_CENTRE, E.RECEIVED): S.RECEIVED,
    (S.RECEIVED, E.DIAGNOSING): S.DIAGNOSING,
    (S.DIAGNOSING, E.DIAGNOSED_COVERED): S.REPAIRING,
    (S.DIAGNOSING, E.DIAGNOSED_NOT_COVERED): S.AWAITING_QUOTE_DECISION,
    (S.DIAGNOSING, E.DIAGNOSED_REPLACE): S.READY_TO_SHIP,
    (S.DIAGNOSING, E.DIAGNOSED_REFUND): S.REFUNDED,
    (S.REPAIRING, E.AWAITING_PARTS): S.AWAITING_PARTS,
    (S.AWAITING_PARTS, E.REPAIRING): S.REPAIRING,
    (S.REPAIRING, E.QUALITY_CHECK): S.QUALITY_CHECK,
    (S.QUALITY_CHECK, E.REPAIRING): S.REPAIRING,  # failed the check: back to the bench
    (S.QUALITY_CHECK, E.READY_TO_SHIP): S.READY_TO_SHIP,
    (S.READY_TO_SHIP, E.SHIPPED_TO_CUSTOMER): S.IN_TRANSIT_TO_CUSTOMER,
    (S.READY_TO_SHIP, E.DELIVERED): S.DELIVERED,
    (S.IN_TRANSIT_TO_CUSTOMER, E.DELIVERED): S.DELIVERED,
    (S.DELIVERED, E.FEEDBACK): S.CLOSED,
    (S.DELIVERED, E.SURVEY_CLOSED): S.CLOSED,
    (S.REFUNDED, E.FEEDBACK): S.CLOSED,
    (S.REFUNDED, E.SURVEY_CLOSED): S.CLOSED,
}


class IllegalTransition(Exception):
    def __init__(self, state: ClaimState, event: Event):
        super().__init__(f"{event} is not allowed while the claim is {state}")
        self.state = state
        self.event = event


def next_state(state: ClaimState, event: Event, *, received: bool) -> ClaimState:
    """The state after `event`, or IllegalTransition. `received`: the unit has reached a centre."""
    if state in TERMINAL:
        raise IllegalTransition(state, event)
    if event is E.OPS_CANCEL:
        return S.CANCELLED
    if event is E.CUSTOMER_CANCEL:
        if state in _BEFORE_RECEIPT or (state is S.AWAITING_QUOTE_DECISION and not received):
            return S.CANCELLED
        raise IllegalTransition(state, event)
    if event is E.REASSIGN:
        if state in _BEFORE_RECEIPT | _AT_CENTRE or state is S.AWAITING_QUOTE_DECISION:
            return state
        raise IllegalTransition(state, event)
    if state is S.AWAITING_QUOTE_DECISION and event is E.QUOTE_ACCEPTED:
        return S.REPAIRING if received else S.AWAITING_SHIPMENT
    if state is S.AWAITING_QUOTE_DECISION and event is E.QUOTE_DECLINED:
        return S.READY_TO_SHIP if received else S.REJECTED
    try:
        return _TABLE[(state, event)]
    except KeyError:
        raise IllegalTransition(state, event) from None


def allowed(state: ClaimState, event: Event, *, received: bool) -> bool:
    try:
        next_state(state, event, received=received)
    except IllegalTransition:
        return False
    return True


# -- carrier events --------------------------------------------------------------------------------------


class Direction(StrEnum):
    TO_CENTRE = "TO_CENTRE"
    TO_CUSTOMER = "TO_CUSTOMER"


class ParcelEvent(StrEnum):
    LABEL_CREATED = "LABEL_CREATED"
    PICKED_UP = "PICKED_UP"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    EXCEPTION = "EXCEPTION"


_PARCEL_MOVES = {
    (Direction.TO_CENTRE, ParcelEvent.PICKED_UP): E.SHIPPED_TO_CENTRE,
    (Direction.TO_CENTRE, ParcelEvent.IN_TRANSIT): E.SHIPPED_TO_CENTRE,
    (Direction.TO_CENTRE, ParcelEvent.DELIVERED): E.RECEIVED,
    (Direction.TO_CUSTOMER, ParcelEvent.PICKED_UP): E.SHIPPED_TO_CUSTOMER,
    (Direction.TO_CUSTOMER, ParcelEvent.IN_TRANSIT): E.SHIPPED_TO_CUSTOMER,
    (Direction.TO_CUSTOMER, ParcelEvent.DELIVERED): E.DELIVERED,
}


def parcel_move(state: ClaimState, direction: Direction, event: ParcelEvent, *, received: bool) -> Event | None:
    """The claim event a carrier's parcel event causes now, or None when it moves nothing: a label or an
    exception, a duplicate, or an event that arrives after a later one (out of order). Never an error."""
    move = _PARCEL_MOVES.get((direction, event))
    if move is None or not allowed(state, move, received=received):
        return None
    return move


# -- the repair SLA --------------------------------------------------------------------------------------

# The SLA clock runs while the centre holds the unit and the next move is the centre's.
SLA_RUNNING = frozenset({S.RECEIVED, S.DIAGNOSING, S.REPAIRING, S.AWAITING_PARTS, S.QUALITY_CHECK})


@dataclass(frozen=True)
class SlaClock:
    """Time used of the repair SLA. It runs from RECEIVED to READY_TO_SHIP and pauses while waiting for the
    customer (a quote decision). Immutable: every change returns a new clock."""

    budget: timedelta
    used: timedelta = timedelta(0)
    running_since: datetime | None = None

    def at(self, state: ClaimState, now: datetime) -> SlaClock:
        """The clock once the claim is in `state` at `now`."""
        used = self.used + (now - self.running_since if self.running_since else timedelta(0))
        return SlaClock(self.budget, used, now if state in SLA_RUNNING else None)

    def due_at(self) -> datetime | None:
        """When the SLA breaks if the clock keeps running; None while paused."""
        if self.running_since is None:
            return None
        return self.running_since + (self.budget - self.used)

    def breached(self, now: datetime) -> bool:
        used = self.used + (now - self.running_since if self.running_since else timedelta(0))
        return used > self.budget
