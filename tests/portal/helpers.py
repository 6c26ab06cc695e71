"""What the portal tests share: a claim whose acceptance e-mail (in the SMTP sink) carries a portal link, and a
browser-like HTTP client for the portal."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from aftercare.repairs.v1 import repairs_pb2 as rpb

from tests.stack import Stack, new_serial, until

LINK = re.compile(r"https?://[^\s\"'<>]+/l/[A-Za-z0-9_-]+")


async def mailed_links(stack: Stack, rma: str, subject_has: str = "") -> list[str]:
    """The portal links in the e-mails about `rma` (each in order of arrival), once at least one came."""

    async def arrived() -> bool:
        return any(rma in m.subject and subject_has in m.subject for m in stack.mail.messages)

    await until(arrived, within=60, what=f"an e-mail about {rma}")
    return [
        link
        for m in stack.mail.messages
        if rma in m.subject and subject_has in m.subject
        for link in LINK.findall(m.text)
    ]


async def claim_with_link(
    stack: Stack, *, paid_repair_minor: int = 0, locale: str = "fr", first: bool = True
) -> tuple[rpb.Claim, str]:
    """A covered claim (or, with a paid repair, one offered a quote) and the link from its first e-mail.
    `first`: make the product and the centre (once per test)."""
    if first:
        await stack.product(paid_repair_minor=paid_repair_minor)
        await stack.centre()
    serial = new_serial()
    await stack.sale(serial, days_ago=900 if paid_repair_minor else 100)
    claim = await stack.file(serial, locale=locale)
    links = await mailed_links(stack, claim.rma)
    assert links, "the first e-mail has a portal link"
    return claim, links[0]


@asynccontextmanager
async def browser(stack: Stack, *, language: str = "") -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that keeps cookies like a browser, pointed at the portal."""
    headers = {"Accept-Language": language} if language else {}
    async with httpx.AsyncClient(base_url=stack.portal_url, headers=headers, timeout=20) as client:
        yield client


def csrf_and_request_id(html: str) -> tuple[str, str]:
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)
    request_id = re.search(r'name="request_id" value="([^"]+)"', html)
    assert csrf and request_id, "the page has a form"
    return csrf.group(1), request_id.group(1)
