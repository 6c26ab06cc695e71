"""The expiry reminder's scan on the time-skipping server: it pages in coverage-end order (the cursor is the
last warranty's coverage end and id), and runs stored from before that order still replay (their cursor is an
id, and they page on by id to their end)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio import activity
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from contracts import queues
from contracts.notifications import SEND_NOTIFICATION, DeliveryReport, NotificationRequest
from contracts.warranty import FIND_EXPIRING, Expiring, ExpiringPage, ExpiringQuery
from services.warranty.domain.reminders import reminder_key
from tests.conftest import TEMPORAL_TEST_SERVER
from tests.workflows.conftest import RECORD
from workflows.reminders import RemindersInput, RemindersResult, WarrantyRemindersWorkflow

HISTORIES = Path(__file__).parent / "reminder_histories"
BEFORE = HISTORIES / "before-coverage-end-order.json"  # recorded before the patch: a scan paging by id


class Warranties:
    """The warranty worker's page activity, standing in: two due warranties, one a page."""

    def __init__(self) -> None:
        self.queries: list[ExpiringQuery] = []

    @activity.defn(name=FIND_EXPIRING)
    async def find_expiring(self, query: ExpiringQuery) -> ExpiringPage:
        self.queries.append(query)
        end = query.now + timedelta(days=10 + len(self.queries))
        serial = f"RM-{len(self.queries)}"
        found = [Expiring(serial=serial, sku="KETTLE", coverage_end=end, key=reminder_key(serial, end))]
        last = len(self.queries) == 2
        return ExpiringPage(
            warranties=found,
            scanned=1,
            next_after_id=0 if last else 40 + len(self.queries),
            next_after_end=None if last else end,
        )


@activity.defn(name=SEND_NOTIFICATION)
async def send_notification(request: NotificationRequest) -> DeliveryReport:
    return DeliveryReport(sent=1)


async def test_the_scan_pages_by_coverage_end_and_id() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=TEMPORAL_TEST_SERVER
    )
    warranties = Warranties()
    async with (
        env,
        Worker(env.client, task_queue=queues.CLAIMS, workflows=[WarrantyRemindersWorkflow]),
        Worker(env.client, task_queue=queues.WARRANTY, activities=[warranties.find_expiring]),
        Worker(env.client, task_queue=queues.NOTIFICATIONS, activities=[send_notification]),
    ):
        handle = await env.client.start_workflow(
            WarrantyRemindersWorkflow.run,
            RemindersInput(page_size=1),
            id=f"reminders-{uuid.uuid4()}",
            task_queue=queues.CLAIMS,
        )
        assert await asyncio.wait_for(handle.result(), 60) == RemindersResult(scanned=2, reminded=2)
        first, second = warranties.queries
        assert (first.by_coverage_end, first.after_id, first.after_end) == (True, 0, None)
        assert (second.by_coverage_end, second.after_id) == (True, 41)
        assert second.after_end == first.now + timedelta(days=11)  # the first page's last coverage end
        if RECORD:
            history = await handle.fetch_history()
            (HISTORIES / "by-coverage-end-order.json").write_text(history.to_json())


async def test_runs_stored_before_and_since_the_coverage_end_order_replay() -> None:
    replayer = Replayer(workflows=[WarrantyRemindersWorkflow], data_converter=pydantic_data_converter)
    stored = sorted(HISTORIES.glob("*.json"))
    assert BEFORE in stored and len(stored) == 2
    for path in stored:
        history = WorkflowHistory.from_json(f"reminders-{path.stem}", await asyncio.to_thread(path.read_text))
        await replayer.replay_workflow(history)
    # The run from before paged by id: none of its queries asked for the coverage-end order.
    assert "by_coverage_end" not in BEFORE.read_text()
