"""A customer without a link finds their claim: the RMA plus the contact on file, a six-digit code to that
contact (through the real notifications service and SMTP sink, never through Temporal), ten minutes, five
tries, once, a few an hour. An unknown RMA and a wrong contact look the same from outside."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from tests.portal.helpers import browser, claim_with_link
from tests.stack import Stack, new_serial, until

pytestmark = pytest.mark.timeout(120)


def form_token(page: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found, "the page has the find form"
    return found.group(1)


async def ask(web: httpx.AsyncClient, rma: str, contact: str) -> httpx.Response:
    token = form_token((await web.get("/")).text)
    return await web.post("/find", data={"form_token": token, "rma": rma, "contact": contact})


async def type_code(web: httpx.AsyncClient, code: str) -> httpx.Response:
    token = form_token((await web.get("/find/code")).text)
    return await web.post("/find/code", data={"form_token": token, "code": code})


async def mailed_code(stack: Stack, rma: str, before: int) -> str:
    async def arrived() -> bool:
        return len(codes(stack, rma)) > before

    await until(arrived, within=20, what="the code e-mail")
    return codes(stack, rma)[-1]


def codes(stack: Stack, rma: str) -> list[str]:
    found = []
    for m in stack.mail.messages:
        if rma in m.subject and (match := re.search(r"^\s+(\d{6})\s*$", m.text, re.M)):
            found.append(match.group(1))
    return found


async def test_the_right_contact_gets_a_code_that_opens_the_claim_once(stack: Stack) -> None:
    claim, _ = await claim_with_link(stack)
    async with browser(stack, language="fr") as web:
        asked = await ask(web, claim.rma.lower(), "  JO@Example.com ")  # typed as people type
        assert asked.status_code == 303 and asked.headers["location"] == "/find/code"
        code = await mailed_code(stack, claim.rma, 0)
        assert code not in " ".join(m.subject for m in stack.mail.messages)
        opened = await type_code(web, code[:3] + " " + code[3:])
        assert opened.status_code == 303 and opened.headers["location"] == "/claim"
        page = await web.get("/claim")
        assert claim.rma in page.text and "Votre demande" in html.unescape(page.text)
        replayed = await type_code(web, code)  # the same code again: it opened once
        assert replayed.status_code == 400


async def test_an_unknown_rma_and_a_wrong_contact_look_the_same_and_send_nothing(stack: Stack) -> None:
    claim, _ = await claim_with_link(stack)
    sent = len(stack.mail.messages)
    pages = []
    for rma, contact in ((claim.rma, "someone@example.com"), ("RMA-ZZZZ-ZZZZ", "jo@example.com"), ("Europe", "+44")):
        async with browser(stack) as web:
            asked = await ask(web, rma, contact)
            assert asked.status_code == 303 and asked.headers["location"] == "/find/code"
            page = await web.get("/find/code")
            pages.append(re.sub(r'value="[^"]+"', "", page.text))
            wrong = await type_code(web, "000000")
            assert wrong.status_code == 400
    assert len(set(pages)) == 1
    assert len(stack.mail.messages) == sent


async def test_a_sixth_try_fails_even_with_the_right_code(stack: Stack) -> None:
    claim, _ = await claim_with_link(stack)
    async with browser(stack) as web:
        await ask(web, claim.rma, "jo@example.com")
        code = await mailed_code(stack, claim.rma, 0)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(5):
            assert (await type_code(web, wrong)).status_code == 400
        assert (await type_code(web, code)).status_code == 400
        assert (await web.get("/claim")).status_code == 404


async def test_codes_are_limited_per_claim_an_hour(stack: Stack) -> None:
    claim, _ = await claim_with_link(stack)
    async with browser(stack) as web:
        for _ in range(3):
            assert (await ask(web, claim.rma, "jo@example.com")).status_code == 303
        limited = await ask(web, claim.rma, "jo@example.com")
        assert limited.status_code == 429
    await until(lambda: _count(stack, claim.rma, 3), within=20, what="three codes")
    assert len(codes(stack, claim.rma)) == 3


async def _count(stack: Stack, rma: str, n: int) -> bool:
    return len(codes(stack, rma)) >= n


async def test_a_find_form_without_its_token_is_refused(stack: Stack) -> None:
    claim, _ = await claim_with_link(stack)
    async with browser(stack) as web:
        await web.get("/")
        refused = await web.post("/find", data={"rma": claim.rma, "contact": "jo@example.com"})
        assert refused.status_code == 404


async def test_a_serial_and_the_owners_contact_open_the_warranty(stack: Stack) -> None:
    await stack.product(plan=(12, 2900))
    serial = new_serial()
    await stack.sale(serial)
    async with browser(stack) as web:
        asked = await ask(web, serial.lower(), "jo@example.com")
        assert asked.status_code == 303
        code = await mailed_code(stack, serial, 0)
        opened = await type_code(web, code)
        assert opened.status_code == 303 and opened.headers["location"] == "/warranty"
        page = await web.get("/warranty")
        assert page.status_code == 200 and "Kettle 3000" in page.text
        assert (await web.get("/claim")).status_code == 404  # a warranty's session opens no claim
    async with browser(stack) as web:  # a wrong owner gets nothing, and looks the same
        assert (await ask(web, serial, "someone@example.com")).status_code == 303
        assert (await type_code(web, code)).status_code == 400
