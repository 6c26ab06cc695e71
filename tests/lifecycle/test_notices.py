"""Which messages each recorded claim change sends (pure; the workflow sends exactly these)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.claims import (
    ClaimState,
    ClaimStatus,
    Direction,
    InfoNeeded,
    ParcelEvent,
    ParcelRecord,
    Quote,
    Resolution,
    Review,
    Shipment,
)
from contracts.warranty import ClaimTimerSeconds
from lifecycle.notices import notices

S = ClaimState
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def status(state: ClaimState, **fields: object) -> ClaimStatus:
    base: dict[str, object] = {
        "rma": "RMA-1",
        "serial": "SN-1",
        "state": state,
        "seq": 4,
        "retailer_id": "acme",
        "centre_id": "c1",
        "state_since": T0,
        "resolution": Resolution.REPAIRED,
        "quote": Quote(currency_code="EUR", amount_minor=900, expires_at=T0),
        "review": Review(reasons=["MANUAL_POLICY"], requested=[InfoNeeded.PHOTOS, InfoNeeded.PROOF_OF_PURCHASE]),
    }
    return ClaimStatus.model_validate(base | fields)


def customer(kind: str, previous: ClaimState, s: ClaimStatus) -> list[str]:
    return [n.template for n in notices(kind, previous, s) if n.recipient.startswith("claim:")]


# What entering each state tells the customer, written out by hand (docs/notifications.md's table).
ON_ENTRY = {
    S.SUBMITTED: [],
    S.AWAITING_REVIEW: ["claim_under_review"],
    S.AWAITING_CUSTOMER_INFO: ["info_requested"],
    S.AWAITING_SHIPMENT: [],  # claim_accepted comes only from intake or an accepted quote (below)
    S.AWAITING_QUOTE_DECISION: ["quote_offered"],
    S.IN_TRANSIT_TO_CENTRE: [],
    S.RECEIVED: ["device_received"],
    S.DIAGNOSING: [],
    S.REPAIRING: [],
    S.AWAITING_PARTS: [],
    S.QUALITY_CHECK: [],
    S.READY_TO_SHIP: [],
    S.IN_TRANSIT_TO_CUSTOMER: [],
    S.DELIVERED: ["delivered"],
    S.REFUNDED: ["refund_approved"],
    S.CLOSED: ["claim_closed"],
    S.REJECTED: ["claim_rejected"],
    S.CANCELLED: ["claim_cancelled"],
    S.EXPIRED: ["claim_expired"],
}


def test_the_table_names_every_state() -> None:
    assert set(ON_ENTRY) == set(ClaimState)


@pytest.mark.parametrize("state", list(ClaimState))
def test_entering_a_state_sends_its_message_once(state: ClaimState) -> None:
    previous = S.QUALITY_CHECK if state is not S.QUALITY_CHECK else S.REPAIRING  # a move that means nothing else
    assert customer("X", previous, status(state)) == ON_ENTRY[state]
    assert customer("X", state, status(state)) == []  # no move, no message


def test_a_cancelled_claim_tells_the_customer_and_the_retailer() -> None:
    sent = notices("CUSTOMER_CANCEL", S.AWAITING_SHIPMENT, status(S.CANCELLED, resolution=None))
    assert [(n.recipient, n.template) for n in sent] == [
        ("claim:RMA-1", "claim_cancelled"),
        ("retailer:acme", "claim.state_changed"),
    ]


def test_the_ship_reminder_gives_the_shipment_deadline() -> None:
    timers = ClaimTimerSeconds(ship_reminder=3 * 86_400, shipment_deadline=14 * 86_400)
    (reminder,) = notices("SHIP_REMINDER", S.AWAITING_SHIPMENT, status(S.AWAITING_SHIPMENT, timers=timers))
    assert reminder.variables == {"rma": "RMA-1", "ship_by_at": (T0 + timedelta(days=14)).isoformat()}


def test_acceptance_is_sent_at_intake_and_after_an_accepted_quote_not_after_a_reassignment() -> None:
    assert customer("APPROVED", S.SUBMITTED, status(S.AWAITING_SHIPMENT)) == ["claim_accepted"]
    assert customer("QUOTE_ACCEPTED", S.AWAITING_QUOTE_DECISION, status(S.AWAITING_SHIPMENT)) == ["claim_accepted"]
    assert customer("REASSIGN", S.AWAITING_SHIPMENT, status(S.AWAITING_SHIPMENT)) == []


def test_notes_send_reminders_the_survey_and_the_outbound_tracking() -> None:
    assert customer("SHIP_REMINDER", S.AWAITING_SHIPMENT, status(S.AWAITING_SHIPMENT)) == ["ship_reminder"]
    assert customer("QUOTE_REMINDER", S.AWAITING_QUOTE_DECISION, status(S.AWAITING_QUOTE_DECISION)) == [
        "quote_reminder"
    ]
    assert customer("SURVEY_SENT", S.DELIVERED, status(S.DELIVERED)) == ["survey"]
    out = status(S.READY_TO_SHIP, shipments=[Shipment(direction=Direction.TO_CUSTOMER, tracking_number="LC9")])
    inbound = status(S.AWAITING_SHIPMENT, shipments=[Shipment(direction=Direction.TO_CENTRE, tracking_number="LC1")])
    assert customer("LABEL_CREATED", S.READY_TO_SHIP, out) == ["shipped"]
    assert customer("LABEL_CREATED", S.AWAITING_SHIPMENT, inbound) == []
    (shipped,) = [n for n in notices("LABEL_CREATED", S.READY_TO_SHIP, out) if n.template == "shipped"]
    assert shipped.variables == {"rma": "RMA-1", "resolution": "REPAIRED", "tracking_number": "LC9"}


def test_a_message_needing_what_the_claim_lacks_is_not_sent() -> None:
    assert customer("X", S.DIAGNOSING, status(S.AWAITING_QUOTE_DECISION, quote=None)) == []
    assert customer("FEEDBACK", S.DELIVERED, status(S.CLOSED, resolution=None)) == []


def test_the_retailer_hears_of_every_state_change_and_ops_of_a_breach() -> None:
    moved = notices("RECEIVED", S.IN_TRANSIT_TO_CENTRE, status(S.RECEIVED))
    (hook,) = [n for n in moved if n.recipient == "retailer:acme"]
    assert hook.template == "claim.state_changed"
    assert hook.variables == {
        "rma": "RMA-1",
        "serial": "SN-1",
        "sku": "",
        "state": "RECEIVED",
        "previous_state": "IN_TRANSIT_TO_CENTRE",
        "event": "RECEIVED",
        "occurred_at": T0.isoformat(),
        "resolution": "REPAIRED",
    }
    closed = notices("FEEDBACK", S.DELIVERED, status(S.CLOSED, resolution=Resolution.REPLACED))
    (closing,) = [n for n in closed if n.recipient == "retailer:acme"]
    assert closing.variables["resolution"] == "REPLACED"
    (open_hook,) = [
        n for n in notices("X", S.QUALITY_CHECK, status(S.REPAIRING, resolution=None)) if n.recipient == "retailer:acme"
    ]
    assert "resolution" not in open_hook.variables
    assert not [n for n in notices("PARCEL_EVENT", S.RECEIVED, status(S.RECEIVED)) if n.recipient.startswith("ret")]
    breach = notices("SLA_BREACHED", S.REPAIRING, status(S.REPAIRING, sla_due_at=T0))
    assert [(n.recipient, n.template, n.variables["centre_id"]) for n in breach] == [("ops", "sla_breached", "c1")]
    assert (
        notices("RECEIVED", S.IN_TRANSIT_TO_CENTRE, status(S.RECEIVED, retailer_id=""))[-1].recipient == "claim:RMA-1"
    )


def test_keys_are_the_change_sequence_and_the_template() -> None:
    keys = [n.key for n in notices("RECEIVED", S.IN_TRANSIT_TO_CENTRE, status(S.RECEIVED))]
    assert keys == ["claim-RMA-1/4/device_received", "claim-RMA-1/4/claim.state_changed"]


def test_an_approval_after_review_sends_the_acceptance_with_its_label() -> None:
    assert customer("APPROVED", S.AWAITING_REVIEW, status(S.AWAITING_SHIPMENT)) == ["claim_accepted"]


def test_an_answer_sends_the_customer_nothing_and_the_retailer_its_webhook() -> None:
    sent = notices("INFO_PROVIDED", S.AWAITING_CUSTOMER_INFO, status(S.AWAITING_REVIEW))
    assert [(n.recipient, n.template) for n in sent] == [("retailer:acme", "claim.state_changed")]


def test_an_information_request_names_what_is_needed_and_by_when() -> None:
    timers = ClaimTimerSeconds(info_reminder=3 * 86_400, info_deadline=10 * 86_400)
    sent = notices("INFO_REQUESTED", S.AWAITING_REVIEW, status(S.AWAITING_CUSTOMER_INFO, timers=timers))
    (ask,) = [n for n in sent if n.recipient.startswith("claim:")]
    assert ask.template == "info_requested"
    assert ask.variables["needed"] == "PHOTOS,PROOF_OF_PURCHASE"
    assert ask.variables["answer_by_at"] == (T0 + timedelta(days=10)).isoformat()
    (hook,) = [n for n in sent if n.recipient.startswith("retailer:")]
    assert hook.variables["needed"] == "PHOTOS,PROOF_OF_PURCHASE"
    (reminder,) = notices("INFO_REMINDER", S.AWAITING_CUSTOMER_INFO, status(S.AWAITING_CUSTOMER_INFO, timers=timers))
    assert reminder.template == "info_reminder" and reminder.variables == ask.variables


def test_a_rejection_by_review_tells_the_customer_and_the_retailer_why() -> None:
    review = Review(reasons=["MANUAL_POLICY"], rejection_code="MISUSE")
    sent = notices("REJECTED", S.AWAITING_REVIEW, status(S.REJECTED, review=review, resolution=None))
    assert [(n.template, n.variables.get("reason")) for n in sent] == [
        ("review_rejected", "MISUSE"),
        ("claim.state_changed", "MISUSE"),
    ]


def test_an_entitlement_rejection_stays_the_plain_one() -> None:
    sent = notices("REJECTED", S.SUBMITTED, status(S.REJECTED, review=None, resolution=None))
    assert [n.template for n in sent] == ["claim_rejected", "claim.state_changed"]


def test_an_overdue_review_alerts_ops_once_with_its_reasons() -> None:
    sent = notices("REVIEW_OVERDUE", S.AWAITING_REVIEW, status(S.AWAITING_REVIEW))
    assert [(n.recipient, n.template, n.variables["reasons"]) for n in sent] == [
        ("ops", "review_overdue", "MANUAL_POLICY")
    ]


def trouble(direction: Direction, *events: ParcelEvent) -> list[Shipment]:
    inbound = Shipment(direction=Direction.TO_CENTRE, tracking_number="IN-1")
    outbound = Shipment(direction=Direction.TO_CUSTOMER, tracking_number="OUT-1")
    chosen = inbound if direction is Direction.TO_CENTRE else outbound
    chosen.events = [ParcelRecord(event=e, occurred_at=T0 + timedelta(hours=i)) for i, e in enumerate(events)]
    return [inbound, outbound] if direction is Direction.TO_CUSTOMER else [inbound]


@pytest.mark.parametrize(
    ("state", "direction", "customer_told"),
    [
        (S.AWAITING_SHIPMENT, Direction.TO_CENTRE, True),  # lost at pick-up
        (S.IN_TRANSIT_TO_CENTRE, Direction.TO_CENTRE, True),
        (S.RECEIVED, Direction.TO_CENTRE, False),  # a late report on a parcel that arrived: ops only
        (S.IN_TRANSIT_TO_CUSTOMER, Direction.TO_CUSTOMER, True),
        (S.READY_TO_SHIP, Direction.TO_CUSTOMER, True),
        (S.DELIVERED, Direction.TO_CUSTOMER, False),
    ],
)
def test_a_parcel_exception_alerts_ops_and_tells_the_customer_while_the_unit_travels(
    state: ClaimState, direction: Direction, customer_told: bool
) -> None:
    shipments = trouble(direction, ParcelEvent.PICKED_UP, ParcelEvent.EXCEPTION)
    sent = notices("PARCEL_EXCEPTION", state, status(state, shipments=shipments))
    tracking = "IN-1" if direction is Direction.TO_CENTRE else "OUT-1"
    alert = [n for n in sent if n.recipient == "ops"]
    assert [n.template for n in alert] == ["parcel_alert"]
    assert alert[0].variables == {
        "rma": "RMA-1",
        "centre_id": "c1",
        "tracking_number": tracking,
        "direction": direction.value,
    }
    told = [n for n in sent if n.recipient == "claim:RMA-1"]
    assert [n.template for n in told] == (["parcel_exception"] if customer_told else [])
    if customer_told:
        assert told[0].variables == {"rma": "RMA-1", "tracking_number": tracking, "direction": direction.value}
        assert told[0].key == "claim-RMA-1/4/parcel_exception"


def test_other_parcel_events_that_move_nothing_tell_nobody() -> None:
    shipments = trouble(Direction.TO_CENTRE, ParcelEvent.PICKED_UP, ParcelEvent.EXCEPTION)
    assert notices("PARCEL_EVENT", S.IN_TRANSIT_TO_CENTRE, status(S.IN_TRANSIT_TO_CENTRE, shipments=shipments)) == []
