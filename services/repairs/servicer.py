"""The repairs gRPC API: authenticate, validate, turn actions into workflow updates, answer from the
repairs database (which the workflow wrote before the update returned). Errors are raised as domain errors;
the server's interceptor turns them into statuses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import grpc
from aftercare.repairs.v1 import repairs_pb2 as pb
from aftercare.repairs.v1 import repairs_pb2_grpc
from google.protobuf import json_format
from pydantic import BaseModel

from contracts.claims import (
    Acted,
    CancelRequest,
    ClaimInput,
    ClaimState,
    DiagnosisUpdate,
    Direction,
    Feedback,
    InfoNeeded,
    InformationAnswer,
    InformationRequest,
    ParcelUpdate,
    QuoteDecision,
    Reassignment,
    Receipt,
    RepairStatusUpdate,
    ReviewDecision,
    Update,
)
from contracts.repairs import UpdateAnswer
from lifecycle.review import RejectionReason, rules_report
from lifecycle.transitions import CENTRE_STATUSES, TERMINAL
from services.kit import grants, pagination
from services.kit.auth import Principal, Role, current_principal
from services.kit.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Violations,
)
from services.kit.grants import Purpose, Subject
from services.kit.idempotency import check_request_id, fingerprint, recall, remember, reused, run_once
from services.kit.timestamps import checked
from services.kit.validation import (
    MAX_CLOCK_SKEW,
    check_contact,
    check_money,
    check_serial,
    check_text,
    contact_matches,
    enum_name,
)
from services.repairs import mapping
from services.repairs.attachments import Attachments
from services.repairs.domain import photos
from services.repairs.domain.centres import check_centre, check_centre_id, check_region
from services.repairs.domain.receipts import check_receipt
from services.repairs.domain.rma import canonical_rma, new_rma
from services.repairs.persistence.repository import (
    ClaimFilters,
    Filed,
    NewClaim,
    RepairsRepository,
    TooManyAttachments,
    centre_of,
)
from services.repairs.persistence.tables import ClaimRow
from services.repairs.sales import receipt_of
from services.repairs.workflow_client import ClaimWorkflows, WorkflowGone

Clock = Callable[[], datetime]
R = TypeVar(
    "R",
    pb.UpdateRepairStatusResponse,
    pb.RecordDiagnosisResponse,
    pb.DecideQuoteResponse,
    pb.RecordShipmentEventResponse,
    pb.CancelClaimResponse,
    pb.ReassignClaimResponse,
    pb.SubmitFeedbackResponse,
    pb.ApproveClaimResponse,
    pb.RejectClaimResponse,
    pb.RequestInformationResponse,
    pb.AnswerInformationRequestResponse,
)
_READERS = (Role.RETAILER, Role.CENTRE, Role.OPS, Role.SERVICE)
_CUSTOMER_CHANNELS = (Role.RETAILER, Role.OPS)
# The customer, through the portal, on the one claim its link grants (services/kit/grants.py).
_CUSTOMER_ACTIONS = (*_CUSTOMER_CHANNELS, Role.PORTAL)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def can_see(principal: Principal, row: ClaimRow) -> bool:
    """Ops, services and carriers see every claim; a retailer its own; a centre those assigned to it; the portal
    the one its grant names."""
    if principal.role is Role.PORTAL:
        return grants.grants(Subject.CLAIM, row.rma, Purpose.CLAIM)
    if principal.role is Role.RETAILER:
        return row.retailer_id == principal.id
    if principal.role is Role.CENTRE:
        return row.centre_id == principal.id
    return True


def as_seen_by(principal: Principal, claim: pb.Claim) -> pb.Claim:
    """The claim as this caller may read it: whole for ops and services; without the risk rules' findings for
    retailers and centres; customer-safe for the portal."""
    if principal.role is Role.PORTAL:
        return mapping.customer_safe(claim)
    return claim if principal.role in (Role.OPS, Role.SERVICE) else mapping.without_risk(claim)


def actor_of(principal: Principal, row: ClaimRow) -> str:
    """Who an action is by, for the timeline: the customer (by their opaque id) when it came through the portal,
    else the principal itself ("ops", "retailer:demo-retailer", "centre:berlin-1")."""
    if principal.role is Role.PORTAL:
        return f"customer:{mapping.status_of(row).customer_id}"
    return str(principal)


def retailer_of(principal: Principal) -> str:
    return principal.id if principal.role is Role.RETAILER else ""


def stored_receipt(given: pb.ProofOfPurchase, checked: Receipt) -> str:
    """The receipt as kept with the claim: as given, with the retailer and product as checked."""
    kept = pb.ProofOfPurchase()
    kept.CopyFrom(given)
    kept.retailer_id, kept.sku = checked.retailer_id, checked.sku
    return json_format.MessageToJson(kept, indent=None)


def receipt_input(row: ClaimRow) -> Receipt | None:
    """The receipt as the workflow carries it (no personal data), from the stored one."""
    receipt = receipt_of(row)
    if receipt is None:
        return None
    t = receipt.purchase_time
    return Receipt(
        sku=receipt.sku.upper(), retailer_id=receipt.retailer_id, purchase_date=date(t.year, t.month, t.day).isoformat()
    )


def _check_rma(v: Violations, raw: str) -> str:
    try:
        return canonical_rma(raw)
    except ValueError as exc:
        v.add("rma", str(exc))
        return ""


class RepairsServicer(repairs_pb2_grpc.RepairsServiceServicer):
    def __init__(
        self,
        repo: RepairsRepository,
        workflows: ClaimWorkflows,
        clock: Clock = _utcnow,
        attachments: Attachments | None = None,
    ):
        self.repo = repo
        self.workflows = workflows
        self.clock = clock
        self.attachments = attachments

    # -- reading -----------------------------------------------------------------------------------------

    async def _visible(self, principal: Principal, raw_rma: str, v: Violations | None = None) -> ClaimRow:
        """The claim if this caller may see it; another party's claim reads as unknown."""
        v = v or Violations()
        rma = _check_rma(v, raw_rma)
        v.raise_if_any()
        row = await self.repo.claim(rma)
        if row is None or not can_see(principal, row):
            raise NotFound(f"no claim {rma}", reason="CLAIM_NOT_FOUND")
        return row

    async def _claim(self, principal: Principal, rma: str, *, timeline: bool = True) -> pb.Claim:
        row = await self.repo.claim(rma)
        assert row is not None
        events = await self.repo.timeline(rma) if timeline else None
        claim = mapping.claim(row, events, with_contact=principal.role is Role.SERVICE)
        if principal.role is Role.OPS and timeline:
            claim.feedback_comment = row.feedback_comment
        return as_seen_by(principal, claim)

    async def GetClaim(
        self, request: pb.GetClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetClaimResponse:
        principal = current_principal()
        principal.require(*_READERS, Role.PORTAL)
        row = await self._visible(principal, request.rma)
        return pb.GetClaimResponse(claim=await self._claim(principal, row.rma))

    async def ListClaims(
        self, request: pb.ListClaimsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListClaimsResponse:
        principal = current_principal()
        principal.require(*_READERS, Role.PORTAL)
        v = Violations()
        serial = check_serial(v, "serial", request.serial) if request.serial else None
        if principal.role is Role.PORTAL:  # the claims on the granted warranty's unit, and nothing else
            v.raise_if_any()
            if serial is None or not grants.grants(Subject.WARRANTY, serial, Purpose.WARRANTY):
                raise PermissionDenied("the portal lists only the claims on its warranty", reason="ROLE_NOT_ALLOWED")
        centre = check_text(v, "centre_id", request.centre_id, max_len=63) or None
        retailer = check_text(v, "retailer_id", request.retailer_id, max_len=63) or None
        if principal.role is Role.CENTRE:
            if centre not in (None, principal.id):
                raise PermissionDenied("a centre can list only its own claims", reason="OTHER_CENTRE")
            centre = principal.id
        if principal.role is Role.RETAILER:
            if retailer not in (None, principal.id):
                raise PermissionDenied("a retailer can list only its own claims", reason="OTHER_RETAILER")
            retailer = principal.id
        state = mapping.checked_state(v, "state", request.state)
        sku = check_text(v, "sku", request.sku, max_len=48).upper() or None  # a NUL broke PostgreSQL's query
        v.raise_if_any()
        filters = ClaimFilters(
            state=state,
            centre_id=centre,
            retailer_id=retailer,
            sku=sku,
            sla_breached=True if request.sla_breached_only else None,
            serial=serial,
        )
        page = await pagination.page(
            request.page_size,
            request.page_token,
            filters.as_dict(),
            lambda before, limit: self.repo.list_claims(filters, before_id=before, limit=limit),
            lambda row: row.id,
        )
        service = principal.role is Role.SERVICE

        return pb.ListClaimsResponse(
            claims=[as_seen_by(principal, mapping.claim(row, with_contact=service)) for row in page.items],
            next_page_token=page.next_page_token,
        )

    async def GetShippingLabel(
        self, request: pb.GetShippingLabelRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetShippingLabelResponse:
        principal = current_principal()
        principal.require(*_READERS, Role.CARRIER, Role.PORTAL)
        v = Violations()
        direction = mapping.direction(v, "direction", request.direction)
        if principal.role is Role.PORTAL and direction is not Direction.TO_CENTRE:
            v.add("direction", "the customer's label is the inbound one")
        row = await self._visible(principal, request.rma, v)
        label = await self.repo.label(row.rma, direction.value)
        if label is None:
            raise NotFound(f"claim {row.rma} has no {direction.value} label yet", reason="LABEL_NOT_FOUND")
        return pb.GetShippingLabelResponse(tracking_number=label.tracking_number, carrier=label.carrier, pdf=label.pdf)

    # -- attachments (photos of the fault) ---------------------------------------------------------------

    async def AddAttachment(
        self, request_iterator: AsyncIterator[pb.AddAttachmentRequest], context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.AddAttachmentResponse:
        principal = current_principal()
        principal.require(Role.PORTAL, Role.RETAILER, Role.CENTRE, Role.OPS)
        assert self.attachments is not None
        first = await anext(aiter(request_iterator), None)
        v = Violations()
        if first is None or first.WhichOneof("part") != "header":
            v.add("header", "the first message must be the header")
            v.raise_if_any()
        assert first is not None
        check_request_id(v, first.header.request_id)
        row = await self._visible(principal, first.header.rma, v)
        if ClaimState(row.state) in TERMINAL:
            raise FailedPrecondition(f"the claim is {row.state}: it takes no more photos", reason="CLAIM_CLOSED")
        upload = bytearray()
        async for part in request_iterator:
            upload += part.chunk
            if len(upload) > photos.MAX_BYTES:
                raise InvalidArgument(
                    [FieldViolation("chunk", f"the file is larger than {photos.MAX_BYTES // 1_000_000} MB")],
                    reason="TOO_LARGE",
                )
        try:
            kept = await self.attachments.add(principal, row.rma, first.header.request_id, bytes(upload))
        except photos.PhotoRefused as exc:
            raise InvalidArgument([FieldViolation("chunk", str(exc))], reason="NOT_A_PHOTO") from None
        except TooManyAttachments:
            raise FailedPrecondition(
                f"the claim has {photos.MAX_PER_CLAIM} photos already", reason="TOO_MANY_ATTACHMENTS"
            ) from None
        return pb.AddAttachmentResponse(attachment=mapping.attachment(kept))

    async def ListAttachments(
        self, request: pb.ListAttachmentsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListAttachmentsResponse:
        principal = current_principal()
        principal.require(*_READERS, Role.PORTAL)
        assert self.attachments is not None
        row = await self._visible(principal, request.rma)
        rows = await self.attachments.repo.list(row.rma)
        return pb.ListAttachmentsResponse(attachments=[mapping.attachment(r) for r in rows])

    async def GetAttachment(
        self, request: pb.GetAttachmentRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[pb.GetAttachmentResponse]:
        principal = current_principal()
        principal.require(*_READERS, Role.PORTAL)
        assert self.attachments is not None
        row = await self._visible(principal, request.rma)
        found = await self.attachments.repo.get(row.rma, request.attachment_id)
        if found is None:
            raise NotFound(
                f"claim {row.rma} has no attachment {request.attachment_id[:40]}", reason="ATTACHMENT_NOT_FOUND"
            )
        yield pb.GetAttachmentResponse(attachment=mapping.attachment(found))
        async for chunk in self.attachments.chunks(found):
            yield pb.GetAttachmentResponse(chunk=chunk)

    async def VerifyClaimContact(
        self, request: pb.VerifyClaimContactRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.VerifyClaimContactResponse:
        current_principal().require(Role.PORTAL, Role.SERVICE)
        if len(request.rma) > 64 or len(request.contact) > 254:
            return pb.VerifyClaimContactResponse()
        try:
            rma = canonical_rma(request.rma)
        except ValueError:
            return pb.VerifyClaimContactResponse()
        row = await self.repo.claim(rma)
        if row is None or not contact_matches(request.contact, row.email, row.phone):
            return pb.VerifyClaimContactResponse()
        status = mapping.claim(row)
        return pb.VerifyClaimContactResponse(matches=True, rma=row.rma, customer_id=status.customer_id)

    # -- filing ------------------------------------------------------------------------------------------

    async def FileClaim(
        self, request: pb.FileClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.FileClaimResponse:
        principal = current_principal()
        principal.require(*_CUSTOMER_CHANNELS)
        now = self.clock()
        v = Violations()
        check_request_id(v, request.request_id)
        serial = check_serial(v, "serial", request.serial)
        fault = mapping.fault_name(v, "fault_category", request.fault_category)
        description = check_text(v, "description", request.description, min_len=1, max_len=2000)
        c = request.contact
        contact = check_contact(v, "contact", c.email, c.phone, c.locale)
        address = request.return_address
        region = check_region(v, "return_address.region_code", address.region_code)
        if not any(line.strip() for line in address.address_lines):
            v.add("return_address.address_lines", "needs at least one line")
        if not address.locality.strip():
            v.add("return_address.locality", "is required")
        incident_at = checked(v, "incident_time", request.incident_time) if request.HasField("incident_time") else now
        if incident_at is not None and incident_at > now + MAX_CLOCK_SKEW:
            v.add("incident_time", "must not be in the future")
        receipt = (
            check_receipt(v, mapping.given_receipt(request.proof_of_purchase), retailer_of(principal), now)
            if request.HasField("proof_of_purchase")
            else None
        )
        v.raise_if_any()
        assert incident_at is not None
        filed = await self.repo.file(
            NewClaim(
                rma=new_rma(),
                serial=serial,
                fault_category=fault,
                region=region,
                incident_at=incident_at,
                retailer_id=retailer_of(principal),
                filed_by=str(principal),
                request_id=request.request_id,
                request_hash=fingerprint("FileClaim", request),
                description=description,
                email=contact.email,
                phone=contact.phone,
                locale=contact.locale,
                return_address=json_format.MessageToJson(address, indent=None),
                receipt=stored_receipt(request.proof_of_purchase, receipt) if receipt else "",
                created_at=now,
            )
        )
        if filed.status is Filed.REQUEST_ID_REUSED:
            raise reused()
        if filed.status is Filed.OPEN_CLAIM:
            raise FailedPrecondition(
                f"serial {serial} already has an open claim, {filed.rma}",
                reason="OPEN_CLAIM_EXISTS",
                metadata={"rma": filed.rma},
            )
        row = await self.repo.claim(filed.rma)
        assert row is not None
        if row.seq == 0 or ClaimState(row.state) not in TERMINAL:
            # Start the workflow, or, for a retry, join it and wait for the same intake answer (the update id
            # dedupes): a retry while the intake is still assigning a centre and a label must not answer early.
            answer = await self.workflows.file(
                ClaimInput(
                    rma=row.rma,
                    serial=row.serial,
                    fault_category=row.fault_category,
                    incident_at=row.incident_at,
                    retailer_id=row.retailer_id,
                    region=row.region,
                    filed_by=row.filed_by,
                    receipt=receipt_input(row),
                ),
                update_id=f"{principal}/{request.request_id}",
            )
            await self._write(answer)
        return pb.FileClaimResponse(claim=await self._claim(principal, row.rma))

    # -- actions: each a workflow update -------------------------------------------------------------------

    async def _act(
        self, principal: Principal, row: ClaimRow, request: Any, response_type: type[R], update: Update, arg: BaseModel
    ) -> R:
        """Send the update once per request_id and answer with the claim as recorded. A retry gets the
        first answer (from the request log, or from Temporal's update-id dedupe if the log missed it)."""
        method = type(request).__name__.removesuffix("Request")
        digest = fingerprint(method, request)
        scope = str(principal)
        prior = await recall(self.repo.db, scope, request.request_id, digest)
        if prior is not None:
            return response_type.FromString(prior)
        if isinstance(arg, Acted):
            arg = arg.model_copy(update={"actor": actor_of(principal, row)})
        try:
            answer = await self.workflows.update(row.rma, update, arg, update_id=f"{scope}/{request.request_id}")
        except WorkflowGone:
            current = await self.repo.claim(row.rma)
            state = current.state if current else row.state
            if ClaimState(state) in TERMINAL:
                raise FailedPrecondition(
                    f"the claim is {state}: it takes no more changes",
                    reason="ILLEGAL_TRANSITION",
                    metadata={"state": state},
                ) from None
            raise
        await self._write(answer)
        response = response_type(claim=await self._claim(principal, row.rma))
        await remember(self.repo.db, scope, request.request_id, digest, response.SerializeToString())
        return response

    async def _write(self, answer: UpdateAnswer) -> None:
        """Write the changes an update hands back before answering, so that its caller, and anyone after, reads
        them: the workflow writes them too, behind the update (idempotent by (rma, seq))."""
        for record in answer.records:
            await self.repo.record(record)

    def _start(self, request: Any, *roles: Role) -> tuple[Principal, Violations]:
        principal = current_principal()
        principal.require(*roles)
        v = Violations()
        check_request_id(v, request.request_id)
        return principal, v

    async def UpdateRepairStatus(
        self, request: pb.UpdateRepairStatusRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.UpdateRepairStatusResponse:
        principal, v = self._start(request, Role.CENTRE)
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
        principal, v = self._start(request, Role.CENTRE)
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
        row = await self._visible(principal, request.rma, v)
        diagnosis, quote = mapping.diagnosis_in(d)
        arg = DiagnosisUpdate(centre_id=principal.id, diagnosis=diagnosis, quote=quote)
        return await self._act(principal, row, request, pb.RecordDiagnosisResponse, Update.DIAGNOSIS, arg)

    async def DecideQuote(
        self, request: pb.DecideQuoteRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.DecideQuoteResponse:
        principal, v = self._start(request, *_CUSTOMER_ACTIONS)
        row = await self._visible(principal, request.rma, v)
        arg = QuoteDecision(accept=request.accept)
        return await self._act(principal, row, request, pb.DecideQuoteResponse, Update.QUOTE_DECISION, arg)

    async def RecordShipmentEvent(
        self, request: pb.RecordShipmentEventRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.RecordShipmentEventResponse:
        principal, v = self._start(request, Role.CARRIER, Role.OPS, Role.SERVICE)
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
        principal, v = self._start(request, *_CUSTOMER_ACTIONS)
        by_ops = principal.role is Role.OPS
        reason = check_text(v, "reason", request.reason, min_len=3 if by_ops else 0, max_len=200)
        row = await self._visible(principal, request.rma, v)
        arg = CancelRequest(by_ops=by_ops, reason=reason)
        return await self._act(principal, row, request, pb.CancelClaimResponse, Update.CANCEL, arg)

    async def ReassignClaim(
        self, request: pb.ReassignClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ReassignClaimResponse:
        principal, v = self._start(request, Role.OPS)
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
        principal, v = self._start(request, *_CUSTOMER_ACTIONS)
        if not 0 <= request.score <= 10:
            v.add("score", "must be from 0 to 10")
        comment = check_text(v, "comment", request.comment, max_len=2000)
        row = await self._visible(principal, request.rma, v)
        arg = Feedback(score=request.score)
        response = await self._act(principal, row, request, pb.SubmitFeedbackResponse, Update.FEEDBACK, arg)
        if comment:
            await self.repo.save_feedback_comment(row.rma, comment)
        return response

    # -- review ------------------------------------------------------------------------------------------

    async def ApproveClaim(
        self, request: pb.ApproveClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ApproveClaimResponse:
        principal, v = self._start(request, Role.OPS)
        note = check_text(v, "note", request.note, max_len=200)
        row = await self._visible(principal, request.rma, v)
        arg = ReviewDecision(approve=True, note=note)
        return await self._act(principal, row, request, pb.ApproveClaimResponse, Update.REVIEW, arg)

    async def RejectClaim(
        self, request: pb.RejectClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.RejectClaimResponse:
        principal, v = self._start(request, Role.OPS)
        reason = enum_name(v, "reason", pb.RejectionReason, request.reason, "REJECTION_REASON_")
        if reason is None and request.reason == 0:
            v.add("reason", f"is required: one of {', '.join(r.value for r in RejectionReason)}")
        note = check_text(v, "note", request.note, min_len=3 if reason == RejectionReason.OTHER else 0, max_len=200)
        row = await self._visible(principal, request.rma, v)
        arg = ReviewDecision(approve=False, reason_code=reason or "", note=note)
        return await self._act(principal, row, request, pb.RejectClaimResponse, Update.REVIEW, arg)

    async def RequestInformation(
        self, request: pb.RequestInformationRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.RequestInformationResponse:
        principal, v = self._start(request, Role.OPS)
        needed = [enum_name(v, "needed", pb.InformationNeeded, n, "INFORMATION_NEEDED_") for n in request.needed]
        if not request.needed or 0 in request.needed:
            v.add("needed", f"name at least one of {', '.join(InfoNeeded)}, and no unset value")
        row = await self._visible(principal, request.rma, v)
        arg = InformationRequest(needed=[InfoNeeded(n) for n in needed if n])
        return await self._act(principal, row, request, pb.RequestInformationResponse, Update.REQUEST_INFO, arg)

    async def AnswerInformationRequest(
        self, request: pb.AnswerInformationRequestRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.AnswerInformationRequestResponse:
        principal, v = self._start(request, *_CUSTOMER_ACTIONS)
        text = check_text(v, "text", request.text, max_len=2000)
        row = await self._visible(principal, request.rma, v)
        status = mapping.status_of(row)
        photos_since = 0
        if self.attachments is not None and status.state is ClaimState.AWAITING_CUSTOMER_INFO and status.state_since:
            since = status.state_since
            photos_since = sum(1 for a in await self.attachments.repo.list(row.rma) if a.created_at >= since)
        arg = InformationAnswer(attachments=photos_since, with_text=bool(text))
        response = await self._act(
            principal, row, request, pb.AnswerInformationRequestResponse, Update.ANSWER_INFO, arg
        )
        if text:
            key = f"{principal}/{request.request_id}"
            await self.repo.save_answer(row.rma, key, text, actor_of(principal, row), self.clock())
        return response

    async def ReportRiskRules(
        self, request: pb.ReportRiskRulesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ReportRiskRulesResponse:
        current_principal().require(Role.OPS)
        v = Violations()
        since = checked(v, "start_time", request.start_time) if request.HasField("start_time") else None
        v.raise_if_any()
        filed, rows = await self.repo.flagged_since(since or self.clock() - timedelta(days=90))
        figures = rules_report([(mapping.status_of(row).risk_flags, ClaimState(row.state)) for row in rows])
        return pb.ReportRiskRulesResponse(
            claims=filed,
            rules=[pb.RiskRuleFigures(**asdict(f)) for f in figures],
        )

    # -- service centres ---------------------------------------------------------------------------------

    async def CreateServiceCentre(
        self, request: pb.CreateServiceCentreRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.CreateServiceCentreResponse:
        principal, v = self._start(request, Role.OPS)
        c = request.centre
        centre = check_centre(
            v,
            id=c.id,
            display_name=c.display_name,
            region=c.region,
            categories=c.categories,
            daily_capacity=c.daily_capacity,
        )
        v.raise_if_any()
        now = self.clock()

        async def create(session: Any) -> pb.CreateServiceCentreResponse:
            row = await self.repo.create_centre(session, centre, now)
            return pb.CreateServiceCentreResponse(
                centre=mapping.centre(centre, open_claims=0, created_at=row.created_at)
            )

        return await run_once(
            self.repo.db, str(principal), request, "CreateServiceCentre", pb.CreateServiceCentreResponse, create
        )

    async def ListServiceCentres(
        self, request: pb.ListServiceCentresRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListServiceCentresResponse:
        current_principal().require(Role.OPS, Role.SERVICE, Role.CENTRE)
        v = Violations()
        region = check_region(v, "region", request.region) if request.region else None
        v.raise_if_any()
        filters = {"region": region}
        page = await pagination.page(
            request.page_size,
            request.page_token,
            filters,
            lambda after, limit: self.repo.centres(region=region, after_id=after, limit=limit),
            lambda row: row.id,
        )
        counts = await self.repo.open_claims([r.id for r in page.items])
        return pb.ListServiceCentresResponse(
            centres=[
                mapping.centre(centre_of(r), open_claims=counts.get(r.id, 0), created_at=r.created_at)
                for r in page.items
            ],
            next_page_token=page.next_page_token,
        )
