"""The review paths of the claim lifecycle (the approval policy, information requests, risk rules, receipts),
in the time-skipping server, through the workflow's updates."""

from __future__ import annotations

import json

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from contracts.claims import (
    CancelRequest,
    ClaimState,
    ClaimStatus,
    Direction,
    Event,
    InfoNeeded,
    InformationAnswer,
    InformationRequest,
    Receipt,
    Resolution,
    ReviewDecision,
    RiskFlag,
)
from contracts.repairs import RiskAssessment
from contracts.warranty import EntitlementDecision
from tests.workflows.conftest import Claims, covered, days, not_covered
from tests.workflows.paths import Handle, diagnose, to_diagnosing
from workflows import search_attributes as sa
from workflows.claim.workflow import ClaimWorkflow

pytestmark = pytest.mark.timeout(60)
S = ClaimState


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
