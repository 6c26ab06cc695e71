"""Random and malformed requests to every RPC of every service, as every kind of caller: none may answer
UNKNOWN or INTERNAL (a caller's mistake is named as such), and every service still answers its health check
afterwards (issue 13). Hypothesis draws the requests from each method's own message descriptor: strings with
control characters and every script, out-of-range numbers and times, unknown enum values, nested messages
and maps; and bytes that are not protobuf at all."""

from __future__ import annotations

import random
from typing import Any

import grpc
import pytest
from aftercare.notifications.v1 import notifications_pb2
from aftercare.repairs.v1 import repairs_pb2
from aftercare.warranty.v1 import warranty_pb2
from google.protobuf import descriptor as d
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.stack import Stack

pytestmark = pytest.mark.timeout(600)
SERVICES = {
    "warranty": warranty_pb2.DESCRIPTOR.services_by_name["WarrantyService"],
    "repairs": repairs_pb2.DESCRIPTOR.services_by_name["RepairsService"],
    "notifications": notifications_pb2.DESCRIPTOR.services_by_name["NotificationsService"],
}
PRINCIPALS = ("ops", "service", "retailer:demo-retailer", "centre:demo-centre", "carrier:local")
EXAMPLES_PER_METHOD = 40
FD = d.FieldDescriptor
INTS = {
    FD.TYPE_INT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FD.TYPE_INT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FD.TYPE_UINT32: (0, 2**32 - 1),
    FD.TYPE_FIXED32: (0, 2**32 - 1),
    FD.TYPE_UINT64: (0, 2**64 - 1),
    FD.TYPE_FIXED64: (0, 2**64 - 1),
}
# Plausible values next to wild ones, so that some requests get past the first checks.
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "SN-0001",
            "RMA-0000-0000",
            "EUR",
            "en",
            "xx-YY",
            "Europe",
            "+447400765432",
            "jo@example.com",
            "demo-centre",
            "*",
            "claim:RMA-0000-0000",
            "https://127.0.0.1/h",
            "\u200b",
        ]
    ),
)


def scalar(field: d.FieldDescriptor) -> st.SearchStrategy[Any]:
    if field.type in INTS:
        low, high = INTS[field.type]
        return st.one_of(st.integers(low, high), st.sampled_from([0, 1, -1 if low < 0 else 2, low, high]))
    if field.type == FD.TYPE_BOOL:
        return st.booleans()
    if field.type == FD.TYPE_ENUM:
        return st.integers(-2, 30)
    if field.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        return st.floats(width=32 if field.type == FD.TYPE_FLOAT else 64)
    if field.type == FD.TYPE_BYTES:
        return st.binary(max_size=40)
    return TEXT


def message(desc: d.Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Values for some of a message's fields, nested a few levels deep."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in desc.fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key, value = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
            fields[field.name] = st.dictionaries(scalar(key), scalar(value), max_size=3)
            continue
        if field.message_type is not None:
            if depth >= 3:
                continue
            element: st.SearchStrategy[Any] = message(field.message_type, depth + 1)
        else:
            element = scalar(field)
        fields[field.name] = st.lists(element, max_size=3) if field.is_repeated else element
    return st.fixed_dictionaries({}, optional=fields)


def build(cls: type[Message], values: dict[str, Any]) -> Message:
    msg = cls()
    fill(msg, values)
    return msg


def fill(msg: Message, values: dict[str, Any]) -> None:
    for name, value in values.items():
        field = msg.DESCRIPTOR.fields_by_name[name]
        target = getattr(msg, name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            for k, v in value.items():
                target[k] = v
        elif field.is_repeated:
            for item in value:
                fill(target.add(), item) if field.message_type is not None else target.append(item)
        elif field.message_type is not None:
            fill(target, value)
        else:
            setattr(msg, name, value)


def drawn(method: d.MethodDescriptor) -> list[bytes]:
    """Requests for a method: serialized random messages, and bytes that are not protobuf."""
    cls = GetMessageClass(method.input_type)
    out: list[bytes] = []

    @settings(
        max_examples=EXAMPLES_PER_METHOD,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(message(method.input_type), st.binary(min_size=1, max_size=30))
    def collect(values: dict[str, Any], junk: bytes) -> None:
        out.append(build(cls, values).SerializeToString())
        if len(out) % 5 == 0:
            out.append(b"\xff" + junk)  # a tag of field 31 with a wire type that does not exist

    collect()
    return out


def methods() -> list[tuple[str, d.MethodDescriptor]]:
    return [(service, m) for service, desc in SERVICES.items() for m in desc.methods]


async def call(channel: grpc.aio.Channel, method: d.MethodDescriptor, body: bytes, key: str) -> grpc.StatusCode:
    code = await call_once(channel, method, body, key)
    if method.client_streaming and code in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL):
        # A server that refuses a stream before reading it can close while this client is still writing its
        # second message; gRPC's client then, rarely, reports INTERNAL of its own (seen once in CI under load,
        # with no server-side error logged, and not in 200 tries since). A server's INTERNAL repeats.
        code = await call_once(channel, method, body, key)
    return code


async def call_once(channel: grpc.aio.Channel, method: d.MethodDescriptor, body: bytes, key: str) -> grpc.StatusCode:
    path = f"/{method.containing_service.full_name}/{method.name}"
    metadata = [("authorization", f"Bearer {key}")]
    try:
        if method.client_streaming:
            stream: grpc.aio.StreamUnaryMultiCallable[bytes, bytes] = channel.stream_unary(path)
            await stream(iter([body, body]), metadata=metadata, timeout=30)
        else:
            unary: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(path)
            await unary(body, metadata=metadata, timeout=30)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_no_request_gets_unknown_or_internal(stack: Stack) -> None:
    await stack.product()
    await stack.centre()
    chooser = random.Random(7)
    bad: list[str] = []
    channels = {name: grpc.aio.insecure_channel(stack.targets[name]) for name in SERVICES}
    try:
        for service, method in methods():
            for body in drawn(method):
                for principal in ("ops", chooser.choice(PRINCIPALS[1:])):  # ops passes every role check
                    code = await call(channels[service], method, body, stack.keys[principal])
                    if code in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL):
                        bad.append(f"{method.full_name} as {principal}: {code.name} for {body[:120]!r}")
        for name, channel in channels.items():
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING, name
    finally:
        for channel in channels.values():
            await channel.close()
    assert bad == [], "\n".join(bad[:20])
