"""Between the repairs database's rows, the workflow's payloads and the protobuf messages."""

from __future__ import annotations

from datetime import datetime

from aftercare.common.v1 import money_pb2
from aftercare.repairs.v1 import repairs_pb2 as pb

from contracts.claims import ClaimStatus, Diagnosis, Direction, ParcelEvent, Quote
from lifecycle.deadlines import info_deadline, review_deadline, shipment_deadline
from lifecycle.transitions import CENTRE_STATUSES
from services.kit.errors import Violations
from services.kit.timestamps import ts
from services.kit.validation import enum_name
from services.repairs.domain.centres import Centre
from services.repairs.domain.receipts import GivenReceipt
from services.repairs.persistence.tables import AttachmentRow, ClaimEventRow, ClaimRow

# Proto enum values and the domain's names differ only by a prefix.
REPAIR_STATUS_EVENTS = {pb.RepairStatus.Value(f"REPAIR_STATUS_{event.value}"): event for event in CENTRE_STATUSES}


def state_name(value: int) -> str:
    return pb.ClaimState.Name(value).removeprefix("CLAIM_STATE_")  # type: ignore[arg-type]


def checked_state(v: Violations, field: str, value: int) -> str | None:
    return enum_name(v, field, pb.ClaimState, value, "CLAIM_STATE_")


def state_value(name: str) -> pb.ClaimState.ValueType:
    return pb.ClaimState.Value(f"CLAIM_STATE_{name}")


def fault_name(v: Violations, field: str, value: int) -> str:
    """The fault category's name; a violation when it is unset or a number the proto does not define."""
    name = enum_name(v, field, pb.FaultCategory, value, "FAULT_CATEGORY_")
    if name is None and value == 0:
        v.add(field, "is required")
    return name or ""


def direction(v: Violations, field: str, value: int) -> Direction:
    name = enum_name(v, field, pb.Direction, value, "DIRECTION_")
    if name is None and value == 0:
        v.add(field, "is required: TO_CENTRE or TO_CUSTOMER")
    return Direction(name) if name else Direction.TO_CENTRE  # the placeholder is never used: v has a violation


def parcel_event(v: Violations, field: str, value: int) -> ParcelEvent:
    name = enum_name(v, field, pb.ParcelEvent, value, "PARCEL_EVENT_")
    if name is None and value == 0:
        v.add(field, "is required")
    return ParcelEvent(name) if name else ParcelEvent.EXCEPTION  # the placeholder is never used: v has a violation


def diagnosis_in(d: pb.Diagnosis) -> tuple[Diagnosis, Quote | None]:
    """The proto diagnosis as the workflow's payload (validated by the caller: one outcome is set)."""
    kind = d.WhichOneof("outcome")
    common = {"notes": d.notes, "root_cause": d.root_cause}
    if kind == "covered_fault":
        f = d.covered_fault
        return Diagnosis(outcome="COVERED_FAULT", parts=list(f.parts), labour_minutes=f.labour_minutes, **common), None
    if kind == "not_covered":
        price = d.not_covered.quote
        return Diagnosis(outcome="NOT_COVERED", **common), Quote(
            currency_code=price.currency_code, amount_minor=price.amount_minor
        )
    u = d.unrepairable
    remedy = pb.Diagnosis.Remedy.Name(u.remedy).removeprefix("REMEDY_")
    return Diagnosis(outcome="UNREPAIRABLE", remedy=remedy, replacement_serial=u.replacement_serial, **common), None


def _diagnosis_out(d: Diagnosis, quote: Quote | None) -> pb.Diagnosis:
    out = pb.Diagnosis(notes=d.notes, root_cause=d.root_cause)
    if d.outcome == "COVERED_FAULT":
        out.covered_fault.CopyFrom(pb.Diagnosis.CoveredFault(parts=d.parts, labour_minutes=d.labour_minutes))
    elif d.outcome == "NOT_COVERED":
        price = money_pb2.Money(
            currency_code=quote.currency_code if quote else "", amount_minor=quote.amount_minor if quote else 0
        )
        out.not_covered.CopyFrom(pb.Diagnosis.NotCovered(quote=price))
    else:
        out.unrepairable.CopyFrom(
            pb.Diagnosis.Unrepairable(
                remedy=pb.Diagnosis.Remedy.Value(f"REMEDY_{d.remedy}"), replacement_serial=d.replacement_serial
            )
        )
    return out


def given_receipt(p: pb.ProofOfPurchase) -> GivenReceipt:
    t = p.purchase_time
    return GivenReceipt(
        sku=p.sku,
        retailer_id=p.retailer_id,
        sale_reference=p.sale_reference,
        year=t.year,
        month=t.month,
        day=t.day,
        time_zone=t.time_zone.id,
        utc_offset_seconds=t.utc_offset.seconds if t.HasField("utc_offset") else None,
    )


def status_of(row: ClaimRow) -> ClaimStatus:
    """The workflow's status as last recorded for the claim."""
    return (
        ClaimStatus.model_validate_json(row.status)
        if row.status != "{}"
        else ClaimStatus(rma=row.rma, serial=row.serial)
    )


def actor(recorded: str) -> pb.Actor | None:
    """A timeline actor ("ops", "centre:berlin-1", "customer:cus_…", "system") as the API shows it."""
    if not recorded:
        return None
    kind, _, who = recorded.partition(":")
    return pb.Actor(kind=kind, id=who)


def _review(out: pb.Claim, s: ClaimStatus) -> None:
    if s.review is not None:
        r = s.review
        out.review.CopyFrom(
            pb.Review(
                reasons=r.reasons,
                requested=[pb.InformationNeeded.Value(f"INFORMATION_NEEDED_{n.value}") for n in r.requested],
                rejection_reason=pb.RejectionReason.Value(f"REJECTION_REASON_{r.rejection_code}")
                if r.rejection_code
                else pb.REJECTION_REASON_UNSPECIFIED,
                information_requests=r.rounds,
            )
        )
    for f in s.risk_flags:
        out.risk_flags.append(pb.RiskFlag(code=f.code, version=f.version, enforced=f.enforced, sentence=f.sentence))


def _deadlines(out: pb.Claim, s: ClaimStatus) -> None:
    """The times the claim falls due by, each set only while it applies."""
    for field, due in (
        ("sla_due_time", s.sla_due_at),
        ("ship_by_time", shipment_deadline(s)),
        ("answer_by_time", info_deadline(s)),
        ("review_due_time", review_deadline(s)),
    ):
        if due is not None:
            getattr(out, field).CopyFrom(ts(due))


def claim(row: ClaimRow, timeline: list[ClaimEventRow] | None = None, *, with_contact: bool = False) -> pb.Claim:
    s = status_of(row)
    out = pb.Claim(
        rma=row.rma,
        serial=row.serial,
        sku=s.sku,
        state=state_value(s.state.value),
        decision=pb.Decision.Value(f"DECISION_{s.decision}") if s.decision else pb.DECISION_UNSPECIFIED,
        decision_reason=s.decision_reason,
        centre_id=s.centre_id,
        retailer_id=s.retailer_id,
        customer_id=s.customer_id,
        fault_category=pb.FaultCategory.Value(f"FAULT_CATEGORY_{row.fault_category}")
        if row.fault_category
        else pb.FAULT_CATEGORY_UNSPECIFIED,
        resolution=pb.Resolution.Value(f"RESOLUTION_{s.resolution.value}")
        if s.resolution
        else pb.RESOLUTION_UNSPECIFIED,
        sla_breached=s.sla_breached,
        feedback_score=-1 if s.feedback_score is None else s.feedback_score,
        create_time=ts(row.created_at),
        update_time=ts(row.updated_at),
    )
    _review(out, s)
    if s.diagnosis is not None:
        out.diagnosis.CopyFrom(_diagnosis_out(s.diagnosis, s.quote))
    if s.quote is not None:
        out.quote.price.CopyFrom(
            money_pb2.Money(currency_code=s.quote.currency_code, amount_minor=s.quote.amount_minor)
        )
        if s.quote.expires_at is not None:
            out.quote.expire_time.CopyFrom(ts(s.quote.expires_at))
    _deadlines(out, s)
    for shipment in s.shipments:
        out.shipments.append(
            pb.Shipment(
                direction=pb.Direction.Value(f"DIRECTION_{shipment.direction.value}"),
                tracking_number=shipment.tracking_number,
                events=[
                    pb.TrackingEvent(
                        event=pb.ParcelEvent.Value(f"PARCEL_EVENT_{e.event.value}"), event_time=ts(e.occurred_at)
                    )
                    for e in shipment.events
                ],
            )
        )
    for event in timeline or []:
        out.timeline.append(
            pb.ClaimEvent(
                sequence=event.seq,
                kind=event.kind,
                state=state_value(event.state),
                event_time=ts(event.occurred_at),
                detail=event.detail,
                actor=actor(event.actor),
            )
        )
    if with_contact:
        out.contact.CopyFrom(pb.CustomerContact(email=row.email, phone=row.phone, locale=row.locale))
    return out


def centre(c: Centre, *, open_claims: int, created_at: datetime) -> pb.ServiceCentre:
    return pb.ServiceCentre(
        id=c.id,
        display_name=c.display_name,
        region=c.region,
        categories=c.categories,
        daily_capacity=c.daily_capacity,
        open_claims=open_claims,
        create_time=ts(created_at),
    )


def customer_safe(claim: pb.Claim) -> pb.Claim:
    """The claim as its customer may read it (through the portal): no notes written by staff or ops (timeline
    details, the diagnosis' notes), no contact, no internal assignment."""
    safe = pb.Claim()
    safe.CopyFrom(claim)
    safe.ClearField("contact")
    safe.centre_id = ""
    if safe.HasField("diagnosis"):
        safe.diagnosis.notes = ""
    without_risk(safe)
    for event in safe.timeline:
        event.detail = ""
        if event.actor.kind not in ("customer", "system"):
            event.actor.id = ""  # who on the staff did it is not the customer's business
    return safe


INTERNAL_NOTES = frozenset({"RISK_FLAGGED", "REVIEW_OVERDUE"})


def without_risk(claim: pb.Claim) -> pb.Claim:
    """The claim as a retailer, a centre or the customer reads it: why it is in review (a risk rule, a policy)
    and what the rules found are for ops; that it is in review, and what was asked, are for everyone."""
    claim.ClearField("risk_flags")
    if claim.HasField("review"):
        del claim.review.reasons[:]
    for event in claim.timeline:
        if event.kind == "REVIEW_REQUIRED":
            event.detail = ""
    kept = [event for event in claim.timeline if event.kind not in INTERNAL_NOTES]
    if len(kept) != len(claim.timeline):
        del claim.timeline[:]
        claim.timeline.extend(kept)
    return claim


def attachment(row: AttachmentRow) -> pb.Attachment:
    return pb.Attachment(
        id=row.id,
        rma=row.rma,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        width=row.width,
        height=row.height,
        added_by=row.added_by,
        create_time=ts(row.created_at),
    )
