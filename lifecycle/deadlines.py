"""What a claim waits for with a deadline, and when each falls due: the timers (reminders, expiries, the
survey, the review SLA and the information request's window), all counted from the product's policy
(`ClaimTimerSeconds`), never hard-coded. Pure: `now` is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from contracts.claims import ClaimState, ClaimStatus

S = ClaimState


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
