"""A client with no generated code (like grpcurl) discovers the API by reflection and calls it, through
`grpc.reflection.v1` (what current clients ask first) and `grpc.reflection.v1alpha` (older ones)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from aftercare.warranty.v1 import warranty_pb2 as pb
from google.protobuf import descriptor_pool, json_format
from google.protobuf.message_factory import GetMessageClass
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from tests.warranty.conftest import Api


class _V1Stub:
    """A grpc.reflection.v1 client: the v1alpha messages (the same fields) sent to the v1 service's path."""

    def __init__(self, channel: grpc.Channel):
        self.ServerReflectionInfo = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
async def test_reflection_lists_services_and_calls_get_product(api: Api, product: pb.Product, version: str) -> None:
    # The blocking client runs in a thread so the server keeps serving on this event loop.
    assert api.app.grpc is not None
    reply = await asyncio.to_thread(_reflect_and_get_product, api.app.grpc.port, api.ops, version)
    assert reply["product"]["displayName"] == product.display_name
    assert reply["product"]["policy"]["coverageMonths"] == 24


def _reflect_and_get_product(port: int, metadata: tuple[tuple[str, str], ...], version: str) -> dict[str, Any]:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        if version == "v1":
            database._stub = _V1Stub(channel)
        services = database.get_services()
        assert {"aftercare.warranty.v1.WarrantyService", "grpc.health.v1.Health"} <= set(services)
        assert {"grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"} <= set(services)
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
