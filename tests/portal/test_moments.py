"""A link opened after its moment (the label after the centre received the unit, the survey once answered, the
information page with nothing asked) says what happened, in the message's language, and leads to the claim
page; the navigation offers only the steps the claim allows now."""

from __future__ import annotations

import html

import httpx
import pytest
from aftercare.repairs.v1 import repairs_pb2 as rpb

from services.portal.web import i18n
from tests.portal.helpers import browser, claim_with_link
from tests.stack import Stack

pytestmark = pytest.mark.timeout(180)
FR = i18n.catalog("fr")
TO_CENTRE = rpb.DIRECTION_TO_CENTRE


async def page(web: httpx.AsyncClient, path: str) -> str:
    answer = await web.get(path)
    assert answer.status_code == 200, path
    return html.unescape(answer.text)


def offered(text: str) -> set[str]:
    """The claim's steps the page's navigation links to."""
    steps = ("/claim/info", "/claim/label", "/claim/photos", "/claim/survey")
    return {step for step in steps if f'<li><a href="{step}"' in text}


async def test_a_page_opened_after_its_moment_says_what_happened_and_leads_to_the_claim(stack: Stack) -> None:
    claim, link = await claim_with_link(stack)  # in French
    async with browser(stack) as web:
        await web.get(link.removeprefix(stack.portal_url))
        label = await page(web, "/claim/label")
        assert "/claim/label.pdf" in label and offered(label) == {"/claim/label", "/claim/photos"}

    claim = await stack.parcel(claim, TO_CENTRE, rpb.PARCEL_EVENT_PICKED_UP)
    await stack.parcel(claim, TO_CENTRE, rpb.PARCEL_EVENT_DELIVERED)
    async with browser(stack) as web:  # the acceptance e-mail's link, opened again once the centre has the unit
        opened = await web.get(link.removeprefix(stack.portal_url))
        assert opened.headers["location"] == "/claim/label"
        label = await page(web, "/claim/label")
        assert FR["state.RECEIVED"] in label and FR["label.none"] in label
        assert "/claim/label.pdf" not in label and FR["label.step3"] not in label
        assert f'<a class="button" href="/claim">{FR["common.back"]}</a>' in label
        assert offered(label) == {"/claim/photos"}
        survey = await page(web, "/claim/survey")
        assert FR["state.RECEIVED"] in survey and FR["survey.closed"] in survey and 'name="score"' not in survey
        info = await page(web, "/claim/info")
        assert FR["state.RECEIVED"] in info and FR["info.nothing"] in info and 'name="answer"' not in info

    await stack.repair_and_close(claim.rma, score=9, answered_by="ops")
    async with browser(stack) as web:
        await web.get(link.removeprefix(stack.portal_url))
        survey = await page(web, "/claim/survey")
        assert FR["survey.answered"] in survey and 'name="score"' not in survey
        label = await page(web, "/claim/label")
        assert FR["state.CLOSED"] in label and offered(label) == set()
