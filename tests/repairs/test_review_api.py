"""Claim review through the repairs API, end to end: real gRPC servers and databases, a real Temporal dev
server and workers. Roles (only ops reviews), idempotent retries, illegal moves refused naming the state,
actors on the timeline, the risk rules on real claim history and the rules report."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import grpc
from aftercare.repairs.v1 import repairs_pb2 as pb
from aftercare.warranty.v1 import warranty_pb2 as wpb

from clients.parties import OPS
from tests.rpc import failure
from tests.stack import CENTRE, RETAILER, Stack, claim_request, new_id, new_serial, until

Metadata = tuple[tuple[str, str], ...]
MANUAL = wpb.ApprovalPolicy(mode=wpb.APPROVAL_MODE_MANUAL)
RULES = wpb.ApprovalPolicy(mode=wpb.APPROVAL_MODE_RULES)


async def in_review(stack: Stack, approval: wpb.ApprovalPolicy = MANUAL) -> pb.Claim:
    await stack.product(approval=approval)
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial)
    return await stack.file(serial)


def actors(claim: pb.Claim) -> list[tuple[str, str, str]]:
    return [(e.kind, e.actor.kind, e.actor.id) for e in claim.timeline]


async def test_a_manual_claim_waits_is_asked_answered_and_approved(stack: Stack) -> None:
    filed = await in_review(stack)
    assert (filed.state, filed.decision) == (pb.CLAIM_STATE_AWAITING_REVIEW, pb.DECISION_REVIEW)
    assert not filed.review.reasons and not filed.shipments  # why is for ops
    assert list((await stack.get(filed.rma)).review.reasons) == ["MANUAL_POLICY"]

    request_id = new_id()
    asked = await stack.ask(filed.rma, pb.INFORMATION_NEEDED_PHOTOS, request_id=request_id)
    again = await stack.ask(filed.rma, pb.INFORMATION_NEEDED_PHOTOS, request_id=request_id)
    assert asked == again and asked.state == pb.CLAIM_STATE_AWAITING_CUSTOMER_INFO
    assert list(asked.review.requested) == [pb.INFORMATION_NEEDED_PHOTOS] and asked.HasField("answer_by_time")

    empty = await failure(
        stack.repairs.AnswerInformationRequest(
            pb.AnswerInformationRequestRequest(request_id=new_id(), rma=filed.rma), metadata=stack.as_(RETAILER)
        )
    )
    assert empty.code == grpc.StatusCode.INVALID_ARGUMENT and set(empty.fields) == {"text"}

    answer_id = new_id()
    answered = await stack.answer_info(filed.rma, "It smells of burnt plastic.", request_id=answer_id)
    assert answered.state == pb.CLAIM_STATE_AWAITING_REVIEW
    assert await stack.answer_info(filed.rma, "It smells of burnt plastic.", request_id=answer_id) == answered
    kept = await stack.repairs_app.repo.answers(filed.rma)
    assert [(a.text, a.actor) for a in kept] == [("It smells of burnt plastic.", RETAILER)]

    approved = await stack.approve(filed.rma, note="photos checked")
    assert (approved.state, approved.decision) == (pb.CLAIM_STATE_AWAITING_SHIPMENT, pb.DECISION_APPROVED)
    assert [s.direction for s in approved.shipments] == [pb.DIRECTION_TO_CENTRE]
    read = await stack.get(filed.rma)
    assert actors(read)[:5] == [
        ("REVIEW_REQUIRED", "system", ""),
        ("INFO_REQUESTED", "ops", ""),
        ("INFO_PROVIDED", "retailer", "demo-retailer"),
        ("APPROVED", "ops", ""),
        ("LABEL_CREATED", "ops", ""),
    ]

    late = await failure(
        stack.repairs.ApproveClaim(pb.ApproveClaimRequest(request_id=new_id(), rma=filed.rma), metadata=stack.as_(OPS))
    )
    assert late.code == grpc.StatusCode.FAILED_PRECONDITION and late.reason == "ILLEGAL_TRANSITION"
    assert "AWAITING_SHIPMENT" in late.message


async def test_only_ops_review(stack: Stack) -> None:
    filed = await in_review(stack)
    calls: list[Callable[[Metadata], Awaitable[object]]] = [
        lambda who: stack.repairs.ApproveClaim(
            pb.ApproveClaimRequest(request_id=new_id(), rma=filed.rma), metadata=who
        ),
        lambda who: stack.repairs.RejectClaim(
            pb.RejectClaimRequest(request_id=new_id(), rma=filed.rma, reason=pb.REJECTION_REASON_MISUSE), metadata=who
        ),
        lambda who: stack.repairs.RequestInformation(
            pb.RequestInformationRequest(request_id=new_id(), rma=filed.rma, needed=[pb.INFORMATION_NEEDED_PHOTOS]),
            metadata=who,
        ),
        lambda who: stack.repairs.ReportRiskRules(pb.ReportRiskRulesRequest(), metadata=who),
    ]
    for call in calls:
        for who in (RETAILER, CENTRE, "carrier:local"):
            refused = await failure(call(stack.as_(who)))
            assert refused.code == grpc.StatusCode.PERMISSION_DENIED, who
    assert (await stack.get(filed.rma)).state == pb.CLAIM_STATE_AWAITING_REVIEW


async def test_a_rejection_needs_a_reason_and_tells_it(stack: Stack) -> None:
    filed = await in_review(stack)
    missing = await failure(
        stack.repairs.RejectClaim(pb.RejectClaimRequest(request_id=new_id(), rma=filed.rma), metadata=stack.as_(OPS))
    )
    assert missing.code == grpc.StatusCode.INVALID_ARGUMENT and set(missing.fields) == {"reason"}
    unknown = await failure(
        stack.repairs.RejectClaim(
            pb.RejectClaimRequest(request_id=new_id(), rma=filed.rma, reason=pb.RejectionReason.ValueType(99)),
            metadata=stack.as_(OPS),
        )
    )
    assert unknown.code == grpc.StatusCode.INVALID_ARGUMENT and set(unknown.fields) == {"reason"}
    bare_other = await failure(
        stack.repairs.RejectClaim(
            pb.RejectClaimRequest(request_id=new_id(), rma=filed.rma, reason=pb.REJECTION_REASON_OTHER),
            metadata=stack.as_(OPS),
        )
    )
    assert bare_other.code == grpc.StatusCode.INVALID_ARGUMENT and set(bare_other.fields) == {"note"}
    nothing = await failure(
        stack.repairs.RequestInformation(
            pb.RequestInformationRequest(
                request_id=new_id(), rma=filed.rma, needed=[pb.INFORMATION_NEEDED_UNSPECIFIED]
            ),
            metadata=stack.as_(OPS),
        )
    )
    assert nothing.code == grpc.StatusCode.INVALID_ARGUMENT and set(nothing.fields) == {"needed"}

    rejected = await stack.reject(filed.rma, pb.REJECTION_REASON_INSUFFICIENT_EVIDENCE, note="blurred receipt")
    assert rejected.state == pb.CLAIM_STATE_REJECTED
    assert rejected.review.rejection_reason == pb.REJECTION_REASON_INSUFFICIENT_EVIDENCE
    as_retailer = await stack.get(filed.rma, RETAILER)
    assert as_retailer.timeline[-1].detail == "INSUFFICIENT_EVIDENCE - blurred receipt"


async def test_a_third_claim_in_a_year_is_flagged_reviewed_and_reported(stack: Stack) -> None:
    """The default CLAIM_FREQUENCY rule (enforced, the 3rd claim within 365 days) on real claim history."""
    await stack.product(approval=RULES)
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial)
    for _ in range(2):
        first = await stack.file(serial)
        assert first.state == pb.CLAIM_STATE_AWAITING_SHIPMENT and not first.risk_flags
        await stack.repairs.CancelClaim(
            pb.CancelClaimRequest(request_id=new_id(), rma=first.rma, reason="ops: test"), metadata=stack.as_(OPS)
        )
    third = await stack.file(serial)
    assert third.state == pb.CLAIM_STATE_AWAITING_REVIEW and third.HasField("review")
    assert "CLAIM_FREQUENCY" not in str(third), "a retailer does not see the risk rules' findings"
    assert "CLAIM_FREQUENCY" not in str(await stack.get(third.rma, RETAILER))
    as_ops = await stack.get(third.rma)
    assert list(as_ops.review.reasons) == ["CLAIM_FREQUENCY"]
    assert next(e.detail for e in as_ops.timeline if e.kind == "REVIEW_REQUIRED") == "CLAIM_FREQUENCY"
    (flag,) = as_ops.risk_flags
    assert (flag.code, flag.version, flag.enforced) == ("CLAIM_FREQUENCY", 1, True)
    assert "RISK_FLAGGED" in [e.kind for e in as_ops.timeline]
    assert "RISK_FLAGGED" not in [e.kind for e in (await stack.get(third.rma, RETAILER)).timeline]

    async def searchable() -> bool:  # the Temporal UI's filter, on the real dev server's visibility
        found = [w.id async for w in stack.temporal.list_workflows('RiskFlags="CLAIM_FREQUENCY"')]
        return found == [f"claim-{third.rma}"]

    await until(searchable, within=30, what='RiskFlags="CLAIM_FREQUENCY" finds the claim')

    report = await stack.repairs.ReportRiskRules(pb.ReportRiskRulesRequest(), metadata=stack.as_(OPS))
    assert report.claims == 3
    assert [(r.code, r.fired, r.pending, r.rejected) for r in report.rules] == [("CLAIM_FREQUENCY", 1, 1, 0)]
    await stack.reject(third.rma, pb.REJECTION_REASON_DUPLICATE_CLAIM)
    report = await stack.repairs.ReportRiskRules(pb.ReportRiskRulesRequest(), metadata=stack.as_(OPS))
    assert [(r.code, r.fired, r.pending, r.rejected) for r in report.rules] == [("CLAIM_FREQUENCY", 1, 0, 1)]


async def test_the_approval_policy_round_trips_and_is_validated(stack: Stack) -> None:
    policy = wpb.ApprovalPolicy(
        mode=wpb.APPROVAL_MODE_RULES, retailer_modes={"demo-retailer": wpb.APPROVAL_MODE_MANUAL}, repeat_repair_days=30
    )
    policy.review_above.currency_code, policy.review_above.amount_minor = "EUR", 20_000
    await stack.product(approval=policy)
    answer = await stack.warranty.GetProduct(wpb.GetProductRequest(sku="KETTLE-3000"), metadata=stack.as_(OPS))
    product = answer.product
    got = product.policy.approval
    assert (got.mode, dict(got.retailer_modes), got.repeat_repair_days) == (
        wpb.APPROVAL_MODE_RULES,
        {"demo-retailer": wpb.APPROVAL_MODE_MANUAL},
        30,
    )
    assert (got.review_above.currency_code, got.review_above.amount_minor) == ("EUR", 20_000)
    # the retailer's own mode applies to the units it sold: MANUAL here, over the product's RULES
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial)
    assert (await stack.file(serial)).state == pb.CLAIM_STATE_AWAITING_REVIEW

    bad = wpb.ApprovalPolicy(mode=7, repeat_repair_days=400)  # type: ignore[arg-type]
    product.sku = "KETTLE-4000"
    product.policy.approval.CopyFrom(bad)
    refused = await failure(
        stack.warranty.CreateProduct(
            wpb.CreateProductRequest(request_id=new_id(), product=product), metadata=stack.as_(OPS)
        )
    )
    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(refused.fields) == {"product.policy.approval.mode", "product.policy.approval.repeat_repair_days"}


def receipt(*, retailer: str = "", sku: str = "KETTLE-3000", day: int = 20) -> pb.ProofOfPurchase:
    proof = pb.ProofOfPurchase(retailer_id=retailer, sku=sku, sale_reference="T-0042")
    t = proof.purchase_time
    t.year, t.month, t.day, t.hours = 2026, 11, day, 15
    t.time_zone.id = "Europe/Paris"
    return proof


async def test_an_unregistered_serial_with_a_receipt_becomes_a_warranty_on_approval(stack: Stack) -> None:
    await stack.product()
    await stack.centre()
    serial = new_serial()  # nobody registered it
    assert (await stack.file(serial)).decision_reason == "UNKNOWN_SERIAL"  # without a receipt: rejected

    europe = receipt()
    europe.purchase_time.time_zone.id = "Europe"  # almost a zone: a folder of zones
    far = receipt()
    far.purchase_time.ClearField("time_zone")
    far.purchase_time.utc_offset.seconds = 15 * 3600
    for bad, field in (
        (receipt(retailer="other-retailer"), "proof_of_purchase.retailer_id"),
        (receipt(day=31), "proof_of_purchase.purchase_time"),  # 31 November
        (europe, "proof_of_purchase.purchase_time.time_zone"),
        (far, "proof_of_purchase.purchase_time.utc_offset"),
    ):
        refused = await failure(
            stack.repairs.FileClaim(claim_request(serial, proof_of_purchase=bad), metadata=stack.as_(RETAILER))
        )
        assert refused.code == grpc.StatusCode.INVALID_ARGUMENT and set(refused.fields) == {field}

    filed = await stack.file(serial, proof_of_purchase=receipt())
    assert (filed.state, filed.decision) == (pb.CLAIM_STATE_AWAITING_REVIEW, pb.DECISION_REVIEW)
    assert list((await stack.get(filed.rma)).review.reasons) == ["UNREGISTERED_SERIAL"]
    approved = await stack.approve(filed.rma, note="receipt matches")
    assert (approved.state, approved.decision) == (pb.CLAIM_STATE_AWAITING_SHIPMENT, pb.DECISION_APPROVED)
    assert approved.customer_id.startswith("cus_") and approved.shipments
    warranty = (
        await stack.warranty.GetWarranty(wpb.GetWarrantyRequest(serial=serial), metadata=stack.as_(OPS))
    ).warranty
    assert (warranty.retailer_id, warranty.sku, warranty.sale_reference) == ("demo-retailer", "KETTLE-3000", "T-0042")
    bought = warranty.purchase_time.ToDatetime(UTC)
    assert (bought, warranty.purchase_time_zone) == (datetime(2026, 11, 20, 14, tzinfo=UTC), "Europe/Paris")
    registered = next(e for e in (await stack.get(filed.rma)).timeline if e.kind == "WARRANTY_REGISTERED")
    assert registered.detail == "from the receipt: bought 2026-11-20 at demo-retailer"


async def test_a_receipt_for_an_unknown_product_cannot_be_approved_only_rejected(stack: Stack) -> None:
    await stack.product()
    serial = new_serial()
    filed = await stack.file(serial, proof_of_purchase=receipt(sku="TOASTER-1"))
    refused = await failure(
        stack.repairs.ApproveClaim(pb.ApproveClaimRequest(request_id=new_id(), rma=filed.rma), metadata=stack.as_(OPS))
    )
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION and refused.reason == "RECEIPT_REFUSED"
    assert "sku" in refused.message
    assert (await stack.get(filed.rma)).state == pb.CLAIM_STATE_AWAITING_REVIEW
    assert (await stack.reject(filed.rma, pb.REJECTION_REASON_INSUFFICIENT_EVIDENCE)).state == pb.CLAIM_STATE_REJECTED


async def test_ops_name_the_receipts_retailer_by_its_id(stack: Stack) -> None:
    for retailer, message in (("", "is required"), ("Europe", "is not a retailer id")):
        refused = await failure(
            stack.repairs.FileClaim(
                claim_request(new_serial(), proof_of_purchase=receipt(retailer=retailer)), metadata=stack.as_(OPS)
            )
        )
        assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
        assert set(refused.fields) == {"proof_of_purchase.retailer_id"} and message in refused.message


async def test_a_replacement_serial_registered_to_someone_else_refuses_the_diagnosis(stack: Stack) -> None:
    """The real warranty service refuses to move the warranty onto a taken serial: the diagnosis is refused
    naming why, and the claim stays as it was (it used to move to READY_TO_SHIP with the warranty behind)."""
    await stack.product()
    await stack.centre()
    serial, taken = new_serial(), new_serial()
    await stack.sale(serial)
    await stack.sale(taken)
    claim = await stack.file(serial)
    claim = await stack.parcel(claim, pb.DIRECTION_TO_CENTRE, pb.PARCEL_EVENT_DELIVERED)
    await stack.status(claim.rma, pb.REPAIR_STATUS_DIAGNOSING)
    swap = pb.Diagnosis(
        unrepairable=pb.Diagnosis.Unrepairable(remedy=pb.Diagnosis.REMEDY_REPLACEMENT, replacement_serial=taken),
        root_cause="ELECTRICAL/CONTROL_BOARD",
    )
    refused = await failure(
        stack.repairs.RecordDiagnosis(
            pb.RecordDiagnosisRequest(request_id=new_id(), rma=claim.rma, diagnosis=swap), metadata=stack.as_(CENTRE)
        )
    )
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION and refused.reason == "REPLACEMENT_REFUSED"
    assert "already registered" in refused.message
    after = await stack.get(claim.rma)
    assert after.state == pb.CLAIM_STATE_DIAGNOSING and len(after.shipments) == 1
    owner = await stack.warranty.GetWarranty(wpb.GetWarrantyRequest(serial=serial), metadata=stack.as_(OPS))
    assert owner.warranty.serial == serial  # the warranty stayed on the faulty unit
