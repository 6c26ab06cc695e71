"""One client that acts as every party, each call with the key of the party that would make it: ops define
products and centres, a retailer registers sales and files claims (as a customer channel), the carrier moves
parcels, the assigned centre reports progress, the customer answers the survey through their retailer.

The demo (`aftercare demo`), the benchmarks and the test stack all drive the system through it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import grpc
from aftercare.notifications.v1 import notifications_pb2_grpc
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.repairs.v1 import repairs_pb2_grpc
from aftercare.warranty.v1 import warranty_pb2 as wpb
from aftercare.warranty.v1 import warranty_pb2_grpc
from google.protobuf import duration_pb2
from google.type import postal_address_pb2

from services.kit.timestamps import civil

OPS, CARRIER = "ops", "carrier:local"
RETAILER, CENTRE = "retailer:demo-retailer", "centre:demo-centre"


def new_id() -> str:
    return str(uuid.uuid4())


def claim_request(
    serial: str,
    *,
    request_id: str | None = None,
    email: str = "jo@example.com",
    locale: str = "fr",
    region: str = "DE",
    line: str = "Invalidenstr. 1",
    recipient: str = "Jo",
    fault_category: rpb.FaultCategory.ValueType = rpb.FAULT_CATEGORY_ELECTRICAL,
    description: str = "It stopped heating.",
    proof_of_purchase: rpb.ProofOfPurchase | None = None,
) -> rpb.FileClaimRequest:
    """A FileClaim request with a customer's contact and return address (and, for a serial nobody registered,
    what its receipt says)."""
    return rpb.FileClaimRequest(
        request_id=request_id or new_id(),
        serial=serial,
        fault_category=fault_category,
        description=description,
        contact=rpb.CustomerContact(email=email, locale=locale),
        return_address=postal_address_pb2.PostalAddress(
            region_code=region, locality="Berlin", postal_code="10115", address_lines=[line], recipients=[recipient]
        ),
        proof_of_purchase=proof_of_purchase,
    )


class Parties:
    """The warranty, repairs (and notifications) APIs, called as each party with its key from `keys`."""

    def __init__(
        self,
        warranty: grpc.aio.Channel,
        repairs: grpc.aio.Channel,
        keys: Mapping[str, str],
        notifications: grpc.aio.Channel | None = None,
    ):
        self.warranty: warranty_pb2_grpc.WarrantyServiceAsyncStub = warranty_pb2_grpc.WarrantyServiceStub(warranty)
        self.repairs: repairs_pb2_grpc.RepairsServiceAsyncStub = repairs_pb2_grpc.RepairsServiceStub(repairs)
        self.notifications: notifications_pb2_grpc.NotificationsServiceAsyncStub | None = (
            notifications_pb2_grpc.NotificationsServiceStub(notifications) if notifications else None
        )
        self.keys = dict(keys)

    def as_(self, principal: str) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.keys[principal]}"),)

    # -- ops ---------------------------------------------------------------------------------------------

    async def create_product(
        self,
        sku: str,
        *,
        category: str,
        display_name: str = "",
        covered: Iterable[wpb.FaultCategory.ValueType] = (wpb.FAULT_CATEGORY_ELECTRICAL,),
        return_window_days: int = 0,
        paid_repair_minor: int = 0,
        timers: Mapping[str, int] | None = None,
        plan: tuple[int, int] = (0, 0),
        approval: wpb.ApprovalPolicy | None = None,
    ) -> wpb.Product:
        """A product with a 24-month, 10-day-SLA policy; `timers` in seconds (ClaimTimers' fields); `plan`: the
        extended plan offered, as (months, price in euro cents)."""
        policy = wpb.WarrantyPolicy(
            coverage_months=24,
            return_window_days=return_window_days,
            repair_sla_days=10,
            covered_fault_categories=list(covered),
        )
        if paid_repair_minor:
            policy.paid_repair_price.currency_code, policy.paid_repair_price.amount_minor = "EUR", paid_repair_minor
        if plan[0]:
            offer = policy.extended_plan_offer
            offer.months, offer.price.currency_code, offer.price.amount_minor = plan[0], "EUR", plan[1]
        if approval is not None:
            policy.approval.CopyFrom(approval)
        if timers:
            policy.claim_timers.CopyFrom(
                wpb.ClaimTimers(**{name: duration_pb2.Duration(seconds=s) for name, s in timers.items()})
            )
        product = wpb.Product(sku=sku, display_name=display_name or sku.title(), category=category, policy=policy)
        product.launch_time.FromDatetime(datetime(2024, 1, 1, tzinfo=UTC))
        request = wpb.CreateProductRequest(request_id=new_id(), product=product)
        answer: wpb.CreateProductResponse = await self.warranty.CreateProduct(request, metadata=self.as_(OPS))
        return answer.product

    async def create_centre(
        self, centre_id: str, *, region: str, category: str, capacity: int, display_name: str = ""
    ) -> None:
        centre = rpb.ServiceCentre(
            id=centre_id,
            display_name=display_name or centre_id.replace("-", " ").title(),
            region=region,
            categories=[category],
            daily_capacity=capacity,
        )
        request = rpb.CreateServiceCentreRequest(request_id=new_id(), centre=centre)
        await self.repairs.CreateServiceCentre(request, metadata=self.as_(OPS))

    async def get(self, rma: str, principal: str = OPS) -> rpb.Claim:
        answer: rpb.GetClaimResponse = await self.repairs.GetClaim(
            rpb.GetClaimRequest(rma=rma), metadata=self.as_(principal)
        )
        return answer.claim

    # -- retailers and customers -------------------------------------------------------------------------

    async def register_sale(
        self,
        serial: str,
        sku: str,
        *,
        purchased_at: datetime,
        email: str = "jo@example.com",
        locale: str = "en",
        retailer: str = RETAILER,
        sale_reference: str = "R-1",
    ) -> None:
        """One sale at a till; `purchased_at` is aware (the till's offset goes with it)."""
        request = wpb.RegisterSaleRequest(
            request_id=new_id(),
            serial=serial,
            sku=sku,
            purchase_time=civil(purchased_at),
            sale_reference=sale_reference,
            contact=wpb.Contact(email=email, locale=locale),
        )
        await self.warranty.RegisterSale(request, metadata=self.as_(retailer))

    async def file_claim(self, request: rpb.FileClaimRequest, principal: str = RETAILER) -> rpb.Claim:
        answer: rpb.FileClaimResponse = await self.repairs.FileClaim(request, metadata=self.as_(principal))
        return answer.claim

    async def answer_survey(self, rma: str, score: int, principal: str = RETAILER) -> rpb.Claim:
        request = rpb.SubmitFeedbackRequest(request_id=new_id(), rma=rma, score=score)
        answer: rpb.SubmitFeedbackResponse = await self.repairs.SubmitFeedback(request, metadata=self.as_(principal))
        return answer.claim

    # -- review (ops) ------------------------------------------------------------------------------------

    async def approve(self, rma: str, note: str = "", request_id: str | None = None) -> rpb.Claim:
        request = rpb.ApproveClaimRequest(request_id=request_id or new_id(), rma=rma, note=note)
        answer: rpb.ApproveClaimResponse = await self.repairs.ApproveClaim(request, metadata=self.as_(OPS))
        return answer.claim

    async def reject(
        self, rma: str, reason: rpb.RejectionReason.ValueType, note: str = "", request_id: str | None = None
    ) -> rpb.Claim:
        request = rpb.RejectClaimRequest(request_id=request_id or new_id(), rma=rma, reason=reason, note=note)
        answer: rpb.RejectClaimResponse = await self.repairs.RejectClaim(request, metadata=self.as_(OPS))
        return answer.claim

    async def ask(self, rma: str, *needed: rpb.InformationNeeded.ValueType, request_id: str | None = None) -> rpb.Claim:
        request = rpb.RequestInformationRequest(request_id=request_id or new_id(), rma=rma, needed=needed)
        answer: rpb.RequestInformationResponse = await self.repairs.RequestInformation(request, metadata=self.as_(OPS))
        return answer.claim

    async def answer_info(
        self, rma: str, text: str, principal: str = RETAILER, request_id: str | None = None
    ) -> rpb.Claim:
        request = rpb.AnswerInformationRequestRequest(request_id=request_id or new_id(), rma=rma, text=text)
        answer: rpb.AnswerInformationRequestResponse = await self.repairs.AnswerInformationRequest(
            request, metadata=self.as_(principal)
        )
        return answer.claim

    # -- carriers and centres ----------------------------------------------------------------------------

    async def move_parcel(
        self,
        claim: rpb.Claim,
        direction: rpb.Direction.ValueType,
        *events: rpb.ParcelEvent.ValueType,
        at: datetime | None = None,
    ) -> rpb.Claim:
        """The carrier reports each event for the claim's parcel in `direction`; the claim after the last."""
        tracking = next(s.tracking_number for s in claim.shipments if s.direction == direction)
        for event in events:
            request = rpb.RecordShipmentEventRequest(
                request_id=new_id(), rma=claim.rma, direction=direction, tracking_number=tracking, event=event
            )
            request.event_time.FromDatetime(at or datetime.now(UTC))
            answer: rpb.RecordShipmentEventResponse = await self.repairs.RecordShipmentEvent(
                request, metadata=self.as_(CARRIER)
            )
            claim = answer.claim
        return claim

    async def report(
        self, rma: str, centre: str, *statuses: rpb.RepairStatus.ValueType, request_id: str | None = None
    ) -> rpb.Claim:
        """The centre (`centre:<id>`) reports each repair status in turn; the claim after the last."""
        claim = rpb.Claim()
        for status in statuses:
            request = rpb.UpdateRepairStatusRequest(request_id=request_id or new_id(), rma=rma, status=status)
            answer: rpb.UpdateRepairStatusResponse = await self.repairs.UpdateRepairStatus(
                request, metadata=self.as_(centre)
            )
            claim = answer.claim
        return claim

    async def diagnose(self, rma: str, centre: str, diagnosis: rpb.Diagnosis) -> rpb.Claim:
        request = rpb.RecordDiagnosisRequest(request_id=new_id(), rma=rma, diagnosis=diagnosis)
        answer: rpb.RecordDiagnosisResponse = await self.repairs.RecordDiagnosis(request, metadata=self.as_(centre))
        return answer.claim

    async def repair_and_close(
        self,
        rma: str,
        *,
        centre: str = CENTRE,
        score: int = 10,
        answered_by: str = RETAILER,
        trip_home: Sequence[rpb.ParcelEvent.ValueType] = (rpb.PARCEL_EVENT_DELIVERED,),
    ) -> rpb.Claim:
        """From RECEIVED: the centre repairs a covered fault, the carrier brings it home (`trip_home`'s events),
        the customer answers the survey; the claim is CLOSED."""
        await self.report(rma, centre, rpb.REPAIR_STATUS_DIAGNOSING)
        covered = rpb.Diagnosis(
            covered_fault=rpb.Diagnosis.CoveredFault(parts=["HEATER-7"], labour_minutes=25),
            root_cause="ELECTRICAL/HEATING_ELEMENT",
        )
        await self.diagnose(rma, centre, covered)
        claim = await self.report(rma, centre, rpb.REPAIR_STATUS_QUALITY_CHECK, rpb.REPAIR_STATUS_READY_TO_SHIP)
        await self.move_parcel(claim, rpb.DIRECTION_TO_CUSTOMER, *trip_home)
        return await self.answer_survey(rma, score, answered_by)
