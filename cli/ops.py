"""`aftercare ops`: what an operations team asks of claims. Finding claims uses Temporal's visibility (the same
search attributes and filter language as the Temporal UI, whose link is printed); timelines, stuck claims and
the report read the repairs service (as `ops`); cancel and reassign go through the repairs API."""

from __future__ import annotations

import asyncio
import json as jsonlib
from datetime import UTC
from typing import Annotated, Any
from urllib.parse import quote

import typer
from aftercare.portal.v1 import portal_pb2, portal_pb2_grpc
from aftercare.repairs.v1 import repairs_pb2 as pb
from google.protobuf import json_format
from rich.console import Console
from rich.table import Table
from temporalio.client import WorkflowExecution

from cli import choices
from cli.client import As, RequestId, channel, metadata, output, print_json, rpc_errors
from cli.ops_report import ops_report, ops_stuck
from cli.repairs import _repairs, claim_cancel, claim_reassign
from cli.review import review_app, rules_app
from contracts.claims import ClaimState, rma_of
from services.kit.settings import Settings
from services.repairs.domain.report import waiting_on
from workflows import search_attributes as sa

ops_app = typer.Typer(
    help="Operations: find claims (the Temporal UI's filters), timelines, stuck claims, SLA breaches, cancel, "
    "reassign, the review queue, the risk rules report, and a report by state and centre. Put -o json before "
    "the command for machine-readable output (aftercare -o json ops find).",
    no_args_is_help=True,
)
console = Console(width=160, highlight=False)


def ui_link(settings: Settings, query: str) -> str:
    return f"{settings.temporal_ui_url}/namespaces/{settings.temporal_namespace}/workflows?query={quote(query)}"


# -- find (Temporal visibility) ------------------------------------------------------------------------------


def _row(execution: WorkflowExecution) -> dict[str, Any]:
    attrs = execution.typed_search_attributes
    due = attrs.get(sa.SLA_DUE_AT)
    return {
        "rma": rma_of(execution.id),
        "workflow_id": execution.id,
        "state": attrs.get(sa.CLAIM_STATE) or "",
        "centre_id": attrs.get(sa.SERVICE_CENTRE_ID) or "",
        "sku": attrs.get(sa.PRODUCT_SKU) or "",
        "retailer_id": attrs.get(sa.RETAILER_ID) or "",
        "sla_due_at": due.isoformat() if due else None,
        "sla_breached": bool(attrs.get(sa.SLA_BREACHED)),
        "resolution": attrs.get(sa.RESOLUTION) or "",
        "started_at": execution.start_time.isoformat(),
        "running": execution.status is not None and execution.status.name == "RUNNING",
    }


async def _visible(query: str, limit: int) -> list[dict[str, Any]]:
    from services.kit.temporal import connect

    try:
        client = await connect(Settings(service="cli"))
    except RuntimeError:
        raise typer.BadParameter("Temporal does not answer: is the system running (`make run`)?") from None
    rows = []
    async for execution in client.list_workflows(query, limit=limit, page_size=min(limit, 1000)):
        rows.append(_row(execution))
    return rows


def _find(query: str, limit: int, title: str) -> None:
    settings = Settings(service="cli")
    rows = asyncio.run(_visible(query, limit))
    if output() == "json":
        print_json({"query": query, "ui": ui_link(settings, query), "claims": rows})
        return
    table = Table(title=f"{title}: {len(rows)}{'+' if len(rows) == limit else ''}", title_justify="left")
    for column in ("RMA", "state", "centre", "SKU", "retailer", "SLA due", "started"):
        table.add_column(column, no_wrap=True)
    for r in rows:
        due = (r["sla_due_at"] or "")[:16].replace("T", " ")
        table.add_row(
            r["rma"],
            r["state"] + ("" if r["running"] else " (closed)"),
            r["centre_id"] or "(unassigned)",
            r["sku"],
            r["retailer_id"],
            due + (" BREACHED" if r["sla_breached"] else ""),
            r["started_at"][:16].replace("T", " "),
        )
    console.print(table)
    typer.echo(f"query: {query}\nin the Temporal UI: {ui_link(settings, query)}")  # unwrapped: links stay whole


@ops_app.command("find")
def ops_find(
    state: Annotated[choices.ClaimState | None, typer.Option(case_sensitive=False, help="ClaimState.")] = None,
    centre: Annotated[str, typer.Option(help="ServiceCentreId.")] = "",
    retailer: Annotated[str, typer.Option(help="RetailerId.")] = "",
    sku: Annotated[str, typer.Option(help="ProductSku.")] = "",
    sla_breached: Annotated[bool, typer.Option("--sla-breached", help="Only SlaBreached=true.")] = False,
    include_closed: Annotated[bool, typer.Option("--all", help="Closed claims too (default: open ones).")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="At most this many.")] = 100,
) -> None:
    """Find claims by search attribute, as the Temporal UI does, and print the UI link for the same filter."""
    try:
        query = sa.claims_query(
            state=state.value if state else "",
            centre_id=centre,
            retailer_id=retailer,
            sku=sku,
            sla_breached=True if sla_breached else None,
            open_only=not include_closed,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    _find(query, limit, "claims")


@ops_app.command("breaches")
def ops_breaches(
    include_closed: Annotated[bool, typer.Option("--all", help="Closed claims too (default: open ones).")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
) -> None:
    """Claims whose repair SLA was breached (SlaBreached=true)."""
    _find(sa.claims_query(sla_breached=True, open_only=not include_closed), limit, "SLA breaches")


# -- one claim ------------------------------------------------------------------------------------------------


@ops_app.command("timeline")
def ops_timeline(rma: str, as_: As = "ops") -> None:
    """A claim's whole timeline: every recorded change, oldest first."""
    with _repairs() as stub:
        claim = stub.GetClaim(pb.GetClaimRequest(rma=rma), metadata=metadata(as_)).claim
    if output() == "json":
        typer.echo(json_format.MessageToJson(claim, preserving_proto_field_name=True, indent=2))
        return
    state = pb.ClaimState.Name(claim.state).removeprefix("CLAIM_STATE_")
    party = waiting_on(ClaimState(state), claim.centre_id)
    console.print(
        f"[bold]{claim.rma}[/bold] · serial {claim.serial} · {claim.sku} · {state} · centre "
        f"{claim.centre_id or '(unassigned)'} · waiting on {party.value}"
        + (" · [red]SLA BREACHED[/red]" if claim.sla_breached else "")
    )
    table = Table(show_header=True)
    for column in ("#", "when (UTC)", "what", "state after", "by", "detail"):
        table.add_column(column)
    for event in claim.timeline:
        table.add_row(
            str(event.sequence),
            event.event_time.ToDatetime(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            event.kind,
            pb.ClaimState.Name(event.state).removeprefix("CLAIM_STATE_"),
            ":".join(filter(None, (event.actor.kind, event.actor.id))),
            event.detail,
        )
    console.print(table)
    if claim.feedback_score >= 0:
        comment = f": {claim.feedback_comment}" if claim.feedback_comment else ""
        console.print(f"survey {claim.feedback_score}/10{comment}", soft_wrap=True)


def portal_link(rma: str = "", serial: str = "", page: str = "", locale: str = "", as_: str = "ops") -> str:
    """A fresh capability link to a claim's (or a warranty's) portal page, as the portal makes for messages."""
    request = portal_pb2.CreateLinkRequest(
        page=portal_pb2.Page.Value(f"PAGE_{page.upper()}") if page else portal_pb2.PAGE_UNSPECIFIED, locale=locale
    )
    if rma:
        request.rma = rma
    else:
        request.serial = serial
    with rpc_errors(), channel("portal") as ch:
        answer = portal_pb2_grpc.PortalServiceStub(ch).CreateLink(request, metadata=metadata(as_))
    return answer.url


@ops_app.command("link")
def ops_link(
    rma: Annotated[str, typer.Argument(help="The claim's RMA number (or use --serial for a warranty).")] = "",
    serial: Annotated[str, typer.Option(help="A warranty's serial instead of a claim.")] = "",
    page: Annotated[choices.Page | None, typer.Option(case_sensitive=False, help="The page it opens.")] = None,
    locale: Annotated[str, typer.Option(help="The language it opens in, e.g. fr (the customer may switch).")] = "",
    as_: As = "ops",
) -> None:
    """Print a customer's portal link (a fresh token, e.g. to read out or send by hand). Treat it like a
    password: whoever has it can act on the claim."""
    if bool(rma) == bool(serial):
        raise typer.BadParameter("give an RMA number or --serial, not both")
    url = portal_link(rma=rma, serial=serial, page=page.value if page else "", locale=locale, as_=as_)
    if output() == "json":
        typer.echo(jsonlib.dumps({"url": url}))
    else:
        typer.echo(url)


@ops_app.command("cancel")
def ops_cancel(
    rma: str,
    reason: Annotated[str, typer.Option(help="Why (required; no personal data).")],
    request_id: RequestId = "",
) -> None:
    """Cancel a claim as ops (at any state before it closes)."""
    claim_cancel(rma, reason=reason, as_="ops", request_id=request_id)


@ops_app.command("reassign")
def ops_reassign(
    rma: str,
    centre: Annotated[str, typer.Argument(help="The new service centre's id.")],
    reason: Annotated[str, typer.Option(help="Why (no personal data).")] = "",
    request_id: RequestId = "",
) -> None:
    """Move a claim to another service centre (also how a claim waiting for a centre gets one)."""
    claim_reassign(rma, centre, reason=reason, as_="ops", request_id=request_id)


# -- many claims (the repairs read model): cli/ops_report.py -------------------------------------------------

ops_app.command("stuck")(ops_stuck)
ops_app.command("report")(ops_report)


# -- the schedule ---------------------------------------------------------------------------------------------


async def _reminders(run_now: bool) -> dict[str, Any]:
    from temporalio.service import RPCError

    from services.kit.temporal import connect
    from workflows.reminders import SCHEDULE_ID

    try:
        client = await connect(Settings(service="cli"))
    except RuntimeError:
        raise typer.BadParameter("Temporal does not answer: is the system running (`make run`)?") from None
    handle = client.get_schedule_handle(SCHEDULE_ID)
    try:
        if run_now:
            await handle.trigger()
        info = (await handle.describe()).info
    except RPCError as error:
        raise typer.BadParameter(f"no schedule {SCHEDULE_ID}: the claims worker makes it at start ({error})") from None
    return {
        "schedule_id": SCHEDULE_ID,
        "triggered": run_now,
        "next_runs": [t.isoformat() for t in info.next_action_times[:3]],
        "recent_runs": [
            {"at": a.started_at.isoformat(), "workflow_id": getattr(a.action, "workflow_id", "")}
            for a in info.recent_actions[-5:]
        ],
    }


@ops_app.command("reminders")
def ops_reminders(
    run_now: Annotated[bool, typer.Option("--run-now", help="Run the job now (the UI's Trigger).")] = False,
) -> None:
    """The daily warranty-expiry reminder (a Temporal Schedule): its next and recent runs; --run-now starts one.
    A warranty gets one offer per coverage end, however often the job runs."""
    answer = asyncio.run(_reminders(run_now))
    if output() == "json":
        print_json(answer)
        return
    settings = Settings(service="cli")
    typer.echo(f"schedule {answer['schedule_id']}" + (": triggered a run now" if run_now else ""))
    typer.echo("next runs: " + ", ".join(answer["next_runs"]))
    for run in answer["recent_runs"]:
        typer.echo(f"ran at {run['at']}: {run['workflow_id']}")
    typer.echo(f"in the Temporal UI: {settings.temporal_ui_url}/namespaces/{settings.temporal_namespace}/schedules")


ops_app.add_typer(review_app, name="review")
ops_app.add_typer(rules_app, name="rules")
