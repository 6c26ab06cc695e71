"""The answer to an information request over real HTTP: a refused photo gives the form back with the text as
typed (nothing is lost), a forged form opens nothing, a retried answer counts once, and a claim that waits for
nothing says so."""

from __future__ import annotations

from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.warranty.v1 import warranty_pb2 as wpb

from tests.portal.helpers import browser, csrf_and_request_id, mailed_links
from tests.stack import Stack, new_serial

TEXT = "It clicks twice & then <stops>."


async def asked(stack: Stack) -> rpb.Claim:
    await stack.product(approval=wpb.ApprovalPolicy(mode=wpb.APPROVAL_MODE_MANUAL))
    serial = new_serial()
    await stack.sale(serial)
    claim = await stack.file(serial, locale="en")
    await stack.ask(claim.rma, rpb.INFORMATION_NEEDED_PHOTOS)
    return claim


async def test_an_answer_keeps_the_text_when_its_photo_is_refused_and_counts_once(stack: Stack) -> None:
    claim = await asked(stack)
    (link,) = await mailed_links(stack, claim.rma, subject_has="We need something")
    async with browser(stack) as web:
        opened = await web.get(link)
        assert opened.headers["location"] == "/claim/info"
        page = await web.get("/claim/info")
        assert page.status_code == 200 and "Photos of the fault" in page.text
        csrf, request_id = csrf_and_request_id(page.text)

        forged = await web.post("/claim/info", data={"csrf": "x" * len(csrf), "request_id": request_id, "answer": TEXT})
        assert forged.status_code == 404

        bad = await web.post(
            "/claim/info",
            data={"csrf": csrf, "request_id": request_id, "answer": TEXT},
            files={"photo": ("receipt.jpg", b"#!/bin/sh\necho not a photo\n", "image/jpeg")},
        )
        assert bad.status_code == 400 and "not a JPEG or PNG photo" in bad.text
        assert "It clicks twice &amp; then &lt;stops&gt;.</textarea>" in bad.text  # as typed, escaped
        assert (await stack.get(claim.rma)).state == rpb.CLAIM_STATE_AWAITING_CUSTOMER_INFO
        assert await stack.repairs_app.repo.answers(claim.rma) == []

        csrf, request_id = csrf_and_request_id(bad.text)
        form = {"csrf": csrf, "request_id": request_id, "answer": TEXT}
        sent = await web.post("/claim/info", data=form, files={"photo": ("", b"", "application/octet-stream")})
        again = await web.post("/claim/info", data=form, files={"photo": ("", b"", "application/octet-stream")})
        assert sent.status_code == again.status_code == 303 and sent.headers["location"] == "/claim?done=answered"
        read = await stack.get(claim.rma)
        assert read.state == rpb.CLAIM_STATE_AWAITING_REVIEW
        assert [e.kind for e in read.timeline].count("INFO_PROVIDED") == 1
        assert [a.text for a in await stack.repairs_app.repo.answers(claim.rma)] == [TEXT]

        nothing = await web.get("/claim/info")
        assert nothing.status_code == 200 and "not waiting for anything from you" in nothing.text

        await stack.reject(claim.rma, rpb.REJECTION_REASON_MISUSE, note="liquid inside")
        rejected = await web.get("/claim")
        assert "The damage comes from use the warranty does not cover." in rejected.text  # why, in their words
        assert "liquid inside" not in rejected.text and "MANUAL_POLICY" not in rejected.text  # ops' words stay
