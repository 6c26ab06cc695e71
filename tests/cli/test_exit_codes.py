"""The CLI tells failures apart by its exit code (sysexits), so a script can retry what is worth retrying,
and says its version (issue 13)."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from cli.main import app
from tests.conftest import free_port
from tests.stack import Stack


async def run(*args: str, **env: str) -> tuple[int, str]:
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    return result.exit_code, result.output


async def test_not_found_unavailable_and_not_allowed_exit_differently(stack: Stack) -> None:
    repairs = {"AFTERCARE_REPAIRS_TARGET": stack.targets["repairs"]}
    code, output = await run("claim", "get", "RMA-0000-0000", AFTERCARE_API_KEY=stack.keys["ops"], **repairs)
    assert (code, output.splitlines()[0]) == (66, "NOT_FOUND: no claim RMA-0000-0000")
    code, output = await run("claim", "get", "RMA-12", AFTERCARE_API_KEY=stack.keys["ops"], **repairs)
    assert code == 65 and output.startswith("INVALID_ARGUMENT")
    code, output = await run("claim", "list", AFTERCARE_API_KEY=stack.keys["carrier:local"], **repairs)
    assert code == 77 and output.startswith("PERMISSION_DENIED")
    code, output = await run("claim", "list", AFTERCARE_API_KEY="ak_nobody", **repairs)
    assert code == 77 and output.startswith("UNAUTHENTICATED")
    nowhere = {"AFTERCARE_REPAIRS_TARGET": f"127.0.0.1:{free_port()}"}
    code, output = await run("claim", "get", "RMA-0000-0000", AFTERCARE_API_KEY=stack.keys["ops"], **nowhere)
    assert code == 69 and output.startswith("UNAVAILABLE") and "make run" in output


def test_the_version_is_printed() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert (result.exit_code, result.output) == (0, "aftercare 0.1.0\n")


async def test_every_command_takes_one_output_option(stack: Stack) -> None:
    await stack.product()
    await stack.centre()
    claim = await stack.file(await _sold(stack))
    env = {
        "AFTERCARE_REPAIRS_TARGET": stack.targets["repairs"],
        "AFTERCARE_TEMPORAL_ADDRESS": stack.targets["temporal"],
        "AFTERCARE_API_KEY": stack.keys["ops"],
    }
    code, table = await run("--output", "table", "claim", "get", claim.rma, **env)
    assert code == 0 and "claim.rma" in table and claim.rma in table and not table.lstrip().startswith("{")
    code, plain = await run("claim", "get", claim.rma, **env)  # the last invocation's option does not linger
    assert code == 0 and json.loads(plain)["claim"]["rma"] == claim.rma
    code, answer = await run("-o", "json", "claim", "get", claim.rma, **env)
    assert code == 0 and json.loads(answer)["claim"]["rma"] == claim.rma
    code, timeline = await run("--output", "json", "ops", "timeline", claim.rma, **env)
    assert code == 0 and isinstance(json.loads(timeline), list | dict)
    code, refused = await run("--output", "yaml", "claim", "get", claim.rma, **env)
    assert code == 64 and "table" in refused and "json" in refused


async def _sold(stack: Stack) -> str:
    from tests.stack import new_serial

    serial = new_serial()
    await stack.sale(serial)
    return serial
