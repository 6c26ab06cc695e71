"""ClaimWorkflow (id `claim-<RMA>`): the only writer of a claim's state (DESIGN.md, "The claim lifecycle").

Every external event is an Update whose validator asks the pure transition table, so an illegal move is
rejected before it enters history. Each accepted change is written to the repairs database by the
`repairs.record_event` activity (idempotent by sequence number) before the update returns. Timers come
from the product's policy via the entitlement decision. No personal data enters this workflow."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from services.notifications.contracts import NotificationRequest
    from services.repairs import TASK_QUEUE as REPAIRS_QUEUE
    from services.repairs.contracts import (
        ASSIGN_CENTRE,
        CREATE_LABEL,
        ESCALATE_SLA,
        RECORD_EVENT,
        CancelRequest,
        CentreChoice,
        CentreQuery,
        ClaimInput,
        ClaimStatus,
        DiagnosisUpdate,
        EventRecord,
        Feedback,
        Label,
        LabelRequest,
        ParcelRecord,
        ParcelUpdate,
        Quote,
        QuoteDecision,
        Reassignment,
        RepairStatusUpdate,
        Shipment,
        SlaEscalation,
    )
    from services.repairs.domain.claims import (
        TERMINAL,
        ClaimState,
        Direction,
        Event,
        IllegalTransition,
        Resolution,
        SlaClock,
        next_state,
        parcel_move,
    )
    from services.warranty import TASK_QUEUE as WARRANTY_QUEUE
    from services.warranty.contracts import (
        CHECK_ENTITLEMENT,
        MOVE_TO_REPLACEMENT,
        EntitlementDecision,
        EntitlementQuery,
        ReplacementMove,
        ReplacementMoved,
    )
    from workflows import search_attributes as sa
    from workflows.notices import notices
    from workflows.notify import send

ACTIVITY_TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
CENTRE_STATUSES = frozenset(
    {Event.RECEIVED, Event.DIAGNOSING, Event.AWAITING_PARTS, Event.REPAIRING, Event.QUALITY_CHECK, Event.READY_TO_SHIP}
)
ILLEGAL = "ILLEGAL_TRANSITION"
# Claims started before notifications existed replay without them (tests/workflows/test_replay.py).
NOTIFY_PATCH = "notify-customers-retailers-ops"


def illegal(error: IllegalTransition) -> ApplicationError:
    """How a refused move reaches the caller: the repairs service maps it to FAILED_PRECONDITION."""
    return ApplicationError(str(error), {"state": error.state.value, "event": error.event.value}, type=ILLEGAL)


def diagnosis_event(update: DiagnosisUpdate) -> Event:
    d = update.diagnosis
    event = {
        ("COVERED_FAULT", ""): Event.DIAGNOSED_COVERED,
        ("NOT_COVERED", ""): Event.DIAGNOSED_NOT_COVERED,
        ("UNREPAIRABLE", "REPLACEMENT"): Event.DIAGNOSED_REPLACE,
        ("UNREPAIRABLE", "REFUND"): Event.DIAGNOSED_REFUND,
    }.get((d.outcome, d.remedy))
    if event is None:
        raise ApplicationError("outcome and remedy do not go together", type="INVALID_DIAGNOSIS")
    return event


@workflow.defn
class ClaimWorkflow:
    @workflow.init
    def __init__(self, claim: ClaimInput) -> None:
        self.claim = claim
        self.status = claim.carried or ClaimStatus(rma=claim.rma, serial=claim.serial)
        self.changed = self.seen = 0  # bumped by every accepted change; the main loop waits on it
        self.lock = asyncio.Lock()
        self.last_state = self.status.state  # as of the last recorded change: what a message compares with
        self.outbox: set[asyncio.Task[object]] = set()  # notifications on their way
        self.latest: dict[str, asyncio.Task[object]] = {}  # per recipient: the message the next one follows

    # -- the run -----------------------------------------------------------------------------------------

    @workflow.run
    async def run(self, claim: ClaimInput) -> ClaimStatus:
        if claim.carried is None:
            await self._intake()
        while self.status.state not in TERMINAL:
            if workflow.info().is_continue_as_new_suggested() and not self.lock.locked():
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self.outbox)
                workflow.continue_as_new(claim.model_copy(update={"carried": self.status}))
            self.seen, deadline = self.changed, self._next_deadline()
            timeout = max(deadline - workflow.now(), timedelta(0)) if deadline is not None else None
            try:
                await workflow.wait_condition(lambda: self.changed != self.seen, timeout=timeout)
            except TimeoutError:
                async with self.lock:
                    await self._on_timer()
        await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self.outbox)
        return self.status

    async def _intake(self) -> None:
        async with self.lock:
            decision: EntitlementDecision = await workflow.execute_activity(
                CHECK_ENTITLEMENT,
                EntitlementQuery(
                    serial=self.claim.serial,
                    incident_at=self.claim.incident_at,
                    fault_category=self.claim.fault_category,
                    retailer_id=self.claim.retailer_id,
                ),
                task_queue=WARRANTY_QUEUE,
                result_type=EntitlementDecision,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
            )
            s = self.status
            s.sku, s.retailer_id, s.customer_id = decision.sku, decision.retailer_id, decision.customer_id
            s.product_category = decision.product_category
            s.timers, s.sla_budget_seconds = decision.timers, decision.timers.repair_sla
            s.decision_reason, s.coverage_kind = decision.reason, decision.coverage_kind
            self._set_search_attributes()
            if decision.covered:
                s.exchange = decision.coverage_kind == "RETURN_WINDOW"
                s.decision = "EXCHANGE" if s.exchange else "APPROVED"
                await self._apply(Event.APPROVED)
                await self._assign_centre()
            elif decision.found and decision.paid_repair_minor > 0:
                s.decision = "QUOTE_OFFERED"
                await self._offer_quote(Event.QUOTE_OFFERED, decision.paid_repair_currency, decision.paid_repair_minor)
            else:
                s.decision = "REJECTED"
                await self._apply(Event.REJECTED, detail=decision.reason)

    # -- timers ------------------------------------------------------------------------------------------

    def _deadlines(self) -> list[tuple[datetime, str]]:
        s, t = self.status, self.status.timers
        since = s.state_since or workflow.now()
        due: list[tuple[datetime, str]] = []
        if s.state is ClaimState.AWAITING_SHIPMENT:
            if "ship" not in s.reminders_sent:
                due.append((since + timedelta(seconds=t.ship_reminder), "ship_reminder"))
            due.append((since + timedelta(seconds=t.shipment_deadline), "shipment_deadline"))
        elif s.state is ClaimState.AWAITING_QUOTE_DECISION:
            if "quote" not in s.reminders_sent:
                due.append((since + timedelta(seconds=t.quote_reminder), "quote_reminder"))
            due.append((since + timedelta(seconds=t.quote_deadline), "quote_deadline"))
        elif s.state in (ClaimState.DELIVERED, ClaimState.REFUNDED):
            if "survey" not in s.reminders_sent:
                due.append((since + timedelta(seconds=t.survey_delay), "survey"))
            else:
                due.append((since + timedelta(seconds=t.survey_delay + t.survey_window), "survey_closed"))
        if s.sla_due_at is not None and not s.sla_breached:
            due.append((s.sla_due_at + timedelta(microseconds=1), "sla"))
        return sorted(due)

    def _next_deadline(self) -> datetime | None:
        due = self._deadlines()
        return due[0][0] if due else None

    async def _on_timer(self) -> None:
        now = workflow.now()
        for at, what in self._deadlines():
            if at > now:
                break
            s = self.status
            if what == "ship_reminder":
                s.reminders_sent.append("ship")
                await self._record("SHIP_REMINDER")
            elif what == "shipment_deadline":
                await self._apply(Event.SHIPMENT_EXPIRED)
            elif what == "quote_reminder":
                s.reminders_sent.append("quote")
                await self._record("QUOTE_REMINDER")
            elif what == "quote_deadline":
                await self._decide_quote(accept=False, detail="quote expired: declined by default")
            elif what == "survey":
                s.reminders_sent.append("survey")
                await self._record("SURVEY_SENT")
            elif what == "survey_closed":
                await self._apply(Event.SURVEY_CLOSED)
            elif what == "sla":
                s.sla_breached = True
                await workflow.execute_activity(
                    ESCALATE_SLA,
                    SlaEscalation(rma=s.rma, centre_id=s.centre_id, due_at=s.sla_due_at or now, state=s.state),
                    task_queue=REPAIRS_QUEUE,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=RETRY,
                )
                await self._record("SLA_BREACHED", detail="escalated to ops")
            return  # one deadline per wake-up; the loop comes back for the next

    # -- changes -----------------------------------------------------------------------------------------

    async def _apply(self, event: Event, *, detail: str = "") -> None:
        """Move the state by the table, keep the SLA clock and search attributes, and record it."""
        s = self.status
        new = next_state(s.state, event, received=s.received)
        now = workflow.now()
        if new is not s.state:
            s.state, s.state_since = new, now
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
        self._set_search_attributes()
        await workflow.execute_activity(
            RECORD_EVENT,
            EventRecord(rma=s.rma, seq=s.seq, kind=kind, occurred_at=workflow.now(), status=s, detail=detail),
            task_queue=REPAIRS_QUEUE,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        previous, self.last_state = self.last_state, s.state
        if workflow.patched(NOTIFY_PATCH):
            for message in notices(kind, previous, s):
                self._notify(message)
        self.changed += 1

    def _notify(self, message: NotificationRequest) -> None:
        """Send without waiting: the caller's update returns now; the run waits for the outbox to empty.
        Each recipient gets its messages in order ("shipped" never after "delivered"); recipients do not
        wait for each other (a retailer's webhooks do not queue behind a customer's mail server)."""
        before = self.latest.get(message.recipient)

        async def in_turn() -> object:
            if before is not None:
                await before  # send() gives up quietly, so this never raises
            return await send(message)

        task: asyncio.Task[object] = asyncio.create_task(in_turn())
        self.latest[message.recipient] = task
        self.outbox.add(task)
        task.add_done_callback(self.outbox.discard)

    async def _assign_centre(self) -> None:
        choice: CentreChoice = await workflow.execute_activity(
            ASSIGN_CENTRE,
            CentreQuery(
                rma=self.status.rma,
                region=self.claim.region,
                product_category=self.status.product_category,
            ),
            task_queue=REPAIRS_QUEUE,
            result_type=CentreChoice,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        self.status.centre_id = choice.centre_id
        if choice.centre_id:
            await self._ship(Direction.TO_CENTRE)
        else:
            await self._record("NO_CENTRE", detail="no centre fits: waiting for ops to assign one")

    async def _ship(self, direction: Direction) -> None:
        label: Label = await workflow.execute_activity(
            CREATE_LABEL,
            LabelRequest(rma=self.status.rma, direction=direction, centre_id=self.status.centre_id),
            task_queue=REPAIRS_QUEUE,
            result_type=Label,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
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

    # -- updates -----------------------------------------------------------------------------------------

    def _check(self, event: Event) -> None:
        try:
            next_state(self.status.state, event, received=self.status.received)
        except IllegalTransition as error:
            raise illegal(error) from None

    def _check_centre(self, centre_id: str) -> None:
        if centre_id != self.status.centre_id:
            raise ApplicationError("the claim is not assigned to this centre", type="NOT_ASSIGNED")

    @workflow.update
    async def file(self) -> ClaimStatus:
        """The intake's answer (Update-with-Start): waits until the entitlement decision is recorded."""
        await workflow.wait_condition(lambda: self.status.decision != "" and not self.lock.locked())
        return self.status

    @workflow.update
    async def update_repair_status(self, update: RepairStatusUpdate) -> ClaimStatus:
        async with self.lock:
            self._validate_repair_status(update)
            await self._apply(update.status)
            if self.status.state is ClaimState.READY_TO_SHIP:
                self.status.resolution = self.status.resolution or Resolution.REPAIRED
                await self._ship(Direction.TO_CUSTOMER)
        return self.status

    @update_repair_status.validator
    def _validate_repair_status(self, update: RepairStatusUpdate) -> None:
        if update.status not in CENTRE_STATUSES:
            raise ApplicationError(f"{update.status} is not a repair status", type="INVALID_STATUS")
        self._check_centre(update.centre_id)
        self._check(update.status)

    @workflow.update
    async def record_diagnosis(self, update: DiagnosisUpdate) -> ClaimStatus:
        async with self.lock:
            self._validate_diagnosis(update)
            event = diagnosis_event(update)
            s = self.status
            s.diagnosis = update.diagnosis
            if event is Event.DIAGNOSED_NOT_COVERED:
                assert update.quote is not None  # the validator saw to it
                await self._offer_quote(event, update.quote.currency_code, update.quote.amount_minor)
                return s
            await self._apply(event)
            if event is Event.DIAGNOSED_REPLACE:
                moved: ReplacementMoved = await workflow.execute_activity(
                    MOVE_TO_REPLACEMENT,
                    ReplacementMove(
                        serial=s.serial, replacement_serial=update.diagnosis.replacement_serial, reason=s.rma
                    ),
                    task_queue=WARRANTY_QUEUE,
                    result_type=ReplacementMoved,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=RETRY,
                )
                s.resolution = Resolution.EXCHANGED if s.exchange else Resolution.REPLACED
                await self._record("WARRANTY_MOVED", detail=f"to {moved.replacement_serial}")
                await self._ship(Direction.TO_CUSTOMER)
            elif event is Event.DIAGNOSED_REFUND:
                s.resolution = Resolution.REFUNDED
        return self.status

    @record_diagnosis.validator
    def _validate_diagnosis(self, update: DiagnosisUpdate) -> None:
        self._check_centre(update.centre_id)
        d = update.diagnosis
        event = diagnosis_event(update)
        if event is Event.DIAGNOSED_NOT_COVERED and (update.quote is None or update.quote.amount_minor <= 0):
            raise ApplicationError("damage not covered needs a quote", type="INVALID_DIAGNOSIS")
        if event is Event.DIAGNOSED_REPLACE and not d.replacement_serial:
            raise ApplicationError("a replacement needs the replacement serial", type="INVALID_DIAGNOSIS")
        self._check(event)

    @workflow.update
    async def decide_quote(self, decision: QuoteDecision) -> ClaimStatus:
        async with self.lock:
            self._validate_quote(decision)
            await self._decide_quote(accept=decision.accept)
        return self.status

    @decide_quote.validator
    def _validate_quote(self, decision: QuoteDecision) -> None:
        self._check(Event.QUOTE_ACCEPTED if decision.accept else Event.QUOTE_DECLINED)

    @workflow.update
    async def record_parcel(self, update: ParcelUpdate) -> ClaimStatus:
        """Carrier events: duplicates and out-of-order ones are kept in the shipment's log and move nothing."""
        async with self.lock:
            self._validate_parcel(update)
            s = self.status
            shipment = next(x for x in s.shipments if x.tracking_number == update.tracking_number)
            record = ParcelRecord(event=update.event, occurred_at=update.occurred_at)
            if record in shipment.events:
                return s
            shipment.events.append(record)
            shipment.events.sort(key=lambda r: r.occurred_at)
            move = parcel_move(s.state, update.direction, update.event, received=s.received)
            if move is None:
                await self._record("PARCEL_EVENT", detail=f"{update.tracking_number}: {update.event.value}")
            else:
                await self._apply(move, detail=f"{update.tracking_number}: {update.event.value}")
        return self.status

    @record_parcel.validator
    def _validate_parcel(self, update: ParcelUpdate) -> None:
        if not any(
            x.tracking_number == update.tracking_number and x.direction is update.direction
            for x in self.status.shipments
        ):
            raise ApplicationError("no parcel with this tracking number and direction", type="UNKNOWN_PARCEL")

    @workflow.update
    async def cancel(self, request: CancelRequest) -> ClaimStatus:
        async with self.lock:
            self._validate_cancel(request)
            await self._apply(Event.OPS_CANCEL if request.by_ops else Event.CUSTOMER_CANCEL, detail=request.reason)
        return self.status

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        self._check(Event.OPS_CANCEL if request.by_ops else Event.CUSTOMER_CANCEL)

    @workflow.update
    async def reassign(self, request: Reassignment) -> ClaimStatus:
        async with self.lock:
            self._validate_reassign(request)
            waiting = not self.status.centre_id
            self.status.centre_id = request.centre_id
            await self._apply(Event.REASSIGN, detail=request.reason)
            if waiting and self.status.state is ClaimState.AWAITING_SHIPMENT:
                await self._ship(Direction.TO_CENTRE)
        return self.status

    @reassign.validator
    def _validate_reassign(self, request: Reassignment) -> None:
        if not request.centre_id:
            raise ApplicationError("a centre is required", type="INVALID_CENTRE")
        self._check(Event.REASSIGN)

    @workflow.update
    async def submit_feedback(self, feedback: Feedback) -> ClaimStatus:
        async with self.lock:
            self._validate_feedback(feedback)
            self.status.feedback_score = feedback.score
            await self._apply(Event.FEEDBACK)
        return self.status

    @submit_feedback.validator
    def _validate_feedback(self, feedback: Feedback) -> None:
        if not 0 <= feedback.score <= 10:
            raise ApplicationError("the score must be from 0 to 10", type="INVALID_SCORE")
        if self.status.feedback_score is not None:
            raise ApplicationError("feedback was already given", type="FEEDBACK_ALREADY_GIVEN")
        self._check(Event.FEEDBACK)

    @workflow.query
    def claim_status(self) -> ClaimStatus:
        return self.status

    # -- what ops see ------------------------------------------------------------------------------------

    def _set_search_attributes(self) -> None:
        s = self.status
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.CLAIM_STATE.value_set(s.state.value),
            sa.SERVICE_CENTRE_ID.value_set(s.centre_id) if s.centre_id else sa.SERVICE_CENTRE_ID.value_unset(),
            sa.PRODUCT_SKU.value_set(s.sku) if s.sku else sa.PRODUCT_SKU.value_unset(),
            sa.RETAILER_ID.value_set(s.retailer_id) if s.retailer_id else sa.RETAILER_ID.value_unset(),
            sa.SLA_BREACHED.value_set(s.sla_breached),
            sa.SLA_DUE_AT.value_set(s.sla_due_at) if s.sla_due_at else sa.SLA_DUE_AT.value_unset(),
            sa.RESOLUTION.value_set(s.resolution.value) if s.resolution else sa.RESOLUTION.value_unset(),
        ]
        workflow.upsert_search_attributes(updates)
        centre = s.centre_id or "unassigned"
        workflow.set_current_details(
            f"**{s.rma}** · {s.sku or '?'} · {s.state.value} · centre {centre}"
            + (" · SLA BREACHED" if s.sla_breached else "")
        )
