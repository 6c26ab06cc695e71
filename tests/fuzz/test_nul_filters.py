"""Free-text list filters with a NUL or a control character are the caller's mistake: INVALID_ARGUMENT naming
the field, never INTERNAL (PostgreSQL refuses a NUL in text; the fuzzer found it in ListClaims' sku)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
import pytest
from aftercare.notifications.v1 import notifications_pb2 as npb
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.warranty.v1 import warranty_pb2 as wpb

from tests.stack import Stack

pytestmark = pytest.mark.timeout(60)


async def test_a_nul_in_a_list_filter_is_invalid_argument(stack: Stack) -> None:
    ops = stack.as_("ops")
    calls: list[tuple[Callable[..., Awaitable[object]], object]] = [
        (stack.repairs.ListClaims, rpb.ListClaimsRequest(sku="KETTLE\x00-3000")),
        (stack.repairs.ListClaims, rpb.ListClaimsRequest(centre_id="demo\x00")),
        (stack.repairs.ListClaims, rpb.ListClaimsRequest(retailer_id="\x00")),
        (stack.warranty.ListWarranties, wpb.ListWarrantiesRequest(customer_id="cus_\x00")),
        (stack.warranty.ListWarranties, wpb.ListWarrantiesRequest(retailer_id="r\x00")),
        (stack.notifications.ListNotifications, npb.ListNotificationsRequest(rma="RMA-\x00")),
        (stack.notifications.ListNotifications, npb.ListNotificationsRequest(recipient="claim:\x00")),
        (stack.notifications.ListNotifications, npb.ListNotificationsRequest(idempotency_key_prefix="a\x00")),
    ]
    for method, request in calls:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await method(request, metadata=ops)
        assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT, request
