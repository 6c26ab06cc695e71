"""Bytes that are not the method's protobuf, a declared method with no implementation, and almost-valid zone
ids: each is the caller's mistake or ours, named as such, and the service keeps serving (issue 13)."""

from __future__ import annotations

import grpc
import pytest
from aftercare.warranty.v1 import warranty_pb2 as pb
from aftercare.warranty.v1 import warranty_pb2_grpc
from google.type import datetime_pb2

from devtools.keys import ensure_dev_keys
from services.kit.auth import KeyStore
from services.kit.grpc_server import GrpcServer, ServiceBinding
from services.kit.settings import Settings
from tests.rpc import failure
from tests.warranty.conftest import Api, sale

GET = "/aftercare.warranty.v1.WarrantyService/GetWarranty"
BATCH = "/aftercare.warranty.v1.WarrantyService/BatchRegisterSales"
NOT_PROTOBUF = [b"\xff\xff\xff", b"\x0a\x05ab", b"\x08"]


@pytest.mark.parametrize("body", NOT_PROTOBUF)
async def test_bytes_that_are_not_protobuf_are_invalid_argument(api: Api, body: bytes) -> None:
    raw: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = api.channel.unary_unary(GET)
    failed = await failure(raw(body, metadata=api.ops))
    assert (failed.code, failed.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED_REQUEST")
    assert failed.fields == {"request": "is not a valid aftercare.warranty.v1.GetWarrantyRequest"}
    assert "class" not in failed.message  # no Python in the answer
    assert (await api.stub.ListProducts(pb.ListProductsRequest(), metadata=api.ops)) is not None  # still serving


async def test_a_stream_with_a_bad_message_is_invalid_argument(api: Api, product: pb.Product) -> None:
    stream: grpc.aio.StreamUnaryMultiCallable[bytes, bytes] = api.channel.stream_unary(BATCH)
    good = pb.BatchRegisterSalesRequest(sales=[sale("SN-GOOD-1")]).SerializeToString()
    failed = await failure(stream(iter([good, b"\xff\xff"]), metadata=api.retailer))
    assert (failed.code, failed.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED_REQUEST")


async def test_bad_bytes_from_a_stranger_are_unauthenticated_first(api: Api) -> None:
    raw: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = api.channel.unary_unary(GET)
    failed = await failure(raw(b"\xff\xff\xff"))
    assert failed.code == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("zone", ["Europe", "America", "A" * 300, "Europe/", "../../etc/passwd", "Etc/GMT+99"])
async def test_almost_valid_zone_ids_are_invalid_argument(api: Api, product: pb.Product, zone: str) -> None:
    request = sale("SN-TZ-1")
    request.purchase_time.CopyFrom(
        datetime_pb2.DateTime(year=2025, month=1, day=1, hours=9, time_zone=datetime_pb2.TimeZone(id=zone))
    )
    failed = await failure(api.stub.RegisterSale(request, metadata=api.retailer))
    assert failed.code == grpc.StatusCode.INVALID_ARGUMENT
    assert failed.fields == {"purchase_time.time_zone": "is not a known IANA time zone"}


async def test_a_declared_method_without_an_implementation_is_unimplemented(tmp_path: object) -> None:
    keys = ensure_dev_keys(tmp_path / "keys.json")  # type: ignore[operator]
    empty = warranty_pb2_grpc.WarrantyServiceServicer()  # type: ignore[abstract]  # the generated base: nothing implemented
    binding = ServiceBinding(
        "aftercare.warranty.v1.WarrantyService", warranty_pb2_grpc.add_WarrantyServiceServicer_to_server, empty
    )
    server = GrpcServer(Settings(grpc_port=0), KeyStore(keys.items()), [binding], "warranty.aftercare")
    port = await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = warranty_pb2_grpc.WarrantyServiceStub(channel)
            call = stub.GetWarranty(
                pb.GetWarrantyRequest(serial="SN-1"), metadata=[("authorization", f"Bearer {keys['ops']}")]
            )
            failed = await failure(call)
    finally:
        await server.stop()
    assert (failed.code, failed.reason) == (grpc.StatusCode.UNIMPLEMENTED, "UNIMPLEMENTED")


async def test_times_out_of_range_and_enum_numbers_the_proto_lacks_are_named(api: Api, product: pb.Product) -> None:
    request = pb.CheckEntitlementRequest(serial="SN-1", fault_category=18)  # type: ignore[arg-type]
    request.incident_time.nanos = 2**31 - 1
    failed = await failure(api.stub.CheckEntitlement(request, metadata=api.ops))
    assert failed.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(failed.fields) == {"incident_time", "fault_category"}
    assert failed.fields["fault_category"].startswith("is not one of ELECTRICAL, MECHANICAL")
    far = pb.CheckEntitlementRequest(serial="SN-1")
    far.incident_time.seconds = 2**62
    assert set((await failure(api.stub.CheckEntitlement(far, metadata=api.ops))).fields) == {"incident_time"}
