"""`aftercare ops report` against the running system: claims filed in a window, grouped by SKU with the failure
rate (claims ÷ units sold, from the warranty service's CountSales), by root cause, and as CSV (issue 28)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from aftercare.repairs.v1 import repairs_pb2 as pb
from aftercare.warranty.v1 import warranty_pb2 as wpb
from typer.testing import CliRunner

from cli import ops_report
from cli.main import app
from tests.rpc import failure
from tests.stack import CENTRE, RETAILER, SKU, Stack, new_serial


async def run(stack: Stack, *args: str) -> tuple[int, str]:
    env = {
        "AFTERCARE_REPAIRS_TARGET": stack.targets["repairs"],
        "AFTERCARE_WARRANTY_TARGET": stack.targets["warranty"],
        "AFTERCARE_API_KEY": stack.keys["ops"],
    }
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    return result.exit_code, result.output


async def report(stack: Stack, *args: str) -> dict[str, Any]:
    code, out = await run(stack, "-o", "json", "ops", "report", *args)
    assert code == 0, out
    answer: dict[str, Any] = json.loads(out)
    return answer


async def test_the_report_gives_failure_rates_root_causes_a_window_and_csv(stack: Stack) -> None:
    await stack.product()
    await stack.centre()
    serials = [new_serial() for _ in range(4)]
    for serial in serials:
        await stack.sale(serial)  # four units sold, 100 days ago
    diagnosed = await stack.file(serials[0])
    await stack.file(serials[1])
    await stack.parcel(diagnosed, pb.DIRECTION_TO_CENTRE, pb.PARCEL_EVENT_DELIVERED)
    await stack.status(diagnosed.rma, pb.REPAIR_STATUS_DIAGNOSING)
    cause = pb.Diagnosis(covered_fault=pb.Diagnosis.CoveredFault(labour_minutes=5), root_cause="ELECTRICAL/FUSE")
    await stack.diagnose(diagnosed.rma, CENTRE, cause)

    by_sku = await report(stack, "--by", "sku")
    assert by_sku["grouped_by"] == "sku"
    (row,) = by_sku["groups"]
    assert (row["name"], row["total"], row["units_sold"], row["failure_rate"]) == (SKU, 2, 4, 0.5)
    by_cause = await report(stack, "--by", "root-cause")
    assert {g["name"]: g["total"] for g in by_cause["groups"]} == {"ELECTRICAL/FUSE": 1, "(not diagnosed)": 1}
    assert {g["name"] for g in (await report(stack, "--by", "retailer"))["groups"]} == {RETAILER.split(":")[1]}

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = await report(stack, "--by", "sku", "--since", tomorrow)
    assert later["overall"]["total"] == 0 and later["groups"] == []
    recent = await report(stack, "--by", "sku", "--since", (datetime.now(UTC) - timedelta(days=1)).isoformat())
    assert recent["overall"]["total"] == 2 and recent["groups"][0]["units_sold"] == 0  # sold before the window
    assert recent["groups"][0]["failure_rate"] is None

    code, out = await run(stack, "-o", "csv", "ops", "report", "--by", "sku")
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["sku"] for r in rows] == [SKU, "all"] and rows[0]["failure_rate"] == "0.5"
    code, out = await run(stack, "ops", "report", "--since", tomorrow, "--until", datetime.now(UTC).isoformat())
    assert code == 64 and "--since" in out
    today = datetime.now(UTC).date()
    dated = await report(stack, "--since", today.isoformat(), "--until", (today + timedelta(days=1)).isoformat())
    assert dated["since"] == f"{today.isoformat()}T00:00:00+00:00" and dated["overall"]["total"] == 2
    for almost in ("Europe", "2026-13-01", "2026-12-01T10:00"):  # not a time; no such month; no offset
        code, out = await run(stack, "ops", "report", "--since", almost)
        assert code == 64 and "--since" in out, almost


async def test_more_skus_than_one_call_takes_are_asked_in_turn(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A report over more SKUs than CountSales takes at once asks for them a batch at a time, losing none."""
    await stack.product()
    for _ in range(3):
        await stack.sale(new_serial())
    monkeypatch.setattr(ops_report, "SKUS_PER_CALL", 1)
    monkeypatch.setenv("AFTERCARE_WARRANTY_TARGET", stack.targets["warranty"])
    monkeypatch.setenv("AFTERCARE_API_KEY", stack.keys["ops"])
    units = await asyncio.to_thread(ops_report._units_sold, ["NO-SUCH-SKU", SKU], None, None, "ops")
    assert units == {SKU: 3}


async def test_count_sales_is_for_ops_and_checks_its_window(stack: Stack) -> None:
    now = datetime.now(UTC)
    request = wpb.CountSalesRequest(skus=[SKU])
    request.start_time.FromDatetime(now)
    request.end_time.FromDatetime(now - timedelta(days=1))
    bad = await failure(stack.warranty.CountSales(request, metadata=stack.as_("ops")))
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT and set(bad.fields) == {"end_time"}
    request.end_time.FromDatetime(now)  # an empty window: refused as well
    empty = await failure(stack.warranty.CountSales(request, metadata=stack.as_("ops")))
    assert empty.code == grpc.StatusCode.INVALID_ARGUMENT and set(empty.fields) == {"end_time"}
    denied = await failure(stack.warranty.CountSales(wpb.CountSalesRequest(), metadata=stack.as_(RETAILER)))
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED
    wrong = await failure(
        stack.warranty.CountSales(wpb.CountSalesRequest(skus=["not a sku"]), metadata=stack.as_("ops"))
    )
    assert wrong.code == grpc.StatusCode.INVALID_ARGUMENT and set(wrong.fields) == {"skus[0]"}
