"""The claim rules the workflow iterates (lifecycle/deadlines.py, lifecycle/transitions.py): the timer table,
which diagnosis is which event, and the centre statuses. Pure: every case by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.claims import ClaimState, ClaimStatus, Diagnosis, Event
from contracts.warranty import ClaimTimerSeconds
from lifecycle.deadlines import Timer, deadlines
from lifecycle.transitions import CENTRE_STATUSES, InvalidDiagnosis, diagnosis_event

S = ClaimState
SINCE = datetime(2026, 3, 1, 9, tzinfo=UTC)
NOW = SINCE + timedelta(hours=1)
TIMERS = ClaimTimerSeconds(
    ship_reminder=10, shipment_deadline=20, quote_reminder=30, quote_deadline=40, survey_delay=50, survey_window=60
)


def status(state: ClaimState, *sent: str, since: datetime | None = SINCE, **fields: object) -> ClaimStatus:
    return ClaimStatus(
        rma="RMA-1", serial="SN-1", state=state, state_since=since, reminders_sent=list(sent), timers=TIMERS, **fields
    )


def at(seconds: int) -> datetime:
    return SINCE + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (status(S.AWAITING_SHIPMENT), [(at(10), Timer.SHIP_REMINDER), (at(20), Timer.SHIPMENT_DEADLINE)]),
        (status(S.AWAITING_SHIPMENT, "ship"), [(at(20), Timer.SHIPMENT_DEADLINE)]),
        (status(S.AWAITING_QUOTE_DECISION), [(at(30), Timer.QUOTE_REMINDER), (at(40), Timer.QUOTE_DEADLINE)]),
        (status(S.AWAITING_QUOTE_DECISION, "quote"), [(at(40), Timer.QUOTE_DEADLINE)]),
        (status(S.DELIVERED), [(at(50), Timer.SURVEY)]),
        (status(S.DELIVERED, "survey"), [(at(110), Timer.SURVEY_CLOSED)]),
        (status(S.REFUNDED), [(at(50), Timer.SURVEY)]),
        (status(S.REFUNDED, "ship", "survey"), [(at(110), Timer.SURVEY_CLOSED)]),
        (status(S.REPAIRING), []),
        (status(S.IN_TRANSIT_TO_CENTRE), []),
        (status(S.CLOSED, "survey"), []),
    ],
)
def test_each_state_waits_for_its_timers(claim: ClaimStatus, expected: list[tuple[datetime, Timer]]) -> None:
    assert deadlines(claim, NOW) == expected


def test_the_sla_falls_due_just_after_its_due_time_until_breached() -> None:
    due = SINCE + timedelta(days=10)
    running = status(S.AWAITING_PARTS, sla_due_at=due)
    assert deadlines(running, NOW) == [(due + timedelta(microseconds=1), Timer.SLA)]
    assert deadlines(status(S.AWAITING_PARTS, sla_due_at=due, sla_breached=True), NOW) == []


def test_deadlines_come_soonest_first_across_rules() -> None:
    early_sla = SINCE + timedelta(seconds=15)
    claim = status(S.AWAITING_SHIPMENT, sla_due_at=early_sla)
    assert [t for _, t in deadlines(claim, NOW)] == [Timer.SHIP_REMINDER, Timer.SLA, Timer.SHIPMENT_DEADLINE]


def test_a_claim_without_a_state_time_counts_from_now() -> None:
    claim = status(S.AWAITING_SHIPMENT, "ship", since=None)
    assert deadlines(claim, NOW) == [(NOW + timedelta(seconds=20), Timer.SHIPMENT_DEADLINE)]


@pytest.mark.parametrize(
    ("outcome", "remedy", "serial", "has_quote", "event"),
    [
        ("COVERED_FAULT", "", "", False, Event.DIAGNOSED_COVERED),
        ("NOT_COVERED", "", "", True, Event.DIAGNOSED_NOT_COVERED),
        ("UNREPAIRABLE", "REPLACEMENT", "SN-2", False, Event.DIAGNOSED_REPLACE),
        ("UNREPAIRABLE", "REFUND", "", False, Event.DIAGNOSED_REFUND),
    ],
)
def test_each_diagnosis_is_its_event(outcome: str, remedy: str, serial: str, has_quote: bool, event: Event) -> None:
    diagnosis = Diagnosis(outcome=outcome, remedy=remedy, replacement_serial=serial)
    assert diagnosis_event(diagnosis, has_quote=has_quote) is event


@pytest.mark.parametrize(
    ("outcome", "remedy", "serial", "has_quote", "why"),
    [
        ("COVERED_FAULT", "REFUND", "", False, "outcome and remedy do not go together"),
        ("UNREPAIRABLE", "", "", False, "outcome and remedy do not go together"),
        ("NOT_COVERED", "REPLACEMENT", "", True, "outcome and remedy do not go together"),
        ("BROKEN", "", "", False, "outcome and remedy do not go together"),
        ("NOT_COVERED", "", "", False, "damage not covered needs a quote"),
        ("UNREPAIRABLE", "REPLACEMENT", "", False, "a replacement needs the replacement serial"),
    ],
)
def test_a_diagnosis_that_does_not_go_together_is_refused(
    outcome: str, remedy: str, serial: str, has_quote: bool, why: str
) -> None:
    with pytest.raises(InvalidDiagnosis, match=why):
        diagnosis_event(Diagnosis(outcome=outcome, remedy=remedy, replacement_serial=serial), has_quote=has_quote)


def test_the_centre_reports_these_statuses_in_a_repairs_usual_order() -> None:
    assert CENTRE_STATUSES == (
        Event.RECEIVED,
        Event.DIAGNOSING,
        Event.AWAITING_PARTS,
        Event.REPAIRING,
        Event.QUALITY_CHECK,
        Event.READY_TO_SHIP,
    )
