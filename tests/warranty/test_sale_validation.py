"""Validation of serials, contacts and purchase times: every field named, no value quoted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from email_validator import EmailNotValidError, validate_email

from services.kit.errors import Violations
from services.kit.validation import (
    Contact,
    canonical_email,
    canonical_locale,
    canonical_phone,
    canonical_serial,
    check_contact,
    takes_sms,
)
from services.warranty.domain.sales import CivilTime, check_purchase_time, customer_id

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LAUNCH = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("sn-0001", "SN-0001"),
        ("ＳＮ－０００１", "SN-0001"),  # full-width forms fold under NFKC
        ("  AB12/X.Y_Z \n", "AB12/X.Y_Z"),  # a scanner's trailing newline is trimmed
        ("A" * 64, "A" * 64),
    ],
)
def test_serials_are_canonicalised(raw: str, canonical: str) -> None:
    assert canonical_serial(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "SN\u200b0001",  # zero-width space
        "SN\u202e1000",  # right-to-left override
        "SN\u20660001",  # left-to-right isolate
        "\ufeffSN0001",  # byte-order mark
        "SN\x000001",  # NUL
        "SN 0001",  # inner space
        "SN",  # too short
        "A" * 65,  # too long
        "-SN0001",  # must start with a letter or digit
        "SN0001é",  # outside the allow-list
        "",
    ],
)
def test_bad_serials_are_rejected(raw: str) -> None:
    with pytest.raises(ValueError):
        canonical_serial(raw)


@pytest.mark.parametrize("email", ["jo@example.com", "a.b+tag@sub.example.co.uk", "JO@Example.COM", "ü@exämple.de"])
def test_good_emails(email: str) -> None:
    assert "@" in canonical_email(email)


def test_email_domain_is_lower_cased() -> None:
    assert canonical_email("Jo@Example.COM") == "Jo@example.com"


@pytest.mark.parametrize(
    "email",
    [
        "jo",
        "jo@",
        "@example.com",
        "jo@example",
        "jo@@example.com",
        "jo@exa mple.com",
        "jo..x@example.com",
        "a" * 65 + "@example.com",
        "jo@-example.com",
    ],
)
def test_bad_emails(email: str) -> None:
    with pytest.raises(ValueError):
        canonical_email(email)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("en", "en"),
        ("FR-ca", "fr-CA"),
        ("ms-MY", "ms-MY"),
        ("ms_MY", "ms-MY"),  # the form docs/notifications.md names: one answer everywhere
        ("en_us", "en-US"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("sr_Latn_RS", "sr-Latn-RS"),
        ("es-419", "es-419"),
        (" ko-KR ", "ko-KR"),
    ],
)
def test_locales(raw: str, canonical: str) -> None:
    assert canonical_locale(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("english", "BCP 47"),
        ("e", "BCP 47"),
        ("en-", "BCP 47"),
        ("en-USA1", "BCP 47"),
        ("en__US", "BCP 47"),
        ("xx-YY", "language"),  # the shape of a tag, but no such language
        ("qq", "language"),
        ("en-XY", "region"),
        ("en-ZZ", "region"),  # CLDR's "unknown region"
        ("zh-Abcd-TW", "script"),
        ("en-Zzzz", "script"),  # CLDR's "unknown script", as ZZ is its unknown region
    ],
)
def test_bad_locales(raw: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        canonical_locale(raw)


# ASCII addresses take a fast path; it must answer as email-validator does (the same mailbox, the same id).
AGREEMENT = [
    "jo@example.com",
    "Jo@Example.COM",
    "a.b+tag@sub.example.co.uk",
    "jo@xn--bcher-kva.example",  # IDNA: email-validator's answer is the Unicode domain
    "JO@XN--BCHER-KVA.EXAMPLE",
    "jo@aftercare.local",  # special-use names are refused
    "jo@mail.test",
    "jo@x.invalid",
    "jo@something.onion",
    "jo@host.arpa",
    "jo@example",
    "jo..x@example.com",
    "jo@-example.com",
    "jo@exa_mple.com",
]


@pytest.mark.parametrize("email", AGREEMENT)
def test_the_fast_path_agrees_with_email_validator(email: str) -> None:
    try:
        reference: str | None = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        reference = None
    try:
        ours: str | None = canonical_email(email)
    except ValueError:
        ours = None
    assert ours == reference


def test_one_mailbox_one_customer_id() -> None:
    key = b"k"
    ascii_form = Contact("jo@xn--bcher-kva.example", "", "en")
    unicode_form = Contact("jo@bücher.example", "", "en")
    assert canonical_email(ascii_form.email) == canonical_email(unicode_form.email)
    assert customer_id(key, Contact(canonical_email(ascii_form.email), "", "en")) == customer_id(
        key, Contact(canonical_email(unicode_form.email), "", "en")
    )


def test_contact_violations_name_every_field_and_quote_nothing() -> None:
    v = Violations()
    check_contact(v, "contact", "not-an-email", "0123", "??")
    fields = {item.field for item in v.items}
    assert fields == {"contact.email", "contact.phone", "contact.locale"}
    assert not any("not-an-email" in item.description or "0123" in item.description for item in v.items)


def test_contact_needs_email_or_phone() -> None:
    v = Violations()
    check_contact(v, "contact", "", "", "en")
    assert [item.field for item in v.items] == ["contact"]
    ok = Violations()
    assert check_contact(ok, "contact", "", "+447400765432", "en").phone == "+447400765432"
    assert not ok


def test_customer_ids_are_stable_opaque_and_keyed() -> None:
    jo = Contact("Jo@Example.com", "", "en")
    same = Contact("jo@example.com", "+447400765432", "fr")
    assert customer_id(b"k", jo) == customer_id(b"k", same)
    assert customer_id(b"k", jo) != customer_id(b"other", jo)
    assert "jo" not in customer_id(b"k", jo).removeprefix("cus_")


def civil(**kw: object) -> CivilTime:
    base: dict[str, object] = {"year": 2026, "month": 5, "day": 1, "hours": 10, "utc_offset": timedelta(hours=2)}
    base.update(kw)
    return CivilTime(**base)  # type: ignore[arg-type]


def test_purchase_time_with_offset_or_zone() -> None:
    v = Violations()
    assert check_purchase_time(v, "t", civil(), LAUNCH, NOW) == (datetime(2026, 5, 1, 8, tzinfo=UTC), "+02:00")
    zoned = check_purchase_time(v, "t", civil(utc_offset=None, time_zone="Asia/Kuala_Lumpur"), LAUNCH, NOW)
    assert zoned == (datetime(2026, 5, 1, 2, tzinfo=UTC), "Asia/Kuala_Lumpur")
    assert not v


@pytest.mark.parametrize(
    ("value", "field", "description"),
    [
        (None, "t", "is required"),
        (civil(utc_offset=None), "t", "must carry a time zone (time_zone or utc_offset)"),
        (civil(utc_offset=None, time_zone="Nowhere/City"), "t.time_zone", "is not a known IANA time zone"),
        (civil(utc_offset=timedelta(hours=15)), "t.utc_offset", "must be within ±14 hours"),
        (civil(month=2, day=30), "t", "is not a valid date and time"),
        (civil(year=2026, month=6, day=1, hours=14, minutes=2), "t", "must not be in the future"),
        (civil(year=2023, month=12, day=31), "t", "must not be before the product's launch"),
    ],
)
def test_bad_purchase_times(value: CivilTime | None, field: str, description: str) -> None:
    v = Violations()
    check_purchase_time(v, "t", value, LAUNCH, NOW)
    assert [(i.field, i.description) for i in v.items] == [(field, description)]


def test_a_till_a_little_ahead_is_tolerated() -> None:
    v = Violations()
    check_purchase_time(v, "t", civil(month=6, day=1, hours=14, minutes=0, seconds=30), LAUNCH, NOW)
    assert not v


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+7 912 345-67-89", "+79123456789"),  # spaced and dashed as people write it
        ("+447400765432", "+447400765432"),
        ("+33 1 42 68 53 00", "+33142685300"),  # a fixed line is a valid number (it just takes no SMS)
        ("+60 12-345 6789", "+60123456789"),
        ("+82 10-1234-5678", "+821012345678"),
    ],
)
def test_phones_are_stored_in_e164(raw: str, e164: str) -> None:
    assert canonical_phone(raw) == e164


@pytest.mark.parametrize(
    "raw",
    ["+10000000", "+999123456789", "+441632960961", "0612345678", "+33 6 12", "+44 7400 765432 ext 9x", "phone"],
)
def test_numbers_that_cannot_be_dialled_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="international number"):
        canonical_phone(raw)


@pytest.mark.parametrize(
    ("e164", "sms"),
    [("+447400765432", True), ("+33612345678", True), ("+33142685300", False), ("+4930123456", False)],
)
def test_a_fixed_line_takes_no_sms(e164: str, sms: bool) -> None:
    assert takes_sms(e164) is sms
