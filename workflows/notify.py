"""Sending a notification from a workflow: the one set of activity options every workflow uses, and
NotifyWorkflow, which runs one SendNotification request (id `contracts.notifications.notify_workflow_id`).

Delivery retries come from this retry policy: backoff from 2 s to 10 minutes for up to two days. A
permanent failure (an invalid address) is recorded as failed by the activity and is not retried. The
heartbeat timeout notices a worker that died mid-send in seconds instead of the start-to-close timeout."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from contracts import queues
    from contracts.notifications import NOTIFY_WORKFLOW, SEND_NOTIFICATION, DeliveryReport, NotificationRequest

NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=["UNKNOWN_TEMPLATE", "RECIPIENT_NOT_FOUND"],
)
NOTIFY_START_TO_CLOSE = timedelta(seconds=60)
NOTIFY_HEARTBEAT = timedelta(seconds=10)
NOTIFY_GIVE_UP = timedelta(days=2)


async def send(request: NotificationRequest) -> DeliveryReport | None:
    """Run send_notification until it succeeds or gives up; None when it gave up (logged, not raised: a
    message that cannot go out must not break the claim)."""
    try:
        result: DeliveryReport = await workflow.execute_activity(
            SEND_NOTIFICATION,
            request,
            task_queue=queues.NOTIFICATIONS,
            result_type=DeliveryReport,
            start_to_close_timeout=NOTIFY_START_TO_CLOSE,
            heartbeat_timeout=NOTIFY_HEARTBEAT,
            schedule_to_close_timeout=NOTIFY_GIVE_UP,
            retry_policy=NOTIFY_RETRY,
        )
        return result
    except ActivityError as exc:
        workflow.logger.warning("notification gave up", extra={"key": request.key, "cause": str(exc.cause)})
        return None


@workflow.defn(name=NOTIFY_WORKFLOW)
class NotifyWorkflow:
    """One message asked for through the API (SendNotification) or a schedule."""

    @workflow.run
    async def run(self, request: NotificationRequest) -> DeliveryReport | None:
        return await send(request)
