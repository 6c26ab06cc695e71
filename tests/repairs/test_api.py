"""The repairs API end to end: real gRPC servers, real databases, a real Temporal dev server and workers."""

from __future__ import annotations

import io
import re

import grpc
from aftercare.repairs.v1 import repairs_pb2 as pb
from pypdf import PdfReader

from contracts.claims import ClaimStatus, claim_workflow_id
from tests.rpc import failure
from tests.stack import (
    CENTRE,
    OTHER_CENTRE,
    OTHER_RETAILER,
    RETAILER,
    Stack,
    claim_request,
    new_id,
    new_serial,
)

TO_CENTRE, TO_CUSTOMER = pb.DIRECTION_TO_CENTRE, pb.DIRECTION_TO_CUSTOMER


def pdf_text(pdf: bytes) -> str:
    """The text a PDF's pages show, as a reader extracts it (pypdf)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def approved(stack: Stack) -> pb.Claim:
    await stack.product()
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial)
    return await stack.file(serial)


async def test_the_happy_path_from_filing_to_closed(stack: Stack) -> None:
    claim = await approved(stack)
    assert re.fullmatch(r"RMA-[0-9A-Z]{4}-[0-9A-Z]{4}", claim.rma)
    assert claim.decision == pb.DECISION_APPROVED and claim.decision_reason == "WITHIN_STANDARD_WARRANTY"
    assert claim.state == pb.CLAIM_STATE_AWAITING_SHIPMENT and claim.centre_id == "demo-centre"
    assert [s.direction for s in claim.shipments] == [TO_CENTRE]

    label = await stack.repairs.GetShippingLabel(
        pb.GetShippingLabelRequest(rma=claim.rma, direction=TO_CENTRE), metadata=stack.as_(RETAILER)
    )
    assert label.pdf.startswith(b"%PDF-") and label.tracking_number == claim.shipments[0].tracking_number
    assert label.tracking_number in pdf_text(label.pdf) and claim.rma in pdf_text(label.pdf)

    claim = await stack.parcel(claim, TO_CENTRE, pb.PARCEL_EVENT_PICKED_UP)
    assert claim.state == pb.CLAIM_STATE_IN_TRANSIT_TO_CENTRE
    claim = await stack.parcel(claim, TO_CENTRE, pb.PARCEL_EVENT_DELIVERED)
    assert claim.state == pb.CLAIM_STATE_RECEIVED and claim.HasField("sla_due_time")
    claim = await stack.status(claim.rma, pb.REPAIR_STATUS_DIAGNOSING)
    diagnosis = pb.Diagnosis(
        covered_fault=pb.Diagnosis.CoveredFault(parts=["HEATER-7"], labour_minutes=25),
        root_cause="ELECTRICAL/HEATING_ELEMENT",
    )
    claim = (
        await stack.repairs.RecordDiagnosis(
            pb.RecordDiagnosisRequest(request_id=new_id(), rma=claim.rma, diagnosis=diagnosis),
            metadata=stack.as_(CENTRE),
        )
    ).claim
    assert claim.state == pb.CLAIM_STATE_REPAIRING and list(claim.diagnosis.covered_fault.parts) == ["HEATER-7"]
    claim = await stack.status(claim.rma, pb.REPAIR_STATUS_QUALITY_CHECK)
    claim = await stack.status(claim.rma, pb.REPAIR_STATUS_READY_TO_SHIP)
    assert claim.state == pb.CLAIM_STATE_READY_TO_SHIP and claim.resolution == pb.RESOLUTION_REPAIRED
    assert [s.direction for s in claim.shipments] == [TO_CENTRE, TO_CUSTOMER]
    claim = await stack.parcel(claim, TO_CUSTOMER, pb.PARCEL_EVENT_IN_TRANSIT)
    claim = await stack.parcel(claim, TO_CUSTOMER, pb.PARCEL_EVENT_DELIVERED)
    assert claim.state == pb.CLAIM_STATE_DELIVERED
    claim = (
        await stack.repairs.SubmitFeedback(
            pb.SubmitFeedbackRequest(request_id=new_id(), rma=claim.rma, score=9, comment="Quick, thanks"),
            metadata=stack.as_(RETAILER),
        )
    ).claim
    assert claim.state == pb.CLAIM_STATE_CLOSED and claim.feedback_score == 9

    read = await stack.get(claim.rma, RETAILER)
    kinds = [e.kind for e in read.timeline]
    assert kinds == [
        *("APPROVED", "LABEL_CREATED", "SHIPPED_TO_CENTRE", "RECEIVED", "DIAGNOSING", "DIAGNOSED_COVERED"),
        *("QUALITY_CHECK", "READY_TO_SHIP", "LABEL_CREATED", "SHIPPED_TO_CUSTOMER", "DELIVERED", "FEEDBACK"),
    ]
    assert [e.sequence for e in read.timeline] == list(range(1, len(read.timeline) + 1))
    assert read.timeline[-1].state == pb.CLAIM_STATE_CLOSED

    handle = stack.temporal.get_workflow_handle(claim_workflow_id(claim.rma), result_type=ClaimStatus)
    final: ClaimStatus = await handle.result()
    assert final.state.value == "CLOSED" and final.seq == len(read.timeline)
    closed = await stack.repairs.ListClaims(
        pb.ListClaimsRequest(state=pb.CLAIM_STATE_CLOSED), metadata=stack.as_("ops")
    )
    assert [c.rma for c in closed.claims] == [claim.rma]


async def test_an_illegal_move_is_failed_precondition_naming_the_state(stack: Stack) -> None:
    claim = await approved(stack)
    bad = await failure(
        stack.repairs.UpdateRepairStatus(
            pb.UpdateRepairStatusRequest(request_id=new_id(), rma=claim.rma, status=pb.REPAIR_STATUS_READY_TO_SHIP),
            metadata=stack.as_(CENTRE),
        )
    )
    assert bad.code == grpc.StatusCode.FAILED_PRECONDITION and bad.reason == "ILLEGAL_TRANSITION"
    assert "AWAITING_SHIPMENT" in bad.message
    early = await failure(
        stack.repairs.SubmitFeedback(
            pb.SubmitFeedbackRequest(request_id=new_id(), rma=claim.rma, score=3), metadata=stack.as_(RETAILER)
        )
    )
    assert early.code == grpc.StatusCode.FAILED_PRECONDITION and "AWAITING_SHIPMENT" in early.message
    after = await stack.get(claim.rma)
    assert after.state == pb.CLAIM_STATE_AWAITING_SHIPMENT and len(after.timeline) == 2  # nothing recorded


async def test_a_retried_update_is_applied_once_and_answered_the_same(stack: Stack) -> None:
    claim = await approved(stack)
    claim = await stack.parcel(claim, TO_CENTRE, pb.PARCEL_EVENT_DELIVERED)
    request_id = new_id()
    first = await stack.status(claim.rma, pb.REPAIR_STATUS_DIAGNOSING, request_id=request_id)
    again = await stack.status(claim.rma, pb.REPAIR_STATUS_DIAGNOSING, request_id=request_id)
    assert again == first
    read = await stack.get(claim.rma)
    assert [e.kind for e in read.timeline].count("DIAGNOSING") == 1
    other_body = await failure(
        stack.repairs.UpdateRepairStatus(
            pb.UpdateRepairStatusRequest(request_id=request_id, rma=claim.rma, status=pb.REPAIR_STATUS_REPAIRING),
            metadata=stack.as_(CENTRE),
        )
    )
    assert other_body.code == grpc.StatusCode.INVALID_ARGUMENT and other_body.reason == "REQUEST_ID_REUSED"


async def test_a_centre_neither_sees_nor_touches_another_centres_claims(stack: Stack) -> None:
    claim = await approved(stack)
    await stack.centre("other-centre", region="FR")
    hidden = await failure(stack.repairs.GetClaim(pb.GetClaimRequest(rma=claim.rma), metadata=stack.as_(OTHER_CENTRE)))
    assert hidden.code == grpc.StatusCode.NOT_FOUND
    touch = await failure(
        stack.repairs.UpdateRepairStatus(
            pb.UpdateRepairStatusRequest(request_id=new_id(), rma=claim.rma, status=pb.REPAIR_STATUS_RECEIVED),
            metadata=stack.as_(OTHER_CENTRE),
        )
    )
    assert touch.code == grpc.StatusCode.NOT_FOUND
    mine = await stack.repairs.ListClaims(pb.ListClaimsRequest(), metadata=stack.as_(CENTRE))
    theirs = await stack.repairs.ListClaims(pb.ListClaimsRequest(), metadata=stack.as_(OTHER_CENTRE))
    assert [c.rma for c in mine.claims] == [claim.rma] and list(theirs.claims) == []
    peek = await failure(
        stack.repairs.ListClaims(pb.ListClaimsRequest(centre_id="demo-centre"), metadata=stack.as_(OTHER_CENTRE))
    )
    assert peek.code == grpc.StatusCode.PERMISSION_DENIED
    assert (await stack.get(claim.rma)).state == pb.CLAIM_STATE_AWAITING_SHIPMENT


async def test_a_retailer_cannot_act_as_a_centre_nor_see_another_retailers_claim(stack: Stack) -> None:
    claim = await approved(stack)
    denied = await failure(
        stack.repairs.UpdateRepairStatus(
            pb.UpdateRepairStatusRequest(request_id=new_id(), rma=claim.rma, status=pb.REPAIR_STATUS_RECEIVED),
            metadata=stack.as_(RETAILER),
        )
    )
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED and denied.reason == "ROLE_NOT_ALLOWED"
    other = await failure(stack.repairs.GetClaim(pb.GetClaimRequest(rma=claim.rma), metadata=stack.as_(OTHER_RETAILER)))
    assert other.code == grpc.StatusCode.NOT_FOUND


async def test_filing_is_idempotent_and_one_serial_has_one_open_claim(stack: Stack) -> None:
    await stack.product()
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial)
    request_id = new_id()
    first = await stack.file(serial, request_id=request_id)
    again = await stack.file(serial, request_id=request_id)
    assert again.rma == first.rma and again.state == first.state
    second = await failure(stack.repairs.FileClaim(claim_request(serial), metadata=stack.as_(RETAILER)))
    assert second.code == grpc.StatusCode.FAILED_PRECONDITION and second.reason == "OPEN_CLAIM_EXISTS"
    assert first.rma in second.message
    changed = await failure(
        stack.repairs.FileClaim(
            claim_request(serial, request_id=request_id, description="Something else"), metadata=stack.as_(RETAILER)
        )
    )
    assert changed.code == grpc.StatusCode.INVALID_ARGUMENT and changed.reason == "REQUEST_ID_REUSED"
    listed = await stack.repairs.ListClaims(pb.ListClaimsRequest(), metadata=stack.as_(RETAILER))
    assert [c.rma for c in listed.claims] == [first.rma]


async def test_a_cancelled_claim_frees_the_serial_and_takes_no_more_changes(stack: Stack) -> None:
    claim = await approved(stack)
    cancelled = await stack.repairs.CancelClaim(
        pb.CancelClaimRequest(request_id=new_id(), rma=claim.rma), metadata=stack.as_(RETAILER)
    )
    assert cancelled.claim.state == pb.CLAIM_STATE_CANCELLED
    late = await failure(
        stack.repairs.CancelClaim(
            pb.CancelClaimRequest(request_id=new_id(), rma=claim.rma, reason="again"), metadata=stack.as_("ops")
        )
    )
    assert late.code == grpc.StatusCode.FAILED_PRECONDITION and "CANCELLED" in late.message
    refiled = await stack.file(claim.serial)
    assert refiled.rma != claim.rma and refiled.state == pb.CLAIM_STATE_AWAITING_SHIPMENT


async def test_the_customer_cannot_cancel_after_receipt_but_ops_can(stack: Stack) -> None:
    claim = await approved(stack)
    await stack.parcel(claim, TO_CENTRE, pb.PARCEL_EVENT_DELIVERED)
    refused = await failure(
        stack.repairs.CancelClaim(
            pb.CancelClaimRequest(request_id=new_id(), rma=claim.rma), metadata=stack.as_(RETAILER)
        )
    )
    assert refused.code == grpc.StatusCode.FAILED_PRECONDITION and "RECEIVED" in refused.message
    no_reason = await failure(
        stack.repairs.CancelClaim(pb.CancelClaimRequest(request_id=new_id(), rma=claim.rma), metadata=stack.as_("ops"))
    )
    assert no_reason.code == grpc.StatusCode.INVALID_ARGUMENT and "reason" in no_reason.fields
    done = await stack.repairs.CancelClaim(
        pb.CancelClaimRequest(request_id=new_id(), rma=claim.rma, reason="unit lost in the warehouse"),
        metadata=stack.as_("ops"),
    )
    assert done.claim.state == pb.CLAIM_STATE_CANCELLED


async def test_with_no_centre_that_fits_the_claim_waits_for_ops(stack: Stack) -> None:
    await stack.product()
    await stack.centre()  # DE only
    serial = new_serial()
    await stack.sale(serial)
    claim = await stack.file(serial, region="FR")
    assert claim.state == pb.CLAIM_STATE_AWAITING_SHIPMENT and claim.centre_id == "" and not claim.shipments
    assert [e.kind for e in (await stack.get(claim.rma)).timeline] == ["APPROVED", "NO_CENTRE"]
    moved = await stack.repairs.ReassignClaim(
        pb.ReassignClaimRequest(request_id=new_id(), rma=claim.rma, centre_id="demo-centre", reason="covers FR too"),
        metadata=stack.as_("ops"),
    )
    assert moved.claim.centre_id == "demo-centre" and [s.direction for s in moved.claim.shipments] == [TO_CENTRE]
    unknown = await failure(
        stack.repairs.ReassignClaim(
            pb.ReassignClaimRequest(request_id=new_id(), rma=claim.rma, centre_id="nowhere"), metadata=stack.as_("ops")
        )
    )
    assert unknown.code == grpc.StatusCode.NOT_FOUND and unknown.reason == "CENTRE_NOT_FOUND"


async def test_another_retailers_serial_is_rejected_as_unknown(stack: Stack) -> None:
    await stack.product()
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial, retailer=OTHER_RETAILER)
    claim = await stack.file(serial)
    assert claim.decision == pb.DECISION_REJECTED and claim.decision_reason == "UNKNOWN_SERIAL"
    assert claim.state == pb.CLAIM_STATE_REJECTED and claim.sku == ""
    assert (await stack.get(claim.rma, RETAILER)).rma == claim.rma  # the filer still sees its own claim


async def test_bad_input_names_every_field(stack: Stack) -> None:
    request = pb.FileClaimRequest(request_id="", serial="?", contact=pb.CustomerContact(email="nope"))
    bad = await failure(stack.repairs.FileClaim(request, metadata=stack.as_(RETAILER)))
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {"request_id", "serial", "fault_category", "description", "contact.email", "contact.locale"} <= set(
        bad.fields
    )
    assert {"return_address.region_code", "return_address.address_lines", "return_address.locality"} <= set(bad.fields)
    rma = await failure(stack.repairs.GetClaim(pb.GetClaimRequest(rma="RMA-12"), metadata=stack.as_("ops")))
    assert rma.code == grpc.StatusCode.INVALID_ARGUMENT and "rma" in rma.fields
    missing = await failure(stack.repairs.GetClaim(pb.GetClaimRequest(rma="RMA-0000-0000"), metadata=stack.as_("ops")))
    assert missing.code == grpc.StatusCode.NOT_FOUND


async def test_a_refused_request_is_evaluated_again_and_a_carried_out_one_is_not(stack: Stack) -> None:
    """AIP-155: only requests carried out are remembered. A move refused as illegal, sent again with the same
    request_id once it is legal, is carried out; sent once more, it is answered the same and changes nothing."""
    claim = await approved(stack)
    claim = await stack.parcel(claim, TO_CENTRE, pb.PARCEL_EVENT_DELIVERED)
    request_id = new_id()
    await stack.status(claim.rma, pb.REPAIR_STATUS_DIAGNOSING)
    refused = await failure(stack.status(claim.rma, pb.REPAIR_STATUS_QUALITY_CHECK, request_id=request_id))
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ILLEGAL_TRANSITION")
    covered = pb.Diagnosis(
        covered_fault=pb.Diagnosis.CoveredFault(parts=["HEATER-7"], labour_minutes=25),
        root_cause="ELECTRICAL/HEATING_ELEMENT",
    )
    await stack.diagnose(claim.rma, CENTRE, covered)  # now REPAIRING: QUALITY_CHECK is legal
    carried = await stack.status(claim.rma, pb.REPAIR_STATUS_QUALITY_CHECK, request_id=request_id)
    assert carried.state == pb.CLAIM_STATE_QUALITY_CHECK
    again = await stack.status(claim.rma, pb.REPAIR_STATUS_QUALITY_CHECK, request_id=request_id)
    assert again == carried
    timeline = (await stack.get(claim.rma)).timeline
    assert [e.kind for e in timeline].count("QUALITY_CHECK") == 1
