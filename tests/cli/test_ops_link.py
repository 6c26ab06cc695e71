"""`aftercare ops link`: a customer's portal link for ops to hand over, which opens that claim's page."""

from __future__ import annotations

import asyncio

import httpx
from typer.testing import CliRunner

from cli.main import app
from tests.portal.helpers import claim_with_link
from tests.stack import Stack


async def run(stack: Stack, *args: str) -> tuple[int, str]:
    env = {"AFTERCARE_PORTAL_TARGET": stack.targets["portal"], "AFTERCARE_API_KEY": stack.keys["ops"]}
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    return result.exit_code, result.output


async def test_ops_prints_a_working_link_and_refuses_what_is_not_one(stack: Stack) -> None:
    claim, _ = await claim_with_link(stack)
    code, out = await run(stack, "ops", "link", claim.rma, "--page", "label", "--locale", "ko")
    url = out.strip()
    assert code == 0 and url.startswith(f"{stack.portal_url}/l/") and claim.rma not in url
    async with httpx.AsyncClient() as web:
        opened = await web.get(url)
        assert opened.status_code == 303 and opened.headers["location"] == "/claim/label"
        page = await web.get(f"{stack.portal_url}/claim/label")
        assert '<html lang="ko">' in page.text
    assert (await run(stack, "ops", "link", claim.rma, "--page", "bogus"))[0] != 0
    assert (await run(stack, "ops", "link"))[0] != 0
    code, out = await run(stack, "ops", "link", "RMA-ZZZZ-ZZZZ")
    assert code != 0 and "NOT_FOUND" in out.upper().replace(" ", "_")
