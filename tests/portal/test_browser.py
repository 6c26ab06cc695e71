"""The portal in a real browser (Chromium through Playwright), as a customer uses it: the link from the e-mail
in the SMTP sink, the label download, the page following the claim as the carrier and the centre act, the
quote, the survey, the language switcher, a phone-sized screen; and axe-core on every page in every locale."""

from __future__ import annotations

from typing import Any

import pytest
from aftercare.notifications.v1 import notifications_pb2 as npb
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.warranty.v1 import warranty_pb2 as wpb
from playwright.async_api import Browser, FilePayload, expect

from tests.portal.browser import PHONE, serious_violations, shot
from tests.portal.helpers import claim_with_link
from tests.portal.test_warranty import offer_link
from tests.repairs.test_photos import jpeg_with_gps
from tests.stack import CENTRE, Stack

pytestmark = pytest.mark.timeout(180)


async def test_a_customer_follows_the_claim_from_the_e_mail_to_the_survey(stack: Stack, chromium: Browser) -> None:
    claim, link = await claim_with_link(stack)
    context = await chromium.new_context(locale="fr-FR", accept_downloads=True)
    page = await context.new_page()
    await page.goto(link)
    assert page.url.endswith("/claim/label")  # the acceptance e-mail's link opens the label page
    await expect(page.get_by_role("heading", level=1)).to_have_text("Expédier votre appareil")
    await shot(page, "label-fr")
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Télécharger l'étiquette (PDF)").click()
    download = await waiting.value
    pdf = await download.path()
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")

    await page.get_by_role("link", name="Photos").first.click()
    await page.get_by_label("Choisir une photo").set_input_files(
        files=FilePayload(name="panne.jpg", mimeType="image/jpeg", buffer=jpeg_with_gps())
    )
    await page.get_by_role("button", name="Ajouter la photo").click()
    await expect(page.get_by_role("status")).to_have_text("La photo a été ajoutée.")
    await expect(page.get_by_role("img", name="Photo 1 de la panne")).to_be_visible()
    await shot(page, "photos-fr")

    await page.get_by_role("link", name="Votre demande").first.click()
    await expect(page.locator(".state")).to_have_text("Demande acceptée : merci de nous envoyer l'appareil.")
    await stack.parcel(claim, rpb.DIRECTION_TO_CENTRE, rpb.PARCEL_EVENT_PICKED_UP)
    await page.reload()
    await expect(page.locator(".state")).to_have_text("Votre appareil est en route vers le centre de service.")
    await expect(page.get_by_text("Pris en charge")).to_be_visible()
    await stack.parcel(claim, rpb.DIRECTION_TO_CENTRE, rpb.PARCEL_EVENT_DELIVERED)
    await page.reload()
    await expect(page.locator(".state")).to_have_text("Le centre de service a reçu votre appareil.")
    await shot(page, "claim-fr-at-centre")

    await stack.report(claim.rma, CENTRE, rpb.REPAIR_STATUS_DIAGNOSING)
    covered = rpb.Diagnosis(
        covered_fault=rpb.Diagnosis.CoveredFault(parts=["HEATER-7"], labour_minutes=25),
        root_cause="ELECTRICAL/HEATING_ELEMENT",
    )
    await stack.diagnose(claim.rma, CENTRE, covered)
    home = await stack.report(claim.rma, CENTRE, rpb.REPAIR_STATUS_QUALITY_CHECK, rpb.REPAIR_STATUS_READY_TO_SHIP)
    await stack.parcel(home, rpb.DIRECTION_TO_CUSTOMER, rpb.PARCEL_EVENT_DELIVERED)
    await page.reload()
    await expect(page.locator(".state")).to_have_text("Votre appareil a été livré.")
    await page.get_by_role("link", name="Répondre à l'enquête").first.click()
    await page.locator("label[for=score-9]").click()
    await page.get_by_label("Souhaitez-vous nous dire quelque chose ? (facultatif)").fill("Rapide et soigné.")
    await shot(page, "survey-fr")
    await page.get_by_role("button", name="Envoyer").click()
    await expect(page.get_by_role("status")).to_have_text("Merci pour votre réponse.")
    as_ops = await stack.get(claim.rma)
    assert as_ops.feedback_score == 9 and as_ops.feedback_comment == "Rapide et soigné."  # it reaches ops
    assert (await stack.get(claim.rma, "retailer:demo-retailer")).feedback_comment == ""  # and only ops

    await page.get_by_role("link", name="Préférences de messages").click()
    await page.get_by_label("M'envoyer des offres, comme les extensions de garantie").uncheck()
    await page.get_by_role("button", name="Enregistrer").click()
    await expect(page.get_by_role("status")).to_have_text("Vos préférences sont enregistrées.")
    await shot(page, "preferences-fr")
    prefs = await stack.notifications.GetPreferences(
        npb.GetPreferencesRequest(customer_id=claim.customer_id), metadata=stack.as_("ops")
    )
    assert prefs.preferences.marketing_opt_out
    await page.get_by_role("link", name="Votre demande").first.click()

    await page.get_by_role("link", name="한국어").click()
    await expect(page.locator("html")).to_have_attribute("lang", "ko")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("접수 건")
    await shot(page, "claim-ko")
    phone = await chromium.new_context(viewport=PHONE, locale="fr-FR", storage_state=await context.storage_state())
    small = await phone.new_page()
    await small.goto(f"{stack.portal_url}/claim")
    assert await small.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    await shot(small, "claim-ko-phone")
    await context.close()
    await phone.close()


async def test_a_quote_is_accepted_with_a_click_and_a_double_click_changes_nothing_twice(
    stack: Stack, chromium: Browser
) -> None:
    claim, link = await claim_with_link(stack, paid_repair_minor=4900, locale="en")
    context = await chromium.new_context(locale="en-GB")
    page = await context.new_page()
    await page.goto(link)
    await page.goto(f"{stack.portal_url}/claim")
    await expect(page.locator(".money")).to_have_text("€49.00")
    await shot(page, "quote-en")
    await page.get_by_role("button", name="Accept the quote").dblclick()
    await expect(page.get_by_role("status")).to_have_text("Thank you: the repair will go ahead.")
    after = await stack.get(claim.rma)
    assert after.state == rpb.CLAIM_STATE_AWAITING_SHIPMENT
    assert sum(1 for e in after.timeline if e.kind == "QUOTE_ACCEPTED") == 1
    await context.close()


@pytest.mark.parametrize("locale", ["en", "fr", "ru", "ko", "ms"])
async def test_every_page_passes_axe_in_every_locale(stack: Stack, chromium: Browser, locale: str) -> None:
    claim, link = await claim_with_link(stack, paid_repair_minor=4900, locale=locale)
    context = await chromium.new_context(locale=locale)
    page = await context.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    await page.goto(f"{stack.portal_url}/")
    found["home"] = await serious_violations(page)
    await page.goto(f"{stack.portal_url}/l/not-a-token")
    found["denied"] = await serious_violations(page)
    await page.goto(f"{stack.portal_url}/find/code")
    found["code"] = await serious_violations(page)
    await page.goto(link.replace("/l/", "/u/"))
    found["unsubscribe"] = await serious_violations(page)
    await page.goto(link)
    for path in ("/claim", "/claim/label", "/claim/photos", "/claim/survey", "/preferences"):
        await page.goto(f"{stack.portal_url}{path}")
        await expect(page.locator("html")).to_have_attribute("lang", locale)
        found[path] = await serious_violations(page)
    await shot(page, f"survey-closed-{locale}")
    await page.goto(f"{stack.portal_url}/claim")
    await shot(page, f"claim-quote-{locale}")
    assert claim.rma in await page.content()
    assert {name: v for name, v in found.items() if v} == {}
    await context.close()


async def test_the_plan_offer_page_passes_axe_in_every_locale_and_the_plan_is_bought(
    stack: Stack, chromium: Browser
) -> None:
    serial, link = await offer_link(stack)
    context = await chromium.new_context(locale="fr-FR")
    page = await context.new_page()
    await page.goto(link)
    found: dict[str, list[dict[str, Any]]] = {}
    for locale, name in (
        ("en", "English"),
        ("ru", "Русский"),
        ("ko", "한국어"),
        ("ms", "Bahasa Melayu"),
        ("fr", "Français"),
    ):
        await page.get_by_role("link", name=name).click()
        await expect(page.locator("html")).to_have_attribute("lang", locale)
        found[locale] = await serious_violations(page)
        await shot(page, f"warranty-{locale}")
    assert {locale: v for locale, v in found.items() if v} == {}
    await page.get_by_role("button", name="Acheter l'extension").click()
    await expect(page.get_by_role("status")).to_have_text("Merci : l'extension est ajoutée à votre garantie.")
    got = await stack.warranty.GetWarranty(wpb.GetWarrantyRequest(serial=serial), metadata=stack.as_("ops"))
    assert len(got.warranty.extended_plans) == 1
    await context.close()
