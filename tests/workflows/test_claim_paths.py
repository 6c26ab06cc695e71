"""Each path of DESIGN.md's claim lifecycle, in the time-skipping server, through the workflow's updates."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from contracts.claims import (
    CancelRequest,
    ClaimState,
    Direction,
    Event,
    Feedback,
    ParcelEvent,
    Quote,
    QuoteDecision,
    RepairStatusUpdate,
    Resolution,
)
from tests.workflows.conftest import Claims, covered, days, not_covered
from tests.workflows.paths import centre, diagnose, parcel, to_diagnosing
from workflows.claim.workflow import ClaimWorkflow

pytestmark = pytest.mark.timeout(60)
S = ClaimState


async def test_happy_repair_from_filing_to_close(claims: Claims) -> None:
    claims.stand.slow = {"device_received"}  # later messages must still reach the customer after it
    handle, filed = await claims.file()
    assert (filed.state, filed.decision, filed.centre_id) == (S.AWAITING_SHIPMENT, "APPROVED", "centre-a")
    assert [s.direction for s in filed.shipments] == [Direction.TO_CENTRE]
    status = await parcel(handle, filed, Direction.TO_CENTRE, ParcelEvent.PICKED_UP)
    assert status.state is S.IN_TRANSIT_TO_CENTRE
    status = await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    assert status.state is S.RECEIVED and status.sla_due_at is not None
    await centre(handle, Event.DIAGNOSING)
    status = await diagnose(handle, "COVERED_FAULT", parts=["heating element"], labour_minutes=40)
    assert status.state is S.REPAIRING
    await centre(handle, Event.QUALITY_CHECK)
    status = await centre(handle, Event.READY_TO_SHIP)
    assert (status.state, status.resolution) == (S.READY_TO_SHIP, Resolution.REPAIRED)
    assert status.sla_due_at is None and not status.sla_breached
    assert [s.direction for s in status.shipments] == [Direction.TO_CENTRE, Direction.TO_CUSTOMER]
    status = await parcel(handle, status, Direction.TO_CUSTOMER, ParcelEvent.DELIVERED)
    assert status.state is S.DELIVERED
    await claims.env.sleep(days(2.1))
    assert "SURVEY_SENT" in claims.stand.kinds()
    status = await handle.execute_update(ClaimWorkflow.submit_feedback, Feedback(score=9))
    result = await handle.result()
    assert (result.state, result.resolution, result.feedback_score) == (S.CLOSED, Resolution.REPAIRED, 9)
    assert claims.stand.kinds()[-1] == "FEEDBACK"
    assert [e.seq for e in claims.stand.events] == list(range(1, len(claims.stand.events) + 1))
    assert [e.status.seq for e in claims.stand.events] == [e.seq for e in claims.stand.events]  # as of its change
    messages = claims.stand.messages
    assert claims.stand.sent() == [
        "claim_accepted",
        "device_received",
        "shipped",
        "delivered",
        "survey",
        "claim_closed",
    ]
    shipped = next(m for m in messages if m.template == "shipped")
    assert shipped.variables["tracking_number"] == status.shipments[-1].tracking_number
    assert shipped.variables["resolution"] == "REPAIRED"
    webhooks = [m for m in messages if m.recipient == "retailer:demo-retailer"]
    assert [m.variables["state"] for m in webhooks] == [
        "AWAITING_SHIPMENT",
        "IN_TRANSIT_TO_CENTRE",
        "RECEIVED",
        "DIAGNOSING",
        "REPAIRING",
        "QUALITY_CHECK",
        "READY_TO_SHIP",
        "DELIVERED",
        "CLOSED",
    ]
    assert len({m.key for m in messages}) == len(messages), "one business key per message"
    assert claims.stand.sent("ops") == []


async def test_illegal_move_is_refused_before_history_naming_the_state(claims: Claims) -> None:
    handle, _ = await claims.file()
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await centre(handle, Event.READY_TO_SHIP)
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "ILLEGAL_TRANSITION"
    assert cause.details[0]["state"] == "AWAITING_SHIPMENT"
    history = await handle.fetch_history()
    assert not any(
        e.HasField("workflow_execution_update_accepted_event_attributes")
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name == "update_repair_status"
        for e in history.events
    )


async def test_retried_update_is_applied_once(claims: Claims) -> None:
    handle, status = await claims.file()
    status = await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    request = RepairStatusUpdate(centre_id="centre-a", status=Event.DIAGNOSING)
    first = await handle.execute_update(ClaimWorkflow.update_repair_status, request, id="req-1")
    again = await handle.execute_update(ClaimWorkflow.update_repair_status, request, id="req-1")
    assert first == again and first.state is S.DIAGNOSING
    await claims.written(again)
    assert claims.stand.kinds().count("DIAGNOSING") == 1


async def test_a_change_written_behind_is_the_claim_as_of_that_change(claims: Claims) -> None:
    """The updates answer before their records are written; the claim moves on meanwhile, and each record still
    holds the claim as it was at its own change."""
    claims.stand.slow_records = True
    handle, status = await claims.file()
    status = await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    await centre(handle, Event.DIAGNOSING)
    await diagnose(handle, "COVERED_FAULT", parts=["thermostat"], labour_minutes=20)
    await centre(handle, Event.AWAITING_PARTS)
    status = await centre(handle, Event.REPAIRING)
    await claims.written(status)
    events = claims.stand.events
    assert [e.status.seq for e in events] == [e.seq for e in events]
    assert [(e.kind, e.status.state.value) for e in events][-2:] == [
        ("AWAITING_PARTS", "AWAITING_PARTS"),
        ("REPAIRING", "REPAIRING"),
    ]
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()


async def test_a_retry_after_a_continue_as_new_is_still_recognised(claims: Claims) -> None:
    """The update id is Temporal's dedupe only within a run: the next run must know what was carried out."""
    handle, status = await claims.file()
    await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    request = RepairStatusUpdate(centre_id="centre-a", status=Event.DIAGNOSING)
    first = await handle.execute_update(ClaimWorkflow.update_repair_status, request, id="req-1")
    await claims.written(first)  # as the API would have, from the update's answer, before the run ended
    await handle.terminate("the first run ends here; the next one carries its state")
    recorded = len(claims.stand.events)

    next_run = await claims.resume("RMA-TEST2", first, handled=["req-1"])
    again = await next_run.execute_update(ClaimWorkflow.update_repair_status, request, id="req-1")
    assert again.state is S.DIAGNOSING and again.seq == first.seq  # answered, nothing applied twice
    assert len(claims.stand.events) == recorded
    with pytest.raises(WorkflowUpdateFailedError) as refused:  # a new id is checked as ever
        await next_run.execute_update(ClaimWorkflow.update_repair_status, request, id="req-2")
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "ILLEGAL_TRANSITION"
    await next_run.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await next_run.result()


async def test_another_centre_cannot_act(claims: Claims) -> None:
    handle, status = await claims.file()
    await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(
            ClaimWorkflow.update_repair_status, RepairStatusUpdate(centre_id="centre-b", status=Event.DIAGNOSING)
        )
    assert isinstance(caught.value.cause, ApplicationError) and caught.value.cause.type == "NOT_ASSIGNED"


async def test_quote_at_intake_times_out_as_declined(claims: Claims) -> None:
    claims.stand.decision = not_covered(paid_repair_minor=4900)
    handle, filed = await claims.file()
    assert (filed.state, filed.decision) == (S.AWAITING_QUOTE_DECISION, "QUOTE_OFFERED")
    assert filed.quote is not None and filed.quote.amount_minor == 4900
    await claims.env.sleep(days(7.1))
    result = await handle.result()
    assert result.state is S.REJECTED
    assert "QUOTE_REMINDER" in claims.stand.kinds() and claims.stand.kinds()[-1] == "QUOTE_DECLINED"
    assert claims.stand.sent() == ["quote_offered", "quote_reminder", "claim_rejected"]
    offered = next(m.variables for m in claims.stand.messages if m.template == "quote_offered")
    assert (offered["amount_minor"], offered["currency"]) == ("4900", "EUR") and offered["expires_at"]


async def test_not_covered_with_nothing_offered_is_rejected(claims: Claims) -> None:
    claims.stand.decision = not_covered()
    handle, filed = await claims.file()
    assert (filed.state, filed.decision, filed.decision_reason) == (S.REJECTED, "REJECTED", "EXPIRED")
    assert (await handle.result()).state is S.REJECTED


async def test_quote_after_diagnosis_accepted_then_declined_paths(claims: Claims) -> None:
    handle, _ = await to_diagnosing(claims)
    status = await diagnose(handle, "NOT_COVERED", quote=Quote(currency_code="EUR", amount_minor=12000))
    assert status.state is S.AWAITING_QUOTE_DECISION and status.sla_due_at is None  # SLA paused
    await claims.env.sleep(days(3))
    status = await handle.execute_update(ClaimWorkflow.decide_quote, QuoteDecision(accept=True))
    assert status.state is S.REPAIRING and status.sla_due_at is not None
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(ClaimWorkflow.decide_quote, QuoteDecision(accept=False))


async def test_quote_declined_after_diagnosis_ships_back_unrepaired(claims: Claims) -> None:
    handle, _ = await to_diagnosing(claims)
    await diagnose(handle, "NOT_COVERED", quote=Quote(currency_code="EUR", amount_minor=12000))
    status = await handle.execute_update(ClaimWorkflow.decide_quote, QuoteDecision(accept=False))
    assert (status.state, status.resolution) == (S.READY_TO_SHIP, Resolution.RETURNED_UNREPAIRED)
    assert status.shipments[-1].direction is Direction.TO_CUSTOMER


async def test_replacement_moves_the_warranty(claims: Claims) -> None:
    handle, _ = await to_diagnosing(claims)
    status = await diagnose(handle, "UNREPAIRABLE", remedy="REPLACEMENT", replacement_serial="SN-2")
    assert (status.state, status.resolution) == (S.READY_TO_SHIP, Resolution.REPLACED)
    assert [(m.serial, m.replacement_serial) for m in claims.stand.moves] == [("SN-1", "SN-2")]


async def test_exchange_inside_the_return_window(claims: Claims) -> None:

    claims.stand.decision = covered("RETURN_WINDOW")
    handle, filed = await claims.file()
    assert filed.decision == "EXCHANGE"
    await parcel(handle, filed, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    await centre(handle, Event.DIAGNOSING)
    status = await diagnose(handle, "UNREPAIRABLE", remedy="REPLACEMENT", replacement_serial="SN-3")
    assert status.resolution is Resolution.EXCHANGED


async def test_refund_then_survey_window_closes(claims: Claims) -> None:
    handle, _ = await to_diagnosing(claims)
    status = await diagnose(handle, "UNREPAIRABLE", remedy="REFUND")
    assert (status.state, status.resolution) == (S.REFUNDED, Resolution.REFUNDED)
    await claims.env.sleep(days(17))
    result = await handle.result()
    assert (result.state, result.resolution) == (S.CLOSED, Resolution.REFUNDED)
    assert claims.stand.kinds()[-2:] == ["SURVEY_SENT", "SURVEY_CLOSED"]
    assert claims.stand.sent() == ["claim_accepted", "device_received", "refund_approved", "survey", "claim_closed"]


async def test_cancel_before_shipping_and_refused_after_receipt(claims: Claims) -> None:
    handle, status = await claims.file()
    await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=False))
    assert isinstance(caught.value.cause, ApplicationError) and caught.value.cause.details[0]["state"] == "RECEIVED"
    status = await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: duplicate"))
    assert status.state is S.CANCELLED


async def test_customer_cancels_before_shipping(claims: Claims) -> None:
    handle, _ = await claims.file()
    status = await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=False))
    assert status.state is S.CANCELLED and (await handle.result()).state is S.CANCELLED


async def test_unshipped_rma_is_reminded_then_expires(claims: Claims) -> None:
    handle, _ = await claims.file()
    await claims.env.sleep(days(3.1))
    assert claims.stand.kinds().count("SHIP_REMINDER") == 1
    await claims.env.sleep(days(11))
    result = await handle.result()
    assert result.state is S.EXPIRED and claims.stand.kinds().count("SHIP_REMINDER") == 1
    assert claims.stand.sent() == ["claim_accepted", "ship_reminder", "claim_expired"]


async def test_sla_breach_escalates_once(claims: Claims) -> None:
    handle, _ = await to_diagnosing(claims)
    await claims.env.sleep(days(10.5))
    status = await handle.query(ClaimWorkflow.claim_status)
    assert status.sla_breached and len(claims.stand.escalations) == 1
    assert claims.stand.escalations[0].centre_id == "centre-a"
    await claims.env.sleep(days(5))
    assert len(claims.stand.escalations) == 1
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()  # the run ends once its messages are out
    alerts = [m for m in claims.stand.messages if m.recipient == "ops"]
    assert [(m.template, m.variables["centre_id"]) for m in alerts] == [("sla_breached", "centre-a")]


async def test_the_sla_keeps_its_used_time_across_the_centres_moves(claims: Claims) -> None:
    """Six days diagnosing, two repairing, then waiting for parts: the ten-day SLA breaks ten days after receipt,
    whatever the moves in between."""
    handle, received = await to_diagnosing(claims)
    assert received.sla_due_at is not None
    due = received.sla_due_at
    await claims.env.sleep(days(6))
    moved = await diagnose(handle, "COVERED_FAULT", parts=["heating element"], labour_minutes=40)
    assert moved.state is S.REPAIRING and moved.sla_due_at == due  # the clock kept its six days
    await claims.env.sleep(days(2))
    moved = await centre(handle, Event.AWAITING_PARTS)
    assert moved.state is S.AWAITING_PARTS and moved.sla_due_at == due  # and its eight
    await claims.env.sleep(days(1.9))  # 9.9 days in all
    assert not (await handle.query(ClaimWorkflow.claim_status)).sla_breached and claims.stand.escalations == []
    await claims.env.sleep(days(0.2))  # 10.1 days in all
    status = await handle.query(ClaimWorkflow.claim_status)
    assert status.sla_breached and len(claims.stand.escalations) == 1
    assert claims.stand.escalations[0].due_at == due
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()


async def test_duplicate_and_out_of_order_parcel_events_are_harmless(claims: Claims) -> None:
    handle, status = await claims.file()
    delivered = await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    late = await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.IN_TRANSIT)
    again = await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    assert delivered.state is late.state is again.state is S.RECEIVED
    await claims.written(again)
    assert claims.stand.kinds().count("RECEIVED") == 1
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()
    assert claims.stand.sent().count("device_received") == 1


async def test_a_parcel_exception_alerts_ops_and_tells_the_customer(claims: Claims) -> None:
    """Reported lost on the way to the centre: ops are alerted and the customer told what happens next, once; the
    report moves nothing, and the parcel may still arrive."""
    handle, status = await claims.file()
    await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.PICKED_UP)
    trouble = await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.EXCEPTION)
    assert trouble.state is S.IN_TRANSIT_TO_CENTRE
    arrived = await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    assert arrived.state is S.RECEIVED
    await claims.written(arrived)
    assert claims.stand.kinds().count("PARCEL_EXCEPTION") == 1
    assert claims.stand.sent("ops") == ["parcel_alert"]
    assert claims.stand.sent() == ["claim_accepted", "parcel_exception", "device_received"]
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()
