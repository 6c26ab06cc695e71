"""The warranty page, opened from the plan-offer e-mail: the coverage, the offer at the product's price in the
reader's locale, and buying it through the payment provider (the local fake) with PurchaseExtendedPlan: a
double post buys one plan."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta, timezone

import pytest
from aftercare.notifications.v1 import notifications_pb2 as npb
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.warranty.v1 import warranty_pb2 as wpb
from babel.dates import format_date

from services.kit.auth import key_digest
from services.kit.grants import METADATA_KEY, Grant, Subject, sign
from services.portal.domain.links import WARRANTY_PURPOSES
from tests.portal.helpers import LINK, browser, csrf_and_request_id
from tests.stack import Stack, new_id, new_serial, until

pytestmark = pytest.mark.timeout(120)


async def offer_link(stack: Stack) -> tuple[str, str]:
    await stack.product(plan=(24, 4900))
    serial = new_serial()
    await stack.sale(serial)
    variables = {"serial": serial, "sku": "KETTLE-3000", "coverage_end_at": "2027-01-15T00:00:00+00:00"}
    await stack.notifications.SendNotification(
        npb.SendNotificationRequest(
            request_id=new_id(), template="extended_plan_offer", recipient=f"warranty:{serial}", variables=variables
        ),
        metadata=stack.as_("ops"),
    )

    async def arrived() -> bool:
        return any(m.list_unsubscribe for m in stack.mail.messages)

    await until(arrived, within=30, what="the plan offer")
    [offer] = [link for m in stack.mail.messages if m.list_unsubscribe for link in LINK.findall(m.text)]
    return serial, offer


async def warranty(stack: Stack, serial: str) -> wpb.Warranty:
    got = await stack.warranty.GetWarranty(wpb.GetWarrantyRequest(serial=serial), metadata=stack.as_("ops"))
    return got.warranty


async def test_the_offer_link_opens_the_warranty_and_the_plan_is_bought_once(stack: Stack) -> None:
    serial, link = await offer_link(stack)
    assert serial not in link
    await stack.centre()
    claim = await stack.file(serial)
    async with browser(stack) as web:
        opened = await web.get(link.removeprefix(stack.portal_url))
        assert opened.headers["location"] == "/warranty"
        page = await web.get("/warranty")
        text = html.unescape(page.text)
        assert "Votre garantie" in text and "Garantie standard" in text
        assert "Demandes pour cet appareil" in text and claim.rma in text  # the claims on the unit
        assert "24 mois" in text and ("49,00\u00a0€" in text or "49,00\u202f€" in text)
        before = await warranty(stack, serial)
        last_day = before.coverage_end_time.ToDatetime(UTC) - timedelta(microseconds=1)  # the end is exclusive
        sale_zone = timezone(timedelta(hours=1))  # the zone the unit was sold in (tests/stack.py)
        assert format_date(last_day.astimezone(sale_zone).date(), "long", locale="fr") in text
        csrf, request_id = csrf_and_request_id(page.text)
        for _ in range(2):  # a double click
            bought = await web.post("/warranty/plan", data={"csrf": csrf, "request_id": request_id})
            assert bought.headers["location"] == "/warranty?done=plan"
        assert "l'extension est ajoutée" in html.unescape((await web.get("/warranty?done=plan")).text)
        claim_page = await web.get("/claim")  # a warranty's link opens no claim
        assert claim_page.status_code == 404
    after = await warranty(stack, serial)
    assert len(after.extended_plans) == 1 and after.extended_plans[0].plan_reference.startswith("fake_")
    assert after.extended_plans[0].months == 24


async def test_a_warranty_link_cannot_read_another_warranty(stack: Stack) -> None:
    serial, link = await offer_link(stack)
    other = new_serial()
    await stack.sale(other)
    async with browser(stack) as web:
        await web.get(link.removeprefix(stack.portal_url))
        page = await web.get("/warranty")
        assert page.status_code == 200
    portal = stack.as_("portal")
    import grpc

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stack.warranty.GetWarranty(wpb.GetWarrantyRequest(serial=other), metadata=portal)
    assert refused.value.code() is grpc.StatusCode.NOT_FOUND
    soon = datetime.now(UTC) + timedelta(minutes=1)
    granted = Grant(Subject.WARRANTY, other, WARRANTY_PURPOSES, soon)
    signed = (*portal, (METADATA_KEY, sign(granted, key_digest(stack.keys["portal"]))))
    listed = await stack.repairs.ListClaims(rpb.ListClaimsRequest(serial=other), metadata=signed)
    assert list(listed.claims) == []
    for request in (rpb.ListClaimsRequest(serial=serial), rpb.ListClaimsRequest()):  # another unit, or all
        with pytest.raises(grpc.aio.AioRpcError) as listing:
            await stack.repairs.ListClaims(request, metadata=signed)
        assert listing.value.code() is grpc.StatusCode.PERMISSION_DENIED
