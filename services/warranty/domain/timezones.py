"""Time zones of sales and calendar arithmetic in them."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
MAX_OFFSET = timedelta(hours=14)
# IANA names: letters, digits, '_', '-', '+' in up to three '/'-separated parts (the longest is under 40).
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]{0,29}(?:/[A-Za-z0-9][A-Za-z0-9_+-]{0,29}){0,2}$")


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


def add_months(moment: datetime, months: int, zone: tzinfo) -> datetime:
    """The same wall-clock time `months` calendar months later in `zone`, as UTC. A day past the end of
    the target month is clamped to its last day (31 Jan + 1 month = 28 or 29 Feb; 29 Feb + 12 = 28 Feb)."""
    local = moment.astimezone(zone)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return _to_utc(local.replace(year=year, month=month, day=day, tzinfo=None), zone)


def add_days(moment: datetime, days: int, zone: tzinfo) -> datetime:
    """The same wall-clock time `days` calendar days later in `zone`, as UTC (DST-aware)."""
    local = moment.astimezone(zone)
    return _to_utc(local.replace(tzinfo=None) + timedelta(days=days), zone)


def _to_utc(wall: datetime, zone: tzinfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)
