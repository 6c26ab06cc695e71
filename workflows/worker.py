"""The claims worker: hosts the workflows (no activities) on task queue "claims"."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from temporalio.client import Client
from temporalio.service import RPCError

from contracts import queues
from services.kit.grpc_server import wait_for_shutdown_signal
from services.kit.settings import Settings
from services.kit.temporal import run_worker
from workflows.claim.workflow import ClaimWorkflow
from workflows.notify import NotifyWorkflow
from workflows.reminders import SCHEDULE_ID, WarrantyRemindersWorkflow, ensure_schedule

log = logging.getLogger("aftercare.claims")
WORKFLOWS = [ClaimWorkflow, NotifyWorkflow, WarrantyRemindersWorkflow]


async def _schedules(client: Client) -> None:
    """Make sure the reminder schedule exists; a failure is logged, never a reason to stop hosting claims."""
    try:
        if await ensure_schedule(client):
            log.info("schedule created", extra={"schedule_id": SCHEDULE_ID})
    except RPCError as error:
        log.warning("schedule not ensured; the next start tries again", extra={"status": error.status.name})


async def serve(settings: Settings) -> None:
    worker = asyncio.create_task(run_worker(settings, queues.CLAIMS, workflows=WORKFLOWS, on_connect=_schedules))
    await wait_for_shutdown_signal()
    log.info("claims worker stopping")
    worker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker
    log.info("claims worker stopped")
