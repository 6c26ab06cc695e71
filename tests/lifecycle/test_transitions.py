"""The transition table, exhaustively: every state x event x (received or not) against an independent
statement of DESIGN.md's lifecycle."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from contracts.claims import ClaimState, Direction, Event, ParcelEvent
from lifecycle import transitions
from lifecycle.sla import SlaClock
from lifecycle.transitions import IllegalTransition, allowed, next_state, parcel_move

S, E = ClaimState, Event
# DESIGN.md: the states a claim never leaves.
TERMINAL = frozenset({S.CLOSED, S.REJECTED, S.CANCELLED, S.EXPIRED})

# The lifecycle written out as the expected answer, one line per legal move: (state, event, received?) -> next.
# `None` for received means "either".
EXPECTED: dict[tuple[ClaimState, Event, bool | None], ClaimState] = {
    (S.SUBMITTED, E.APPROVED, None): S.AWAITING_SHIPMENT,
    (S.SUBMITTED, E.QUOTE_OFFERED, None): S.AWAITING_QUOTE_DECISION,
    (S.SUBMITTED, E.REJECTED, None): S.REJECTED,
    # review (DESIGN.md): between the entitlement decision and the label
    (S.SUBMITTED, E.REVIEW_REQUIRED, None): S.AWAITING_REVIEW,
    (S.AWAITING_REVIEW, E.APPROVED, None): S.AWAITING_SHIPMENT,
    (S.AWAITING_REVIEW, E.QUOTE_OFFERED, None): S.AWAITING_QUOTE_DECISION,
    (S.AWAITING_REVIEW, E.REJECTED, None): S.REJECTED,
    (S.AWAITING_REVIEW, E.INFO_REQUESTED, None): S.AWAITING_CUSTOMER_INFO,
    (S.AWAITING_CUSTOMER_INFO, E.INFO_PROVIDED, None): S.AWAITING_REVIEW,
    (S.AWAITING_CUSTOMER_INFO, E.INFO_EXPIRED, None): S.EXPIRED,
    (S.AWAITING_CUSTOMER_INFO, E.REJECTED, None): S.REJECTED,
    (S.AWAITING_SHIPMENT, E.SHIPPED_TO_CENTRE, None): S.IN_TRANSIT_TO_CENTRE,
    (S.AWAITING_SHIPMENT, E.RECEIVED, None): S.RECEIVED,
    (S.AWAITING_SHIPMENT, E.SHIPMENT_EXPIRED, None): S.EXPIRED,
    (S.IN_TRANSIT_TO_CENTRE, E.RECEIVED, None): S.RECEIVED,
    (S.RECEIVED, E.DIAGNOSING, None): S.DIAGNOSING,
    (S.DIAGNOSING, E.DIAGNOSED_COVERED, None): S.REPAIRING,
    (S.DIAGNOSING, E.DIAGNOSED_NOT_COVERED, None): S.AWAITING_QUOTE_DECISION,
    (S.DIAGNOSING, E.DIAGNOSED_REPLACE, None): S.READY_TO_SHIP,
    (S.DIAGNOSING, E.DIAGNOSED_REFUND, None): S.REFUNDED,
    (S.AWAITING_QUOTE_DECISION, E.QUOTE_ACCEPTED, True): S.REPAIRING,
    (S.AWAITING_QUOTE_DECISION, E.QUOTE_ACCEPTED, False): S.AWAITING_SHIPMENT,
    (S.AWAITING_QUOTE_DECISION, E.QUOTE_DECLINED, True): S.READY_TO_SHIP,
    (S.AWAITING_QUOTE_DECISION, E.QUOTE_DECLINED, False): S.REJECTED,
    (S.REPAIRING, E.AWAITING_PARTS, None): S.AWAITING_PARTS,
    (S.AWAITING_PARTS, E.REPAIRING, None): S.REPAIRING,
    (S.REPAIRING, E.QUALITY_CHECK, None): S.QUALITY_CHECK,
    (S.QUALITY_CHECK, E.REPAIRING, None): S.REPAIRING,
    (S.QUALITY_CHECK, E.READY_TO_SHIP, None): S.READY_TO_SHIP,
    (S.READY_TO_SHIP, E.SHIPPED_TO_CUSTOMER, None): S.IN_TRANSIT_TO_CUSTOMER,
    (S.READY_TO_SHIP, E.DELIVERED, None): S.DELIVERED,
    (S.IN_TRANSIT_TO_CUSTOMER, E.DELIVERED, None): S.DELIVERED,
    (S.DELIVERED, E.FEEDBACK, None): S.CLOSED,
    (S.DELIVERED, E.SURVEY_CLOSED, None): S.CLOSED,
    (S.REFUNDED, E.FEEDBACK, None): S.CLOSED,
    (S.REFUNDED, E.SURVEY_CLOSED, None): S.CLOSED,
}
for state in S:
    if state not in TERMINAL:
        EXPECTED[(state, E.OPS_CANCEL, None)] = S.CANCELLED
for state in (S.SUBMITTED, S.AWAITING_REVIEW, S.AWAITING_CUSTOMER_INFO, S.AWAITING_SHIPMENT, S.IN_TRANSIT_TO_CENTRE):
    EXPECTED[(state, E.CUSTOMER_CANCEL, None)] = S.CANCELLED
EXPECTED[(S.AWAITING_QUOTE_DECISION, E.CUSTOMER_CANCEL, False)] = S.CANCELLED
for state in (
    S.SUBMITTED,
    S.AWAITING_SHIPMENT,
    S.IN_TRANSIT_TO_CENTRE,
    S.AWAITING_QUOTE_DECISION,
    S.RECEIVED,
    S.DIAGNOSING,
    S.REPAIRING,
    S.AWAITING_PARTS,
    S.QUALITY_CHECK,
):
    EXPECTED[(state, E.REASSIGN, None)] = state


def expected(state: ClaimState, event: Event, received: bool) -> ClaimState | None:
    return EXPECTED.get((state, event, received), EXPECTED.get((state, event, None)))


@pytest.mark.parametrize(("state", "event", "received"), list(itertools.product(S, E, (False, True))))
def test_every_state_and_event(state: ClaimState, event: Event, received: bool) -> None:
    want = expected(state, event, received)
    if want is None:
        with pytest.raises(IllegalTransition) as caught:
            next_state(state, event, received=received)
        assert caught.value.state is state and str(state) in str(caught.value)
        assert not allowed(state, event, received=received)
    else:
        assert next_state(state, event, received=received) is want
        assert allowed(state, event, received=received)


def test_the_terminal_states_are_designs() -> None:
    assert transitions.TERMINAL == TERMINAL


def test_terminal_states_accept_nothing() -> None:
    for state, event in itertools.product(TERMINAL, E):
        assert not allowed(state, event, received=True) and not allowed(state, event, received=False)


def test_customer_cannot_cancel_after_receipt() -> None:
    for state in (S.RECEIVED, S.DIAGNOSING, S.REPAIRING, S.READY_TO_SHIP, S.DELIVERED):
        assert not allowed(state, E.CUSTOMER_CANCEL, received=True)
    assert not allowed(S.AWAITING_QUOTE_DECISION, E.CUSTOMER_CANCEL, received=True)


@pytest.mark.parametrize(
    ("state", "direction", "parcel", "want"),
    [
        (S.AWAITING_SHIPMENT, Direction.TO_CENTRE, ParcelEvent.LABEL_CREATED, None),
        (S.AWAITING_SHIPMENT, Direction.TO_CENTRE, ParcelEvent.PICKED_UP, E.SHIPPED_TO_CENTRE),
        (S.IN_TRANSIT_TO_CENTRE, Direction.TO_CENTRE, ParcelEvent.IN_TRANSIT, None),  # duplicate
        (S.AWAITING_SHIPMENT, Direction.TO_CENTRE, ParcelEvent.DELIVERED, E.RECEIVED),  # out of order
        (S.RECEIVED, Direction.TO_CENTRE, ParcelEvent.IN_TRANSIT, None),  # late
        (S.DIAGNOSING, Direction.TO_CENTRE, ParcelEvent.DELIVERED, None),  # duplicate delivery
        (S.READY_TO_SHIP, Direction.TO_CUSTOMER, ParcelEvent.PICKED_UP, E.SHIPPED_TO_CUSTOMER),
        (S.READY_TO_SHIP, Direction.TO_CUSTOMER, ParcelEvent.DELIVERED, E.DELIVERED),
        (S.DELIVERED, Direction.TO_CUSTOMER, ParcelEvent.IN_TRANSIT, None),
        (S.REPAIRING, Direction.TO_CUSTOMER, ParcelEvent.PICKED_UP, None),  # not ready yet
        (S.IN_TRANSIT_TO_CUSTOMER, Direction.TO_CUSTOMER, ParcelEvent.EXCEPTION, None),
        (S.CLOSED, Direction.TO_CUSTOMER, ParcelEvent.DELIVERED, None),
    ],
)
def test_parcel_events_move_forward_or_not_at_all(
    state: ClaimState, direction: Direction, parcel: ParcelEvent, want: Event | None
) -> None:
    assert parcel_move(state, direction, parcel, received=state not in (S.AWAITING_SHIPMENT,)) is want


T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_sla_runs_at_the_centre_and_pauses_for_the_customer() -> None:
    clock = SlaClock(timedelta(days=10)).at(S.RECEIVED, T0)
    assert clock.due_at() == T0 + timedelta(days=10)
    clock = clock.at(S.DIAGNOSING, T0 + timedelta(days=1)).at(S.AWAITING_QUOTE_DECISION, T0 + timedelta(days=2))
    assert clock.due_at() is None and clock.used == timedelta(days=2)
    assert not clock.breached(T0 + timedelta(days=30))  # paused: waiting on the customer costs nothing
    clock = clock.at(S.REPAIRING, T0 + timedelta(days=7))
    assert clock.due_at() == T0 + timedelta(days=15)
    assert not clock.breached(T0 + timedelta(days=15))  # the last instant is still within
    assert clock.breached(T0 + timedelta(days=15, microseconds=1))
    done = clock.at(S.READY_TO_SHIP, T0 + timedelta(days=9))
    assert done.due_at() is None and done.used == timedelta(days=4)


# A carrier's parcel events, by hand: which claim event each one means (None: it moves nothing by itself).
PARCEL_MEANS: dict[tuple[Direction, ParcelEvent], Event | None] = {
    (Direction.TO_CENTRE, ParcelEvent.LABEL_CREATED): None,
    (Direction.TO_CENTRE, ParcelEvent.PICKED_UP): E.SHIPPED_TO_CENTRE,
    (Direction.TO_CENTRE, ParcelEvent.IN_TRANSIT): E.SHIPPED_TO_CENTRE,
    (Direction.TO_CENTRE, ParcelEvent.DELIVERED): E.RECEIVED,
    (Direction.TO_CENTRE, ParcelEvent.EXCEPTION): None,
    (Direction.TO_CUSTOMER, ParcelEvent.LABEL_CREATED): None,
    (Direction.TO_CUSTOMER, ParcelEvent.PICKED_UP): E.SHIPPED_TO_CUSTOMER,
    (Direction.TO_CUSTOMER, ParcelEvent.IN_TRANSIT): E.SHIPPED_TO_CUSTOMER,
    (Direction.TO_CUSTOMER, ParcelEvent.DELIVERED): E.DELIVERED,
    (Direction.TO_CUSTOMER, ParcelEvent.EXCEPTION): None,
}


def test_the_parcel_table_names_every_direction_and_event() -> None:
    assert set(PARCEL_MEANS) == set(itertools.product(Direction, ParcelEvent))


@pytest.mark.parametrize(
    ("state", "direction", "parcel", "received"), list(itertools.product(S, Direction, ParcelEvent, (False, True)))
)
def test_every_parcel_event_in_every_state(
    state: ClaimState, direction: Direction, parcel: ParcelEvent, received: bool
) -> None:
    """A parcel event moves the claim by its meaning when that move is legal now, else not at all."""
    means = PARCEL_MEANS[(direction, parcel)]
    want = means if means is not None and expected(state, means, received) is not None else None
    assert parcel_move(state, direction, parcel, received=received) is want
