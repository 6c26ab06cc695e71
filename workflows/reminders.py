"""The daily warranty-expiry reminder: a Temporal Schedule (`warranty-expiry-reminders`, visible on the UI's
schedules page) starts WarrantyRemindersWorkflow, which scans the warranties page by page (the `warranty`
service's activity) and offers an extended plan to each customer whose coverage ends within 30 days.

Idempotent per warranty and window: each reminder's business key is `warranty-expiry/<serial>/<end date>`,
so a second run on the same day, a retried page or an overlapping run sends nothing twice; an extended plan
moves the end date and so opens the next window."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from contracts import queues
    from contracts.notifications import NotificationRequest
    from contracts.warranty import FIND_EXPIRING, REMINDER_WINDOW, ExpiringPage, ExpiringQuery
    from workflows.notify import send

SCHEDULE_ID = "warranty-expiry-reminders"
DAILY_AT = "0 8 * * *"  # 08:00 UTC
PAGE = 500
# Since the coverage-end index: page in coverage-end order, reading only what is due. Scans started before page
# by id to their end (their cursor is an id).
BY_COVERAGE_END_PATCH = "reminders-by-coverage-end"


class RemindersInput(BaseModel):
    """Empty when the schedule starts it; carried across continue-as-new for long scans."""

    now: datetime | None = None
    after_id: int = 0
    after_end: datetime | None = None  # the coverage-end cursor (scans that page by coverage end)
    scanned: int = 0
    reminded: int = 0
    page_size: int = PAGE


class RemindersResult(BaseModel):
    scanned: int
    reminded: int  # reminders asked for (a reminder already sent in this window is not sent again)


@workflow.defn
class WarrantyRemindersWorkflow:
    @workflow.run
    async def run(self, start: RemindersInput) -> RemindersResult:
        now = start.now or workflow.now()  # one "now" for the whole scan, across continue-as-new
        after_id, after_end, scanned, reminded = start.after_id, start.after_end, start.scanned, start.reminded
        by_end = workflow.patched(BY_COVERAGE_END_PATCH)
        while True:
            page: ExpiringPage = await workflow.execute_activity(
                FIND_EXPIRING,
                ExpiringQuery(
                    now=now,
                    within_seconds=int(REMINDER_WINDOW.total_seconds()),
                    after_id=after_id,
                    limit=start.page_size,
                    by_coverage_end=by_end,
                    after_end=after_end,
                ),
                task_queue=queues.WARRANTY,
                result_type=ExpiringPage,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            )
            await asyncio.gather(
                *(
                    send(
                        NotificationRequest(
                            key=w.key,
                            template="extended_plan_offer",
                            recipient=f"warranty:{w.serial}",
                            variables={"serial": w.serial, "sku": w.sku, "coverage_end_at": w.coverage_end.isoformat()},
                            serial=w.serial,
                        )
                    )
                    for w in page.warranties
                )
            )
            scanned, reminded = scanned + page.scanned, reminded + len(page.warranties)
            after_id, after_end = page.next_after_id, page.next_after_end
            if not after_id:
                return RemindersResult(scanned=scanned, reminded=reminded)
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(
                    RemindersInput(now=now, after_id=after_id, after_end=after_end, scanned=scanned, reminded=reminded)
                )


def schedule() -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            WarrantyRemindersWorkflow.run,
            RemindersInput(),
            id=f"{SCHEDULE_ID}-run",  # the schedule appends the start time
            task_queue=queues.CLAIMS,
        ),
        spec=ScheduleSpec(cron_expressions=[DAILY_AT]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_schedule(client: Client) -> bool:
    """Create the schedule unless it exists (every claims worker replica calls this at start); True if made."""
    try:
        await client.create_schedule(SCHEDULE_ID, schedule())
        return True
    except ScheduleAlreadyRunningError:
        return False
