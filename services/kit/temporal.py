"""The Temporal client every process uses: pydantic data converter, settings-driven address."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from services.kit.settings import Settings

log = logging.getLogger("aftercare.temporal")


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )


async def run_worker(
    settings: Settings,
    task_queue: str,
    *,
    activities: Sequence[Callable[..., Any]] = (),
    workflows: Sequence[type] = (),
) -> None:
    """Run a worker until cancelled, reconnecting while Temporal is unreachable (the API keeps serving)."""
    delay = 0.5
    while True:
        try:
            client = await connect(settings)
        except RuntimeError as exc:  # temporalio raises RuntimeError when it cannot connect
            log.warning(
                "temporal unreachable; retrying",
                extra={"address": settings.temporal_address, "error": type(exc).__name__, "in_s": delay},
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
            continue
        worker = Worker(client, task_queue=task_queue, activities=list(activities), workflows=list(workflows))
        log.info("worker ready", extra={"task_queue": task_queue})
        await worker.run()
        return
