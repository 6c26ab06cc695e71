"""Every template renders in every locale with nothing missing; the catalogs agree key for key and
placeholder for placeholder; HTML escapes; an unknown locale falls back to English."""

from __future__ import annotations

import string
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from markupsafe import escape

from contracts.claims import InfoNeeded
from lifecycle.review import RejectionReason
from services.notifications.domain.messages import LINKS, LOCALES, RESOLUTIONS, TEMPLATES, Audience
from services.notifications.rendering import TEMPLATE_DIR, MissingText, Renderer, catalog

RENDERED = [name for name, spec in TEMPLATES.items() if spec.audience is not Audience.RETAILER]
SAMPLE = {
    "rma": "RMA-7KQM-X3TD",
    "serial": "SN-1234",
    "sku": "KETTLE-3000",
    "ship_by_at": "2026-12-01T14:00:00+00:00",
    "expires_at": "2026-12-08T09:30:00+00:00",
    "due_at": "2026-12-03T00:00:00+00:00",
    "coverage_end_at": "2027-01-15T00:00:00+00:00",
    "amount_minor": "14900",
    "currency": "EUR",
    "tracking_number": "LC12345678903",
    "resolution": "REPAIRED",
    "centre_id": "demo-centre",
    "code": "042917",
    "reference": "RMA-7KQM-X3TD",
    "needed": "PROOF_OF_PURCHASE,PHOTOS",
    "answer_by_at": "2026-12-11T09:30:00+00:00",
    "reason": "MISUSE",
    "reasons": "MANUAL_POLICY",
    "since_at": "2026-12-01T09:30:00+00:00",
    "direction": "TO_CENTRE",
}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", RENDERED)
def test_every_template_renders_in_every_locale(template: str, locale: str) -> None:
    link = "https://portal.example/l/tok_EN-123"
    out = Renderer("https://temporal.example", strict=True).render(template, locale, SAMPLE, link=link)
    assert out.locale == locale
    if template in LINKS:  # the portal's link in the e-mail; in the SMS too where it is the message's action
        assert link in out.text and f'href="{link}"' in out.html
        assert (link in out.sms) is (LINKS[template][0] != "follow_url")
    assert out.subject and out.text.strip() and "<html" in out.html
    for part in (out.subject, out.text, out.html, out.sms):
        assert "{" not in part and "}" not in part, "an unfilled placeholder"
    if "rma" in TEMPLATES[template].variables:
        assert SAMPLE["rma"] in out.text and SAMPLE["rma"] in out.html
    assert bool(out.sms) is (TEMPLATES[template].audience is Audience.CUSTOMER)


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
def test_each_locale_has_exactly_the_english_keys_and_placeholders(locale: str) -> None:
    english, other = catalog("en"), catalog(locale)
    assert sorted(other) == sorted(english)
    for key, text in english.items():
        assert placeholders(other[key]) == placeholders(text), key


def test_each_template_has_a_text_and_an_html_file_and_its_texts() -> None:
    english = catalog("en")
    for name in RENDERED:
        assert (TEMPLATE_DIR / f"{name}.txt.j2").exists() and (TEMPLATE_DIR / f"{name}.html.j2").exists()
        assert f"{name}.subject" in english and f"{name}.intro" in english
        if TEMPLATES[name].audience is Audience.CUSTOMER:
            assert f"{name}.sms" in english
    for resolution in RESOLUTIONS:
        assert f"outcome.{resolution}" in english and f"shipped_because.{resolution}" in english


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", ["parcel_exception", "parcel_alert"])
def test_a_parcel_in_trouble_says_which_way_it_was_going(template: str, locale: str) -> None:
    renderer = Renderer("https://temporal.example", strict=True)
    there = renderer.render(template, locale, SAMPLE, link="https://p.example/l/x")
    back = renderer.render(template, locale, SAMPLE | {"direction": "TO_CUSTOMER"}, link="https://p.example/l/x")
    texts = catalog(locale)
    assert texts[f"{template}.intro"].format_map(SAMPLE) in there.text
    assert texts[f"{template}.intro_back"].format_map(SAMPLE) in back.text and there.text != back.text
    assert SAMPLE["tracking_number"] in there.text and SAMPLE["tracking_number"] in back.text


def test_a_strict_renderer_refuses_a_missing_key() -> None:
    renderer = Renderer("https://temporal.example", strict=True)
    with pytest.raises(MissingText):
        renderer.render("device_received", "fr", {})  # {rma} has no value


def test_an_unknown_or_regional_locale_falls_back() -> None:
    renderer = Renderer("https://temporal.example")
    assert renderer.render("delivered", "de-DE", SAMPLE).locale == "en"
    assert renderer.render("delivered", "ms-MY", SAMPLE).subject.startswith("Dihantar")
    assert renderer.render("delivered", "fr_CA", SAMPLE).subject.startswith("Livré")


def test_html_escapes_what_it_is_given_and_links_the_portal() -> None:
    link = "https://portal.example/l/a&b"
    out = Renderer("https://temporal.example").render("claim_accepted", "en", {"rma": "<b>RMA</b>"}, link=link)
    assert "<b>RMA</b>" not in out.html and "&lt;b&gt;RMA&lt;/b&gt;" in out.html
    assert 'href="https://portal.example/l/a&amp;b"' in out.html


def test_ops_messages_link_the_claim_in_the_temporal_ui_and_customer_links_name_no_rma() -> None:
    out = Renderer("https://temporal.example").render("sla_breached", "en", SAMPLE)
    assert f"https://temporal.example/namespaces/default/workflows/claim-{SAMPLE['rma']}" in out.text
    customer = Renderer("https://temporal.example").render("survey", "en", SAMPLE, link="https://p.example/l/x")
    assert f"/{SAMPLE['rma']}" not in customer.text


def test_money_and_dates_are_formatted_per_locale() -> None:
    renderer = Renderer("https://temporal.example")
    fr = renderer.render("quote_offered", "fr", SAMPLE).text
    ko = renderer.render("quote_offered", "ko", SAMPLE).text
    assert format_currency(Decimal("149.00"), "EUR", locale="fr") in fr and "8 décembre 2026, 09:30 (UTC)" in fr
    assert "2026년 12월 8일 오전 9:30 (UTC)" in ko
    yen = renderer.render("quote_offered", "en", SAMPLE | {"currency": "JPY", "amount_minor": "14900"}).text
    assert "¥14,900" in yen


def test_the_one_time_code_is_in_the_body_and_never_in_the_subject_the_log_keeps() -> None:
    for locale in LOCALES:
        out = Renderer("https://temporal.example", strict=True).render("access_code", locale, SAMPLE)
        assert "042917" in out.text and "042917" in out.html and "042917" in out.sms
        assert "042917" not in out.subject  # the delivery log keeps the subject
        assert SAMPLE["reference"] in out.subject and SAMPLE["reference"] in out.text  # what the code opens


def test_every_information_need_and_rejection_reason_has_its_sentence() -> None:
    """What ops may ask for and reject for (the repairs API's enums) reads in the customer's words."""
    english = catalog("en")
    assert {f"needed.{n.value}" for n in InfoNeeded} <= english.keys()
    assert {f"rejection.{r.value}" for r in RejectionReason} <= english.keys()


@pytest.mark.parametrize("locale", LOCALES)
def test_an_information_request_lists_each_thing_asked_in_the_readers_words(locale: str) -> None:
    out = Renderer("https://temporal.example", strict=True).render(
        "info_requested", locale, SAMPLE, link="https://p/l/x"
    )
    texts = catalog(locale)
    for code in ("PROOF_OF_PURCHASE", "PHOTOS"):
        assert texts[f"needed.{code}"] in out.text and str(escape(texts[f"needed.{code}"])) in out.html
    assert texts["needed.DESCRIPTION"] not in out.text


@pytest.mark.parametrize("locale", LOCALES)
def test_a_rejection_after_review_says_why_in_the_readers_words(locale: str) -> None:
    out = Renderer("https://temporal.example", strict=True).render(
        "review_rejected", locale, SAMPLE, link="https://p/l/x"
    )
    because = catalog(locale)["rejection.MISUSE"]
    assert because in out.text and because in out.sms
