"""The warranty API through a real gRPC server on a free port."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
from aftercare.common.v1 import money_pb2
from aftercare.warranty.v1 import warranty_pb2 as pb
from google.protobuf import duration_pb2
from google.type import datetime_pb2

from tests.rpc import failure
from tests.warranty.conftest import SKU, Api, new_id, plan, sale


async def test_register_get_and_check_a_sale(api: Api, product: pb.Product) -> None:
    purchased = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    warranty = await api.register("sn-0001", purchased=purchased)
    assert (warranty.serial, warranty.sku, warranty.retailer_id) == ("SN-0001", SKU, "demo-retailer")
    assert warranty.purchase_time.ToDatetime(UTC) == purchased
    assert warranty.purchase_time_zone == "+01:00"
    assert warranty.customer_id.startswith("cus_") and warranty.state == pb.Warranty.STATE_ACTIVE
    assert warranty.return_window_end_time.ToDatetime(UTC) == purchased + timedelta(days=30)

    got = await api.stub.GetWarranty(pb.GetWarrantyRequest(serial="SN-0001"), metadata=api.retailer)
    assert got.warranty == warranty

    check = await api.stub.CheckEntitlement(pb.CheckEntitlementRequest(serial="sn-0001"), metadata=api.retailer)
    assert (check.covered, check.coverage_kind, check.reason) == (
        True,
        pb.COVERAGE_KIND_RETURN_WINDOW,
        "WITHIN_RETURN_WINDOW",
    )
    later = pb.CheckEntitlementRequest(serial="SN-0001", fault_category=pb.FAULT_CATEGORY_ACCIDENTAL_DAMAGE)
    not_covered = await api.stub.CheckEntitlement(later, metadata=api.ops)
    assert (not_covered.covered, not_covered.reason) == (False, "FAULT_NOT_COVERED")


async def test_contact_is_never_returned(api: Api, product: pb.Product) -> None:
    warranty = await api.register("SN-PRIV", email="secret.person@example.com", phone="+447400765432")
    assert b"secret.person" not in warranty.SerializeToString()
    assert b"1632960961" not in warranty.SerializeToString()


async def test_every_bad_field_is_named_in_one_answer(api: Api, product: pb.Product) -> None:
    request = pb.RegisterSaleRequest(
        request_id="",
        serial="SN\u200b01",
        sku="NO-SUCH",
        sale_reference="ok",
        purchase_time=datetime_pb2.DateTime(year=2025, month=2, day=3),
        contact=pb.Contact(email="private@", phone="12345", locale="english"),
    )
    failed = await failure(api.stub.RegisterSale(request, metadata=api.retailer))
    assert failed.code == grpc.StatusCode.INVALID_ARGUMENT
    assert (failed.reason, failed.domain) == ("INVALID_ARGUMENT", "warranty.aftercare")
    assert set(failed.fields) == {
        "request_id",
        "serial",
        "sku",
        "purchase_time",
        "contact.email",
        "contact.phone",
        "contact.locale",
    }
    assert failed.fields["purchase_time"] == "must carry a time zone (time_zone or utc_offset)"
    assert "private" not in failed.message and "12345" not in failed.message


async def test_purchase_time_rules(api: Api, product: pb.Product) -> None:
    future = sale("SN-FUT", purchased=datetime.now(UTC) + timedelta(hours=1))
    assert (await failure(api.stub.RegisterSale(future, metadata=api.retailer))).fields == {
        "purchase_time": "must not be in the future"
    }
    early = sale("SN-EARLY", purchased=datetime(2023, 12, 31, tzinfo=UTC))
    assert (await failure(api.stub.RegisterSale(early, metadata=api.retailer))).fields == {
        "purchase_time": "must not be before the product's launch"
    }
    zoned = sale("SN-ZONE")
    zoned.purchase_time.ClearField("utc_offset")
    zoned.purchase_time.time_zone.id = "Europe/Paris"
    warranty = (await api.stub.RegisterSale(zoned, metadata=api.retailer)).warranty
    assert warranty.purchase_time_zone == "Europe/Paris"


async def test_a_registered_serial_is_already_exists(api: Api, product: pb.Product) -> None:
    await api.register("SN-DUP")
    failed = await failure(api.stub.RegisterSale(sale("sn-dup"), metadata=api.retailer))
    assert (failed.code, failed.reason) == (grpc.StatusCode.ALREADY_EXISTS, "SERIAL_ALREADY_REGISTERED")
    other = await failure(api.stub.RegisterSale(sale("SN-DUP"), metadata=api.other_retailer))
    assert other.code == grpc.StatusCode.ALREADY_EXISTS


async def test_unknown_serial_is_not_found(api: Api, product: pb.Product) -> None:
    failed = await failure(api.stub.GetWarranty(pb.GetWarrantyRequest(serial="SN-NONE"), metadata=api.ops))
    assert (failed.code, failed.reason) == (grpc.StatusCode.NOT_FOUND, "WARRANTY_NOT_FOUND")
    bad = await failure(api.stub.CheckEntitlement(pb.CheckEntitlementRequest(serial="x"), metadata=api.ops))
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT and "serial" in bad.fields


async def test_incident_in_the_future_is_rejected(api: Api, product: pb.Product) -> None:
    await api.register("SN-INC")
    request = pb.CheckEntitlementRequest(serial="SN-INC")
    request.incident_time.FromDatetime(datetime.now(UTC) + timedelta(days=1))
    assert (await failure(api.stub.CheckEntitlement(request, metadata=api.ops))).fields == {
        "incident_time": "must not be in the future"
    }


async def test_products(api: Api) -> None:
    created = await api.create_product("KETTLE-A")
    assert created.policy.version == 1 and created.HasField("create_time")
    await api.create_product("KETTLE-B")
    got = await api.stub.GetProduct(pb.GetProductRequest(sku="kettle-a"), metadata=api.retailer)
    assert got.product.sku == "KETTLE-A"
    assert list(got.product.policy.covered_fault_categories) == [
        pb.FAULT_CATEGORY_ELECTRICAL,
        pb.FAULT_CATEGORY_MECHANICAL,
    ]
    page = await api.stub.ListProducts(pb.ListProductsRequest(page_size=1), metadata=api.ops)
    assert [p.sku for p in page.products] == ["KETTLE-A"] and page.next_page_token
    rest = await api.stub.ListProducts(
        pb.ListProductsRequest(page_size=1, page_token=page.next_page_token), metadata=api.ops
    )
    assert [p.sku for p in rest.products] == ["KETTLE-B"] and not rest.next_page_token
    duplicate = pb.CreateProductRequest(request_id=new_id(), product=created)
    assert (await failure(api.stub.CreateProduct(duplicate, metadata=api.ops))).code == grpc.StatusCode.ALREADY_EXISTS
    missing = await failure(api.stub.GetProduct(pb.GetProductRequest(sku="NOPE"), metadata=api.ops))
    assert missing.code == grpc.StatusCode.NOT_FOUND


async def test_bad_product_policy(api: Api) -> None:
    product = pb.Product(
        sku="x",
        display_name="",
        category="Bad Category",
        policy=pb.WarrantyPolicy(coverage_months=0, return_window_days=-1, repair_sla_days=0),
    )
    failed = await failure(
        api.stub.CreateProduct(pb.CreateProductRequest(request_id=new_id(), product=product), metadata=api.ops)
    )
    assert set(failed.fields) == {
        "product.sku",
        "product.display_name",
        "product.category",
        "product.launch_time",
        "product.policy.coverage_months",
        "product.policy.return_window_days",
        "product.policy.repair_sla_days",
        "product.policy.covered_fault_categories",
    }


async def test_list_warranties_pages_newest_first_by_retailer_and_customer(api: Api, product: pb.Product) -> None:
    for i in range(5):
        await api.register(f"SN-L{i}", email="same@example.com" if i % 2 else f"c{i}@example.com")
    await api.stub.RegisterSale(sale("SN-OTHER"), metadata=api.other_retailer)

    serials: list[str] = []
    token = ""
    while True:
        page = await api.stub.ListWarranties(
            pb.ListWarrantiesRequest(page_size=2, page_token=token), metadata=api.retailer
        )
        serials += [w.serial for w in page.warranties]
        token = page.next_page_token
        if not token:
            break
    assert serials == ["SN-L4", "SN-L3", "SN-L2", "SN-L1", "SN-L0"]

    everything = await api.stub.ListWarranties(pb.ListWarrantiesRequest(), metadata=api.ops)
    assert len(everything.warranties) == 6
    customer = (
        await api.stub.GetWarranty(pb.GetWarrantyRequest(serial="SN-L1"), metadata=api.ops)
    ).warranty.customer_id
    theirs = await api.stub.ListWarranties(pb.ListWarrantiesRequest(customer_id=customer), metadata=api.ops)
    assert [w.serial for w in theirs.warranties] == ["SN-L3", "SN-L1"]

    first = await api.stub.ListWarranties(pb.ListWarrantiesRequest(page_size=1), metadata=api.ops)
    changed = pb.ListWarrantiesRequest(page_size=1, page_token=first.next_page_token, customer_id=customer)
    assert (await failure(api.stub.ListWarranties(changed, metadata=api.ops))).fields == {
        "page_token": "was issued for other filters; start again"
    }
    garbage = pb.ListWarrantiesRequest(page_token="not-a-token")
    assert "page_token" in (await failure(api.stub.ListWarranties(garbage, metadata=api.ops))).fields


async def test_extended_plan_extends_coverage(api: Api, product: pb.Product) -> None:
    warranty = await api.register("SN-EXT")
    request = pb.PurchaseExtendedPlanRequest(
        request_id=new_id(),
        serial="sn-ext",
        plan_reference="PLAN-1",
        months=12,
        price=money_pb2.Money(currency_code="EUR", amount_minor=4999),
    )
    extended = (await api.stub.PurchaseExtendedPlan(request, metadata=api.retailer)).warranty
    standard_end = warranty.standard_coverage_end_time.ToDatetime(UTC)
    assert extended.coverage_end_time.ToDatetime(UTC) > standard_end
    assert extended.standard_coverage_end_time == warranty.standard_coverage_end_time
    assert [(p.plan_reference, p.months, p.price.amount_minor) for p in extended.extended_plans] == [
        ("PLAN-1", 12, 4999)
    ]
    got = await api.stub.GetWarranty(pb.GetWarrantyRequest(serial="SN-EXT"), metadata=api.retailer)
    assert got.warranty == extended

    bad = pb.PurchaseExtendedPlanRequest(
        request_id=new_id(), serial="SN-EXT", months=0, price=money_pb2.Money(currency_code="eur", amount_minor=-1)
    )
    assert set((await failure(api.stub.PurchaseExtendedPlan(bad, metadata=api.retailer))).fields) == {
        "plan_reference",
        "months",
        "price.currency_code",
        "price.amount_minor",
    }


async def test_a_plan_ends_its_calendar_months_after_the_standard_end(api: Api, product: pb.Product) -> None:
    # Bought 31 August 2025 at 10:00 in UTC+1: two years' standard cover ends 31 August 2027 at 10:00 local; six
    # more months end on the last day of February 2028 (a leap year), at the same wall-clock time.
    warranty = await api.register("SN-CAL", purchased=datetime(2025, 8, 31, 9, tzinfo=UTC))
    assert warranty.standard_coverage_end_time.ToDatetime(UTC) == datetime(2027, 8, 31, 9, tzinfo=UTC)
    extended = (await api.stub.PurchaseExtendedPlan(plan("SN-CAL", 6), metadata=api.retailer)).warranty
    assert extended.coverage_end_time.ToDatetime(UTC) == datetime(2028, 2, 29, 9, tzinfo=UTC)


async def test_plans_add_up_to_exactly_120_months(api: Api, product: pb.Product) -> None:
    warranty = await api.register("SN-CAP", purchased=datetime(2025, 8, 31, 9, tzinfo=UTC))
    for months in (60, 60):
        extended = (await api.stub.PurchaseExtendedPlan(plan("SN-CAP", months), metadata=api.retailer)).warranty
    assert extended.coverage_end_time.ToDatetime(UTC) == datetime(2037, 8, 31, 9, tzinfo=UTC)  # 24 + 120 months
    assert warranty.standard_coverage_end_time == extended.standard_coverage_end_time
    failed = await failure(api.stub.PurchaseExtendedPlan(plan("SN-CAP", 1), metadata=api.retailer))
    assert (failed.code, failed.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "EXTENSION_LIMIT")


async def test_plan_on_an_expired_warranty_is_failed_precondition(api: Api) -> None:
    await api.create_product(coverage_months=1)
    await api.register("SN-OLD", purchased=datetime.now(UTC) - timedelta(days=62))
    request = pb.PurchaseExtendedPlanRequest(
        request_id=new_id(),
        serial="SN-OLD",
        plan_reference="P",
        months=12,
        price=money_pb2.Money(currency_code="EUR", amount_minor=100),
    )
    failed = await failure(api.stub.PurchaseExtendedPlan(request, metadata=api.retailer))
    assert (failed.code, failed.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "WARRANTY_EXPIRED")


async def test_transfer_moves_owner_and_ends_return_window(api: Api, product: pb.Product) -> None:
    warranty = await api.register("SN-TR", email="first@example.com")
    request = pb.TransferOwnershipRequest(
        request_id=new_id(), serial="SN-TR", new_owner_contact=pb.Contact(email="second@example.com", locale="ko")
    )
    moved = (await api.stub.TransferOwnership(request, metadata=api.retailer)).warranty
    assert moved.customer_id != warranty.customer_id and moved.transfer_count == 1
    check = await api.stub.CheckEntitlement(pb.CheckEntitlementRequest(serial="SN-TR"), metadata=api.ops)
    assert check.coverage_kind == pb.COVERAGE_KIND_STANDARD
    again = pb.TransferOwnershipRequest(
        request_id=new_id(), serial="SN-TR", new_owner_contact=request.new_owner_contact
    )
    assert (await failure(api.stub.TransferOwnership(again, metadata=api.retailer))).reason == "SAME_OWNER"


async def test_void_is_for_ops_and_ends_all_coverage(api: Api, product: pb.Product) -> None:
    await api.register("SN-V")
    request = pb.VoidWarrantyRequest(request_id=new_id(), serial="SN-V", reason="tamper seal broken")
    denied = await failure(api.stub.VoidWarranty(request, metadata=api.retailer))
    assert (denied.code, denied.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")
    voided = (await api.stub.VoidWarranty(request, metadata=api.ops)).warranty
    assert (voided.state, voided.void_reason) == (pb.Warranty.STATE_VOIDED, "tamper seal broken")
    check = await api.stub.CheckEntitlement(pb.CheckEntitlementRequest(serial="SN-V"), metadata=api.ops)
    assert (check.covered, check.reason) == (False, "VOIDED")
    extend = pb.PurchaseExtendedPlanRequest(
        request_id=new_id(),
        serial="SN-V",
        plan_reference="P",
        months=1,
        price=money_pb2.Money(currency_code="EUR", amount_minor=1),
    )
    assert (await failure(api.stub.PurchaseExtendedPlan(extend, metadata=api.ops))).reason == "WARRANTY_VOIDED"
    short = pb.VoidWarrantyRequest(request_id=new_id(), serial="SN-V", reason="x")
    assert "reason" in (await failure(api.stub.VoidWarranty(short, metadata=api.ops))).fields


async def test_offset_out_of_range(api: Api, product: pb.Product) -> None:
    request = sale("SN-OFF")
    request.purchase_time.utc_offset.CopyFrom(duration_pb2.Duration(seconds=15 * 3600))
    assert (await failure(api.stub.RegisterSale(request, metadata=api.retailer))).fields == {
        "purchase_time.utc_offset": "must be within ±14 hours"
    }
