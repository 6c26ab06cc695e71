"""The repairs API end to end: real gRPC servers, real databases, a real Temporal dev server and workers."""

from __future__ import annotations

import base64
import re
import zlib

import grpc
from aftercare.repairs.v1 import repairs_pb2 as pb

from services.repairs.contracts import ClaimStatus
from services.repairs.workflow_client import workflow_id
from tests.repairs.conftest import CENTRE, OTHER_CENTRE, OTHER_RETAILER, RETAILER, Stack, claim_request, new_id, new_serial
from tests.rpc import failure
from workflows.claim import ClaimWorkflow

TO_CENTRE, TO_CUSTOMER = pb.DIRECTION_TO_CENTRE, pb.DIRECTION_TO_CUSTOMER


def pdf_text(pdf: bytes) -> str:
    """What a PDF's pages draw: its content streams (ASCII85 of Flate, as reportlab writes them), decoded."""
    streams = re.findall(rb"/Filter \[ /ASCII85Decode /FlateDecode \].*?stream\r?\n(.*?~>)\s*endstream", pdf, re.S)
    return "\n".join(zlib.decompress(base64.a85decode(raw, adobe=True)).decode("latin-1") for raw in streams)


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
    assert f"({label.tracking_number})" in pdf_text(label.pdf)

    claim = await stack.parcel(claim, TO_CENTRE, pb.PARCEL_EVENT_PICKED_UP)
    assert claim.state == pb.CLAIM_STATE_IN_TRANSIT_TO_CENTRE
    claim = await stack.parcel(claim, TO_CENTRE, pb.PARCEL_EVENT_DELIVERED)
    assert claim.state == pb.CLAIM_STATE_RECEIVED and claim.HasField("sla_due_time")
    claim = await stack.status(claim.rma, pb.REPAIR_STATUS_DIAGNOSING)
    diagnosis = pb.Diagnosis(covered_fault=pb.Diagnosis.CoveredFault(parts=["HEATER-7"], labour_minutes=25))
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

    handle = stack.temporal.get_workflow_handle_for(ClaimWorkflow.run, workflow_id(claim.rma))
    final: ClaimStatus = await handle.result()
    assert final.state.value == "CLOSED" and final.seq == len(read.timeline)
    closed = await stack.repairs.ListClaims(pb.ListClaimsRequest(state=pb.CLAIM_STATE_CLOSED), metadata=stack.as_("ops"))
    assert [c.rma for c in closed.claims] == [claim.rma]
