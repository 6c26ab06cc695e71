"""A receipt for an unregistered serial, checked at filing (pure): each field at its boundary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.kit.errors import Violations
from services.repairs.domain.receipts import GivenReceipt, check_receipt

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
GOOD = GivenReceipt(
    sku="kettle-3000", retailer_id="", sale_reference="T-1", year=2026, month=11, day=20, time_zone="Europe/Paris"
)


def problems(given: GivenReceipt, filing_retailer: str = "demo-retailer") -> dict[str, str]:
    v = Violations()
    check_receipt(v, given, filing_retailer, NOW)
    return {item.field: item.description for item in v.items}


def with_(**fields: object) -> GivenReceipt:
    return GivenReceipt(**(GOOD.__dict__ | fields))


def test_a_retailers_receipt_is_its_own_sale() -> None:
    v = Violations()
    receipt = check_receipt(v, GOOD, "demo-retailer", NOW)
    assert not v.items
    assert (receipt.sku, receipt.retailer_id, receipt.purchase_date) == ("KETTLE-3000", "demo-retailer", "2026-11-20")
    assert problems(with_(retailer_id="demo-retailer")) == {}
    assert "own sales only" in problems(with_(retailer_id="other-retailer"))["proof_of_purchase.retailer_id"]


@pytest.mark.parametrize(
    ("retailer", "message"),
    [("", "is required"), ("Europe", "is not a retailer id"), ("a" * 64, "is not a retailer id"), ("acme-2", None)],
)
def test_ops_name_the_receipts_retailer(retailer: str, message: str | None) -> None:
    found = problems(with_(retailer_id=retailer), filing_retailer="")
    if message is None:
        assert found == {}
    else:
        assert message in found["proof_of_purchase.retailer_id"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"day": 31}, "proof_of_purchase.purchase_time"),  # 31 November
        ({"month": 13}, "proof_of_purchase.purchase_time"),
        ({"year": 0}, "proof_of_purchase.purchase_time"),
        ({"day": 3, "month": 12}, "proof_of_purchase.purchase_time"),  # the day after tomorrow
        ({"time_zone": "Europe"}, "proof_of_purchase.purchase_time.time_zone"),
        ({"time_zone": "Mars/Olympus"}, "proof_of_purchase.purchase_time.time_zone"),
        ({"time_zone": "", "utc_offset_seconds": 14 * 3600 + 1}, "proof_of_purchase.purchase_time.utc_offset"),
        ({"time_zone": ""}, "proof_of_purchase.purchase_time"),
        ({"sku": "K"}, "proof_of_purchase.sku"),
        ({"sale_reference": "x" * 129}, "proof_of_purchase.sale_reference"),
    ],
)
def test_what_a_receipt_cannot_be_is_named(fields: dict[str, object], field: str) -> None:
    assert set(problems(with_(**fields))) == {field}


@pytest.mark.parametrize(
    "fields",
    [{"day": 2, "month": 12}, {"time_zone": "", "utc_offset_seconds": -14 * 3600}, {"time_zone": "+05:30"}],
)
def test_the_boundaries_that_pass(fields: dict[str, object]) -> None:
    assert problems(with_(**fields)) == {}  # at noon UTC it is already tomorrow in Kiribati (UTC+14)
