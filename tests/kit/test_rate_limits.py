"""Per-caller rate limits (issue 13, item 14): one runaway caller gets RESOURCE_EXHAUSTED with RetryInfo,
the others are not slowed, and services calling each other are never limited."""

from __future__ import annotations

from pathlib import Path

import grpc
from aftercare.warranty.v1 import warranty_pb2 as pb
from aftercare.warranty.v1 import warranty_pb2_grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from devtools.keys import ensure_dev_keys
from services import registry
from services.kit.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == 0.5  # half a second until the next token
    assert limiter.take("b") == 0  # another caller has its own bucket
    clock.now += 0.5
    assert limiter.take("a") == 0
    clock.now += 60  # refills to the burst, not beyond
    assert [limiter.take("a") for _ in range(4)][-1] > 0


def test_a_rate_of_zero_is_no_limit() -> None:
    limiter = RateLimiter(rate=0, burst=1)
    assert all(limiter.take("a") == 0 for _ in range(10_000))


async def test_a_runaway_caller_is_told_to_wait_and_others_are_served(tmp_path: Path) -> None:
    keys = ensure_dev_keys(tmp_path / "api-keys.json")
    app = registry.entry("warranty").build(
        var_dir=tmp_path,
        grpc_port=0,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}",
        rate_limit_per_second=1,
        rate_limit_burst=3,
    )
    port = await app.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = warranty_pb2_grpc.WarrantyServiceStub(channel)

            async def code(principal: str) -> grpc.StatusCode:
                try:
                    await stub.ListProducts(
                        pb.ListProductsRequest(), metadata=[("authorization", f"Bearer {keys[principal]}")]
                    )
                except grpc.aio.AioRpcError as error:
                    if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                        status = rpc_status.from_call(error)
                        assert status is not None
                        retry = [d for d in status.details if d.Is(error_details_pb2.RetryInfo.DESCRIPTOR)]
                        info = error_details_pb2.RetryInfo()
                        retry[0].Unpack(info)
                        assert 0 < info.retry_delay.ToTimedelta().total_seconds() <= 1
                    return error.code()
                return grpc.StatusCode.OK

            runaway = [await code("retailer:demo-retailer") for _ in range(5)]
            assert runaway[:3] == [grpc.StatusCode.OK] * 3
            assert runaway[3:] == [grpc.StatusCode.RESOURCE_EXHAUSTED] * 2
            assert await code("retailer:other-retailer") == grpc.StatusCode.OK
            assert [await code("service") for _ in range(10)] == [grpc.StatusCode.OK] * 10
    finally:
        await app.stop()
