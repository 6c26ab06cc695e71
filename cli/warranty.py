"""`aftercare product|sale|warranty|entitlement`: the warranty service from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from aftercare.common.v1 import money_pb2
from aftercare.warranty.v1 import warranty_pb2 as pb
from aftercare.warranty.v1 import warranty_pb2_grpc
from google.type import datetime_pb2

from cli import choices
from cli.client import (
    As,
    Everything,
    Limit,
    RequestId,
    channel,
    collect,
    metadata,
    new_id,
    parse_time,
    rpc_errors,
    show,
    show_list,
)
from services.kit import timestamps

product_app = typer.Typer(help="Products and their warranty policies (create: ops).", no_args_is_help=True)
sale_app = typer.Typer(help="Register sales (retailers).", no_args_is_help=True)
warranty_app = typer.Typer(help="Read and change warranties.", no_args_is_help=True)


@contextmanager
def _warranty() -> Iterator[warranty_pb2_grpc.WarrantyServiceStub]:
    with rpc_errors(), channel("warranty") as ch:
        yield warranty_pb2_grpc.WarrantyServiceStub(ch)


def civil(moment: datetime) -> datetime_pb2.DateTime:
    try:
        return timestamps.civil(moment)
    except ValueError:
        raise typer.BadParameter("give the purchase time with its UTC offset, e.g. 2026-11-20T14:30:00+01:00") from None


def _money(text: str, hint: str) -> money_pb2.Money | None:
    if not text:
        return None
    currency, _, minor = text.partition(":")
    if not minor.isdigit():
        raise typer.BadParameter("want CURRENCY:MINOR_UNITS, e.g. EUR:4900", param_hint=hint)
    return money_pb2.Money(currency_code=currency.upper(), amount_minor=int(minor))


def _approval_mode(text: str, hint: str) -> pb.ApprovalMode.ValueType:
    mode = choices.parse_one(choices.ApprovalMode, text, hint)
    return pb.ApprovalMode.ValueType(choices.to_proto(pb.ApprovalMode, "APPROVAL_MODE_", mode))


@product_app.command("create")
def product_create(
    sku: str,
    display_name: Annotated[str, typer.Option(help="Name shown to people.")],
    category: Annotated[str, typer.Option(help="Product category, e.g. small-appliance.")],
    launch: Annotated[str, typer.Option(help="Launch time, ISO 8601 with offset.")] = "2024-01-01T00:00:00+00:00",
    coverage_months: int = 24,
    return_window_days: int = 30,
    repair_sla_days: int = 10,
    covers: Annotated[str, typer.Option(help="Comma-separated fault categories covered.")] = "ELECTRICAL,MECHANICAL",
    timer: Annotated[
        list[str] | None,
        typer.Option(
            help="A claim timer as NAME=SECONDS, repeatable: ship_reminder, shipment_deadline, quote_reminder, "
            "quote_deadline, survey_delay, survey_window, repair_sla, review_sla, info_reminder, info_deadline. "
            "Unset ones take their defaults."
        ),
    ] = None,
    paid_repair: Annotated[
        str, typer.Option(help="Price offered when a claim is not covered, as CURRENCY:MINOR_UNITS (EUR:4900).")
    ] = "",
    approval: Annotated[
        str, typer.Option(help="Who approves its claims: auto (the entitlement check), manual (a person), rules.")
    ] = "auto",
    retailer_approval: Annotated[
        list[str] | None, typer.Option(help="RETAILER=MODE, repeatable: that retailer's sales use this mode.")
    ] = None,
    review_above: Annotated[
        str, typer.Option(help="A paid quote above this waits for review, as CURRENCY:MINOR_UNITS.")
    ] = "",
    unit_value: Annotated[str, typer.Option(help="What a unit is worth (for the risk rules), CURRENCY:MINOR.")] = "",
    repeat_repair_days: Annotated[
        int, typer.Option(min=0, max=365, help="A repaired fault is covered again this long after (0: never).")
    ] = 90,
    as_: As = "ops",
    request_id: RequestId = "",
) -> None:
    """Create a product and its warranty policy (with its approval policy: docs/review.md)."""
    timers = pb.ClaimTimers()
    for item in timer or []:
        name, _, seconds = item.partition("=")
        if name not in pb.ClaimTimers.DESCRIPTOR.fields_by_name or not seconds.isdigit():
            raise typer.BadParameter(f"want NAME=SECONDS with a known timer name, got {item!r}", param_hint="--timer")
        getattr(timers, name).seconds = int(seconds)
    price = _money(paid_repair, "--paid-repair")
    policy_approval = pb.ApprovalPolicy(
        mode=_approval_mode(approval, "--approval"),
        retailer_modes={
            r: _approval_mode(m, "--retailer-approval")
            for r, _, m in (x.partition("=") for x in retailer_approval or [])
        },
        review_above=_money(review_above, "--review-above"),
        unit_value=_money(unit_value, "--unit-value"),
        repeat_repair_days=repeat_repair_days,
        repeat_repair_days_off=repeat_repair_days == 0,
    )
    product = pb.Product(
        sku=sku,
        display_name=display_name,
        category=category,
        policy=pb.WarrantyPolicy(
            coverage_months=coverage_months,
            return_window_days=return_window_days,
            repair_sla_days=repair_sla_days,
            covered_fault_categories=[
                pb.FaultCategory.ValueType(choices.to_proto(pb.FaultCategory, "FAULT_CATEGORY_", c))
                for c in choices.parse_list(choices.Fault, covers, "--covers")
            ],
            claim_timers=timers,
            paid_repair_price=price,
            approval=policy_approval,
        ),
    )
    product.launch_time.FromDatetime(parse_time(launch).astimezone(UTC))
    with _warranty() as stub:
        show(
            stub.CreateProduct(
                pb.CreateProductRequest(request_id=request_id or new_id(), product=product), metadata=metadata(as_)
            )
        )


@product_app.command("get")
def product_get(sku: str, as_: As = "ops") -> None:
    """Show a product."""
    with _warranty() as stub:
        show(stub.GetProduct(pb.GetProductRequest(sku=sku), metadata=metadata(as_)))


@product_app.command("list")
def product_list(limit: Limit = 50, everything: Everything = False, as_: As = "ops") -> None:
    """List products by SKU (JSON)."""
    with _warranty() as stub:

        def fetch(token: str, size: int) -> tuple[list[pb.Product], str]:
            page = stub.ListProducts(pb.ListProductsRequest(page_size=size, page_token=token), metadata=metadata(as_))
            return list(page.products), page.next_page_token

        show_list("products", *collect(fetch, limit, everything))


@sale_app.command("register")
def sale_register(
    serial: str,
    sku: str,
    email: Annotated[str, typer.Option(help="Customer email (or --phone).")] = "",
    phone: Annotated[str, typer.Option(help="Customer phone, E.164.")] = "",
    locale: Annotated[str, typer.Option(help="Customer locale, BCP 47.")] = "en",
    purchased: Annotated[str, typer.Option(help="Purchase time, ISO 8601 with offset. Default: now.")] = "",
    reference: Annotated[str, typer.Option(help="Your sale reference (receipt number).")] = "",
    as_: As = "retailer:demo-retailer",
    request_id: RequestId = "",
) -> None:
    """Register the sale of one unit, starting its warranty."""
    moment = parse_time(purchased) if purchased else datetime.now(UTC)
    request = pb.RegisterSaleRequest(
        request_id=request_id or new_id(),
        serial=serial,
        sku=sku,
        purchase_time=civil(moment),
        sale_reference=reference,
        contact=pb.Contact(email=email, phone=phone, locale=locale),
    )
    with _warranty() as stub:
        show(stub.RegisterSale(request, metadata=metadata(as_)))


@warranty_app.command("get")
def warranty_get(serial: str, as_: As = "ops") -> None:
    """Show the warranty of a serial."""
    with _warranty() as stub:
        show(stub.GetWarranty(pb.GetWarrantyRequest(serial=serial), metadata=metadata(as_)))


@warranty_app.command("list")
def warranty_list(
    retailer: Annotated[str, typer.Option(help="Only this retailer's sales.")] = "",
    customer: Annotated[str, typer.Option(help="Only this customer's units.")] = "",
    limit: Limit = 50,
    everything: Everything = False,
    as_: As = "ops",
) -> None:
    """List warranties, newest first (JSON)."""
    with _warranty() as stub:

        def fetch(token: str, size: int) -> tuple[list[pb.Warranty], str]:
            request = pb.ListWarrantiesRequest(
                retailer_id=retailer, customer_id=customer, page_size=size, page_token=token
            )
            page = stub.ListWarranties(request, metadata=metadata(as_))
            return list(page.warranties), page.next_page_token

        show_list("warranties", *collect(fetch, limit, everything))


@warranty_app.command("check")
def warranty_check(
    serial: str,
    at: Annotated[str, typer.Option(help="Incident time, ISO 8601 with offset. Default: now.")] = "",
    fault: Annotated[choices.Fault | None, typer.Option(case_sensitive=False, help="Fault category.")] = None,
    as_: As = "ops",
) -> None:
    """Check what a serial is entitled to."""
    request = pb.CheckEntitlementRequest(serial=serial)
    if at:
        request.incident_time.FromDatetime(parse_time(at).astimezone(UTC))
    if fault:
        request.fault_category = pb.FaultCategory.ValueType(
            choices.to_proto(pb.FaultCategory, "FAULT_CATEGORY_", fault)
        )
    with _warranty() as stub:
        show(stub.CheckEntitlement(request, metadata=metadata(as_)))


@warranty_app.command("extend")
def warranty_extend(
    serial: str,
    months: int,
    price_minor: int,
    currency: str = "EUR",
    plan_reference: Annotated[str, typer.Option(help="Your reference for the plan sale.")] = "",
    as_: As = "retailer:demo-retailer",
    request_id: RequestId = "",
) -> None:
    """Add an extended plan to a warranty."""
    request = pb.PurchaseExtendedPlanRequest(
        request_id=request_id or new_id(),
        serial=serial,
        months=months,
        plan_reference=plan_reference or f"plan-{new_id()[:8]}",
        price=money_pb2.Money(currency_code=currency, amount_minor=price_minor),
    )
    with _warranty() as stub:
        show(stub.PurchaseExtendedPlan(request, metadata=metadata(as_)))


@warranty_app.command("transfer")
def warranty_transfer(
    serial: str,
    email: str = "",
    phone: str = "",
    locale: str = "en",
    as_: As = "retailer:demo-retailer",
    request_id: RequestId = "",
) -> None:
    """Move a warranty to a new owner."""
    request = pb.TransferOwnershipRequest(
        request_id=request_id or new_id(),
        serial=serial,
        new_owner_contact=pb.Contact(email=email, phone=phone, locale=locale),
    )
    with _warranty() as stub:
        show(stub.TransferOwnership(request, metadata=metadata(as_)))


@warranty_app.command("void")
def warranty_void(serial: str, reason: str, as_: As = "ops", request_id: RequestId = "") -> None:
    """Void a warranty (ops)."""
    request = pb.VoidWarrantyRequest(request_id=request_id or new_id(), serial=serial, reason=reason)
    with _warranty() as stub:
        show(stub.VoidWarranty(request, metadata=metadata(as_)))
