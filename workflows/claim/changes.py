"""The claim workflow's state and how it changes: each accepted change moves the state by the transition
table, keeps the SLA clock and the search attributes, and is recorded (written behind, or before the update
returns for claims from before the write-behind) with the messages it sends. `Changes` is the base the
intake, the timers and the updates build on; `ClaimWorkflow` (workflow.py) puts them together."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts import queues
    from contracts.claims import (
        ClaimInput,
        ClaimState,
        ClaimStatus,
        Direction,
        Event,
        Quote,
        Refusal,
        Resolution,
        Shipment,
    )
    from contracts.repairs import (
        ASSIGN_CENTRE,
        CREATE_LABEL,
        RECORD_EVENT,
        CentreChoice,
        CentreQuery,
        EventRecord,
        Label,
        LabelRequest,
        UpdateAnswer,
    )
    from lifecycle.deadlines import RENEWED_TAGS
    from lifecycle.notices import notices
    from lifecycle.sla import SlaClock
    from lifecycle.transitions import IllegalTransition, next_state

from workflows.claim import visibility
from workflows.claim.calls import NOTIFY_PATCH, SYSTEM, WRITE_BEHIND_PATCH, call
from workflows.claim.handled import HandledUpdates
from workflows.claim.outbox import Outbox


def illegal(error: IllegalTransition) -> ApplicationError:
    """How a refused move reaches the caller: the repairs service maps it to FAILED_PRECONDITION."""
    details = {"state": error.state.value, "event": error.event.value}
    return ApplicationError(str(error), details, type=Refusal.ILLEGAL_TRANSITION)


class Changes:
    """The claim as the workflow holds it, and every change made to it."""

    def __init__(self, claim: ClaimInput) -> None:
        self.claim = claim
        self.status = claim.carried or ClaimStatus(rma=claim.rma, serial=claim.serial)
        self.changed = self.seen = 0  # bumped by every accepted change; the main loop waits on it
        self.lock = asyncio.Lock()
        self.last_state = self.status.state  # as of the last recorded change: what a message compares with
        self.outbox = Outbox()
        self.handled = HandledUpdates(claim.handled_updates)
        self.actor = SYSTEM  # who the change being made is by: set by each update, under the lock

    async def _apply(self, event: Event, *, detail: str = "") -> None:
        """Move the state by the table, keep the SLA clock and search attributes, and record it."""
        s = self.status
        new = next_state(s.state, event, received=s.received)
        now = workflow.now()
        if new is not s.state:
            s.state, s.state_since = new, now
            renewed = RENEWED_TAGS.get(new)
            if renewed in s.reminders_sent:
                s.reminders_sent.remove(renewed)
        if event is Event.RECEIVED:
            s.received = True
        clock = SlaClock(
            timedelta(seconds=s.sla_budget_seconds), timedelta(seconds=s.sla_used_seconds), s.sla_running_since
        ).at(s.state, now)
        s.sla_used_seconds = clock.used.total_seconds()
        s.sla_running_since, s.sla_due_at = clock.running_since, clock.due_at()
        await self._record(event.value, detail=detail)

    async def _record(self, kind: str, *, detail: str = "") -> None:
        """Write the change (a transition's event, or a note such as SHIP_REMINDER) before anyone sees it."""
        s = self.status
        s.seq += 1
        visibility.show(self.status)
        record = EventRecord(
            rma=s.rma, seq=s.seq, kind=kind, occurred_at=workflow.now(), status=s, detail=detail, actor=self.actor
        )
        if workflow.patched(WRITE_BEHIND_PATCH):
            # Written later: the record keeps the status as of this change, not as the claim moves on meanwhile.
            self.outbox.write_behind(record.model_copy(update={"status": s.model_copy(deep=True)}))
        else:
            await call(RECORD_EVENT, record, queues.REPAIRS)
        previous, self.last_state = self.last_state, s.state
        if workflow.patched(NOTIFY_PATCH):
            for message in notices(kind, previous, s):
                self.outbox.notify(message)
        self.changed += 1

    async def _assign_centre(self) -> None:
        query = CentreQuery(
            rma=self.status.rma, region=self.claim.region, product_category=self.status.product_category
        )
        choice = await call(ASSIGN_CENTRE, query, queues.REPAIRS, CentreChoice)
        self.status.centre_id = choice.centre_id
        if choice.centre_id:
            await self._ship(Direction.TO_CENTRE)
        else:
            await self._record("NO_CENTRE", detail="no centre fits: waiting for ops to assign one")

    async def _ship(self, direction: Direction) -> None:
        request = LabelRequest(rma=self.status.rma, direction=direction, centre_id=self.status.centre_id)
        label = await call(CREATE_LABEL, request, queues.REPAIRS, Label)
        self.status.shipments.append(Shipment(direction=direction, tracking_number=label.tracking_number))
        await self._record("LABEL_CREATED", detail=f"{direction.value} {label.tracking_number}")

    async def _offer_quote(self, event: Event, currency: str, amount_minor: int) -> None:
        expires = workflow.now() + timedelta(seconds=self.status.timers.quote_deadline)
        self.status.quote = Quote(currency_code=currency, amount_minor=amount_minor, expires_at=expires)
        await self._apply(event)

    async def _decide_quote(self, *, accept: bool, detail: str = "") -> None:
        await self._apply(Event.QUOTE_ACCEPTED if accept else Event.QUOTE_DECLINED, detail=detail)
        s = self.status
        if s.state is ClaimState.AWAITING_SHIPMENT and not s.centre_id:
            await self._assign_centre()
        elif s.state is ClaimState.READY_TO_SHIP:
            s.resolution = Resolution.RETURNED_UNREPAIRED
            await self._ship(Direction.TO_CUSTOMER)

    def _check(self, event: Event) -> None:
        try:
            next_state(self.status.state, event, received=self.status.received)
        except IllegalTransition as error:
            raise illegal(error) from None

    def _check_centre(self, centre_id: str) -> None:
        if centre_id != self.status.centre_id:
            raise ApplicationError("the claim is not assigned to this centre", type=Refusal.NOT_ASSIGNED)

    def _done(self) -> ClaimStatus:
        """An update's answer once it was carried out: its id is remembered, so a retry changes nothing."""
        self.handled.add_current()
        return self._answer()

    def _answer(self) -> ClaimStatus:
        """An update's answer: since the write-behind, the status with the changes its caller's API writes."""
        if not workflow.patched(WRITE_BEHIND_PATCH):
            return self.status
        return UpdateAnswer(**dict(self.status), records=self.outbox.take_unanswered())
