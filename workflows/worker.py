"""The claims worker: hosts the workflows (no activities) on task queue "claims"."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from services.kit.grpc_server import wait_for_shutdown_signal
from services.kit.settings import Settings
from services.kit.temporal import run_worker
from workflows import TASK_QUEUE
from workflows.claim import ClaimWorkflow
from workflows.notify import NotifyWorkflow

log = logging.getLogger("aftercare.claims")
WORKFLOWS = [ClaimWorkflow, NotifyWorkflow]


async def serve(settings: Settings) -> None:
    worker = asyncio.create_task(run_worker(settings, TASK_QUEUE, workflows=WORKFLOWS))
    await wait_for_shutdown_signal()
    log.info("claims worker stopping")
    worker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker
    log.info("claims worker stopped")
