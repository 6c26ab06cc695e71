"""Reading a failed RPC's rich status in tests."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status


@dataclass
class Failure:
    code: grpc.StatusCode
    message: str
    reason: str
    domain: str
    fields: dict[str, str]


def details(status: status_pb2.Status) -> tuple[str, str, dict[str, str]]:
    reason = domain = ""
    fields: dict[str, str] = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, domain = info.reason, info.domain
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields = {v.field: v.description for v in bad.field_violations}
    return reason, domain, fields


async def failure(call: Awaitable[Any]) -> Failure:
    """Await an RPC that must fail, and return how it failed."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        status = rpc_status.from_call(error)
        reason, domain, fields = details(status) if status else ("", "", {})
        return Failure(error.code(), error.details() or "", reason, domain, fields)
    raise AssertionError("the call succeeded")
