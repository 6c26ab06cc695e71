"""`aftercare ops review` and `aftercare ops rules`: the review queue (oldest first, with the review SLA and the
risk flags), approve, reject with a reason, ask the customer for what is missing, and how each risk rule did."""

from __future__ import annotations

import json as jsonlib
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from aftercare.repairs.v1 import repairs_pb2 as pb
from rich.console import Console
from rich.table import Table

from cli import choices
from cli.client import As, RequestId, metadata, new_id, output, parse_time, show
from cli.repairs import _repairs

review_app = typer.Typer(
    help="The review queue: claims a person must decide (the approval policy or a risk rule asked). Without a "
    "command, list the queue oldest first.",
    invoke_without_command=True,
)
rules_app = typer.Typer(help="The risk rules: how often each fired and how its claims ended.", no_args_is_help=True)
console = Console(width=160, highlight=False)
QUEUE_LIMIT = 5000  # more waiting than this is a problem of its own: the command says so


def _name(enum: Any, value: int, prefix: str) -> str:
    return str(enum.Name(value)).removeprefix(prefix)


def _stamp(message: Any, field: str) -> str:
    return getattr(message, field).ToDatetime(UTC).isoformat() if message.HasField(field) else ""


def _queue() -> tuple[list[dict[str, Any]], bool]:
    """Every claim waiting for review or for the customer's answer, oldest first."""
    rows: list[dict[str, Any]] = []
    more = False
    now = datetime.now(UTC)
    with _repairs() as stub:
        for state in (pb.CLAIM_STATE_AWAITING_REVIEW, pb.CLAIM_STATE_AWAITING_CUSTOMER_INFO):
            token = ""
            while True:
                page = stub.ListClaims(
                    pb.ListClaimsRequest(state=state, page_size=1000, page_token=token), metadata=metadata("ops")
                )
                for c in page.claims:
                    due = c.review_due_time.ToDatetime(UTC) if c.HasField("review_due_time") else None
                    rows.append(
                        {
                            "rma": c.rma,
                            "state": _name(pb.ClaimState, c.state, "CLAIM_STATE_"),
                            "sku": c.sku,
                            "retailer_id": c.retailer_id,
                            "filed_at": _stamp(c, "create_time"),
                            "review_due_at": _stamp(c, "review_due_time"),
                            "overdue": due is not None and now > due,
                            "answer_by": _stamp(c, "answer_by_time"),
                            "reasons": list(c.review.reasons),
                            "flags": [f"{f.code}{'' if f.enforced else ' (shadow)'}" for f in c.risk_flags],
                        }
                    )
                token = page.next_page_token
                if not token or len(rows) >= QUEUE_LIMIT:
                    more = more or bool(token)
                    break
    rows.sort(key=lambda r: r["filed_at"])
    return rows, more


@review_app.callback()
def review_queue(ctx: typer.Context) -> None:
    """List the claims waiting for a decision, oldest first: why each is in review, its risk flags, when its
    review falls due (or when the customer's answer is due)."""
    if ctx.invoked_subcommand is not None:
        return
    rows, more = _queue()
    if output() == "json":
        typer.echo(jsonlib.dumps({"claims": rows, "truncated": more}, indent=2))
        return
    table = Table(title=f"review queue: {len(rows)}{'+' if more else ''}", title_justify="left")
    for column in ("RMA", "state", "SKU", "retailer", "filed", "due", "why", "flags"):
        table.add_column(column)
    for r in rows:
        due = r["review_due_at"] or r["answer_by"]
        table.add_row(
            r["rma"],
            "waiting for customer" if r["state"] == "AWAITING_CUSTOMER_INFO" else "in review",
            r["sku"],
            r["retailer_id"],
            r["filed_at"][:16].replace("T", " "),
            due[:16].replace("T", " ") + (" OVERDUE" if r["overdue"] else ""),
            ", ".join(r["reasons"]),
            ", ".join(r["flags"]),
        )
    console.print(table)
    if more:
        typer.echo(f"more than {QUEUE_LIMIT} claims wait: the oldest shown may not be the oldest of all")


@review_app.command("approve")
def review_approve(
    rma: str,
    note: Annotated[str, typer.Option(help="Why (optional; no personal data).")] = "",
    request_id: RequestId = "",
    as_: As = "ops",
) -> None:
    """Approve a claim in review: it goes on as the entitlement check decided (a label, or a paid quote)."""
    request = pb.ApproveClaimRequest(request_id=request_id or new_id(), rma=rma, note=note)
    with _repairs() as stub:
        show(stub.ApproveClaim(request, metadata=metadata(as_)))


@review_app.command("reject")
def review_reject(
    rma: str,
    reason: Annotated[
        choices.RejectionReason, typer.Option(case_sensitive=False, help="Why, as the customer is told it.")
    ],
    note: Annotated[str, typer.Option(help="More, for ops and the retailer (required with 'other').")] = "",
    request_id: RequestId = "",
    as_: As = "ops",
) -> None:
    """Reject a claim in review (or waiting for the customer), with a reason the customer reads in their
    language."""
    code = pb.RejectionReason.ValueType(choices.to_proto(pb.RejectionReason, "REJECTION_REASON_", reason))
    request = pb.RejectClaimRequest(request_id=request_id or new_id(), rma=rma, reason=code, note=note)
    with _repairs() as stub:
        show(stub.RejectClaim(request, metadata=metadata(as_)))


@review_app.command("ask")
def review_ask(
    rma: str,
    need: Annotated[
        list[choices.InfoNeeded], typer.Option(case_sensitive=False, help="What the customer should send (repeat).")
    ],
    request_id: RequestId = "",
    as_: As = "ops",
) -> None:
    """Ask the customer for what is missing. They get a message with a link to the portal page that takes the
    answer; the claim expires if none comes by the policy's deadline."""
    needed = [
        pb.InformationNeeded.ValueType(choices.to_proto(pb.InformationNeeded, "INFORMATION_NEEDED_", n)) for n in need
    ]
    request = pb.RequestInformationRequest(request_id=request_id or new_id(), rma=rma, needed=needed)
    with _repairs() as stub:
        show(stub.RequestInformation(request, metadata=metadata(as_)))


@rules_app.command("report")
def rules_report(
    since: Annotated[str, typer.Option(help="Claims filed since this ISO time (default: the last 90 days).")] = "",
) -> None:
    """Per rule and version, enforced or in shadow: how many claims it flagged and how they ended. Measure a
    rule in shadow mode here before enforcing it."""
    request = pb.ReportRiskRulesRequest()
    if since:
        request.start_time.FromDatetime(parse_time(since))
    with _repairs() as stub:
        answer = stub.ReportRiskRules(request, metadata=metadata("ops"))
    rows = [
        {
            "code": r.code,
            "version": r.version,
            "mode": "enforced" if r.enforced else "shadow",
            "fired": r.fired,
            "share": round(r.fired / answer.claims, 4) if answer.claims else 0.0,
            "approved": r.approved,
            "rejected": r.rejected,
            "pending": r.pending,
            "other": r.other,
        }
        for r in answer.rules
    ]
    if output() == "json":
        typer.echo(jsonlib.dumps({"claims": answer.claims, "rules": rows}, indent=2))
        return
    table = Table(title=f"risk rules over {answer.claims} claims", title_justify="left")
    for column in ("rule", "version", "mode", "fired", "of claims", "approved", "rejected", "pending", "other"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r["code"]),
            str(r["version"]),
            str(r["mode"]),
            str(r["fired"]),
            f"{r['share']:.1%}",
            str(r["approved"]),
            str(r["rejected"]),
            str(r["pending"]),
            str(r["other"]),
        )
    console.print(table)
    if not rows:
        typer.echo("no rule fired on a claim in this period")
