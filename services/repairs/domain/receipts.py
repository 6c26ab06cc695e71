"""A receipt for a serial nobody registered (FileClaim's proof_of_purchase), checked at filing. Pure.

The repairs service checks what it can know alone: the product's and the retailer's form, a real purchase
day that is not in the future, a time zone that exists. The warranty service checks the rest (a known
product, a purchase after its launch) when ops approve the claim and the sale is registered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from contracts.claims import Receipt
from services.kit.errors import Violations
from services.kit.validation import MAX_CLOCK_SKEW, MAX_OFFSET, check_text, offset_name, parse_zone
from services.repairs.domain.centres import is_party_id

FIELD = "proof_of_purchase"


@dataclass(frozen=True)
class GivenReceipt:
    """What the caller wrote, as plain values."""

    sku: str
    retailer_id: str
    sale_reference: str
    year: int
    month: int
    day: int
    time_zone: str = ""  # an IANA name
    utc_offset_seconds: int | None = None  # or an offset


def check_receipt(v: Violations, given: GivenReceipt, filing_retailer: str, now: datetime) -> Receipt:
    """The receipt as the claim carries it; a violation for each thing wrong. `filing_retailer`: the retailer
    that files it ("" for ops), which files receipts of its own sales only (an empty retailer is itself); ops
    name the receipt's retailer."""
    sku = check_text(v, f"{FIELD}.sku", given.sku, min_len=2, max_len=48).upper()
    retailer = given.retailer_id.strip()
    if filing_retailer:
        if retailer not in ("", filing_retailer):
            v.add(f"{FIELD}.retailer_id", "a retailer files receipts of its own sales only")
        retailer = filing_retailer
    elif not retailer:
        v.add(f"{FIELD}.retailer_id", "is required: the retailer named on the receipt")
    elif not is_party_id(retailer):
        v.add(f"{FIELD}.retailer_id", "is not a retailer id: 1 to 63 of a-z, 0-9 and '-'")
    check_text(v, f"{FIELD}.sale_reference", given.sale_reference, max_len=128)
    try:
        bought = date(given.year, given.month, given.day)
    except ValueError:
        v.add(f"{FIELD}.purchase_time", "is not a valid date")
        bought = now.date()
    if bought > (now + MAX_OFFSET + MAX_CLOCK_SKEW).date():  # the date it is somewhere on Earth now (UTC+14)
        v.add(f"{FIELD}.purchase_time", "must not be in the future")
    if given.time_zone:
        try:
            parse_zone(given.time_zone)
        except ValueError:
            v.add(f"{FIELD}.purchase_time.time_zone", "is not a known IANA time zone, e.g. Europe/Paris")
    elif given.utc_offset_seconds is not None:
        try:
            offset_name(timedelta(seconds=given.utc_offset_seconds))
        except ValueError:
            v.add(f"{FIELD}.purchase_time.utc_offset", "must be within ±14 hours")
    else:
        v.add(f"{FIELD}.purchase_time", "must carry a time zone (time_zone or utc_offset)")
    return Receipt(sku=sku, retailer_id=retailer, purchase_date=bought.isoformat())
