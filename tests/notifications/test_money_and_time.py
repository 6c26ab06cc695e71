"""Money and time as each reader reads them, held against Babel (the reference library): the currency's own
minor units, the locale's separators and symbol, dates in the locale's words, times in the customer's zone
(issue 13, item 1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from aftercare.notifications.v1 import notifications_pb2 as npb
from babel.dates import format_date
from babel.numbers import format_currency

from services.kit.errors import Violations
from services.kit.l10n import local_time, money
from services.kit.validation import check_money
from services.notifications.domain.messages import LOCALES
from services.notifications.rendering import Renderer
from tests.notifications.test_delivery import owner
from tests.stack import Stack, new_id, until

R = Renderer("https://temporal.example", strict=True)


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "major"),
    [
        (123456, "EUR", "fr", "1234.56"),
        (123456, "EUR", "ru", "1234.56"),
        (123456, "EUR", "en", "1234.56"),
        (12345, "KWD", "en", "12.345"),  # three decimals
        (12345, "KWD", "ko", "12.345"),
        (500, "XOF", "fr", "500"),  # no decimals
        (500, "JPY", "ms", "500"),
        (4900, "MYR", "ms", "49.00"),
    ],
)
def test_money_reads_as_babel_writes_it(minor: int, currency: str, locale: str, major: str) -> None:
    assert money(minor, currency, locale) == format_currency(Decimal(major), currency, locale=locale)


def test_the_french_read_euros_the_french_way() -> None:
    assert money(123456, "EUR", "fr").replace("\u202f", " ").replace("\xa0", " ") == "1 234,56 €"
    assert "123.45" not in money(12345, "KWD", "en") and "5.00" not in money(500, "XOF", "en")


@pytest.mark.parametrize("locale", LOCALES)
def test_a_quote_shows_its_price_in_the_readers_locale(locale: str) -> None:
    variables = {
        "rma": "RMA-7KQM-X3TD",
        "amount_minor": "12345",
        "currency": "KWD",
        "expires_at": "2026-03-05T09:30:00+00:00",
    }
    out = R.render("quote_offered", locale, variables)
    assert format_currency(Decimal("12.345"), "KWD", locale=locale) in out.text


def test_dates_are_the_locales_own_words() -> None:
    day = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    assert "2026년 3월 5일" in local_time(day, "ko", UTC)
    assert "5 mars 2026" in local_time(day, "fr", UTC)
    assert "03월" not in local_time(day, "ko", UTC)


@pytest.mark.parametrize(
    ("zone", "hour"),
    [
        (ZoneInfo("Europe/Paris"), "10:30"),
        (ZoneInfo("Asia/Kuala_Lumpur"), "17:30"),
        (timezone(timedelta(hours=-5)), "04:30"),
    ],
)
def test_times_are_in_the_customers_zone(zone: timezone | ZoneInfo, hour: str) -> None:
    assert hour in local_time(datetime(2026, 3, 5, 9, 30, tzinfo=UTC), "fr", zone)


def test_a_message_renders_in_the_zone_it_is_given() -> None:
    variables = {"serial": "SN-1", "sku": "KETTLE", "coverage_end_at": "2027-01-15T23:30:00+00:00"}
    paris = R.render("extended_plan_offer", "fr", variables, zone="Europe/Paris")
    assert format_date(datetime(2027, 1, 16).date(), "long", locale="fr") in paris.text  # after midnight in Paris
    utc = R.render("extended_plan_offer", "fr", variables)
    assert format_date(datetime(2027, 1, 15).date(), "long", locale="fr") in utc.text
    offset = R.render("extended_plan_offer", "fr", variables, zone="+01:00")
    assert format_date(datetime(2027, 1, 16).date(), "long", locale="fr") in offset.text


@pytest.mark.parametrize(
    ("currency", "ok"), [("EUR", True), ("KWD", True), ("XOF", True), ("ABC", False), ("XXX", False), ("eur", False)]
)
def test_currency_codes_are_iso_4217(currency: str, ok: bool) -> None:
    v = Violations()
    check_money(v, "price", currency, 100, required=True)
    assert (not v) is ok


async def test_the_e_mail_shows_the_date_in_the_zone_the_unit_was_sold_in(stack: Stack) -> None:
    serial, _ = await owner(stack)  # sold at a till one hour east of UTC, to a French customer
    variables = {"serial": serial, "sku": "KETTLE-3000", "coverage_end_at": "2027-01-15T23:30:00+00:00"}
    request = npb.SendNotificationRequest(
        request_id=new_id(), template="extended_plan_offer", recipient=f"warranty:{serial}", variables=variables
    )
    await stack.notifications.SendNotification(request, metadata=stack.as_("ops"))

    async def mailed() -> bool:
        return len(stack.mail.messages) == 1

    await until(mailed, what="the plan offer in the mail sink")
    text = stack.mail.messages[0].text
    assert format_date(datetime(2027, 1, 16).date(), "long", locale="fr") in text  # 00:30 on the 16th there
