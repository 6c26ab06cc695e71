"""Claim review in a real browser (Chromium through Playwright): ops asks the customer for photos and a better
description; the customer opens the link in the e-mail, answers on the portal with a photo, and the review
goes on; the page passes axe-core in every locale and fits a phone."""

from __future__ import annotations

import pytest
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.warranty.v1 import warranty_pb2 as wpb
from playwright.async_api import Browser, FilePayload, expect

from tests.portal.browser import PHONE, serious_violations, shot
from tests.portal.helpers import mailed_links
from tests.repairs.test_photos import jpeg_with_gps
from tests.stack import Stack, new_serial

pytestmark = pytest.mark.timeout(180)


async def test_the_customer_answers_an_information_request_with_a_photo(stack: Stack, chromium: Browser) -> None:
    await stack.product(approval=wpb.ApprovalPolicy(mode=wpb.APPROVAL_MODE_MANUAL))
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial)
    claim = await stack.file(serial, locale="fr")
    assert claim.state == rpb.CLAIM_STATE_AWAITING_REVIEW
    await stack.ask(claim.rma, rpb.INFORMATION_NEEDED_PHOTOS, rpb.INFORMATION_NEEDED_DESCRIPTION)
    (link,) = await mailed_links(stack, claim.rma, subject_has="Il nous manque")
    mail = next(m for m in stack.mail.messages if "Il nous manque" in m.subject)
    assert "des photos de la panne" in mail.text  # the e-mail names what is needed, in French

    context = await chromium.new_context(locale="fr-FR")
    page = await context.new_page()
    await page.goto(link)
    assert page.url.endswith("/claim/info")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Ce qu'il nous faut")
    await expect(page.get_by_role("listitem").filter(has_text="Des photos de la panne")).to_be_visible()
    await expect(page.get_by_role("listitem").filter(has_text="Une description plus complète")).to_be_visible()
    for locale in ("en", "ru", "ko", "ms", "fr"):
        await page.goto(f"{stack.portal_url}/lang/{locale}?next=/claim/info")
        await expect(page.locator("html")).to_have_attribute("lang", locale)
        assert await serious_violations(page) == [], locale
        await shot(page, f"info-{locale}")

    await page.get_by_role("button", name="Envoyer").click()  # nothing written, nothing attached
    await expect(page.get_by_role("alert")).to_have_text("Écrivez une réponse ou ajoutez une photo.")
    await page.get_by_label("Votre réponse").fill("La bouilloire s'arrête après dix secondes, voyant rouge allumé.")
    await page.get_by_label("Une photo (facultatif)").set_input_files(
        files=FilePayload(name="panne.jpg", mimeType="image/jpeg", buffer=jpeg_with_gps())
    )
    await page.get_by_role("button", name="Envoyer").click()
    await expect(page.get_by_role("status")).to_have_text("Merci : nous avons votre réponse et l'examen reprend.")
    await expect(page.locator(".state")).to_have_text("Un membre de notre équipe examine votre demande.")
    await expect(page.get_by_text("(vous)").first).to_be_visible()  # the timeline says who moved it
    await shot(page, "claim-fr-answered")

    read = await stack.get(claim.rma)
    assert read.state == rpb.CLAIM_STATE_AWAITING_REVIEW
    provided = next(e for e in read.timeline if e.kind == "INFO_PROVIDED")
    assert (provided.actor.kind, provided.actor.id, provided.detail) == (
        "customer",
        read.customer_id,
        "1 photo(s) and text",
    )
    photos = await stack.repairs.ListAttachments(rpb.ListAttachmentsRequest(rma=claim.rma), metadata=stack.as_("ops"))
    assert len(photos.attachments) == 1
    answers = await stack.repairs_app.repo.answers(claim.rma)
    assert [a.text for a in answers] == ["La bouilloire s'arrête après dix secondes, voyant rouge allumé."]

    phone = await chromium.new_context(viewport=PHONE, locale="fr-FR", storage_state=await context.storage_state())
    small = await phone.new_page()
    await small.goto(f"{stack.portal_url}/claim/info")
    await expect(small.get_by_text("Nous n'attendons rien de votre part")).to_be_visible()  # answered already
    assert await small.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    await stack.approve(claim.rma)
    await page.reload()
    await expect(page.locator(".state")).to_have_text("Demande acceptée : merci de nous envoyer l'appareil.")
    await context.close()
    await phone.close()
