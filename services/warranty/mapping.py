"""Between protobuf messages and the domain. No rules here: only shapes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta

from aftercare.common.v1 import money_pb2
from aftercare.warranty.v1 import warranty_pb2 as pb
from google.protobuf import duration_pb2
from google.type import datetime_pb2

from services.kit.errors import Violations
from services.kit.timestamps import ts
from services.kit.validation import enum_name
from services.warranty.domain.entitlement import CoverageKind, Entitlement, windows
from services.warranty.domain.products import (
    DEFAULT_REPEAT_REPAIR_DAYS,
    TIMER_NAMES,
    Approval,
    Policy,
    Product,
    check_approval,
)
from services.warranty.domain.sales import CivilTime
from services.warranty.persistence.repository import VOIDED, WarrantyView

_PREFIX = "FAULT_CATEGORY_"


def civil_time(value: datetime_pb2.DateTime) -> CivilTime | None:
    if value.ByteSize() == 0:
        return None
    offset = None
    if value.HasField("utc_offset"):  # far outside ±14 h stays outside it, however large the number sent
        offset = timedelta(seconds=max(-(10**6), min(10**6, value.utc_offset.seconds)))
    return CivilTime(
        value.year,
        value.month,
        value.day,
        value.hours,
        value.minutes,
        value.seconds,
        value.nanos,
        offset,
        value.time_zone.id,
    )


def fault_names(v: Violations, field: str, categories: Iterable[int]) -> list[str]:
    names = [enum_name(v, field, pb.FaultCategory, c, _PREFIX) for c in categories]
    return [name for name in names if name]


def fault_name(v: Violations, field: str, category: int) -> str | None:
    """A fault category's domain name; None when unset, and with a violation when it is not one."""
    return enum_name(v, field, pb.FaultCategory, category, _PREFIX)


def product(p: Product) -> pb.Product:
    message = pb.Product(
        sku=p.sku,
        display_name=p.display_name,
        category=p.category,
        launch_time=ts(p.launch_at),
        policy=pb.WarrantyPolicy(
            version=p.policy.version,
            coverage_months=p.policy.coverage_months,
            return_window_days=p.policy.return_window_days,
            repair_sla_days=p.policy.repair_sla_days,
            covered_fault_categories=[pb.FaultCategory.Value(_PREFIX + c) for c in sorted(p.policy.covered_categories)],
            claim_timers=claim_timers(p.policy),
        ),
    )
    if p.policy.paid_repair_minor:
        message.policy.paid_repair_price.CopyFrom(
            money_pb2.Money(currency_code=p.policy.paid_repair_currency, amount_minor=p.policy.paid_repair_minor)
        )
    if p.policy.plan_months:
        message.policy.extended_plan_offer.CopyFrom(
            pb.ExtendedPlanOffer(
                months=p.policy.plan_months,
                price=money_pb2.Money(currency_code=p.policy.plan_currency, amount_minor=p.policy.plan_minor),
            )
        )
    message.policy.approval.CopyFrom(approval(p.policy.approval))
    if p.created_at is not None:
        message.create_time.CopyFrom(ts(p.created_at))
    return message


def approval(a: Approval) -> pb.ApprovalPolicy:
    out = pb.ApprovalPolicy(
        mode=pb.ApprovalMode.Value(f"APPROVAL_MODE_{a.mode}"),
        retailer_modes={r: pb.ApprovalMode.Value(f"APPROVAL_MODE_{m}") for r, m in a.retailer_modes},
        repeat_repair_days=a.repeat_repair_days,
        repeat_repair_days_off=a.repeat_repair_days == 0,
    )
    if a.review_above[1]:
        out.review_above.CopyFrom(money_pb2.Money(currency_code=a.review_above[0], amount_minor=a.review_above[1]))
    if a.unit_value[1]:
        out.unit_value.CopyFrom(money_pb2.Money(currency_code=a.unit_value[0], amount_minor=a.unit_value[1]))
    return out


def given_approval(v: Violations, field: str, message: pb.ApprovalPolicy) -> Approval:
    """The approval policy a request sets, validated."""

    def mode(value: int, where: str) -> str:
        name = enum_name(v, where, pb.ApprovalMode, value, "APPROVAL_MODE_")
        return name or "AUTO"

    days = 0 if message.repeat_repair_days_off else message.repeat_repair_days or DEFAULT_REPEAT_REPAIR_DAYS
    return check_approval(
        v,
        field,
        mode=mode(message.mode, f"{field}.mode"),
        retailer_modes={r: mode(m, f"{field}.retailer_modes") for r, m in message.retailer_modes.items()},
        review_above=(message.review_above.currency_code, message.review_above.amount_minor),
        unit_value=(message.unit_value.currency_code, message.unit_value.amount_minor),
        repeat_repair_days=days,
    )


def claim_timers(policy: Policy) -> pb.ClaimTimers:
    """The effective timers, defaults and the repair SLA included."""
    effective = replace(policy.claim_timers, repair_sla=policy.repair_sla_seconds)
    return pb.ClaimTimers(**{name: duration_pb2.Duration(seconds=getattr(effective, name)) for name in TIMER_NAMES})


def given_timers(message: pb.ClaimTimers) -> dict[str, int]:
    """The timers a request sets (name -> seconds); fractions of a second round up."""
    return {field.name: value.seconds + (1 if value.nanos else 0) for field, value in message.ListFields()}


def warranty(view: WarrantyView, *, with_contact: bool = False) -> pb.Warranty:
    """A warranty as the API shows it; the owner's contact only `with_contact` (the service principal)."""
    row, w = view.row, windows(view.terms())
    contact = pb.Contact(email=row.email, phone=row.phone, locale=row.locale) if with_contact else None
    return pb.Warranty(
        serial=row.serial,
        sku=row.sku,
        retailer_id=row.retailer_id,
        sale_reference=row.sale_reference,
        purchase_time=ts(row.purchased_at),
        purchase_time_zone=row.purchase_time_zone,
        customer_id=row.customer_id,
        state=pb.Warranty.STATE_VOIDED if row.state == VOIDED else pb.Warranty.STATE_ACTIVE,
        policy_version=row.policy_version,
        return_window_end_time=ts(w.return_window_end),
        standard_coverage_end_time=ts(w.standard_end),
        coverage_end_time=ts(w.coverage_end),
        extended_plans=[
            pb.ExtendedPlan(
                plan_reference=p.plan_reference,
                months=p.months,
                purchase_time=ts(p.purchased_at),
                price=money_pb2.Money(currency_code=p.currency_code, amount_minor=p.price_minor),
            )
            for p in view.plans
        ],
        transfer_count=row.transfer_count,
        void_reason=row.void_reason,
        create_time=ts(row.created_at),
        update_time=ts(row.updated_at),
        owner_contact=contact,
    )


_KINDS = {
    CoverageKind.RETURN_WINDOW: pb.COVERAGE_KIND_RETURN_WINDOW,
    CoverageKind.STANDARD: pb.COVERAGE_KIND_STANDARD,
    CoverageKind.EXTENDED: pb.COVERAGE_KIND_EXTENDED,
    CoverageKind.NONE: pb.COVERAGE_KIND_NONE,
}


def entitlement(e: Entitlement) -> pb.CheckEntitlementResponse:
    return pb.CheckEntitlementResponse(
        covered=e.covered, coverage_kind=_KINDS[e.kind], reason=e.reason.value, coverage_end_time=ts(e.coverage_end)
    )
