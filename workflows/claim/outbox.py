"""The claim workflow's outbox: the write-behind records and the messages on their way, which the run waits
for before it ends or continues as new.

Since the write-behind (`WRITE_BEHIND_PATCH`) a change's `repairs.record_event` runs behind the update that
made it, in order, each after the one before; the next update's answer hands the records not yet handed
over to its caller's API too, which writes them before it answers (idempotent by (rma, seq)). A message goes
out once its change is written, after the message before it to the same recipient."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contracts import queues
    from contracts.notifications import NotificationRequest
    from contracts.repairs import RECORD_EVENT, EventRecord
    from workflows.notify import send

from workflows.claim.calls import WRITE_TIMEOUT, call


class Outbox:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[object]] = set()  # notifications and write-behind records on their way
        self.unanswered: list[EventRecord] = []  # changes not yet handed to an update's caller (write-behind)
        self.last_write: asyncio.Task[object] | None = None  # the record the next one is written after
        self.latest: dict[str, asyncio.Task[object]] = {}  # per recipient: the message the next one follows

    @property
    def empty(self) -> bool:
        return not self.tasks

    def write_behind(self, record: EventRecord) -> None:
        """Write the change without holding the update: in order, after the one before; the next update's answer
        hands it to the caller's API too, and the run waits for every write before it ends or continues."""
        self.unanswered.append(record)

        async def write() -> object:
            return await call(RECORD_EVENT, record, queues.REPAIRS, start_to_close=WRITE_TIMEOUT)

        self.last_write = self._later(write, self.last_write)

    def take_unanswered(self) -> list[EventRecord]:
        """The records no update's caller has been handed yet, handed over now."""
        records, self.unanswered = self.unanswered, []
        return records

    def notify(self, message: NotificationRequest) -> None:
        """Send without waiting: the caller's update returns now; the run waits for the outbox to empty.
        Each recipient gets its messages in order ("shipped" never after "delivered"); recipients do not
        wait for each other (a retailer's webhooks do not queue behind a customer's mail server). A message
        goes out once its change is written (last_write is None before the write-behind)."""
        before = self.latest.get(message.recipient)  # send() gives up quietly, so awaiting it never raises
        self.latest[message.recipient] = self._later(lambda: send(message), self.last_write, before)

    def _later(self, job: Callable[[], Awaitable[object]], *after: asyncio.Task[object] | None) -> asyncio.Task[object]:
        """Run `job` in the outbox, without waiting for it, once the tasks `after` have finished."""

        async def in_turn() -> object:
            for task in after:
                if task is not None:
                    await task
            return await job()

        task: asyncio.Task[object] = asyncio.create_task(in_turn())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task
