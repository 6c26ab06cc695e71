"""`aftercare ops` against the running system: the CLI process's view of real claims, found through
Temporal's visibility (as the UI finds them) and the repairs service."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aftercare.repairs.v1 import repairs_pb2 as pb
from typer.testing import CliRunner

from cli.main import app
from tests.stack import CENTRE, Stack, new_id, new_serial, until

TO_CENTRE = pb.DIRECTION_TO_CENTRE


async def aftercare(stack: Stack, *args: str) -> str:
    """Run the CLI as a person would (in a thread: it runs its own event loop), with the stack's addresses."""
    env = {
        "AFTERCARE_TEMPORAL_ADDRESS": stack.targets["temporal"],
        "AFTERCARE_REPAIRS_TARGET": stack.targets["repairs"],
        "AFTERCARE_API_KEY": stack.keys["ops"],
    }
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


async def found(stack: Stack, *filters: str) -> dict[str, dict[str, Any]]:
    answer = json.loads(await aftercare(stack, "-o", "json", "ops", "find", *filters))
    return {row["rma"]: row for row in answer["claims"]}


async def received(stack: Stack) -> pb.Claim:
    serial = new_serial()
    await stack.sale(serial)
    claim = await stack.file(serial)
    claim = await stack.parcel(claim, TO_CENTRE, pb.PARCEL_EVENT_PICKED_UP)
    return await stack.parcel(claim, TO_CENTRE, pb.PARCEL_EVENT_DELIVERED)


async def test_ops_find_the_claims_follow_them_steer_them_and_report(stack: Stack) -> None:
    await stack.product()
    await stack.centre()
    # A: waiting for parts at the demo centre; B: approved, not shipped; C: closed with a 10.
    a = await received(stack)
    await stack.status(a.rma, pb.REPAIR_STATUS_DIAGNOSING)
    diagnosis = pb.Diagnosis(
        covered_fault=pb.Diagnosis.CoveredFault(parts=["HEATER-7"], labour_minutes=25),
        root_cause="ELECTRICAL/HEATING_ELEMENT",
    )
    await stack.repairs.RecordDiagnosis(
        pb.RecordDiagnosisRequest(request_id=new_id(), rma=a.rma, diagnosis=diagnosis), metadata=stack.as_(CENTRE)
    )
    await stack.status(a.rma, pb.REPAIR_STATUS_AWAITING_PARTS)
    serial_b = new_serial()
    await stack.sale(serial_b)
    b = await stack.file(serial_b)
    c = await received(stack)
    await stack.repair_and_close(c.rma, score=10, answered_by="ops")
    assert (await stack.get(c.rma)).state == pb.CLAIM_STATE_CLOSED

    # Find: the UI's filters, open claims by default.
    async def only_a_waits_for_parts() -> bool:
        return set(await found(stack, "--state", "awaiting_parts", "--centre", "demo-centre")) == {a.rma}

    await until(only_a_waits_for_parts)
    answer = json.loads(await aftercare(stack, "-o", "json", "ops", "find", "--state", "AWAITING_PARTS"))
    assert answer["query"] == (
        'WorkflowType="ClaimWorkflow" AND ClaimState="AWAITING_PARTS" AND ExecutionStatus="Running" '
        'AND ClaimState NOT IN ("CLOSED", "REJECTED", "CANCELLED", "EXPIRED")'
    )
    assert answer["ui"].startswith("http://localhost:8233/namespaces/default/workflows?query=WorkflowType%3D")
    assert set(await found(stack)) == {a.rma, b.rma}
    every = await found(stack, "--all")
    assert every[c.rma]["state"] == "CLOSED" and every[c.rma]["resolution"] == "REPAIRED"
    assert every[a.rma]["running"] and every[a.rma]["sku"] == "KETTLE-3000"
    table = await aftercare(stack, "ops", "find", "--state", "AWAITING_PARTS")
    assert a.rma in table and b.rma not in table and "in the Temporal UI: http://localhost:8233" in table

    # One claim's timeline.
    timeline = json.loads(await aftercare(stack, "-o", "json", "ops", "timeline", a.rma))["timeline"]
    assert [e["kind"] for e in timeline][-3:] == ["DIAGNOSING", "DIAGNOSED_COVERED", "AWAITING_PARTS"]
    table = await aftercare(stack, "ops", "timeline", a.rma)
    assert "waiting on centre" in table and "DIAGNOSED_COVERED" in table

    # Stuck, and where: everything open counts with a zero threshold.
    stuck = json.loads(await aftercare(stack, "-o", "json", "ops", "stuck", "--older-than", "0s"))
    assert {(w["waiting_on"], w["centre_id"], w["state"], w["claims"]) for w in stuck["where"]} == {
        ("centre", "demo-centre", "AWAITING_PARTS", 1),
        ("customer", "demo-centre", "AWAITING_SHIPMENT", 1),
    }
    assert json.loads(await aftercare(stack, "-o", "json", "ops", "stuck", "--older-than", "1d"))["claims"] == []

    # The report.
    report = json.loads(await aftercare(stack, "-o", "json", "ops", "report"))
    assert report["by_state"] == {"AWAITING_SHIPMENT": 1, "AWAITING_PARTS": 1, "CLOSED": 1}
    (centre,) = report["groups"]
    assert report["grouped_by"] == "centre"
    assert (centre["name"], centre["total"], centre["open"], centre["closed"]) == ("demo-centre", 3, 2, 1)
    assert centre["nps"] == 100.0 and centre["survey_responses"] == 1
    assert 0 < centre["median_turnaround_seconds"] < 120
    table = await aftercare(stack, "ops", "report")
    assert "demo-centre" in table and "+100" in table

    # Steer: reassign B, then cancel it.
    await stack.centre("other-centre")
    await aftercare(stack, "ops", "reassign", b.rma, "other-centre", "--reason", "capacity")

    async def b_moved() -> bool:
        return set(await found(stack, "--centre", "other-centre")) == {b.rma}

    await until(b_moved)
    await aftercare(stack, "ops", "cancel", b.rma, "--reason", "duplicate claim")
    assert (await stack.get(b.rma)).state == pb.CLAIM_STATE_CANCELLED

    async def a_alone() -> bool:
        return set(await found(stack)) == {a.rma}

    await until(a_alone)


async def test_ops_refuses_bad_filters_with_the_choices() -> None:
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, app, ["ops", "find", "--state", "BROKEN"])
    assert result.exit_code == 64 and "awaiting_parts" in result.output.lower()
    result = await asyncio.to_thread(runner.invoke, app, ["ops", "find", "--centre", 'x" OR 1=1'])
    assert result.exit_code == 64 and "not a searchable value" in result.output
    result = await asyncio.to_thread(runner.invoke, app, ["ops", "stuck", "--older-than", "soon"])
    assert result.exit_code == 64 and "2d" in result.output
