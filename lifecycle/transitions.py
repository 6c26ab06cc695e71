"""Which moves a claim may make: the one transition table (DESIGN.md, "The claim lifecycle"), what a centre
reports, what a diagnosis means and which carrier event moves a claim.

Pure: no I/O, no clock. The workflow's update validators, the workflow itself, the repairs API and the tests
all ask `next_state`; nothing else decides whether a move is legal."""

from __future__ import annotations

from contracts.claims import ClaimState, Diagnosis, Direction, Event, ParcelEvent

TERMINAL = frozenset({ClaimState.CLOSED, ClaimState.REJECTED, ClaimState.CANCELLED, ClaimState.EXPIRED})


S, E = ClaimState, Event
_IN_REVIEW = frozenset({S.AWAITING_REVIEW, S.AWAITING_CUSTOMER_INFO})
_BEFORE_RECEIPT = frozenset({S.SUBMITTED, S.AWAITING_SHIPMENT, S.IN_TRANSIT_TO_CENTRE}) | _IN_REVIEW
_AT_CENTRE = frozenset({S.RECEIVED, S.DIAGNOSING, S.REPAIRING, S.AWAITING_PARTS, S.QUALITY_CHECK})

# (state, event) -> next state, for moves that do not depend on whether the unit has been received.
_TABLE: dict[tuple[ClaimState, Event], ClaimState] = {
    (S.SUBMITTED, E.APPROVED): S.AWAITING_SHIPMENT,
    (S.SUBMITTED, E.QUOTE_OFFERED): S.AWAITING_QUOTE_DECISION,
    (S.SUBMITTED, E.REJECTED): S.REJECTED,
    (S.SUBMITTED, E.REVIEW_REQUIRED): S.AWAITING_REVIEW,
    (S.AWAITING_REVIEW, E.APPROVED): S.AWAITING_SHIPMENT,
    (S.AWAITING_REVIEW, E.QUOTE_OFFERED): S.AWAITING_QUOTE_DECISION,
    (S.AWAITING_REVIEW, E.REJECTED): S.REJECTED,
    (S.AWAITING_REVIEW, E.INFO_REQUESTED): S.AWAITING_CUSTOMER_INFO,
    (S.AWAITING_CUSTOMER_INFO, E.INFO_PROVIDED): S.AWAITING_REVIEW,
    (S.AWAITING_CUSTOMER_INFO, E.INFO_EXPIRED): S.EXPIRED,
    (S.AWAITING_CUSTOMER_INFO, E.REJECTED): S.REJECTED,  # ops need not wait for an answer to say no
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


_REASSIGNABLE = (_BEFORE_RECEIPT - _IN_REVIEW) | _AT_CENTRE | {S.AWAITING_QUOTE_DECISION}
# The customer's decision on a quote, by whether the unit is at the centre already (received).
_QUOTE_MOVES = {
    E.QUOTE_ACCEPTED: {True: S.REPAIRING, False: S.AWAITING_SHIPMENT},
    E.QUOTE_DECLINED: {True: S.READY_TO_SHIP, False: S.REJECTED},
}


def next_state(state: ClaimState, event: Event, *, received: bool) -> ClaimState:
    """The state after `event`, or IllegalTransition. `received`: the unit has reached a centre."""
    if state in TERMINAL:
        raise IllegalTransition(state, event)
    new = _by_who_or_where(state, event, received=received)
    if new is None:
        new = _TABLE.get((state, event))
    if new is None:
        raise IllegalTransition(state, event)
    return new


def _by_who_or_where(state: ClaimState, event: Event, *, received: bool) -> ClaimState | None:
    """The moves that depend on who asks or on whether the unit was received (None: the table decides)."""
    if event is E.OPS_CANCEL:
        return S.CANCELLED
    if event is E.CUSTOMER_CANCEL:
        customer_may = state in _BEFORE_RECEIPT or (state is S.AWAITING_QUOTE_DECISION and not received)
        if not customer_may:
            raise IllegalTransition(state, event)
        return S.CANCELLED
    if event is E.REASSIGN:
        if state not in _REASSIGNABLE:
            raise IllegalTransition(state, event)
        return state
    if state is S.AWAITING_QUOTE_DECISION and event in _QUOTE_MOVES:
        return _QUOTE_MOVES[event][received]
    return None


def allowed(state: ClaimState, event: Event, *, received: bool) -> bool:
    try:
        next_state(state, event, received=received)
    except IllegalTransition:
        return False
    return True


# -- what a centre reports -------------------------------------------------------------------------------

# The events a centre sends as repair progress (UpdateRepairStatus), in the order a repair usually takes.
CENTRE_STATUSES = (E.RECEIVED, E.DIAGNOSING, E.AWAITING_PARTS, E.REPAIRING, E.QUALITY_CHECK, E.READY_TO_SHIP)

_DIAGNOSES = {
    ("COVERED_FAULT", ""): E.DIAGNOSED_COVERED,
    ("NOT_COVERED", ""): E.DIAGNOSED_NOT_COVERED,
    ("UNREPAIRABLE", "REPLACEMENT"): E.DIAGNOSED_REPLACE,
    ("UNREPAIRABLE", "REFUND"): E.DIAGNOSED_REFUND,
}


class InvalidDiagnosis(ValueError):
    pass


def diagnosis_event(diagnosis: Diagnosis, *, has_quote: bool) -> Event:
    """The claim event a centre's diagnosis is; InvalidDiagnosis when its parts do not go together."""
    event = _DIAGNOSES.get((diagnosis.outcome, diagnosis.remedy))
    if event is None:
        raise InvalidDiagnosis("outcome and remedy do not go together")
    if event is E.DIAGNOSED_NOT_COVERED and not has_quote:
        raise InvalidDiagnosis("damage not covered needs a quote")
    if event is E.DIAGNOSED_REPLACE and not diagnosis.replacement_serial:
        raise InvalidDiagnosis("a replacement needs the replacement serial")
    return event


# -- carrier events --------------------------------------------------------------------------------------


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
