"""Prometheus metrics: RPCs by method and code, claims per state, deliveries by outcome, served on /metrics."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
from aftercare.warranty.v1 import warranty_pb2 as wpb
from grpc import StatusCode
from grpc.aio import AioRpcError
from prometheus_client import REGISTRY

from services.kit import metrics
from services.kit.settings import Settings
from services.repairs.metrics import count_claims
from tests.conftest import free_port
from tests.stack import Stack, new_serial, until

GET_WARRANTY = "/aftercare.warranty.v1.WarrantyService/GetWarranty"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_rpcs_claims_and_deliveries_are_counted(stack: Stack) -> None:
    not_found = sample("aftercare_grpc_requests_total", method=GET_WARRANTY, code="NOT_FOUND")
    ok = sample("aftercare_grpc_requests_total", method=GET_WARRANTY, code="OK")
    timed = sample("aftercare_grpc_request_duration_seconds_count", method=GET_WARRANTY)
    sent = sample("aftercare_notification_deliveries_total", channel="EMAIL", outcome="SENT")

    await stack.product()
    await stack.centre()
    serial = new_serial()
    await stack.sale(serial)
    await stack.warranty.GetWarranty(wpb.GetWarrantyRequest(serial=serial), metadata=stack.as_("ops"))
    with pytest.raises(AioRpcError) as refused:
        await stack.warranty.GetWarranty(wpb.GetWarrantyRequest(serial=new_serial()), metadata=stack.as_("ops"))
    assert refused.value.code() is StatusCode.NOT_FOUND
    assert sample("aftercare_grpc_requests_total", method=GET_WARRANTY, code="NOT_FOUND") == not_found + 1
    assert sample("aftercare_grpc_requests_total", method=GET_WARRANTY, code="OK") == ok + 1
    assert sample("aftercare_grpc_request_duration_seconds_count", method=GET_WARRANTY) == timed + 2

    claim = await stack.file(serial)  # approved: the customer gets claim_accepted by e-mail

    async def delivered() -> bool:  # the counter moves once the delivery is recorded, after the mail arrives
        return sample("aftercare_notification_deliveries_total", channel="EMAIL", outcome="SENT") > sent

    await until(delivered, what="a SENT e-mail delivery counted")
    assert sample("aftercare_notification_deliveries_total", channel="EMAIL", outcome="SENT") == sent + 1
    assert len(stack.mail.messages) == 1

    assert stack.repairs_app is not None
    counting = asyncio.create_task(count_claims(stack.repairs_app.repo, every=0.05))
    try:

        async def counted() -> bool:
            return sample("aftercare_claims", state="AWAITING_SHIPMENT") == 1

        await until(counted)
        assert sample("aftercare_claims", state="CLOSED") == 0 and claim.rma
    finally:
        counting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await counting


async def test_metrics_are_served_over_http() -> None:
    port = free_port()
    metrics.serve(Settings(metrics_port=port))
    metrics.RPCS.labels("/x.v1.X/Probe", "OK").inc()
    async with httpx.AsyncClient() as client:
        page = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    assert 'aftercare_grpc_requests_total{code="OK",method="/x.v1.X/Probe"}' in page
    assert "# HELP aftercare_claims Claims by state" in page
