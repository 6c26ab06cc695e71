"""`aftercare claim|centre|carrier`: the repairs service from the command line, as each kind of user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from aftercare.common.v1 import money_pb2
from aftercare.repairs.v1 import repairs_pb2 as pb
from aftercare.repairs.v1 import repairs_pb2_grpc
from google.type import postal_address_pb2
from rich.console import Console
from rich.table import Table

from cli import choices
from cli.client import (
    As,
    Everything,
    Limit,
    RequestId,
    channel,
    collect,
    metadata,
    more_hint,
    new_id,
    output,
    parse_time,
    rpc_errors,
    show,
    show_list,
)

claim_app = typer.Typer(
    help="Claims (RMAs): file and follow them (retailers, for their customers), cancel and reassign (ops).",
    no_args_is_help=True,
)
centre_app = typer.Typer(help="Service centres: register them (ops); report repairs (centres).", no_args_is_help=True)
carrier_app = typer.Typer(help="Carriers: report parcel tracking events.", no_args_is_help=True)


@contextmanager
def _repairs() -> Iterator[repairs_pb2_grpc.RepairsServiceStub]:
    with rpc_errors(), channel("repairs") as ch:
        yield repairs_pb2_grpc.RepairsServiceStub(ch)


def _direction(value: choices.Direction) -> pb.Direction.ValueType:
    return pb.Direction.ValueType(choices.to_proto(pb.Direction, "DIRECTION_", value))


def _claims_table(claims: list[pb.Claim], more: bool) -> None:
    table = Table(show_header=True)
    for column in ("RMA", "state", "SKU", "centre", "retailer", "SLA due", "updated"):
        table.add_column(column, no_wrap=True)
    for c in claims:
        due = c.sla_due_time.ToDatetime(UTC).strftime("%Y-%m-%d %H:%M") if c.HasField("sla_due_time") else ""
        table.add_row(
            c.rma,
            pb.ClaimState.Name(c.state).removeprefix("CLAIM_STATE_"),
            c.sku,
            c.centre_id or "(unassigned)",
            c.retailer_id,
            due + (" BREACHED" if c.sla_breached else ""),
            c.update_time.ToDatetime(UTC).strftime("%Y-%m-%d %H:%M"),
        )
    Console(width=max(Console().width, 140)).print(table)
    more_hint(more, len(claims))


# -- claims ------------------------------------------------------------------------------------------------


@claim_app.command("file")
def claim_file(
    serial: str,
    fault: Annotated[choices.Fault, typer.Option(case_sensitive=False, help="Fault category.")],
    description: Annotated[str, typer.Option(help="What the customer reports.")],
    country: Annotated[str, typer.Option(help="Return address country (ISO 3166-1 alpha-2); routes the claim.")],
    city: Annotated[str, typer.Option(help="Return address city.")],
    line: Annotated[list[str], typer.Option(help="Return address line, repeatable.")],
    postal_code: Annotated[str, typer.Option(help="Return address postal code.")] = "",
    name: Annotated[str, typer.Option(help="Recipient name on the return label.")] = "",
    email: Annotated[str, typer.Option(help="Customer email (or --phone).")] = "",
    phone: Annotated[str, typer.Option(help="Customer phone, E.164.")] = "",
    locale: Annotated[str, typer.Option(help="Customer locale, BCP 47.")] = "en",
    at: Annotated[str, typer.Option(help="When the fault happened, ISO 8601 with offset. Default: now.")] = "",
    as_: As = "retailer:demo-retailer",
    request_id: RequestId = "",
) -> None:
    """File a claim: answers with the RMA number and the entitlement decision."""
    request = pb.FileClaimRequest(
        request_id=request_id or new_id(),
        serial=serial,
        fault_category=pb.FaultCategory.ValueType(choices.to_proto(pb.FaultCategory, "FAULT_CATEGORY_", fault)),
        description=description,
        contact=pb.CustomerContact(email=email, phone=phone, locale=locale),
        return_address=postal_address_pb2.PostalAddress(
            region_code=country.upper(),
            locality=city,
            postal_code=postal_code,
            address_lines=line,
            recipients=[name] if name else [],
        ),
    )
    if at:
        request.incident_time.FromDatetime(parse_time(at).astimezone(UTC))
    with _repairs() as stub:
        show(stub.FileClaim(request, metadata=metadata(as_)))


@claim_app.command("get")
def claim_get(rma: str, as_: As = "ops") -> None:
    """Show a claim and its whole timeline."""
    with _repairs() as stub:
        show(stub.GetClaim(pb.GetClaimRequest(rma=rma), metadata=metadata(as_)))


@claim_app.command("list")
def claim_list(
    state: Annotated[choices.ClaimState | None, typer.Option(case_sensitive=False, help="Only this state.")] = None,
    centre: Annotated[str, typer.Option(help="Only this centre's claims.")] = "",
    retailer: Annotated[str, typer.Option(help="Only this retailer's claims.")] = "",
    sku: Annotated[str, typer.Option(help="Only this product's claims.")] = "",
    sla_breached: Annotated[bool, typer.Option(help="Only claims whose repair SLA was breached.")] = False,
    limit: Limit = 50,
    everything: Everything = False,
    as_: As = "ops",
) -> None:
    """List claims, newest first (a centre sees its own, a retailer its own): a table, or JSON with -o json."""
    request = pb.ListClaimsRequest(
        state=pb.ClaimState.ValueType(choices.to_proto(pb.ClaimState, "CLAIM_STATE_", state) if state else 0),
        centre_id=centre,
        retailer_id=retailer,
        sku=sku,
        sla_breached_only=sla_breached,
    )
    with _repairs() as stub:

        def fetch(token: str, size: int) -> tuple[list[pb.Claim], str]:
            request.page_token, request.page_size = token, size
            page = stub.ListClaims(request, metadata=metadata(as_))
            return list(page.claims), page.next_page_token

        claims, more = collect(fetch, limit, everything)
    if output() == "json":
        show_list("claims", claims, more)
    else:
        _claims_table(claims, more)


@claim_app.command("quote")
def claim_quote(
    rma: str,
    accept: Annotated[bool, typer.Option("--accept/--decline", help="The customer's decision.")],
    as_: As = "retailer:demo-retailer",
    request_id: RequestId = "",
) -> None:
    """Accept or decline a repair quote for the customer."""
    request = pb.DecideQuoteRequest(request_id=request_id or new_id(), rma=rma, accept=accept)
    with _repairs() as stub:
        show(stub.DecideQuote(request, metadata=metadata(as_)))


@claim_app.command("cancel")
def claim_cancel(
    rma: str,
    reason: Annotated[str, typer.Option(help="Why (required for ops; no personal data).")] = "",
    as_: As = "retailer:demo-retailer",
    request_id: RequestId = "",
) -> None:
    """Cancel a claim: the customer before the unit is received (--as a retailer), ops at any time (--as ops)."""
    request = pb.CancelClaimRequest(request_id=request_id or new_id(), rma=rma, reason=reason)
    with _repairs() as stub:
        show(stub.CancelClaim(request, metadata=metadata(as_)))


@claim_app.command("reassign")
def claim_reassign(
    rma: str,
    centre: str,
    reason: Annotated[str, typer.Option(help="Why (no personal data).")] = "",
    as_: As = "ops",
    request_id: RequestId = "",
) -> None:
    """Move a claim to another service centre (ops)."""
    request = pb.ReassignClaimRequest(request_id=request_id or new_id(), rma=rma, centre_id=centre, reason=reason)
    with _repairs() as stub:
        show(stub.ReassignClaim(request, metadata=metadata(as_)))


@claim_app.command("feedback")
def claim_feedback(
    rma: str,
    score: Annotated[int, typer.Argument(help="Net Promoter Score, 0 to 10.")],
    comment: str = "",
    as_: As = "retailer:demo-retailer",
    request_id: RequestId = "",
) -> None:
    """Record the customer's survey answer (once per claim)."""
    request = pb.SubmitFeedbackRequest(request_id=request_id or new_id(), rma=rma, score=score, comment=comment)
    with _repairs() as stub:
        show(stub.SubmitFeedback(request, metadata=metadata(as_)))


@claim_app.command("label")
def claim_label(
    rma: str,
    direction: Annotated[choices.Direction, typer.Option(case_sensitive=False)] = choices.TO_CENTRE,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Where to write the PDF. Default: <RMA>-<dir>.pdf")
    ] = None,
    as_: As = "ops",
) -> None:
    """Save a claim's shipping label as a PDF."""
    request = pb.GetShippingLabelRequest(rma=rma, direction=_direction(direction))
    with _repairs() as stub:
        label = stub.GetShippingLabel(request, metadata=metadata(as_))
    path = out or Path(f"{rma}-{direction.value}.pdf")
    path.write_bytes(label.pdf)
    typer.echo(f"{path}  ({label.carrier}, tracking {label.tracking_number}, {len(label.pdf)} bytes)")


# -- service centres ---------------------------------------------------------------------------------------


@centre_app.command("create")
def centre_create(
    centre_id: Annotated[str, typer.Argument(help="The id in its principal, centre:<id>.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    region: Annotated[str, typer.Option(help="Country it serves (ISO 3166-1 alpha-2), e.g. DE.")],
    category: Annotated[list[str], typer.Option(help="Product category it repairs, repeatable.")],
    capacity: Annotated[int, typer.Option(help="Claims it can take per day.")] = 20,
    as_: As = "ops",
    request_id: RequestId = "",
) -> None:
    """Register a service centre (ops)."""
    centre = pb.ServiceCentre(
        id=centre_id, display_name=name, region=region, categories=category, daily_capacity=capacity
    )
    with _repairs() as stub:
        show(
            stub.CreateServiceCentre(
                pb.CreateServiceCentreRequest(request_id=request_id or new_id(), centre=centre), metadata=metadata(as_)
            )
        )


@centre_app.command("list")
def centre_list(
    region: Annotated[str, typer.Option(help="Only centres serving this country.")] = "",
    limit: Limit = 50,
    everything: Everything = False,
    as_: As = "ops",
) -> None:
    """List service centres with their open claims (JSON)."""
    with _repairs() as stub:

        def fetch(token: str, size: int) -> tuple[list[pb.ServiceCentre], str]:
            request = pb.ListServiceCentresRequest(region=region, page_size=size, page_token=token)
            page = stub.ListServiceCentres(request, metadata=metadata(as_))
            return list(page.centres), page.next_page_token

        show_list("centres", *collect(fetch, limit, everything))


@centre_app.command("status")
def centre_status(
    rma: str,
    status: Annotated[choices.RepairStatus, typer.Argument(case_sensitive=False, help="Where the repair is.")],
    as_: As = "centre:demo-centre",
    request_id: RequestId = "",
) -> None:
    """Report a repair's progress (the assigned centre)."""
    value = pb.RepairStatus.ValueType(choices.to_proto(pb.RepairStatus, "REPAIR_STATUS_", status))
    request = pb.UpdateRepairStatusRequest(request_id=request_id or new_id(), rma=rma, status=value)
    with _repairs() as stub:
        show(stub.UpdateRepairStatus(request, metadata=metadata(as_)))


@centre_app.command("diagnose")
def centre_diagnose(
    rma: str,
    cause: Annotated[
        choices.RootCause,
        typer.Option(case_sensitive=False, help="What actually failed: FAULT_CATEGORY/CAUSE, or NO_FAULT_FOUND."),
    ],
    part: Annotated[list[str] | None, typer.Option(help="Covered fault: a part number used, repeatable.")] = None,
    labour: Annotated[int, typer.Option(help="Covered fault: labour minutes.")] = 0,
    quote: Annotated[str, typer.Option(help="Not covered: the price as CURRENCY:MINOR_UNITS, e.g. EUR:4900.")] = "",
    replace: Annotated[str, typer.Option(help="Unrepairable: the replacement unit's serial.")] = "",
    refund: Annotated[bool, typer.Option(help="Unrepairable: refund the customer.")] = False,
    notes: Annotated[str, typer.Option(help="A short technical note.")] = "",
    as_: As = "centre:demo-centre",
    request_id: RequestId = "",
) -> None:
    """Record a diagnosis: a covered fault (--part/--labour), damage not covered (--quote), or unrepairable
    (--replace SERIAL or --refund)."""
    chosen = [bool(part or labour), bool(quote), bool(replace), refund]
    if sum(chosen) != 1:
        raise typer.BadParameter("give exactly one outcome: --part/--labour, --quote, --replace or --refund")
    diagnosis = pb.Diagnosis(notes=notes, root_cause=cause.value)
    if quote:
        currency, _, minor = quote.partition(":")
        if not minor.isdigit():
            raise typer.BadParameter("want CURRENCY:MINOR_UNITS, e.g. EUR:4900", param_hint="--quote")
        price = money_pb2.Money(currency_code=currency.upper(), amount_minor=int(minor))
        diagnosis.not_covered.CopyFrom(pb.Diagnosis.NotCovered(quote=price))
    elif replace:
        diagnosis.unrepairable.CopyFrom(
            pb.Diagnosis.Unrepairable(remedy=pb.Diagnosis.REMEDY_REPLACEMENT, replacement_serial=replace)
        )
    elif refund:
        diagnosis.unrepairable.CopyFrom(pb.Diagnosis.Unrepairable(remedy=pb.Diagnosis.REMEDY_REFUND))
    else:
        diagnosis.covered_fault.CopyFrom(pb.Diagnosis.CoveredFault(parts=part or [], labour_minutes=labour))
    request = pb.RecordDiagnosisRequest(request_id=request_id or new_id(), rma=rma, diagnosis=diagnosis)
    with _repairs() as stub:
        show(stub.RecordDiagnosis(request, metadata=metadata(as_)))


# -- carriers ----------------------------------------------------------------------------------------------


@carrier_app.command("event")
def carrier_event(
    rma: str,
    event: Annotated[choices.ParcelEvent, typer.Argument(case_sensitive=False, help="What the carrier reports.")],
    direction: Annotated[choices.Direction, typer.Option(case_sensitive=False)] = choices.TO_CENTRE,
    tracking: Annotated[
        str, typer.Option(help="Tracking number. Default: the one on the claim's label that way.")
    ] = "",
    at: Annotated[str, typer.Option(help="The carrier's event time, ISO 8601 with offset. Default: now.")] = "",
    as_: As = "carrier:local",
    request_id: RequestId = "",
) -> None:
    """Report a parcel's tracking event. Duplicates and out-of-order events are harmless."""
    way = _direction(direction)
    with _repairs() as stub:
        if not tracking:
            label = stub.GetShippingLabel(pb.GetShippingLabelRequest(rma=rma, direction=way), metadata=metadata(as_))
            tracking = label.tracking_number
        request = pb.RecordShipmentEventRequest(
            request_id=request_id or new_id(),
            rma=rma,
            direction=way,
            tracking_number=tracking,
            event=pb.ParcelEvent.ValueType(choices.to_proto(pb.ParcelEvent, "PARCEL_EVENT_", event)),
        )
        request.event_time.FromDatetime(parse_time(at).astimezone(UTC) if at else datetime.now(UTC))
        show(stub.RecordShipmentEvent(request, metadata=metadata(as_)))
