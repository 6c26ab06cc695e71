"""`aftercare ops stuck` and `aftercare ops report`: many claims at once, read from the repairs service's read
model (as `ops`), paged through ListClaims; the figures are pure (services/repairs/domain/report.py)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from aftercare.repairs.v1 import repairs_pb2 as pb
from aftercare.warranty.v1 import warranty_pb2 as wpb
from aftercare.warranty.v1 import warranty_pb2_grpc
from rich.console import Console
from rich.table import Table

from cli.client import As, age, channel, csv_wanted, duration, metadata, output, print_json, rpc_errors
from cli.repairs import _repairs
from contracts.claims import ClaimState
from services.repairs.domain.report import ClaimFacts, GroupBy, Report, Row, in_window, report, stuck, waiting_on

console = Console(width=160, highlight=False)


def _all_claims(as_: str) -> Iterator[ClaimFacts]:
    token = ""
    with _repairs() as stub:
        while True:
            page = stub.ListClaims(pb.ListClaimsRequest(page_size=1000, page_token=token), metadata=metadata(as_))
            for c in page.claims:
                yield ClaimFacts(
                    rma=c.rma,
                    state=ClaimState(pb.ClaimState.Name(c.state).removeprefix("CLAIM_STATE_")),
                    centre_id=c.centre_id,
                    created=c.create_time.ToDatetime(UTC),
                    updated=c.update_time.ToDatetime(UTC),
                    sla_breached=c.sla_breached,
                    feedback_score=c.feedback_score if c.feedback_score >= 0 else None,
                    sku=c.sku,
                    retailer_id=c.retailer_id,
                    fault=pb.FaultCategory.Name(c.fault_category).removeprefix("FAULT_CATEGORY_")
                    if c.fault_category
                    else "",
                    root_cause=c.diagnosis.root_cause,
                )
            token = page.next_page_token
            if not token:
                return


def ops_stuck(
    older_than: Annotated[str, typer.Option(help="Unchanged for longer than this: 90s, 15m, 6h, 2d.")] = "1d",
    limit: Annotated[int, typer.Option(min=1, help="List at most this many (the counts cover all).")] = 50,
    as_: As = "ops",
) -> None:
    """Open claims that have not moved for a while: where they are (state, centre) and whom they wait on."""
    threshold = duration(older_than)
    now = datetime.now(UTC)
    found = stuck(_all_claims(as_), now, threshold)
    rows: list[dict[str, Any]] = [
        {
            "rma": c.rma,
            "state": c.state.value,
            "centre_id": c.centre_id,
            "waiting_on": waiting_on(c.state, c.centre_id).value,
            "unchanged_seconds": int((now - c.updated).total_seconds()),
            "sla_breached": c.sla_breached,
        }
        for c in found
    ]
    where: dict[tuple[str, str, str], int] = {}
    for r in rows:
        key = (r["waiting_on"], r["centre_id"] or "(unassigned)", r["state"])
        where[key] = where.get(key, 0) + 1
    if output() == "json":
        summary = [{"waiting_on": w, "centre_id": c, "state": s, "claims": n} for (w, c, s), n in sorted(where.items())]
        print_json({"older_than_seconds": int(threshold.total_seconds()), "where": summary, "claims": rows[:limit]})
        return
    summary_table = Table(title=f"{len(rows)} open claims unchanged for over {older_than}", title_justify="left")
    for column in ("waiting on", "centre", "state", "claims"):
        summary_table.add_column(column)
    for (w, c, s), n in sorted(where.items(), key=lambda item: -item[1]):
        summary_table.add_row(w, c, s, str(n))
    console.print(summary_table)
    if rows:
        table = Table(title="longest waiting first", title_justify="left")
        for column in ("RMA", "state", "centre", "waiting on", "unchanged for", "SLA"):
            table.add_column(column, no_wrap=True)
        for r in rows[:limit]:
            table.add_row(
                r["rma"],
                r["state"],
                r["centre_id"] or "(unassigned)",
                r["waiting_on"],
                age(timedelta(seconds=r["unchanged_seconds"])),
                "BREACHED" if r["sla_breached"] else "",
            )
        console.print(table)


def _row_json(row: Row) -> dict[str, Any]:
    turnaround = row.median_turnaround
    return {
        "name": row.name,
        "total": row.total,
        "open": row.open,
        "closed": row.closed,
        "sla_breached": row.sla_breached,
        "median_turnaround_seconds": turnaround.total_seconds() if turnaround else None,
        "nps": row.nps,
        "survey_responses": row.responses,
        "units_sold": row.sold,
        "failure_rate": row.failure_rate,
    }


def _report_json(r: Report, since: datetime | None, until: datetime | None) -> dict[str, Any]:
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "by_state": r.by_state,
        "waiting_on": r.waiting_on,
        "grouped_by": r.grouped_by.value,
        "groups": [_row_json(row) for row in r.groups],
        "overall": _row_json(r.overall),
    }


SKUS_PER_CALL = 1000  # CountSales takes at most this many SKUs a call


def _units_sold(skus: list[str], since: datetime | None, until: datetime | None, as_: str) -> dict[str, int]:
    """The units sold per SKU in the window, from the warranty service (the failure rate's denominator)."""
    units: dict[str, int] = {}
    with rpc_errors(), channel("warranty") as ch:
        stub = warranty_pb2_grpc.WarrantyServiceStub(ch)
        for first in range(0, len(skus), SKUS_PER_CALL):
            request = wpb.CountSalesRequest(skus=skus[first : first + SKUS_PER_CALL])
            if since:
                request.start_time.FromDatetime(since)
            if until:
                request.end_time.FromDatetime(until)
            units |= stub.CountSales(request, metadata=metadata(as_)).units
    return units


def _when(text: str, hint: str) -> datetime | None:
    """A window's end: an ISO time with its offset, or a date (its midnight in UTC)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: want a date (2026-11-01) or a time with its offset", param_hint=hint
        ) from None
    if len(text.strip()) == 10:  # a date alone
        return moment.replace(tzinfo=UTC)
    if moment.tzinfo is None:
        raise typer.BadParameter("give the time with its UTC offset, e.g. 2026-11-01T00:00:00+00:00", param_hint=hint)
    return moment.astimezone(UTC)


def ops_report(
    by: Annotated[GroupBy, typer.Option(case_sensitive=False, help="Group the claims by this.")] = GroupBy.CENTRE,
    since: Annotated[str, typer.Option(help="Claims filed from this date (UTC) or ISO time with its offset.")] = "",
    until: Annotated[str, typer.Option(help="Claims filed before this date (UTC) or ISO time with its offset.")] = "",
    as_: As = "ops",
) -> None:
    """Claims by state and grouped (--by centre, sku, fault, root-cause or retailer), filed in a window, with
    median turnaround (filed → closed), NPS from the surveys and, by SKU, the failure rate: claims ÷ the units
    of that SKU sold in the same window. A table, or -o json / -o csv."""
    start, end = _when(since, "--since"), _when(until, "--until")
    if start and end and end <= start:
        raise typer.BadParameter("must be after --since", param_hint="--until")
    claims = in_window(_all_claims(as_), start, end)
    sold = _units_sold(sorted({c.sku for c in claims if c.sku}), start, end, as_) if by is GroupBy.SKU else None
    r = report(claims, by, sold)
    if csv_wanted():
        _csv(r)
    elif output() == "json":
        print_json(_report_json(r, start, end))
    else:
        _tables(r)


COLUMNS = ("claims", "open", "closed", "SLA breached", "median turnaround", "NPS", "answers")


def _csv(r: Report) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow([r.grouped_by.value, *list(_row_json(r.overall))[1:]])
    for row in [*r.groups, r.overall]:
        out.writerow(["" if v is None else v for v in _row_json(row).values()])


def _tables(r: Report) -> None:
    states = Table(title=f"claims by state ({r.overall.total})", title_justify="left")
    states.add_column("state")
    states.add_column("claims", justify="right")
    for state, n in r.by_state.items():
        states.add_row(state, str(n))
    console.print(states)
    if r.waiting_on:
        console.print("open claims waiting on: " + ", ".join(f"{p} {n}" for p, n in r.waiting_on.items()))
    rated = r.grouped_by is GroupBy.SKU
    groups = Table(title=f"by {r.grouped_by.value}", title_justify="left")
    for column in (r.grouped_by.value, *COLUMNS, *(("sold", "failure rate") if rated else ())):
        groups.add_column(column, justify="left" if column == r.grouped_by.value else "right")
    for row in [*r.groups, r.overall]:
        cells = [
            row.name,
            str(row.total),
            str(row.open),
            str(row.closed),
            str(row.sla_breached),
            age(row.median_turnaround) if row.median_turnaround else "-",
            f"{row.nps:+.0f}" if row.nps is not None else "-",
            str(row.responses),
        ]
        if rated:
            cells += [str(row.sold or 0), f"{row.failure_rate:.2%}" if row.failure_rate is not None else "-"]
        groups.add_row(*cells, end_section=row is r.groups[-1] if r.groups else False)
    console.print(groups)
