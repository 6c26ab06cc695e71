"""The claim lifecycle as data: states, events and the one transition table (DESIGN.md).

Pure: no I/O, no clock. The workflow's update validators, the workflow itself and the tests all ask
`next_state`; nothing else decides whether a move is legal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from contracts.claims import ClaimState, ClaimStatus, Diagnosis, Direction, Event, ParcelEvent

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
        if state in (_BEFORE_RECEIPT - _IN_REVIEW) | _AT_CENTRE or state is S.AWAITING_QUOTE_DECISION:
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


# -- the timers ------------------------------------------------------------------------------------------


class Timer(StrEnum):
    """What a claim waits for with a deadline; the workflow has one handler for each."""

    SHIP_REMINDER = "ship_reminder"
    SHIPMENT_DEADLINE = "shipment_deadline"
    QUOTE_REMINDER = "quote_reminder"
    QUOTE_DEADLINE = "quote_deadline"
    SURVEY = "survey"
    SURVEY_CLOSED = "survey_closed"
    SLA = "sla"
    REVIEW_SLA = "review_sla"
    INFO_REMINDER = "info_reminder"
    INFO_DEADLINE = "info_deadline"


@dataclass(frozen=True)
class TimerRule:
    """In `states`, `timer` fires `seconds(policy timers)` after the state was entered, unless the reminder
    `once` was already sent (or, with `after`, only once it was)."""

    states: frozenset[ClaimState]
    timer: Timer
    seconds: str  # the ClaimTimerSeconds field(s), joined by "+"
    once: str = ""  # a reminders_sent tag: the timer fires only while the tag is absent
    after: str = ""  # a reminders_sent tag: the timer fires only once the tag is present


_WAITING_FOR_SURVEY = frozenset({S.DELIVERED, S.REFUNDED})
REVIEW_OVERDUE, INFO_REMINDED = "review", "info"
TIMER_TABLE = (
    TimerRule(frozenset({S.AWAITING_SHIPMENT}), Timer.SHIP_REMINDER, "ship_reminder", once="ship"),
    TimerRule(frozenset({S.AWAITING_SHIPMENT}), Timer.SHIPMENT_DEADLINE, "shipment_deadline"),
    TimerRule(frozenset({S.AWAITING_QUOTE_DECISION}), Timer.QUOTE_REMINDER, "quote_reminder", once="quote"),
    TimerRule(frozenset({S.AWAITING_QUOTE_DECISION}), Timer.QUOTE_DEADLINE, "quote_deadline"),
    TimerRule(_WAITING_FOR_SURVEY, Timer.SURVEY, "survey_delay", once="survey"),
    TimerRule(_WAITING_FOR_SURVEY, Timer.SURVEY_CLOSED, "survey_delay+survey_window", after="survey"),
    TimerRule(frozenset({S.AWAITING_REVIEW}), Timer.REVIEW_SLA, "review_sla", once=REVIEW_OVERDUE),
    TimerRule(frozenset({S.AWAITING_CUSTOMER_INFO}), Timer.INFO_REMINDER, "info_reminder", once=INFO_REMINDED),
    TimerRule(frozenset({S.AWAITING_CUSTOMER_INFO}), Timer.INFO_DEADLINE, "info_deadline"),
)
# The review states' tags are dropped whenever the claim enters them again (a second round of questions gets
# its own reminder; a review after an answer its own SLA).
RENEWED_TAGS = {S.AWAITING_REVIEW: REVIEW_OVERDUE, S.AWAITING_CUSTOMER_INFO: INFO_REMINDED}


def deadlines(status: ClaimStatus, now: datetime) -> list[tuple[datetime, Timer]]:
    """Every deadline the claim waits for, soonest first (`now` stands in for a missing state_since).
    The repair SLA falls due just after its due time, so a move at the due time itself is no breach."""
    since = status.state_since or now
    sent = status.reminders_sent
    due: list[tuple[datetime, Timer]] = []
    for rule in TIMER_TABLE:
        if status.state not in rule.states or (rule.once and rule.once in sent):
            continue
        if rule.after and rule.after not in sent:
            continue
        seconds = sum(getattr(status.timers, name) for name in rule.seconds.split("+"))
        due.append((since + timedelta(seconds=seconds), rule.timer))
    if status.sla_due_at is not None and not status.sla_breached:
        due.append((status.sla_due_at + timedelta(microseconds=1), Timer.SLA))
    return sorted(due)


def info_deadline(status: ClaimStatus) -> datetime | None:
    """When a claim waiting for the customer's information expires unanswered (None in any other state)."""
    if status.state is not S.AWAITING_CUSTOMER_INFO or status.state_since is None:
        return None
    return status.state_since + timedelta(seconds=status.timers.info_deadline)


def review_deadline(status: ClaimStatus) -> datetime | None:
    """When a claim in review falls due under the review SLA (None in any other state)."""
    if status.state is not S.AWAITING_REVIEW or status.state_since is None:
        return None
    return status.state_since + timedelta(seconds=status.timers.review_sla)


def shipment_deadline(status: ClaimStatus) -> datetime | None:
    """When an unshipped RMA expires, while the claim waits for the unit (None otherwise, or before the state
    has a start time)."""
    if status.state_since is None:
        return None
    return next((at for at, timer in deadlines(status, status.state_since) if timer is Timer.SHIPMENT_DEADLINE), None)
