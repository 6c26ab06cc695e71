"""`aftercare ops stuck` and `aftercare ops report`: many claims at once, read from the repairs service's read
model (as `ops`), paged through ListClaims; the figures are pure (services/repairs/domain/report.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from aftercare.repairs.v1 import repairs_pb2 as pb
from rich.console import Console
from rich.table import Table

from cli.client import As, age, duration, metadata, output, print_json
from cli.repairs import _repairs
from contracts.claims import ClaimState
from services.repairs.domain.report import ClaimFacts, Report, Row, report, stuck, waiting_on

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
    }


def _report_json(r: Report) -> dict[str, Any]:
    return {
        "by_state": r.by_state,
        "waiting_on": r.waiting_on,
        "by_centre": [_row_json(row) for row in r.by_centre],
        "overall": _row_json(r.overall),
    }


def ops_report(as_: As = "ops") -> None:
    """Claims by state and by centre, with median turnaround (filed → closed) and NPS from the surveys."""
    r = report(_all_claims(as_))
    if output() == "json":
        print_json(_report_json(r))
        return
    states = Table(title=f"claims by state ({r.overall.total})", title_justify="left")
    states.add_column("state")
    states.add_column("claims", justify="right")
    for state, n in r.by_state.items():
        states.add_row(state, str(n))
    console.print(states)
    if r.waiting_on:
        console.print("open claims waiting on: " + ", ".join(f"{p} {n}" for p, n in r.waiting_on.items()))
    centres = Table(title="by centre", title_justify="left")
    for column in ("centre", "claims", "open", "closed", "SLA breached", "median turnaround", "NPS", "answers"):
        centres.add_column(column, justify="left" if column == "centre" else "right")
    for row in [*r.by_centre, r.overall]:
        centres.add_row(
            row.name,
            str(row.total),
            str(row.open),
            str(row.closed),
            str(row.sla_breached),
            age(row.median_turnaround) if row.median_turnaround else "-",
            f"{row.nps:+.0f}" if row.nps is not None else "-",
            str(row.responses),
            end_section=row is r.by_centre[-1] if r.by_centre else False,
        )
    console.print(centres)
