"""A worker-only replica (`serve X --no-api`) serves gRPC health for its probes and no API; `aftercare health`
is the container health check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import pytest
from aftercare.warranty.v1 import warranty_pb2 as wpb
from aftercare.warranty.v1 import warranty_pb2_grpc
from typer.testing import CliRunner

from cli.main import app
from services import registry
from tests.conftest import free_port


async def test_a_worker_replica_answers_health_and_no_api(
    tmp_path: Path, new_database: Callable[[str], Awaitable[str]]
) -> None:
    worker_only = registry.entry("warranty").build(
        var_dir=tmp_path, grpc_port=0, run_api=False, database_url=await new_database("warranty")
    )
    port = await worker_only.start()
    try:
        runner = CliRunner()
        result = await asyncio.to_thread(runner.invoke, app, ["health", f"127.0.0.1:{port}"])
        assert (result.exit_code, result.output.strip()) == (0, f"127.0.0.1:{port}: SERVING")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await warranty_pb2_grpc.WarrantyServiceStub(channel).GetWarranty(wpb.GetWarrantyRequest(serial="SN-1"))
        assert refused.value.code() is grpc.StatusCode.UNIMPLEMENTED
    finally:
        await worker_only.stop()
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["health", f"127.0.0.1:{free_port()}", "--timeout", "0.5"]
    )
    assert result.exit_code == 1 and "UNAVAILABLE" in result.output


def test_a_process_must_run_something() -> None:
    result = CliRunner().invoke(app, ["serve", "warranty", "--no-api", "--no-worker"])
    assert result.exit_code == 64 and "nothing to run" in result.output
