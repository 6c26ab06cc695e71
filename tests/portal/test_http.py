"""The portal over real HTTP against the running system: a customer follows the link in the e-mail the
notifications service sent (through the real SMTP sink), and every action goes through the services' gRPC
API into the claim's workflow. Attacks get the one denial page and change nothing."""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aftercare.notifications.v1 import notifications_pb2 as npb
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.warranty.v1 import warranty_pb2 as wpb

from contracts.notifications import notify_workflow_id
from services.kit.auth import key_digest
from services.kit.grants import METADATA_KEY, Grant, Subject, sign
from services.portal.domain.links import CLAIM_PURPOSES
from tests.portal.helpers import browser, claim_with_link, csrf_and_request_id
from tests.stack import Stack, new_id, new_serial, until

pytestmark = pytest.mark.timeout(120)


async def state(stack: Stack, rma: str) -> int:
    return (await stack.get(rma)).state


async def test_the_e_mail_link_opens_the_claim_in_the_customers_language_without_naming_it_in_the_url(
    stack: Stack,
) -> None:
    claim, link = await claim_with_link(stack)
    assert claim.rma not in link and claim.serial not in link and "example.com" not in link
    async with browser(stack) as web:
        opened = await web.get(link.removeprefix(stack.portal_url))
        assert opened.status_code == 303 and opened.headers["location"] == "/claim/label"
        assert "httponly" in opened.headers["set-cookie"].lower()
        page = await web.get("/claim")
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert '<html lang="fr">' in text and "Votre demande" in text and claim.rma in text
        assert "Demande acceptée : merci de nous envoyer l'appareil." in text
        label = await web.get("/claim/label.pdf")
        assert label.status_code == 200 and label.content.startswith(b"%PDF")
        assert label.headers["content-type"] == "application/pdf"


async def test_every_response_carries_the_security_headers(stack: Stack) -> None:
    _, link = await claim_with_link(stack)
    async with browser(stack) as web:
        for response in (
            await web.get("/"),
            await web.get(link.removeprefix(stack.portal_url)),
            await web.get("/claim"),
        ):
            csp = response.headers["content-security-policy"]
            assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert response.headers["x-frame-options"] == "DENY"


async def test_a_customer_cancels_before_shipping_and_a_retried_post_changes_nothing_twice(stack: Stack) -> None:
    claim, link = await claim_with_link(stack)
    async with browser(stack) as web:
        await web.get(link.removeprefix(stack.portal_url))
        page = await web.get("/claim")
        csrf, request_id = csrf_and_request_id(page.text)
        form = {"csrf": csrf, "request_id": request_id}
        first = await web.post("/claim/cancel", data=form)
        assert first.status_code == 303 and first.headers["location"] == "/claim?done=cancelled"
        assert await state(stack, claim.rma) == rpb.CLAIM_STATE_CANCELLED
        events = len((await stack.get(claim.rma)).timeline)
        again = await web.post("/claim/cancel", data=form)  # the same form sent again: the first answer
        assert again.headers["location"] == "/claim?done=cancelled"
        assert len((await stack.get(claim.rma)).timeline) == events
        fresh = await web.post("/claim/cancel", data={"csrf": csrf, "request_id": "b" * 32})
        assert fresh.headers["location"] == "/claim?done=refused"  # the workflow refuses a second cancel
        shown = await web.get("/claim?done=cancelled")
        assert "Votre demande est annulée." in shown.text


async def test_a_form_without_its_csrf_token_is_refused_with_the_denial_page_and_changes_nothing(
    stack: Stack,
) -> None:
    claim, link = await claim_with_link(stack)
    async with browser(stack) as web:
        await web.get(link.removeprefix(stack.portal_url))
        _, request_id = csrf_and_request_id((await web.get("/claim")).text)
        for form in ({"request_id": request_id}, {"request_id": request_id, "csrf": "forged"}):
            refused = await web.post("/claim/cancel", data=form)
            assert refused.status_code == 404 and "Ce lien n'ouvre plus rien" in html.unescape(refused.text)
        big = await web.post(
            "/claim/cancel",
            content=b"a=" + b"x" * 70_000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert big.status_code == 413
    assert await state(stack, claim.rma) == rpb.CLAIM_STATE_AWAITING_SHIPMENT


async def test_a_link_for_one_claim_never_opens_another_and_a_bad_token_gets_the_one_denial_page(
    stack: Stack,
) -> None:
    first, link_a = await claim_with_link(stack)
    second, _ = await claim_with_link(stack, first=False)
    async with browser(stack) as web:
        await web.get(link_a.removeprefix(stack.portal_url))
        page = await web.get("/claim")
        assert first.rma in page.text and second.rma not in page.text
    token = link_a.rsplit("/", 1)[1]
    almost = token[:-1] + ("A" if token[-1] != "A" else "B")
    async with browser(stack) as web:
        pages = [
            await web.get(f"/l/{almost}"),
            await web.get("/l/short"),
            await web.get("/claim"),  # no session
            await web.get("/claim/label.pdf"),
        ]
        bodies = {p.text for p in pages}
        assert {p.status_code for p in pages} == {404} and len(bodies) == 1  # one page, whatever the reason


async def test_a_revoked_or_expired_link_opens_nothing(stack: Stack) -> None:
    import grpc
    from aftercare.portal.v1 import portal_pb2, portal_pb2_grpc

    claim, link = await claim_with_link(stack)
    async with grpc.aio.insecure_channel(stack.targets["portal"]) as channel:
        portal = portal_pb2_grpc.PortalServiceStub(channel)
        revoked = await portal.RevokeLinks(
            portal_pb2.RevokeLinksRequest(request_id="a" * 32, rma=claim.rma), metadata=stack.as_("ops")
        )
        assert revoked.revoked_count >= 1
    async with browser(stack) as web:
        assert (await web.get(link.removeprefix(stack.portal_url))).status_code == 404


async def test_the_quote_is_accepted_on_the_page_through_the_same_update_as_the_api(stack: Stack) -> None:
    claim, link = await claim_with_link(stack, paid_repair_minor=4900)
    assert claim.state == rpb.CLAIM_STATE_AWAITING_QUOTE_DECISION
    async with browser(stack) as web:
        await web.get(link.removeprefix(stack.portal_url))
        page = await web.get("/claim")
        assert "49,00\xa0€" in page.text or "49,00\u202f€" in page.text
        csrf, request_id = csrf_and_request_id(page.text)
        done = await web.post("/claim/quote", data={"csrf": csrf, "request_id": request_id, "decision": "accept"})
        assert done.headers["location"] == "/claim?done=quote_accepted"
    assert await state(stack, claim.rma) == rpb.CLAIM_STATE_AWAITING_SHIPMENT


async def test_no_token_or_contact_reaches_a_log_line(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # what the services run at
    claim, link = await claim_with_link(stack)
    token = link.rsplit("/", 1)[1]
    async with browser(stack) as web:
        await web.get(link.removeprefix(stack.portal_url))
        await web.get("/claim")
        await web.get(f"/l/{token[:-2]}xx")
    ours = [r for r in caplog.records if r.name != "httpx"]  # httpx is the test's browser, not the system
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    assert token not in logged and "jo@example.com" not in logged
    assert "'route': '/l/{token}'" in logged  # the pattern, not the path
    assert claim.rma


async def test_the_portal_principal_acts_only_through_a_grant(stack: Stack) -> None:
    import grpc

    claim, _ = await claim_with_link(stack)
    portal = stack.as_("portal")
    with pytest.raises(grpc.aio.AioRpcError) as listing:
        await stack.repairs.ListClaims(rpb.ListClaimsRequest(), metadata=portal)
    assert listing.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as reading:
        await stack.repairs.GetClaim(rpb.GetClaimRequest(rma=claim.rma), metadata=portal)  # no grant
    assert reading.value.code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as centre:
        await stack.repairs.UpdateRepairStatus(
            rpb.UpdateRepairStatusRequest(request_id="c" * 32, rma=claim.rma, status=rpb.REPAIR_STATUS_RECEIVED),
            metadata=portal,
        )
    assert centre.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_a_grant_for_one_claim_reads_another_as_unknown(stack: Stack) -> None:
    import grpc

    first, _ = await claim_with_link(stack)
    second, _ = await claim_with_link(stack, first=False)
    key = stack.keys["portal"]
    soon = datetime.now(UTC) + timedelta(minutes=1)
    grant = Grant(Subject.CLAIM, first.rma, CLAIM_PURPOSES, soon)
    signed = (*stack.as_("portal"), (METADATA_KEY, sign(grant, key_digest(key))))
    got = await stack.repairs.GetClaim(rpb.GetClaimRequest(rma=first.rma), metadata=signed)
    assert got.claim.rma == first.rma and not got.claim.HasField("contact") and got.claim.centre_id == ""
    assert all(event.detail == "" for event in got.claim.timeline)
    with pytest.raises(grpc.aio.AioRpcError) as other:
        await stack.repairs.GetClaim(rpb.GetClaimRequest(rma=second.rma), metadata=signed)
    assert other.value.code() is grpc.StatusCode.NOT_FOUND
    forged = (*stack.as_("portal"), (METADATA_KEY, sign(grant, key_digest("not the portal's key"))))
    with pytest.raises(grpc.aio.AioRpcError) as unsigned:
        await stack.repairs.GetClaim(rpb.GetClaimRequest(rma=first.rma), metadata=forged)
    assert unsigned.value.code() is grpc.StatusCode.NOT_FOUND


async def test_preferences_are_set_on_the_portal_for_the_links_customer(stack: Stack) -> None:
    claim, link = await claim_with_link(stack)
    async with browser(stack) as web:
        await web.get(link.removeprefix(stack.portal_url))
        page = await web.get("/preferences")
        assert page.status_code == 200 and 'name="marketing"' in page.text
        csrf, request_id = csrf_and_request_id(page.text)
        form = {"csrf": csrf, "request_id": request_id, "email": "on", "language": "ko"}  # marketing unticked
        saved = await web.post("/preferences", data=form)
        assert saved.headers["location"] == "/preferences?done=preferences"
    got = await stack.notifications.GetPreferences(
        npb.GetPreferencesRequest(customer_id=claim.customer_id), metadata=stack.as_("ops")
    )
    assert got.preferences.locale == "ko" and got.preferences.marketing_opt_out
    assert list(got.preferences.channels) == [npb.CHANNEL_EMAIL]


async def test_an_offer_carries_one_click_unsubscribe_and_one_post_turns_offers_off(stack: Stack) -> None:
    await stack.product()
    serial = new_serial()
    await stack.sale(serial)
    offer = {"serial": serial, "sku": "KETTLE-3000", "coverage_end_at": "2027-01-15T00:00:00+00:00"}

    async def send() -> str:
        sent = await stack.notifications.SendNotification(
            npb.SendNotificationRequest(
                request_id=new_id(), template="extended_plan_offer", recipient=f"warranty:{serial}", variables=offer
            ),
            metadata=stack.as_("ops"),
        )
        return sent.idempotency_key

    await send()
    await until(lambda: _mail_with(stack, serial), within=30, what="the offer")
    mail = next(m for m in stack.mail.messages if serial in m.text or m.list_unsubscribe)
    assert mail.list_unsubscribe_post == "List-Unsubscribe=One-Click"
    url = mail.list_unsubscribe.strip("<>")
    assert url.startswith(f"{stack.portal_url}/u/") and serial not in url
    async with httpx.AsyncClient() as mail_client:  # no cookies, no form token: what a mail client sends
        done = await mail_client.post(
            url, content=b"List-Unsubscribe=One-Click", headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert done.status_code == 200
        again = await mail_client.post(
            url, content=b"List-Unsubscribe=One-Click", headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert again.status_code == 200
    warranty = await stack.warranty.GetWarranty(wpb.GetWarrantyRequest(serial=serial), metadata=stack.as_("ops"))
    prefs = await stack.notifications.GetPreferences(
        npb.GetPreferencesRequest(customer_id=warranty.warranty.customer_id), metadata=stack.as_("ops")
    )
    assert prefs.preferences.marketing_opt_out
    before = len(stack.mail.messages)
    key = await send()  # the next offer is suppressed
    await stack.temporal.get_workflow_handle(notify_workflow_id(key)).result()
    listed = await stack.notifications.ListNotifications(
        npb.ListNotificationsRequest(idempotency_key_prefix=key), metadata=stack.as_("ops")
    )
    assert [n.state for n in listed.notifications] == [npb.Notification.STATE_SUPPRESSED]
    assert len(stack.mail.messages) == before


async def _mail_with(stack: Stack, serial: str) -> bool:
    return any(m.list_unsubscribe for m in stack.mail.messages)


async def _settled(stack: Stack) -> bool:
    running = [
        w async for w in stack.temporal.list_workflows('WorkflowType="NotifyWorkflow" AND ExecutionStatus="Running"')
    ]
    return not running


async def test_each_link_opens_in_its_messages_language_and_only_the_switcher_sticks(stack: Stack) -> None:
    """Opening a French message's link once must not make a Korean message's link open in French later."""
    _, french = await claim_with_link(stack, locale="fr")
    _, korean = await claim_with_link(stack, locale="ko", first=False)

    async def opened_in(web: httpx.AsyncClient, link: str) -> str:
        assert (await web.get(link.removeprefix(stack.portal_url))).status_code == 303
        page = (await web.get("/claim")).text
        return page.split('<html lang="', 1)[1].split('"', 1)[0]

    async with browser(stack, language="en") as web:
        assert await opened_in(web, french) == "fr"
        assert await opened_in(web, korean) == "ko"
        assert await opened_in(web, french) == "fr"
        assert (await web.get("/lang/ru?next=/claim")).status_code == 303  # the reader's own choice
        assert await opened_in(web, korean) == "ru"
