"""Authentication by API key, authorization by role, and retailers isolated from each other."""

from __future__ import annotations

import grpc
import pytest
from aftercare.common.v1 import money_pb2
from aftercare.warranty.v1 import warranty_pb2 as pb
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.kit.auth import KeyStore, Principal, Role
from tests.rpc import failure
from tests.warranty.conftest import Api, new_id, sale


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ([], "MISSING_API_KEY"),
        ([("authorization", "Basic abc")], "MALFORMED_API_KEY"),
        ([("authorization", "Bearer ")], "MALFORMED_API_KEY"),
        ([("authorization", "Bearer ak_not_a_key")], "UNKNOWN_API_KEY"),
    ],
)
async def test_missing_or_unknown_key_is_unauthenticated(
    api: Api, metadata: tuple[tuple[str, str], ...], reason: str
) -> None:
    failed = await failure(api.stub.ListProducts(pb.ListProductsRequest(), metadata=metadata))
    assert (failed.code, failed.reason) == (grpc.StatusCode.UNAUTHENTICATED, reason)


async def test_health_needs_no_key(api: Api) -> None:
    reply = await health_pb2_grpc.HealthStub(api.channel).Check(health_pb2.HealthCheckRequest())
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("principal", ["retailer:demo-retailer", "centre:demo-centre", "service"])
async def test_only_ops_creates_products(api: Api, principal: str) -> None:
    failed = await failure(
        api.stub.CreateProduct(pb.CreateProductRequest(request_id=new_id()), metadata=api.as_(principal))
    )
    assert failed.code == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("principal", ["ops", "centre:demo-centre", "carrier:local", "portal"])
async def test_only_retailers_register_sales(api: Api, product: pb.Product, principal: str) -> None:
    failed = await failure(api.stub.RegisterSale(sale("SN-ROLE"), metadata=api.as_(principal)))
    assert failed.code == grpc.StatusCode.PERMISSION_DENIED


async def test_the_service_registers_a_receipt_only_naming_its_retailer(api: Api, product: pb.Product) -> None:
    """Repairs registers the sale of an approved receipt as `service`: it must name the receipt's retailer, and
    a retailer may not name another."""
    nameless = await failure(api.stub.RegisterSale(sale("SN-RECEIPT"), metadata=api.as_("service")))
    assert nameless.code == grpc.StatusCode.INVALID_ARGUMENT and set(nameless.fields) == {"retailer_id"}
    request = sale("SN-RECEIPT")
    request.retailer_id = "other-retailer"
    posing = await failure(api.stub.RegisterSale(request, metadata=api.as_("retailer:demo-retailer")))
    assert posing.code == grpc.StatusCode.INVALID_ARGUMENT and set(posing.fields) == {"retailer_id"}
    made = await api.stub.RegisterSale(request, metadata=api.as_("service"))
    assert made.warranty.retailer_id == "other-retailer"


async def test_another_retailers_serial_reads_as_unknown(api: Api, product: pb.Product) -> None:
    await api.register("SN-MINE")
    unknown = await failure(api.stub.GetWarranty(pb.GetWarrantyRequest(serial="SN-NEVER"), metadata=api.other_retailer))
    theirs = await failure(api.stub.GetWarranty(pb.GetWarrantyRequest(serial="SN-MINE"), metadata=api.other_retailer))
    assert (
        (theirs.code, theirs.reason)
        == (unknown.code, unknown.reason)
        == (grpc.StatusCode.NOT_FOUND, "WARRANTY_NOT_FOUND")
    )
    assert theirs.message.replace("SN-MINE", "X") == unknown.message.replace("SN-NEVER", "X")

    for call in (
        api.stub.CheckEntitlement(pb.CheckEntitlementRequest(serial="SN-MINE"), metadata=api.other_retailer),
        api.stub.TransferOwnership(
            pb.TransferOwnershipRequest(
                request_id=new_id(), serial="SN-MINE", new_owner_contact=pb.Contact(email="x@example.com", locale="en")
            ),
            metadata=api.other_retailer,
        ),
        api.stub.PurchaseExtendedPlan(
            pb.PurchaseExtendedPlanRequest(
                request_id=new_id(),
                serial="SN-MINE",
                plan_reference="P",
                months=1,
                price=money_pb2.Money(currency_code="EUR", amount_minor=1),
            ),
            metadata=api.other_retailer,
        ),
    ):
        assert (await failure(call)).code == grpc.StatusCode.NOT_FOUND


async def test_retailer_lists_only_its_own(api: Api, product: pb.Product) -> None:
    await api.register("SN-A1")
    await api.stub.RegisterSale(sale("SN-B1"), metadata=api.other_retailer)
    mine = await api.stub.ListWarranties(pb.ListWarrantiesRequest(), metadata=api.retailer)
    assert [w.serial for w in mine.warranties] == ["SN-A1"]
    spying = pb.ListWarrantiesRequest(retailer_id="other-retailer")
    assert (await failure(api.stub.ListWarranties(spying, metadata=api.retailer))).code == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    theirs = await api.stub.ListWarranties(spying, metadata=api.ops)
    assert [w.serial for w in theirs.warranties] == ["SN-B1"]


async def test_centres_cannot_read_warranties(api: Api, product: pb.Product) -> None:
    await api.register("SN-C1")
    failed = await failure(
        api.stub.GetWarranty(pb.GetWarrantyRequest(serial="SN-C1"), metadata=api.as_("centre:demo-centre"))
    )
    assert failed.code == grpc.StatusCode.PERMISSION_DENIED


def test_principals_and_key_store(tmp_path: object) -> None:
    assert Principal.parse("retailer:acme-1") == Principal(Role.RETAILER, "acme-1")
    assert str(Principal.parse("ops")) == "ops"
    assert Principal.parse("ops:1") == Principal(Role.OPS, "1")  # a named operator (issue 28)
    for bad in ("retailer:", "retailer:Acme", "admin", "ops:", "ops:Jo", "centre:a b"):
        with pytest.raises(ValueError):
            Principal.parse(bad)
    store = KeyStore.from_config("ops=k1, retailer:acme=k2", None)
    assert store.authenticate([("authorization", "Bearer k2")]) == Principal(Role.RETAILER, "acme")
    assert store.authenticate([("authorization", "bearer k1")]) == Principal(Role.OPS)
