"""Money and moments as the reader writes them (CLDR's data, through Babel), shared by the messages and the
portal's pages."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency, get_currency_precision

from services.kit.validation import parse_zone


@cache
def _locale(tag: str) -> Locale:
    """Parsed once per tag: Babel parses a string locale on every call otherwise (a page formats dozens)."""
    return Locale.parse(tag)


def money(amount_minor: int, currency: str, locale: str) -> str:
    """Minor units as the reader writes the amount: the currency's own decimals (KWD 3, XOF 0), the locale's
    separators and symbol (`1 234,56 €` in French)."""
    major = Decimal(amount_minor).scaleb(-get_currency_precision(currency))
    return format_currency(major, currency, locale=_locale(locale))


def local_time(moment: datetime, locale: str, zone: tzinfo) -> str:
    """A moment in the reader's zone and words: `5 mars 2026, 10:30 (UTC+01:00)`."""
    local, parsed = moment.astimezone(zone), _locale(locale)
    date = format_date(local.date(), "long", locale=parsed)
    time = format_time(local, "short", tzinfo=zone, locale=parsed)
    offset = format_time(local, "ZZZZZ", tzinfo=zone, locale=parsed)
    joined = str(get_datetime_format("long", locale=parsed)).replace("'", "").format(time, date)
    return f"{joined} (UTC{'' if offset == 'Z' else offset})"


def local_date(moment: datetime, locale: str, zone: tzinfo) -> str:
    """The day a moment falls on in the reader's zone, in their words: `16 janvier 2027`."""
    return format_date(moment.astimezone(zone).date(), "long", locale=_locale(locale))


def reader_zone(name: str) -> tzinfo:
    """The customer's zone (their sale's), or UTC when it is unknown or not a zone."""
    try:
        return parse_zone(name) if name else UTC
    except ValueError:
        return UTC
