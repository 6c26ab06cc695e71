"""The actions on a claim from its centre, its carrier, its customer and ops: each a workflow update, answered
once per request id (ClaimsApi._act)."""

from __future__ import annotations

from typing import Any

import grpc
from aftercare.repairs.v1 import repairs_pb2 as pb

from contracts.claims import (
    CancelRequest,
    DiagnosisUpdate,
    Feedback,
    ParcelUpdate,
    QuoteDecision,
    Reassignment,
    RepairStatusUpdate,
    Update,
)
from lifecycle.transitions import CENTRE_STATUSES
from services.kit.auth import Role
from services.kit.errors import FailedPrecondition, NotFound
from services.kit.rpc import opening
from services.kit.timestamps import checked
from services.kit.validation import MAX_CLOCK_SKEW, check_money, check_serial, check_text, enum_name
from services.repairs import mapping
from services.repairs.access import CUSTOMER_ACTIONS
from services.repairs.api.base import ClaimsApi
from services.repairs.domain import root_causes
from services.repairs.domain.centres import check_centre_id


class ClaimActions(ClaimsApi):
    async def UpdateRepairStatus(
        self, request: pb.UpdateRepairStatusRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.UpdateRepairStatusResponse:
        principal, v = opening(request.request_id, Role.CENTRE)
        status = mapping.REPAIR_STATUS_EVENTS.get(request.status)
        if status is None:
            v.add("status", f"is required: one of {', '.join(CENTRE_STATUSES)}")
        row = await self._visible(principal, request.rma, v)
        assert status is not None
        arg = RepairStatusUpdate(centre_id=principal.id, status=status)
        return await self._act(principal, row, request, pb.UpdateRepairStatusResponse, Update.REPAIR_STATUS, arg)

    async def RecordDiagnosis(
        self, request: pb.RecordDiagnosisRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.RecordDiagnosisResponse:
        principal, v = opening(request.request_id, Role.CENTRE)
        d = request.diagnosis
        outcome = d.WhichOneof("outcome")
        if outcome is None:
            v.add("diagnosis", "needs one outcome: covered_fault, not_covered or unrepairable")
        elif outcome == "covered_fault":
            if not 0 <= d.covered_fault.labour_minutes <= 10_000:
                v.add("diagnosis.covered_fault.labour_minutes", "must be from 0 to 10000")
            if len(d.covered_fault.parts) > 50 or any(not 1 <= len(p.strip()) <= 64 for p in d.covered_fault.parts):
                v.add("diagnosis.covered_fault.parts", "at most 50 part numbers of 1 to 64 characters")
        elif outcome == "not_covered":
            q = d.not_covered.quote
            check_money(v, "diagnosis.not_covered.quote", q.currency_code, q.amount_minor, required=True)
        else:
            u = d.unrepairable
            if enum_name(v, "diagnosis.unrepairable.remedy", pb.Diagnosis.Remedy, u.remedy, "REMEDY_") is None:
                v.add("diagnosis.unrepairable.remedy", "is required: REPLACEMENT or REFUND")
            if u.remedy == pb.Diagnosis.REMEDY_REPLACEMENT:
                u.replacement_serial = check_serial(
                    v, "diagnosis.unrepairable.replacement_serial", u.replacement_serial
                )
            elif u.replacement_serial:
                v.add("diagnosis.unrepairable.replacement_serial", "is only for a replacement")
        d.notes = check_text(v, "diagnosis.notes", d.notes, max_len=500)
        if not d.root_cause.strip():
            v.add("diagnosis.root_cause", f"is required: {root_causes.HOW}")
        else:
            try:
                d.root_cause = root_causes.canonical(d.root_cause)
            except ValueError as error:
                v.add("diagnosis.root_cause", str(error))
        row = await self._visible(principal, request.rma, v)
        diagnosis, quote = mapping.diagnosis_in(d)
        arg = DiagnosisUpdate(centre_id=principal.id, diagnosis=diagnosis, quote=quote)
        return await self._act(principal, row, request, pb.RecordDiagnosisResponse, Update.DIAGNOSIS, arg)

    async def DecideQuote(
        self, request: pb.DecideQuoteRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.DecideQuoteResponse:
        principal, v = opening(request.request_id, *CUSTOMER_ACTIONS)
        row = await self._visible(principal, request.rma, v)
        arg = QuoteDecision(accept=request.accept)
        return await self._act(principal, row, request, pb.DecideQuoteResponse, Update.QUOTE_DECISION, arg)

    async def RecordShipmentEvent(
        self, request: pb.RecordShipmentEventRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.RecordShipmentEventResponse:
        principal, v = opening(request.request_id, Role.CARRIER, Role.OPS, Role.SERVICE)
        direction = mapping.direction(v, "direction", request.direction)
        event = mapping.parcel_event(v, "event", request.event)
        tracking = request.tracking_number.strip().upper()
        if not 4 <= len(tracking) <= 64 or not tracking.isalnum():
            v.add("tracking_number", "must be 4 to 64 letters and digits")
        occurred_at = checked(v, "event_time", request.event_time) if request.HasField("event_time") else None
        if not request.HasField("event_time"):
            v.add("event_time", "is required: the carrier's time of the event")
        elif occurred_at is not None and occurred_at > self.clock() + MAX_CLOCK_SKEW:
            v.add("event_time", "must not be in the future")
        row = await self._visible(principal, request.rma, v)
        assert occurred_at is not None  # _visible raised on any violation
        arg = ParcelUpdate(direction=direction, tracking_number=tracking, event=event, occurred_at=occurred_at)
        return await self._act(principal, row, request, pb.RecordShipmentEventResponse, Update.PARCEL, arg)

    async def CancelClaim(
        self, request: pb.CancelClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.CancelClaimResponse:
        principal, v = opening(request.request_id, *CUSTOMER_ACTIONS)
        by_ops = principal.role is Role.OPS
        reason = check_text(v, "reason", request.reason, min_len=3 if by_ops else 0, max_len=200)
        row = await self._visible(principal, request.rma, v)
        arg = CancelRequest(by_ops=by_ops, reason=reason)
        return await self._act(principal, row, request, pb.CancelClaimResponse, Update.CANCEL, arg)

    async def ReassignClaim(
        self, request: pb.ReassignClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ReassignClaimResponse:
        principal, v = opening(request.request_id, Role.OPS)
        centre_id = check_centre_id(v, "centre_id", request.centre_id)
        reason = check_text(v, "reason", request.reason, max_len=200)
        row = await self._visible(principal, request.rma, v)
        if await self.repo.centre(centre_id) is None:
            raise NotFound(f"no service centre {centre_id}", reason="CENTRE_NOT_FOUND")
        if centre_id == row.centre_id:
            raise FailedPrecondition(f"the claim is already with {centre_id}", reason="SAME_CENTRE")
        arg = Reassignment(centre_id=centre_id, reason=reason)
        return await self._act(principal, row, request, pb.ReassignClaimResponse, Update.REASSIGN, arg)

    async def SubmitFeedback(
        self, request: pb.SubmitFeedbackRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.SubmitFeedbackResponse:
        principal, v = opening(request.request_id, *CUSTOMER_ACTIONS)
        if not 0 <= request.score <= 10:
            v.add("score", "must be from 0 to 10")
        comment = check_text(v, "comment", request.comment, max_len=2000)
        row = await self._visible(principal, request.rma, v)
        arg = Feedback(score=request.score)
        response = await self._act(principal, row, request, pb.SubmitFeedbackResponse, Update.FEEDBACK, arg)
        if comment:
            await self.repo.save_feedback_comment(row.rma, comment)
        return response
