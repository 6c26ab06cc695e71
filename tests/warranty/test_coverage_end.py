"""Each warranty stores when its cover ends, kept right through plans, transfers, voids and replacements, and
the expiry reminder reads only the due warranties through its index; old rows get it from the migration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aftercare.warranty.v1 import warranty_pb2 as pb
from sqlalchemy import insert

from contracts.warranty import ExpiringQuery
from services.kit.db import Database
from services.kit.timestamps import from_ts
from services.warranty.activities import WarrantyActivities
from services.warranty.domain.timezones import add_months
from services.warranty.persistence import MIGRATIONS
from services.warranty.persistence.repository import WarrantyRepository
from services.warranty.persistence.tables import PolicyRow, ProductRow, WarrantyRow
from tests.warranty.conftest import Api, new_id, plan, sale

MONTH = timedelta(days=30)


async def stored_end(api: Api, serial: str) -> datetime:
    row = await api.app.repo.get(serial)
    assert row is not None
    return row.coverage_end


@pytest.mark.usefixtures("product")
async def test_the_stored_end_is_the_one_the_api_shows_through_plans_transfers_voids_and_replacements(
    api: Api,
) -> None:
    sold = await api.register("CE-1", purchased=datetime.now(UTC) - timedelta(days=400))
    assert await stored_end(api, "CE-1") == from_ts(sold.coverage_end_time)

    extended = (await api.stub.PurchaseExtendedPlan(plan("CE-1", 12), metadata=api.retailer)).warranty
    assert from_ts(extended.coverage_end_time) > from_ts(sold.coverage_end_time)
    assert await stored_end(api, "CE-1") == from_ts(extended.coverage_end_time)

    transfer = pb.TransferOwnershipRequest(
        request_id=new_id(), serial="CE-1", new_owner_contact=pb.Contact(email="new@example.com", locale="fr")
    )
    moved = (await api.stub.TransferOwnership(transfer, metadata=api.retailer)).warranty
    assert moved.coverage_end_time == extended.coverage_end_time  # a new owner keeps the cover
    assert await stored_end(api, "CE-1") == from_ts(extended.coverage_end_time)

    replacement = await api.app.repo.move_to_replacement("CE-1", "CE-2", "beyond repair", datetime.now(UTC))
    assert replacement.coverage_end == from_ts(extended.coverage_end_time)  # the same terms, the same end

    void = pb.VoidWarrantyRequest(request_id=new_id(), serial="CE-2", reason="returned for a refund")
    voided = (await api.stub.VoidWarranty(void, metadata=api.ops)).warranty
    assert await stored_end(api, "CE-2") == from_ts(voided.coverage_end_time)


@pytest.mark.usefixtures("product")
async def test_the_reminder_reads_only_the_due_in_coverage_end_order_across_pages(api: Api) -> None:
    now = datetime.now(UTC)
    due = [f"DUE-{i}" for i in range(5)]
    bought = now - timedelta(days=715)  # 24 months of cover: ends in about 15 days
    for serial in due:  # one till second: the same coverage end, told apart by id
        await api.register(serial, purchased=bought)
    await api.register("SOON-1", purchased=now - timedelta(days=705))  # ends in about 25 days: after the five
    await api.register("LATER-1", purchased=now - timedelta(days=600))
    await api.register("VOID-1", purchased=bought)
    await api.stub.VoidWarranty(
        pb.VoidWarrantyRequest(request_id=new_id(), serial="VOID-1", reason="fraud found"), metadata=api.ops
    )
    await api.register("EXT-1", purchased=bought)
    await api.stub.PurchaseExtendedPlan(plan("EXT-1", 6), metadata=api.retailer)

    activities = WarrantyActivities(api.app.repo)
    pages = []
    query = ExpiringQuery(now=now, within_seconds=int(MONTH.total_seconds()), limit=2, by_coverage_end=True)
    while True:
        page = await activities.find_expiring(query)
        pages.append([w.serial for w in page.warranties])
        assert page.scanned == len(page.warranties)  # nothing read that was not due
        if not page.next_after_id:
            break
        query = query.model_copy(update={"after_id": page.next_after_id, "after_end": page.next_after_end})
    assert pages == [due[0:2], due[2:4], [due[4], "SOON-1"], []]

    # A scan started before the coverage-end order pages by id to its end, with the same answer.
    legacy, after_id = [], 0
    while True:
        old = ExpiringQuery(now=now, within_seconds=int(MONTH.total_seconds()), after_id=after_id, limit=2)
        page = await activities.find_expiring(old)
        legacy += [w.serial for w in page.warranties]
        assert page.next_after_end is None
        if not (after_id := page.next_after_id):
            break
    assert legacy == [*due, "SOON-1"]


async def test_the_migration_fills_the_end_of_existing_warranties_in_their_own_zone(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.migrate(MIGRATIONS, "warranty", target="0004")
        now = datetime.now(UTC)
        async with db.connection() as conn:
            await conn.execute(
                insert(ProductRow.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "sku": "OLD-1",
                        "display_name": "Old",
                        "category": "x",
                        "launch_at": datetime(2020, 1, 1, tzinfo=UTC),
                        "policy_version": 1,
                        "created_at": now,
                    }
                ],
            )
            await conn.execute(
                insert(PolicyRow.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "sku": "OLD-1",
                        "version": 1,
                        "coverage_months": 24,
                        "return_window_days": 30,
                        "repair_sla_days": 10,
                        "covered_categories": "ELECTRICAL",
                        "created_at": now,
                    }
                ],
            )
            # The night the clocks go forward in Paris, the last day of a month, and a fixed offset.
            sold = [
                ("Z-1", datetime(2024, 3, 31, 1, 30, tzinfo=UTC), "Europe/Paris", 0),
                ("Z-2", datetime(2024, 1, 31, 12, 0, tzinfo=UTC), "Europe/Paris", 1),
                ("Z-3", datetime(2024, 8, 31, 20, 0, tzinfo=UTC), "+05:30", 12),
            ]
            rows = [
                {
                    "serial": serial,
                    "sku": "OLD-1",
                    "policy_version": 1,
                    "retailer_id": "demo-retailer",
                    "sale_reference": "",
                    "purchased_at": purchased,
                    "purchase_time_zone": zone,
                    "customer_id": "cus_x",
                    "email": "",
                    "phone": "",
                    "locale": "en",
                    "state": "ACTIVE",
                    "extended_months": extended,
                    "request_id": serial,
                    "request_hash": "",
                    "created_at": now,
                    "updated_at": now,
                }
                for serial, purchased, zone, extended in sold
            ]
            await conn.execute(insert(WarrantyRow.__table__), rows)  # type: ignore[attr-defined]
        await db.migrate(MIGRATIONS, "warranty")
        repo = WarrantyRepository(db)
        for serial, purchased, zone, extended in sold:
            row = await repo.get(serial)
            assert row is not None
            tz = ZoneInfo(zone) if "/" in zone else datetime.strptime(zone, "%z").tzinfo
            assert tz is not None
            assert row.coverage_end == add_months(purchased, 24 + extended, tz), serial
    finally:
        await db.dispose()


@pytest.mark.usefixtures("product")
async def test_sales_in_every_shape_store_the_end_the_api_shows(api: Api) -> None:
    """Unary, streamed and a replayed request all store the end the API computes."""
    unary = await api.register("SH-1", purchased=datetime(2025, 3, 30, 0, 30, tzinfo=UTC))
    batch = pb.BatchRegisterSalesRequest(sales=[sale("SH-2", purchased=datetime(2025, 10, 26, 0, 30, tzinfo=UTC))])

    async def chunks() -> AsyncIterator[pb.BatchRegisterSalesRequest]:
        yield batch

    await api.stub.BatchRegisterSales(chunks(), metadata=api.retailer)
    streamed = (await api.stub.GetWarranty(pb.GetWarrantyRequest(serial="SH-2"), metadata=api.retailer)).warranty
    for serial, shown in (("SH-1", unary), ("SH-2", streamed)):
        assert await stored_end(api, serial) == from_ts(shown.coverage_end_time), serial
