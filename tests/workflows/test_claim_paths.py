"""Each path of DESIGN.md's claim lifecycle, in the time-skipping server, through the workflow's updates."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from contracts.claims import (
    CancelRequest,
    ClaimState,
    ClaimStatus,
    Diagnosis,
    DiagnosisUpdate,
    Direction,
    Event,
    Feedback,
    InfoNeeded,
    InformationAnswer,
    InformationRequest,
    ParcelEvent,
    ParcelUpdate,
    Quote,
    QuoteDecision,
    Receipt,
    RepairStatusUpdate,
    Resolution,
    ReviewDecision,
    RiskFlag,
)
from contracts.repairs import RiskAssessment
from contracts.warranty import EntitlementDecision
from tests.workflows.conftest import Claims, covered, days, not_covered
from workflows import search_attributes as sa
from workflows.claim import ClaimWorkflow

pytestmark = pytest.mark.timeout(60)
S = ClaimState
Handle = WorkflowHandle[ClaimWorkflow, ClaimStatus]


def at() -> datetime:
    return datetime.now(UTC)


async def parcel(handle: Handle, status: ClaimStatus, direction: Direction, event: ParcelEvent) -> ClaimStatus:
    tracking = next(s.tracking_number for s in status.shipments if s.direction is direction)
    return await handle.execute_update(
        ClaimWorkflow.record_parcel,
        ParcelUpdate(direction=direction, tracking_number=tracking, event=event, occurred_at=at()),
    )


async def centre(handle: Handle, status: Event) -> ClaimStatus:
    return await handle.execute_update(
        ClaimWorkflow.update_repair_status, RepairStatusUpdate(centre_id="centre-a", status=status)
    )


async def diagnose(handle: Handle, outcome: str, **fields: object) -> ClaimStatus:
    quote = fields.pop("quote", None)
    return await handle.execute_update(
        ClaimWorkflow.record_diagnosis,
        DiagnosisUpdate(centre_id="centre-a", diagnosis=Diagnosis(outcome=outcome, **fields), quote=quote),
    )


async def to_diagnosing(claims: Claims) -> tuple[Handle, ClaimStatus]:
    handle, status = await claims.file()
    status = await parcel(handle, status, Direction.TO_CENTRE, ParcelEvent.DELIVERED)
    return handle, await centre(handle, Event.DIAGNOSING)


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
    from tests.workflows.conftest import covered

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


# -- review: the approval policy, information requests, risk rules ------------------------------------------

OPS = "ops"
CUSTOMER = "customer:cus_test"


def manual(claims: Claims) -> None:
    claims.stand.decision = covered().model_copy(update={"approval_mode": "MANUAL"})


async def review(
    handle: Handle, *, approve: bool = True, reason: str = "", request_id: str | None = None
) -> ClaimStatus:
    decision = ReviewDecision(approve=approve, reason_code=reason, note="checked the photos", actor=OPS)
    return await handle.execute_update(ClaimWorkflow.decide_review, decision, id=request_id)


async def ask(handle: Handle, *needed: InfoNeeded) -> ClaimStatus:
    return await handle.execute_update(
        ClaimWorkflow.request_information, InformationRequest(needed=list(needed), actor=OPS)
    )


async def risk_flags_attribute(handle: Handle) -> list[str]:
    """The RiskFlags search attribute as the workflow last upserted it (the time-skipping server's describe()
    cannot decode an unset datetime attribute, so this reads the history)."""
    value: list[str] = []
    for event in (await handle.fetch_history()).events:
        if event.HasField("upsert_workflow_search_attributes_event_attributes"):
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            if sa.RISK_FLAGS.name in fields:
                value = json.loads(fields[sa.RISK_FLAGS.name].data)
    return value


async def refused(handle: Handle, update: object, arg: object) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(update, arg)  # type: ignore[call-overload]
    assert isinstance(caught.value.cause, ApplicationError)
    return caught.value.cause


async def test_manual_policy_waits_for_a_person_then_approval_issues_the_label(claims: Claims) -> None:
    manual(claims)
    handle, filed = await claims.file()
    assert (filed.state, filed.decision) == (S.AWAITING_REVIEW, "REVIEW")
    assert filed.review is not None and filed.review.reasons == ["MANUAL_POLICY"]
    assert claims.stand.labels == [], "no label before the review"
    approved = await review(handle)
    assert (approved.state, approved.decision, approved.centre_id) == (S.AWAITING_SHIPMENT, "APPROVED", "centre-a")
    assert [label.direction for label in claims.stand.labels] == [Direction.TO_CENTRE]
    await claims.written(approved)
    by_kind = {e.kind: e for e in claims.stand.events}
    assert by_kind["REVIEW_REQUIRED"].actor == "system" and by_kind["APPROVED"].actor == OPS
    assert by_kind["APPROVED"].detail == "checked the photos"
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test", actor=OPS))
    await handle.result()
    assert claims.stand.sent() == ["claim_under_review", "claim_accepted", "claim_cancelled"]
    states = [m.variables["state"] for m in claims.stand.messages if m.recipient.startswith("retailer:")]
    assert states == ["AWAITING_REVIEW", "AWAITING_SHIPMENT", "CANCELLED"]


async def test_rejection_after_review_gives_its_reason(claims: Claims) -> None:
    manual(claims)
    handle, _ = await claims.file()
    assert (await refused(handle, ClaimWorkflow.decide_review, ReviewDecision(approve=False))).type == (
        "NOTHING_REQUESTED"
    )
    rejected = await review(handle, approve=False, reason="MISUSE")
    assert rejected.state is S.REJECTED and rejected.review is not None and rejected.review.rejection_code == "MISUSE"
    assert (await handle.result()).state is S.REJECTED
    last = claims.stand.events[-1]
    assert (last.kind, last.actor, last.detail) == ("REJECTED", OPS, "MISUSE - checked the photos")
    assert claims.stand.sent() == ["claim_under_review", "review_rejected"]
    told = next(m for m in claims.stand.messages if m.template == "review_rejected")
    assert told.variables["reason"] == "MISUSE"


async def test_information_requested_answered_then_approved(claims: Claims) -> None:
    manual(claims)
    handle, _ = await claims.file()
    asked = await ask(handle, InfoNeeded.PHOTOS, InfoNeeded.PHOTOS, InfoNeeded.PROOF_OF_PURCHASE)
    assert asked.state is S.AWAITING_CUSTOMER_INFO
    assert asked.review is not None and asked.review.requested == [InfoNeeded.PHOTOS, InfoNeeded.PROOF_OF_PURCHASE]
    nothing = InformationAnswer(actor=CUSTOMER)
    assert (await refused(handle, ClaimWorkflow.answer_information, nothing)).type == "NOTHING_REQUESTED"
    early = ReviewDecision(approve=True, actor=OPS)
    error = await refused(handle, ClaimWorkflow.decide_review, early)
    assert error.type == "ILLEGAL_TRANSITION" and error.details[0]["state"] == "AWAITING_CUSTOMER_INFO"
    answered = await handle.execute_update(
        ClaimWorkflow.answer_information, InformationAnswer(attachments=1, with_text=True, actor=CUSTOMER)
    )
    assert answered.state is S.AWAITING_REVIEW
    again = await refused(handle, ClaimWorkflow.answer_information, InformationAnswer(with_text=True, actor=CUSTOMER))
    assert again.type == "ILLEGAL_TRANSITION" and again.details[0]["state"] == "AWAITING_REVIEW"
    approved = await review(handle)
    assert approved.state is S.AWAITING_SHIPMENT
    await claims.written(approved)
    provided = next(e for e in claims.stand.events if e.kind == "INFO_PROVIDED")
    assert (provided.actor, provided.detail) == (CUSTOMER, "1 photo(s) and text")
    assert next(e for e in claims.stand.events if e.kind == "INFO_REQUESTED").detail == "PHOTOS, PROOF_OF_PURCHASE"
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()
    assert claims.stand.sent() == ["claim_under_review", "info_requested", "claim_accepted", "claim_cancelled"]


async def test_information_never_answered_is_reminded_then_expires(claims: Claims) -> None:
    manual(claims)
    handle, _ = await claims.file()
    await ask(handle, InfoNeeded.PROOF_OF_PURCHASE)
    await claims.env.sleep(days(3.1))
    assert claims.stand.kinds().count("INFO_REMINDER") == 1
    await claims.env.sleep(days(5))
    assert claims.stand.kinds().count("INFO_REMINDER") == 1 and "INFO_EXPIRED" not in claims.stand.kinds()
    await claims.env.sleep(days(2))  # ten days after the request
    result = await handle.result()
    assert result.state is S.EXPIRED and claims.stand.kinds()[-1] == "INFO_EXPIRED"
    assert claims.stand.events[-1].actor == "system"
    assert claims.stand.sent() == ["claim_under_review", "info_requested", "info_reminder", "claim_expired"]


async def test_a_review_past_its_sla_alerts_ops_once_per_round(claims: Claims) -> None:
    manual(claims)
    handle, _ = await claims.file()
    await claims.env.sleep(days(2.1))
    assert claims.stand.kinds().count("REVIEW_OVERDUE") == 1
    await ask(handle, InfoNeeded.DESCRIPTION)
    await handle.execute_update(ClaimWorkflow.answer_information, InformationAnswer(with_text=True, actor=CUSTOMER))
    await claims.env.sleep(days(1))
    assert claims.stand.kinds().count("REVIEW_OVERDUE") == 1, "a new round has its own two days"
    await claims.env.sleep(days(1.2))
    assert claims.stand.kinds().count("REVIEW_OVERDUE") == 2
    await review(handle, approve=False, reason="INSUFFICIENT_EVIDENCE")
    await handle.result()
    alerts = [m for m in claims.stand.messages if m.recipient == "ops"]
    assert [(m.template, m.variables["reasons"]) for m in alerts] == [("review_overdue", "MANUAL_POLICY")] * 2


async def test_an_enforced_risk_flag_sends_a_rules_claim_to_review(claims: Claims) -> None:
    claims.stand.decision = covered().model_copy(update={"approval_mode": "RULES", "repeat_repair_days": 90})
    flag = RiskFlag(code="CLAIM_FREQUENCY", version=2, enforced=True, sentence="claim 3 on this serial within 365 days")
    claims.stand.assessment = RiskAssessment(flags=[flag])
    handle, filed = await claims.file()
    assert filed.state is S.AWAITING_REVIEW and filed.review is not None
    assert filed.review.reasons == ["CLAIM_FREQUENCY"] and filed.risk_flags == [flag]
    (query,) = claims.stand.risk_queries
    assert (query.serial, query.customer_id, query.repeat_repair_days) == ("SN-1", "cus_test", 90)
    await claims.written(filed)
    noted = next(e for e in claims.stand.events if e.kind == "RISK_FLAGGED")
    assert noted.detail == "CLAIM_FREQUENCY v2 (enforced): claim 3 on this serial within 365 days"
    assert await risk_flags_attribute(handle) == ["CLAIM_FREQUENCY"]
    await review(handle)
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()


async def test_a_shadow_flag_is_recorded_and_blocks_nobody(claims: Claims) -> None:
    claims.stand.decision = covered().model_copy(update={"approval_mode": "RULES"})
    flag = RiskFlag(code="HIGH_VALUE_EARLY", version=1, enforced=False, sentence="a valuable unit, 3 days after sale")
    claims.stand.assessment = RiskAssessment(flags=[flag])
    handle, filed = await claims.file()
    assert (filed.state, filed.decision, filed.review) == (S.AWAITING_SHIPMENT, "APPROVED", None)
    assert filed.risk_flags == [flag]
    await claims.written(filed)
    assert "RISK_FLAGGED" in claims.stand.kinds()
    assert await risk_flags_attribute(handle) == ["HIGH_VALUE_EARLY"]
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()


async def test_an_auto_policy_ignores_even_enforced_flags(claims: Claims) -> None:
    flag = RiskFlag(code="BLOCK_LIST", version=1, enforced=True, sentence="the serial is on the block list")
    claims.stand.assessment = RiskAssessment(flags=[flag])
    handle, filed = await claims.file()
    assert filed.state is S.AWAITING_SHIPMENT and filed.risk_flags == [flag]
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()


async def test_a_repeat_repair_is_covered_after_the_warranty_ended(claims: Claims) -> None:
    claims.stand.decision = not_covered().model_copy(update={"repeat_repair_days": 90})
    claims.stand.assessment = RiskAssessment(flags=[], repeat_of="RMA-EARLIER")
    handle, filed = await claims.file()
    assert (filed.state, filed.decision, filed.coverage_kind) == (S.AWAITING_SHIPMENT, "APPROVED", "REPEAT_REPAIR")
    assert filed.decision_reason == "REPEAT_REPAIR_OF_RMA-EARLIER"
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()


async def test_a_quote_above_the_review_limit_waits_then_is_offered(claims: Claims) -> None:
    claims.stand.decision = not_covered(paid_repair_minor=30_000).model_copy(update={"review_above_minor": 20_000})
    handle, filed = await claims.file()
    assert filed.state is S.AWAITING_REVIEW and filed.review is not None
    assert (filed.review.reasons, filed.review.pending) == (["QUOTE_ABOVE_LIMIT"], Event.QUOTE_OFFERED)
    offered = await review(handle)
    assert offered.state is S.AWAITING_QUOTE_DECISION and offered.decision == "QUOTE_OFFERED"
    assert offered.quote is not None and offered.quote.amount_minor == 30_000 and offered.quote.expires_at
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()
    assert claims.stand.sent() == ["claim_under_review", "quote_offered", "claim_cancelled"]


async def test_review_moves_are_refused_outside_review_naming_the_state(claims: Claims) -> None:
    handle, filed = await claims.file()
    assert filed.state is S.AWAITING_SHIPMENT
    for update, arg in (
        (ClaimWorkflow.decide_review, ReviewDecision(approve=True)),
        (ClaimWorkflow.decide_review, ReviewDecision(approve=False, reason_code="MISUSE")),
        (ClaimWorkflow.request_information, InformationRequest(needed=[InfoNeeded.PHOTOS])),
        (ClaimWorkflow.answer_information, InformationAnswer(with_text=True)),
    ):
        error = await refused(handle, update, arg)
        assert error.type == "ILLEGAL_TRANSITION" and error.details[0]["state"] == "AWAITING_SHIPMENT", update
    empty = await refused(handle, ClaimWorkflow.request_information, InformationRequest(needed=[]))
    assert empty.type == "NOTHING_REQUESTED"
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()


async def test_a_retried_approval_is_applied_once(claims: Claims) -> None:
    manual(claims)
    handle, _ = await claims.file()
    first = await review(handle, request_id="ops/approve-1")
    again = await review(handle, request_id="ops/approve-1")
    await claims.written(again)
    assert first == again and claims.stand.kinds().count("APPROVED") == 1 and len(claims.stand.labels) == 1
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()


async def test_the_customer_may_cancel_while_in_review(claims: Claims) -> None:
    manual(claims)
    handle, _ = await claims.file()
    await ask(handle, InfoNeeded.PHOTOS)
    done = await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=False, actor=CUSTOMER))
    await claims.written(done)
    assert done.state is S.CANCELLED and claims.stand.events[-1].actor == CUSTOMER
    await handle.result()


RECEIPT = Receipt(sku="KETTLE-2000", retailer_id="demo-retailer", purchase_date="2025-11-20")


def unknown() -> EntitlementDecision:
    return EntitlementDecision(found=False, covered=False, coverage_kind="NONE", reason="UNKNOWN_SERIAL")


async def test_an_unregistered_serial_with_a_receipt_is_registered_on_approval(claims: Claims) -> None:
    claims.stand.decision = unknown()
    handle, filed = await claims.file(receipt=RECEIPT)
    assert (filed.state, filed.decision, filed.sku) == (S.AWAITING_REVIEW, "REVIEW", "KETTLE-2000")
    assert filed.review is not None and filed.review.reasons == ["UNREGISTERED_SERIAL"] and filed.review.registers
    assert claims.stand.risk_queries == [] and claims.stand.labels == []
    approved = await review(handle)
    assert claims.stand.registrations == ["RMA-TEST1"]
    assert (approved.state, approved.decision, approved.customer_id) == (S.AWAITING_SHIPMENT, "APPROVED", "cus_test")
    await claims.written(approved)
    registered = next(e for e in claims.stand.events if e.kind == "WARRANTY_REGISTERED")
    assert (registered.actor, registered.detail) == (OPS, "from the receipt: bought 2025-11-20 at demo-retailer")
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()


async def test_a_receipt_the_warranty_service_refuses_leaves_the_claim_in_review(claims: Claims) -> None:
    claims.stand.decision, claims.stand.refuse_receipt = unknown(), True
    handle, _ = await claims.file(receipt=RECEIPT)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await review(handle)
    assert isinstance(caught.value.cause, ApplicationError) and caught.value.cause.type == "RECEIPT_REFUSED"
    assert "not a known product" in caught.value.cause.message
    status = await handle.query(ClaimWorkflow.claim_status)
    assert status.state is S.AWAITING_REVIEW and "WARRANTY_REGISTERED" not in claims.stand.kinds()
    await review(handle, approve=False, reason="INSUFFICIENT_EVIDENCE")
    assert (await handle.result()).state is S.REJECTED


async def test_an_unknown_serial_without_a_receipt_is_still_rejected(claims: Claims) -> None:
    claims.stand.decision = unknown()
    handle, filed = await claims.file()
    assert (filed.state, filed.decision_reason, filed.review) == (S.REJECTED, "UNKNOWN_SERIAL", None)
    await handle.result()


async def test_a_replacement_serial_that_cannot_take_the_warranty_is_refused_and_changes_nothing(
    claims: Claims,
) -> None:
    handle, diagnosing = await to_diagnosing(claims)
    await claims.written(diagnosing)
    recorded = len(claims.stand.events)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await diagnose(handle, "UNREPAIRABLE", remedy="REPLACEMENT", replacement_serial="SN-TAKEN")
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "REPLACEMENT_REFUSED"
    assert "already registered" in cause.message
    status = await handle.query(ClaimWorkflow.claim_status)
    assert (status.state, status.resolution, len(claims.stand.events)) == (S.DIAGNOSING, None, recorded)
    assert [s.direction for s in status.shipments] == [Direction.TO_CENTRE]  # no parcel home
    fixed = await diagnose(handle, "UNREPAIRABLE", remedy="REPLACEMENT", replacement_serial="SN-9")
    assert (fixed.state, fixed.resolution) == (S.READY_TO_SHIP, Resolution.REPLACED)
    assert [(m.serial, m.replacement_serial) for m in claims.stand.moves] == [("SN-1", "SN-9")]
    await handle.execute_update(ClaimWorkflow.cancel, CancelRequest(by_ops=True, reason="ops: end the test"))
    await handle.result()
