"""What the claim page says for each state (services/portal/domain/claim_view.py), for every state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.claims import ClaimState
from services.portal.domain.claim_view import ClaimFacts, WaitingOn, moves, view

T = datetime(2026, 12, 1, tzinfo=UTC)
SHIP, QUOTE, SLA = T + timedelta(days=14), T + timedelta(days=7), T + timedelta(days=10)
ANSWER = T + timedelta(days=9)
EXPECTED = {
    "SUBMITTED": (WaitingOn.US, None),
    "AWAITING_REVIEW": (WaitingOn.US, None),
    "AWAITING_CUSTOMER_INFO": (WaitingOn.CUSTOMER, ANSWER),
    "AWAITING_SHIPMENT": (WaitingOn.CUSTOMER, SHIP),
    "AWAITING_QUOTE_DECISION": (WaitingOn.CUSTOMER, QUOTE),
    "IN_TRANSIT_TO_CENTRE": (WaitingOn.CARRIER, None),
    "RECEIVED": (WaitingOn.CENTRE, SLA),
    "DIAGNOSING": (WaitingOn.CENTRE, SLA),
    "REPAIRING": (WaitingOn.CENTRE, SLA),
    "AWAITING_PARTS": (WaitingOn.CENTRE, SLA),
    "QUALITY_CHECK": (WaitingOn.CENTRE, SLA),
    "READY_TO_SHIP": (WaitingOn.CENTRE, SLA),
    "IN_TRANSIT_TO_CUSTOMER": (WaitingOn.CARRIER, None),
    "DELIVERED": (WaitingOn.CUSTOMER, None),
    "REFUNDED": (WaitingOn.CUSTOMER, None),
    "CLOSED": (WaitingOn.NOBODY, None),
    "REJECTED": (WaitingOn.NOBODY, None),
    "CANCELLED": (WaitingOn.NOBODY, None),
    "EXPIRED": (WaitingOn.NOBODY, None),
}


def test_every_state_is_described() -> None:
    assert set(EXPECTED) == {s.value for s in ClaimState}


@pytest.mark.parametrize("state", list(EXPECTED))
def test_who_the_claim_waits_on_and_until_when(state: str) -> None:
    facts = ClaimFacts(
        state, ship_by=SHIP, quote_expires=QUOTE, sla_due=SLA, has_quote=True, has_inbound_label=True, answer_by=ANSWER
    )
    shown = view(facts)
    assert (shown.waiting_on, shown.by) == EXPECTED[state]
    assert shown.state == f"state.{state}" and shown.next == f"next.{state}"
    before_the_parcel = {"SUBMITTED", "AWAITING_REVIEW", "AWAITING_CUSTOMER_INFO", "AWAITING_SHIPMENT"}
    assert shown.can_cancel is (state in before_the_parcel | {"AWAITING_QUOTE_DECISION"})
    assert shown.can_answer_info is (state == "AWAITING_CUSTOMER_INFO")
    assert shown.can_decide_quote is (state == "AWAITING_QUOTE_DECISION")
    assert shown.label is (state == "AWAITING_SHIPMENT")
    assert shown.can_answer_survey is (state in {"DELIVERED", "REFUNDED"})
    assert shown.can_add_photos is (state not in {"CLOSED", "REJECTED", "CANCELLED", "EXPIRED"})
    assert not shown.survey_answered


def test_actions_need_what_they_act_on() -> None:
    assert not view(ClaimFacts("AWAITING_QUOTE_DECISION", has_quote=False)).can_decide_quote
    assert not view(ClaimFacts("AWAITING_SHIPMENT", has_inbound_label=False)).label
    answered = view(ClaimFacts("DELIVERED", feedback_given=True))
    assert not answered.can_answer_survey and answered.survey_answered


def test_the_customers_timeline_keeps_only_moves() -> None:
    assert moves([]) == []
    assert moves(["SUBMITTED", "AWAITING_SHIPMENT", "AWAITING_SHIPMENT", "IN_TRANSIT_TO_CENTRE"]) == [0, 1, 3]
    assert moves(["RECEIVED", "RECEIVED", "RECEIVED"]) == [0]


def test_a_claim_that_expired_unanswered_says_so() -> None:
    """Without a label it never waited for the unit: it expired waiting for the customer's answer."""
    unanswered = view(ClaimFacts("EXPIRED", has_inbound_label=False))
    assert (unanswered.state, unanswered.next) == ("state.EXPIRED_UNANSWERED", "next.EXPIRED_UNANSWERED")
    assert view(ClaimFacts("EXPIRED", has_inbound_label=True)).state == "state.EXPIRED"
