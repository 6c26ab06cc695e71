"""Validation of a sale's time, and the opaque customer id. Every problem is reported, each naming its field;
no message quotes the value (it may be personal data). Serials, contacts and text: `services.kit.validation`."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.kit.errors import Violations
from services.kit.validation import MAX_CLOCK_SKEW, Contact
from services.warranty.domain.timezones import offset_name, parse_zone


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
