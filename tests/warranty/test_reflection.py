"""A client with no generated code (like grpcurl) discovers the API by reflection and calls it."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from aftercare.warranty.v1 import warranty_pb2 as pb
from google.protobuf import descriptor_pool, json_format
from google.protobuf.message_factory import GetMessageClass
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from tests.warranty.conftest import Api


async def test_reflection_lists_services_and_calls_get_product(api: Api, product: pb.Product) -> None:
    # The blocking client runs in a thread so the server keeps serving on this event loop.
    assert api.app.grpc is not None
    reply = await asyncio.to_thread(_reflect_and_get_product, api.app.grpc.port, api.ops)
    assert reply["product"]["displayName"] == product.display_name
    assert reply["product"]["policy"]["coverageMonths"] == 24


def _reflect_and_get_product(port: int, metadata: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        assert "aftercare.warranty.v1.WarrantyService" in database.get_services()
        assert "grpc.health.v1.Health" in database.get_services()
        pool = descriptor_pool.DescriptorPool(database)
        method = pool.FindServiceByName("aftercare.warranty.v1.WarrantyService").methods_by_name["GetProduct"]
        request_class = GetMessageClass(method.input_type)
        response_class = GetMessageClass(method.output_type)
        call: grpc.UnaryUnaryMultiCallable[Any, Any] = channel.unary_unary(
            "/aftercare.warranty.v1.WarrantyService/GetProduct",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_class.FromString,
        )
        reply = call(json_format.ParseDict({"sku": "KETTLE-2000"}, request_class()), metadata=metadata)
        return json_format.MessageToDict(reply)
