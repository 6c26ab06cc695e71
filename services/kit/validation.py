"""Checks of what every service takes from its callers: serials, customer contacts, locales, free text,
money and times. Each check adds what is wrong to a Violations, naming the field; no message quotes the
value (it may be personal data). Pure: no I/O."""

from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel import Locale, localedata
from babel.numbers import list_currencies
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from services.kit.errors import Violations

SERIAL_RULE = "4 to 64 characters of A-Z, 0-9, '-', '.', '_', '/', starting with a letter or digit"
_SERIAL = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{3,63}$")
_LOCALE = re.compile(r"^([a-z]{2,3})(?:-([a-z]{4}))?(?:-([a-z]{2}|[0-9]{3}))?$", re.IGNORECASE)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ASCII_EMAIL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")
MAX_CLOCK_SKEW = timedelta(minutes=1)  # a till's clock a little ahead is not a sale in the future


def canonical_serial(raw: str) -> str:
    """Trimmed, NFKC, upper case. Raises ValueError with a description if it is not a valid serial."""
    if raw.isascii():  # NFKC leaves ASCII as it is, and the rule admits no control character: one match decides
        serial = raw.strip().upper()
        if _SERIAL.match(serial):
            return serial
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
    """How to reach a customer, checked. Personal data: never logged, never in Temporal."""

    email: str = ""  # "" when absent
    phone: str = ""  # "" when absent
    locale: str = ""


@lru_cache(maxsize=4096)  # on every sale; the domains in use are few, and email-validator's list is long
def _needs_the_full_check(domain: str) -> bool:
    """Domains the fast path would answer differently from email-validator: IDNA (`xn--`) labels, which it
    turns into Unicode (one mailbox, one customer id), and special-use names (`.local`, `.test`), which it
    refuses."""
    labels = domain.lower().split(".")
    return any(label.startswith("xn--") for label in labels) or labels[-1] in SPECIAL_USE_DOMAIN_NAMES


def canonical_email(raw: str) -> str:
    """Raises ValueError. Plain ASCII addresses take a strict fast path that agrees with email-validator;
    the rest go through email-validator."""
    email = raw.strip()
    if len(email) > 254:
        raise ValueError("is longer than 254 characters")
    local, _, domain = email.partition("@")
    if email.isascii() and not _needs_the_full_check(domain):
        if not _ASCII_EMAIL.match(email) or len(local) > 64:
            raise ValueError("is not a valid email address")
        return f"{local}@{domain.lower()}"
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("is not a valid email address") from None


@lru_cache(maxsize=4096)  # a pure function of a short text, on every sale: the tags in use are few
def canonical_locale(raw: str) -> str:
    """A BCP 47 tag (underscores accepted: `ms_MY`) whose language, script and region CLDR knows, in its
    canonical case: `fr-CA`, `zh-Hant-TW`. Raises ValueError. The one locale parser of every service."""
    match = _LOCALE.match(raw.strip().replace("_", "-"))
    if not match:
        raise ValueError("must be a BCP 47 tag such as 'en', 'fr-CA' or 'ms-MY'")
    language, script, region = match.group(1).lower(), match.group(2), match.group(3)
    script, region = script and script.title(), region and region.upper()
    if not localedata.exists(language):
        raise ValueError("names a language this service does not know")
    known = _cldr()
    if script and (script not in known.scripts or script == "Zzzz"):
        raise ValueError("names a script this service does not know")
    if region and (region not in known.territories or region == "ZZ"):
        raise ValueError("names a region this service does not know")
    return "-".join(part for part in (language, script, region) if part)


@cache
def _cldr() -> Locale:
    return Locale("en")  # any locale lists every script and territory CLDR names


PHONE_RULE = "must be an international number that can be dialled, with its country code, such as +44 7400 765432"


def canonical_phone(raw: str) -> str:
    """A phone number in E.164 (`+447400765432`), from how people write it (`+44 7400 765432`); ValueError
    unless libphonenumber holds it valid for its country."""
    text = raw.strip()
    if not text.startswith("+") or len(text) > 40:
        raise ValueError(PHONE_RULE)
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise ValueError(PHONE_RULE) from None
    if not phonenumbers.is_valid_number(number) or number.extension:
        raise ValueError(PHONE_RULE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def takes_sms(e164: str) -> bool:
    """Whether a valid number can receive an SMS: not a fixed line (a number that may be either can)."""
    return phonenumbers.number_type(phonenumbers.parse(e164, None)) is not phonenumbers.PhoneNumberType.FIXED_LINE


def contact_matches(typed: str, email: str, phone: str) -> bool:
    """Whether what a customer typed (an e-mail address or a phone number) is the contact on file, compared in
    canonical form (case of the address, spaces in the number) and in constant time."""
    text = typed.strip()
    try:
        if "@" in text:
            given, on_file = canonical_email(text).casefold(), email.casefold()
        else:
            given, on_file = canonical_phone(text), phone
    except ValueError:
        return False
    return bool(on_file) and hmac.compare_digest(given.encode(), on_file.encode())


def check_contact(v: Violations, field: str, email: str, phone: str, locale: str) -> Contact:
    clean_email = clean_phone = clean_locale = ""
    if email:
        try:
            clean_email = canonical_email(email)
        except ValueError as exc:
            v.add(f"{field}.email", str(exc))
    if phone:
        try:
            clean_phone = canonical_phone(phone)
        except ValueError as exc:
            v.add(f"{field}.phone", str(exc))
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


def check_text(v: Violations, field: str, value: str, *, max_len: int, min_len: int = 0) -> str:
    text = unicodedata.normalize("NFC", value.strip())
    if len(text) < min_len:
        v.add(field, "is required" if min_len == 1 else f"must be at least {min_len} characters")
    elif len(text) > max_len:
        v.add(field, f"must be at most {max_len} characters")
    elif not (text.isascii() and text.isprintable()) and any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        v.add(field, "must not contain control or invisible characters")  # printable ASCII has neither
    return text


@cache
def _currencies() -> frozenset[str]:
    """ISO 4217 codes of currencies (CLDR's list, less XXX "no currency" and XTS "testing")."""
    return frozenset(list_currencies()) - {"XXX", "XTS"}


def check_money(
    v: Violations, field: str, currency: str, amount_minor: int, *, required: bool = False
) -> tuple[str, int]:
    """Money in minor units with an ISO 4217 code; unless required, an unset amount means none."""
    if not required and amount_minor == 0 and not currency:
        return "", 0
    if currency not in _currencies():
        v.add(f"{field}.currency_code", "must be an ISO 4217 currency code such as EUR")
    if amount_minor < 0:
        v.add(f"{field}.amount_minor", "must not be negative")
    return currency, amount_minor


# -- time zones ------------------------------------------------------------------------------------------

_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
MAX_OFFSET = timedelta(hours=14)
# IANA names: letters, digits, '_', '-', '+' in up to three '/'-separated parts (the longest is under 40).
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]{0,29}(?:/[A-Za-z0-9][A-Za-z0-9_+-]{0,29}){0,2}$")


@lru_cache(maxsize=1024)  # every sale names one; the zones in use are few
def parse_zone(name: str) -> tzinfo:
    """An IANA zone ("Europe/Paris") or a UTC offset ("+05:30", "-03:00", "Z"). Raises ValueError."""
    if name in ("Z", "UTC", "+00:00", "-00:00"):
        return UTC
    match = _OFFSET.match(name)
    if match:
        sign, hours, minutes = match.groups()
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        if offset > MAX_OFFSET or int(minutes) >= 60:
            raise ValueError(f"offset out of range: {name}")
        return timezone(-offset if sign == "-" else offset)
    if not _ZONE_NAME.match(name):
        raise ValueError("not an IANA time zone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Europe", a name too long
        raise ValueError("unknown time zone") from None


def offset_name(offset: timedelta) -> str:
    if abs(offset) > MAX_OFFSET:
        raise ValueError("offset out of range")
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# -- enums -----------------------------------------------------------------------------------------------


def enum_name(v: Violations, field: str, enum: Any, value: int, prefix: str) -> str | None:
    """A proto enum value's name without its prefix (`FAULT_CATEGORY_BATTERY` is `BATTERY`); None for the
    unset value, and None with a violation for a number the enum does not define (proto3 enums are open: any
    number arrives)."""
    if value == 0:
        return None
    names = {number: name for name, number in enum.items()}
    if value not in names:
        allowed = ", ".join(name.removeprefix(prefix) for number, name in sorted(names.items()) if number)
        v.add(field, f"is not one of {allowed}")
        return None
    return str(names[value]).removeprefix(prefix)
