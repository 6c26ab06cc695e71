"""gRPC server reflection, as both `grpc.reflection.v1` (what current clients such as grpcurl and `buf curl` ask
first) and `grpc.reflection.v1alpha` (what older ones ask). grpcio-reflection serves only v1alpha; v1 has the
same messages field for field under the stable package name, so one servicer answers both."""

from __future__ import annotations

import grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2 as messages

V1 = "grpc.reflection.v1.ServerReflection"


def enable_reflection(service_names: list[str], server: grpc.aio.Server) -> None:
    """Reflection over `service_names` (both reflection services are listed with them) on `server`."""
    servicer = reflection.aio.ReflectionServicer([*service_names, reflection.SERVICE_NAME, V1])
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    v1 = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=messages.ServerReflectionRequest.FromString,
        response_serializer=messages.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(V1, {"ServerReflectionInfo": v1}),))
