"""Time zones of sales and calendar arithmetic in them."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, tzinfo

from services.kit.validation import MAX_OFFSET, offset_name, parse_zone

__all__ = ["MAX_OFFSET", "add_days", "add_months", "offset_name", "parse_zone"]


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
