"""How the claim workflow calls the services' activities, and the markers of its changes of logic.

Every change to a running claim's logic goes behind `workflow.patched(<marker>)`, and the histories recorded
before it replay (tests/workflows/test_replay.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# A write-behind record is one idempotent row write (milliseconds): if the repairs process that took it is killed,
# the retry goes to a live one after this, not after 30 s, so the read model catches up within seconds of a
# restart (tests/workflows/test_write_after_a_crash.py). A slow database only means an extra, harmless retry.
WRITE_TIMEOUT = timedelta(seconds=5)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# Claims started before notifications existed replay without them (tests/workflows/test_replay.py).
NOTIFY_PATCH = "notify-customers-retailers-ops"
# Claims started before review existed go on without the risk check and the review step (test_replay.py).
REVIEW_PATCH = "claim-review"
# Claims since the write-behind: an update answers as soon as its changes are made, handing them to the caller's
# API (which writes them before it answers), and record_event writes them behind it, in order. Before it, each
# change waited for record_event (one dispatch to the repairs worker and back, about 90 ms of every update).
WRITE_BEHIND_PATCH = "records-written-behind"
# Claims since: the loop also wakes when Temporal suggests continue-as-new, so a claim that only gets updates that
# change nothing (a carrier resending an event) still continues; before it, only a change woke the loop and such
# a history grew without end (tests/workflows/test_continue_as_new.py, test_replay.py).
WAKE_TO_CONTINUE_PATCH = "wake-to-continue-as-new"
# Claims since: a carrier's EXCEPTION (lost, damaged, returned to sender) is recorded as PARCEL_EXCEPTION, which
# alerts ops and tells the customer (lifecycle/notices); before it, it was a PARCEL_EVENT that told nobody.
PARCEL_EXCEPTION_PATCH = "parcel-exception-alerts"
SYSTEM = "system"  # the actor of what the workflow does by itself: the entitlement decision, timers
T = TypeVar("T")


async def call(
    activity: str,
    arg: object,
    queue: str,
    result_type: type[T] | None = None,
    start_to_close: timedelta = ACTIVITY_TIMEOUT,
) -> T:
    """Run one of a service's activities with the options every claim activity uses."""
    result: T = await workflow.execute_activity(
        activity,
        arg,
        task_queue=queue,
        result_type=result_type,
        start_to_close_timeout=start_to_close,
        retry_policy=RETRY,
    )
    return result
