"""`aftercare ops review` and `aftercare ops rules report` against the running system: the queue oldest first
with why and until when, approve, ask, reject (with the reason checked before any call), and the report."""

from __future__ import annotations

import asyncio
import json

from aftercare.repairs.v1 import repairs_pb2 as pb
from aftercare.warranty.v1 import warranty_pb2 as wpb
from typer.testing import CliRunner

from cli.main import app
from tests.stack import Stack, new_serial


async def run(stack: Stack, *args: str) -> tuple[int, str]:
    env = {"AFTERCARE_REPAIRS_TARGET": stack.targets["repairs"], "AFTERCARE_API_KEY": stack.keys["ops"]}
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    return result.exit_code, result.output


async def test_the_review_queue_is_worked_from_the_command_line(stack: Stack) -> None:
    await stack.product(approval=wpb.ApprovalPolicy(mode=wpb.APPROVAL_MODE_MANUAL))
    await stack.centre()
    rmas = []
    for _ in range(3):
        serial = new_serial()
        await stack.sale(serial)
        rmas.append((await stack.file(serial)).rma)

    code, out = await run(stack, "-o", "json", "ops", "review")
    assert code == 0, out
    queue = json.loads(out)["claims"]
    assert [row["rma"] for row in queue] == rmas, "oldest first"
    assert all(row["reasons"] == ["MANUAL_POLICY"] and row["review_due_at"] and not row["overdue"] for row in queue)

    assert (await run(stack, "ops", "review", "approve", rmas[0], "--note", "receipt checked"))[0] == 0
    code, out = await run(stack, "ops", "review", "ask", rmas[1], "--need", "photos", "--need", "proof-of-purchase")
    assert code == 0 and "AWAITING_CUSTOMER_INFO" in out
    code, out = await run(stack, "ops", "review", "reject", rmas[2], "--reason", "bogus")
    assert code != 0 and "misuse" in out
    assert (await run(stack, "ops", "review", "reject", rmas[2], "--reason", "misuse"))[0] == 0
    code, out = await run(stack, "ops", "review", "ask", rmas[2], "--need", "photos")
    assert code != 0 and "REJECTED" in out  # refused by the workflow, naming the state

    code, out = await run(stack, "-o", "json", "ops", "review")
    (left,) = json.loads(out)["claims"]
    assert (left["rma"], left["state"], left["answer_by"] != "") == (rmas[1], "AWAITING_CUSTOMER_INFO", True)
    code, out = await run(stack, "ops", "review")
    assert code == 0 and rmas[1] in out and "waiting for customer" in out

    code, out = await run(stack, "ops", "timeline", rmas[0])
    rows = {line.split("│")[3].strip(): line.split("│")[5].strip() for line in out.splitlines() if line.count("│") > 6}
    assert code == 0 and (rows["REVIEW_REQUIRED"], rows["APPROVED"]) == ("system", "ops")  # the "by" column
    read = await stack.get(rmas[2])
    assert read.review.rejection_reason == pb.REJECTION_REASON_MISUSE

    code, out = await run(stack, "-o", "json", "ops", "rules", "report")
    assert code == 0 and json.loads(out) == {"claims": 3, "rules": []}
    code, out = await run(stack, "ops", "rules", "report")
    assert code == 0 and "no rule fired" in out
