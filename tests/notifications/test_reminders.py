"""The daily warranty-expiry reminder, end to end: the schedule, the scan over the warranty service, and one
extended-plan offer per warranty and window however often it runs."""

from __future__ import annotations

import uuid

from aftercare.common.v1 import money_pb2
from aftercare.notifications.v1 import notifications_pb2 as npb
from aftercare.warranty.v1 import warranty_pb2 as wpb
from temporalio.client import ScheduleCalendarSpec

from contracts.queues import CLAIMS as TASK_QUEUE
from tests.stack import Stack, new_id, new_serial, until
from workflows.reminders import (
    DAILY_AT,
    SCHEDULE_ID,
    RemindersInput,
    RemindersResult,
    WarrantyRemindersWorkflow,
    ensure_schedule,
)


async def remind(stack: Stack, **start: int) -> RemindersResult:
    return await stack.temporal.execute_workflow(
        WarrantyRemindersWorkflow.run,
        RemindersInput(**start),
        id=f"reminders-test-{uuid.uuid4()}",
        task_queue=TASK_QUEUE,
    )


async def offers(stack: Stack) -> list[npb.Notification]:
    listed = await stack.notifications.ListNotifications(
        npb.ListNotificationsRequest(idempotency_key_prefix="warranty-expiry/"), metadata=stack.as_("ops")
    )
    return list(listed.notifications)


async def test_one_offer_per_warranty_ending_within_30_days_however_often_the_job_runs(stack: Stack) -> None:
    await stack.product()  # 24 months of coverage
    due = [new_serial() for _ in range(3)]  # bought in the same second: the same coverage end, told apart by id
    later, ended, void, extended = (new_serial() for _ in range(4))
    for serial, days_ago in (*((s, 715) for s in due), (later, 600), (ended, 745), (void, 715), (extended, 715)):
        await stack.sale(serial, days_ago=days_ago)
    await stack.warranty.VoidWarranty(
        wpb.VoidWarrantyRequest(request_id=new_id(), serial=void, reason="fraud"), metadata=stack.as_("ops")
    )
    await stack.warranty.PurchaseExtendedPlan(
        wpb.PurchaseExtendedPlanRequest(
            request_id=new_id(),
            serial=extended,
            plan_reference="EXT-12",
            months=12,
            price=money_pb2.Money(currency_code="EUR", amount_minor=2900),
        ),
        metadata=stack.as_("retailer:demo-retailer"),
    )

    first = await remind(stack, page_size=2)  # 3 due, 2 a page: the cursor crosses a tie in coverage end
    # Only the due are read, through the coverage-end index: not the later, the ended, the void (its end is
    # due, its state is not) nor the extended one (its plan moved its stored end a year on).
    assert (first.scanned, first.reminded) == (3, 3)
    sent = await offers(stack)
    assert sorted(o.serial for o in sent) == sorted(due) and {o.template for o in sent} == {"extended_plan_offer"}
    assert all(o.idempotency_key.startswith(f"warranty-expiry/{o.serial}/") for o in sent)
    assert [m.subject.startswith("Votre garantie se termine le ") for m in stack.mail.messages] == [True] * 3  # fr

    again = await remind(stack)  # the next run the same day (or a retry): asked again, sent nothing new
    assert (again.scanned, again.reminded) == (3, 3)
    assert len(await offers(stack)) == 3 and len(stack.mail.messages) == 3


async def test_the_schedule_exists_once_runs_daily_and_can_be_triggered(stack: Stack) -> None:
    await stack.product()
    serial = new_serial()
    await stack.sale(serial, days_ago=715)
    assert await ensure_schedule(stack.temporal) is True
    handle = stack.temporal.get_schedule_handle(SCHEDULE_ID)
    try:
        assert await ensure_schedule(stack.temporal) is False  # a second worker replica starting
        description = await handle.describe()
        spec = description.schedule.spec  # the server keeps "0 8 * * *" as a calendar: every day at 08:00 UTC
        assert DAILY_AT == "0 8 * * *" and len(spec.calendars) == 1
        (daily,) = spec.calendars
        assert isinstance(daily, ScheduleCalendarSpec)
        assert [(r.start, r.end) for r in daily.hour] == [(8, 8)] and [r.start for r in daily.minute] == [0]
        await handle.trigger()  # what "Trigger" on the UI's schedules page does

        async def offered() -> bool:
            return len(stack.mail.messages) == 1

        await until(offered)
        (offer,) = await offers(stack)
        assert offer.serial == serial
    finally:
        await handle.delete()
