"""Validation of a sale and of a customer's contact. Every problem is reported, each naming its field;
no message quotes the value (it may be personal data)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from services.kit.errors import Violations
from services.warranty.domain.timezones import offset_name, parse_zone

SERIAL_RULE = "4 to 64 characters of A-Z, 0-9, '-', '.', '_', '/', starting with a letter or digit"
_SERIAL = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{3,63}$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_LOCALE = re.compile(r"^([a-z]{2,3})(?:-([a-z]{4}))?(?:-([a-z]{2}|[0-9]{3}))?$", re.IGNORECASE)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ASCII_EMAIL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")
MAX_CLOCK_SKEW = timedelta(minutes=1)  # a till's clock a little ahead is not a sale in the future


def canonical_serial(raw: str) -> str:
    """Trimmed, NFKC, upper case. Raises ValueError with a description if it is not a valid serial."""
    if any(unicodedata.category(ch) in ("Cf", "Cc") for ch in raw.strip()):
        raise ValueError("must not contain control, zero-width or bidirectional-control characters")
    serial = unicodedata.normalize("NFKC", raw.strip()).strip().upper()
    if any(unicodedata.category(ch) in ("Cf", "Cc") for ch in serial):
        raise ValueError("must not contain control, zero-width or bidirectional-control characters")
    if not serial:
        raise ValueError("is required")
    if not _SERIAL.match(serial):
        raise ValueError(f"must be {SERIAL_RULE}")
    return serial


def check_serial(v: Violations, field: str, raw: str) -> str:
    try:
        return canonical_serial(raw)
    except ValueError as exc:
        v.add(field, str(exc))
        return ""


@dataclass(frozen=True)
class Contact:
    email: str  # "" when absent
    phone: str  # "" when absent
    locale: str


def canonical_email(raw: str) -> str:
    """Raises ValueError. ASCII addresses take a strict fast path; others go through email-validator."""
    email = raw.strip()
    if len(email) > 254:
        raise ValueError("is longer than 254 characters")
    if email.isascii():
        local, _, domain = email.partition("@")
        if not _ASCII_EMAIL.match(email) or len(local) > 64:
            raise ValueError("is not a valid email address")
        return f"{local}@{domain.lower()}"
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("is not a valid email address") from None


def canonical_locale(raw: str) -> str:
    match = _LOCALE.match(raw.strip())
    if not match:
        raise ValueError("must be a BCP 47 tag such as 'en', 'fr-CA' or 'ms-MY'")
    language, script, region = match.groups()
    return "-".join(p for p in (language.lower(), script and script.title(), region and region.upper()) if p)


def check_contact(v: Violations, field: str, email: str, phone: str, locale: str) -> Contact:
    clean_email = clean_phone = clean_locale = ""
    if email:
        try:
            clean_email = canonical_email(email)
        except ValueError as exc:
            v.add(f"{field}.email", str(exc))
    if phone:
        clean_phone = phone.strip()
        if not _PHONE.match(clean_phone):
            v.add(f"{field}.phone", "must be an E.164 number such as +441632960961")
    if not email and not phone:
        v.add(field, "needs an email or a phone")
    if locale:
        try:
            clean_locale = canonical_locale(locale)
        except ValueError as exc:
            v.add(f"{field}.locale", str(exc))
    else:
        v.add(f"{field}.locale", "is required")
    return Contact(clean_email, clean_phone, clean_locale)


def customer_id(key: bytes, contact: Contact) -> str:
    """An opaque, stable id for a customer: the same email (or, without one, phone) gives the same id,
    and the id reveals neither."""
    basis = f"email:{contact.email.lower()}" if contact.email else f"phone:{contact.phone}"
    digest = hmac.new(key, basis.encode(), hashlib.sha256).digest()
    return "cus_" + base64.b32encode(digest[:15]).decode().lower()


@dataclass(frozen=True)
class CivilTime:
    """A civil date and time with its zone, as a sale's till records it (google.type.DateTime)."""

    year: int
    month: int
    day: int
    hours: int = 0
    minutes: int = 0
    seconds: int = 0
    nanos: int = 0
    utc_offset: timedelta | None = None
    time_zone: str = ""


def check_purchase_time(
    v: Violations, field: str, civil: CivilTime | None, launch_at: datetime | None, now: datetime
) -> tuple[datetime, str]:
    """The purchase instant (UTC) and its zone name; (epoch, "") after a violation."""
    invalid = (datetime.fromtimestamp(0, UTC), "")
    if civil is None:
        v.add(field, "is required")
        return invalid
    if civil.time_zone:
        zone_name = civil.time_zone
    elif civil.utc_offset is not None:
        try:
            zone_name = offset_name(civil.utc_offset)
        except ValueError:
            v.add(f"{field}.utc_offset", "must be within ±14 hours")
            return invalid
    else:
        v.add(field, "must carry a time zone (time_zone or utc_offset)")
        return invalid
    try:
        zone = parse_zone(zone_name)
    except ValueError:
        v.add(f"{field}.time_zone", "is not a known IANA time zone")
        return invalid
    try:
        local = datetime(
            civil.year, civil.month, civil.day, civil.hours, civil.minutes, civil.seconds, civil.nanos // 1000
        )
    except ValueError:
        v.add(field, "is not a valid date and time")
        return invalid
    purchased_at = local.replace(tzinfo=zone).astimezone(UTC)
    if purchased_at > now + MAX_CLOCK_SKEW:
        v.add(field, "must not be in the future")
    elif launch_at is not None and purchased_at < launch_at:
        v.add(field, "must not be before the product's launch")
    return purchased_at, zone_name


def check_text(v: Violations, field: str, value: str, *, max_len: int, min_len: int = 0) -> str:
    text = unicodedata.normalize("NFC", value.strip())
    if len(text) < min_len:
        v.add(field, "is required" if min_len == 1 else f"must be at least {min_len} characters")
    elif len(text) > max_len:
        v.add(field, f"must be at most {max_len} characters")
    elif any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        v.add(field, "must not contain control or invisible characters")
    return text
