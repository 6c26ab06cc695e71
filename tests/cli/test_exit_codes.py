"""The CLI tells failures apart by its exit code (sysexits), so a script can retry what is worth retrying,
and says its version (issue 13)."""

from __future__ import annotations

import asyncio

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
