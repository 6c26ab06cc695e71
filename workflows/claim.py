"""ClaimWorkflow (id `claim-<RMA>`): the only writer of a claim's state (DESIGN.md, "The claim lifecycle").

Every external event is an Update whose validator asks the pure transition table, so an illegal move is
rejected before it enters history. Each accepted change is written to the repairs database by the
`repairs.record_event` activity (idempotent by sequence number) before the update returns. Timers come
from the product's policy via the entitlement decision. No personal data enters this workflow."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts import queues
    from contracts.claims import (
        WORKFLOW,
        CancelRequest,
        ClaimInput,
        ClaimState,
        ClaimStatus,
        DiagnosisUpdate,
        Direction,
        Event,
        Feedback,
        InformationAnswer,
        InformationRequest,
        ParcelRecord,
        ParcelUpdate,
        Quote,
        QuoteDecision,
        Reassignment,
        Refusal,
        RepairStatusUpdate,
        Resolution,
        Review,
        ReviewDecision,
        Shipment,
    )
    from contracts.notifications import NotificationRequest
    from contracts.repairs import (
        ASSESS_RISK,
        ASSIGN_CENTRE,
        CREATE_LABEL,
        ESCALATE_SLA,
        RECORD_EVENT,
        REGISTER_FROM_RECEIPT,
        CentreChoice,
        CentreQuery,
        EventRecord,
        Label,
        LabelRequest,
        ReceiptRegistered,
        ReceiptRegistration,
        RiskAssessment,
        RiskQuery,
        SlaEscalation,
        UpdateAnswer,
    )
    from contracts.warranty import (
        CHECK_ENTITLEMENT,
        MOVE_TO_REPLACEMENT,
        EntitlementDecision,
        EntitlementQuery,
        ReplacementMove,
        ReplacementMoved,
    )
    from services.repairs.domain.claims import (
        CENTRE_STATUSES,
        RENEWED_TAGS,
        TERMINAL,
        IllegalTransition,
        InvalidDiagnosis,
        SlaClock,
        Timer,
        deadlines,
        diagnosis_event,
        next_state,
        parcel_move,
    )
    from services.repairs.domain.review import review_reasons
    from workflows import search_attributes as sa
    from workflows.notices import notices
    from workflows.notify import send

ACTIVITY_TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# Claims started before notifications existed replay without them (tests/workflows/test_replay.py).
NOTIFY_PATCH = "notify-customers-retailers-ops"
# Claims started before review existed go on without the risk check and the review step (test_replay.py).
REVIEW_PATCH = "claim-review"
# Claims since the write-behind: an update answers as soon as its changes are made, handing them to the caller's
# API (which writes them before it answers), and record_event writes them behind it, in order. Before it, each
# change waited for record_event (one dispatch to the repairs worker and back, about 90 ms of every update).
WRITE_BEHIND_PATCH = "records-written-behind"
SYSTEM = "system"  # the actor of what the workflow does by itself: the entitlement decision, timers
HANDLED_KEPT = 1000  # update ids carried into the next run: far more than retries could still be in flight
T = TypeVar("T")


def illegal(error: IllegalTransition) -> ApplicationError:
    """How a refused move reaches the caller: the repairs service maps it to FAILED_PRECONDITION."""
    details = {"state": error.state.value, "event": error.event.value}
    return ApplicationError(str(error), details, type=Refusal.ILLEGAL_TRANSITION)


def _diagnosis_event(update: DiagnosisUpdate) -> Event:
    has_quote = update.quote is not None and update.quote.amount_minor > 0
    try:
        return diagnosis_event(update.diagnosis, has_quote=has_quote)
    except InvalidDiagnosis as error:
        raise ApplicationError(str(error), type=Refusal.INVALID_DIAGNOSIS) from None


async def _call(activity: str, arg: object, queue: str, result_type: type[T] | None = None) -> T:
    """Run one of a service's activities with the options every claim activity uses."""
    result: T = await workflow.execute_activity(
        activity,
        arg,
        task_queue=queue,
        result_type=result_type,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=RETRY,
    )
    return result


@workflow.defn(name=WORKFLOW)
class ClaimWorkflow:
    @workflow.init
    def __init__(self, claim: ClaimInput) -> None:
        self.claim = claim
        self.status = claim.carried or ClaimStatus(rma=claim.rma, serial=claim.serial)
        self.changed = self.seen = 0  # bumped by every accepted change; the main loop waits on it
        self.lock = asyncio.Lock()
        self.last_state = self.status.state  # as of the last recorded change: what a message compares with
        self.outbox: set[asyncio.Task[object]] = set()  # notifications and write-behind records on their way
        self.unanswered: list[EventRecord] = []  # changes not yet handed to an update's caller (write-behind)
        self.last_write: asyncio.Task[object] | None = None  # the record the next one is written after
        self.latest: dict[str, asyncio.Task[object]] = {}  # per recipient: the message the next one follows
        # Update ids carried out, across continue-as-new: Temporal recognises a repeated update id only within
        # one run, and a caller's retry may arrive after the run that carried it out has continued as new.
        self.handled: list[str] = list(claim.handled_updates)
        self.actor = SYSTEM  # who the change being made is by: set by each update, under the lock

    # -- the run -----------------------------------------------------------------------------------------

    @workflow.run
    async def run(self, claim: ClaimInput) -> ClaimStatus:
        if claim.carried is None:
            await self._intake()
        while self.status.state not in TERMINAL:
            if workflow.info().is_continue_as_new_suggested() and not self.lock.locked():
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self.outbox)
                workflow.continue_as_new(self.next_run(claim))
            self.seen, deadline = self.changed, self._next_deadline()
            timeout = max(deadline - workflow.now(), timedelta(0)) if deadline is not None else None
            try:
                await workflow.wait_condition(lambda: self.changed != self.seen, timeout=timeout)
            except TimeoutError:
                async with self.lock:
                    self.actor = SYSTEM
                    await self._on_timer()
        await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self.outbox)
        return self.status

    def next_run(self, claim: ClaimInput) -> ClaimInput:
        """The input of the run this one continues as: the claim as it is, and the update ids carried out."""
        return claim.model_copy(update={"carried": self.status, "handled_updates": self.handled[-HANDLED_KEPT:]})

    async def _intake(self) -> None:
        async with self.lock:
            decision = await self._entitlement(self.claim.retailer_id)
            if workflow.patched(REVIEW_PATCH):
                if not decision.found and self.claim.receipt is not None:
                    await self._review_receipt()
                    return
                if decision.found:
                    decision = await self._assess(decision)
                    if await self._to_review(decision):
                        return
            await self._decide(decision)

    async def _entitlement(self, retailer_id: str) -> EntitlementDecision:
        """Ask the warranty service and take the sale's facts and the product's timers into the status."""
        query = EntitlementQuery(
            serial=self.claim.serial,
            incident_at=self.claim.incident_at,
            fault_category=self.claim.fault_category,
            retailer_id=retailer_id,
        )
        decision = await _call(CHECK_ENTITLEMENT, query, queues.WARRANTY, EntitlementDecision)
        s = self.status
        s.sku, s.retailer_id, s.customer_id = decision.sku, decision.retailer_id, decision.customer_id
        s.product_category = decision.product_category
        s.timers, s.sla_budget_seconds = decision.timers, decision.timers.repair_sla
        s.decision_reason, s.coverage_kind = decision.reason, decision.coverage_kind
        self._set_search_attributes()
        return decision

    async def _review_receipt(self) -> None:
        """A serial nobody registered, with a receipt: a person looks at it before anything else happens."""
        s, receipt = self.status, self.claim.receipt
        assert receipt is not None
        s.sku, s.retailer_id = receipt.sku, receipt.retailer_id
        s.review = Review(reasons=["UNREGISTERED_SERIAL"], registers=True)
        s.decision = "REVIEW"
        await self._apply(Event.REVIEW_REQUIRED, detail="UNREGISTERED_SERIAL")

    async def _register_receipt(self) -> EntitlementDecision:
        """Register the sale from the approved receipt, then decide the claim as a registered one."""
        try:
            done = await _call(
                REGISTER_FROM_RECEIPT, ReceiptRegistration(rma=self.status.rma), queues.REPAIRS, ReceiptRegistered
            )
        except ActivityError as error:
            cause = error.cause.message if isinstance(error.cause, ApplicationError) else str(error)
            raise ApplicationError(f"the receipt cannot be registered: {cause}", type=Refusal.RECEIPT_REFUSED) from None
        receipt = self.claim.receipt
        bought = receipt.purchase_date if receipt else "?"
        seller = receipt.retailer_id if receipt else "?"
        how = "already registered by then" if done.already_registered else f"bought {bought} at {seller}"
        await self._record("WARRANTY_REGISTERED", detail=f"from the receipt: {how}")
        return await self._entitlement(self.claim.retailer_id)  # a retailer still finds only its own sales

    async def _decide(self, decision: EntitlementDecision, *, detail: str = "") -> None:
        """Carry out the entitlement decision: approve (and send a label), offer a quote, or reject."""
        s = self.status
        if decision.covered:
            s.exchange = decision.coverage_kind == "RETURN_WINDOW"
            s.decision = "EXCHANGE" if s.exchange else "APPROVED"
            await self._apply(Event.APPROVED, detail=detail)
            await self._assign_centre()
        elif decision.found and decision.paid_repair_minor > 0:
            s.decision = "QUOTE_OFFERED"
            await self._offer_quote(Event.QUOTE_OFFERED, decision.paid_repair_currency, decision.paid_repair_minor)
        else:
            s.decision = "REJECTED"
            await self._apply(Event.REJECTED, detail=decision.reason)

    async def _assess(self, decision: EntitlementDecision) -> EntitlementDecision:
        """Run the risk rules (each flag goes on the timeline, enforced or in shadow) and apply the product's
        repeat-repair cover: a fault repaired lately is covered again even after the warranty's end."""
        s = self.status
        query = RiskQuery(
            rma=s.rma,
            serial=s.serial,
            now=workflow.now(),
            fault_category=self.claim.fault_category,
            customer_id=s.customer_id,
            retailer_id=s.retailer_id,
            purchased_at=decision.purchased_at,
            unit_value_minor=decision.unit_value_minor,
            repeat_repair_days=decision.repeat_repair_days,
        )
        assessment = await _call(ASSESS_RISK, query, queues.REPAIRS, RiskAssessment)
        s.risk_flags = assessment.flags
        for flag in assessment.flags:
            mode = "enforced" if flag.enforced else "shadow"
            await self._record("RISK_FLAGGED", detail=f"{flag.code} v{flag.version} ({mode}): {flag.sentence}"[:500])
        if assessment.repeat_of and not decision.covered:
            s.coverage_kind, s.decision_reason = "REPEAT_REPAIR", f"REPEAT_REPAIR_OF_{assessment.repeat_of}"
            return decision.model_copy(
                update={"covered": True, "coverage_kind": "REPEAT_REPAIR", "reason": s.decision_reason}
            )
        return decision

    async def _to_review(self, decision: EntitlementDecision) -> bool:
        """Send the claim to review when the policy or an enforced rule asks; False: it goes on at once."""
        s = self.status
        if decision.covered:
            pending = Event.APPROVED
        elif decision.paid_repair_minor > 0:
            pending = Event.QUOTE_OFFERED
        else:
            pending = Event.REJECTED
        reasons = review_reasons(
            decision.approval_mode,
            pending,
            s.risk_flags,
            quote_minor=decision.paid_repair_minor if pending is Event.QUOTE_OFFERED else 0,
            review_above_minor=decision.review_above_minor,
        )
        if not reasons:
            return False
        s.exchange = decision.coverage_kind == "RETURN_WINDOW"
        s.review = Review(reasons=reasons, pending=pending)
        if pending is Event.QUOTE_OFFERED:
            s.quote = Quote(currency_code=decision.paid_repair_currency, amount_minor=decision.paid_repair_minor)
        s.decision = "REVIEW"
        await self._apply(Event.REVIEW_REQUIRED, detail=", ".join(reasons))
        return True

    # -- timers ------------------------------------------------------------------------------------------

    def _next_deadline(self) -> datetime | None:
        due = deadlines(self.status, workflow.now())
        return due[0][0] if due else None

    async def _on_timer(self) -> None:
        """Handle the first deadline that has passed; the loop comes back for the next."""
        now = workflow.now()
        due = deadlines(self.status, now)
        if due and due[0][0] <= now:
            await self._timer_handlers[due[0][1]]()

    @property
    def _timer_handlers(self) -> dict[Timer, Callable[[], Awaitable[None]]]:
        return {
            Timer.SHIP_REMINDER: lambda: self._remind("ship", "SHIP_REMINDER"),
            Timer.SHIPMENT_DEADLINE: lambda: self._apply(Event.SHIPMENT_EXPIRED),
            Timer.QUOTE_REMINDER: lambda: self._remind("quote", "QUOTE_REMINDER"),
            Timer.QUOTE_DEADLINE: lambda: self._decide_quote(accept=False, detail="quote expired: declined by default"),
            Timer.SURVEY: lambda: self._remind("survey", "SURVEY_SENT"),
            Timer.SURVEY_CLOSED: lambda: self._apply(Event.SURVEY_CLOSED),
            Timer.SLA: self._breach_sla,
            Timer.REVIEW_SLA: lambda: self._remind(RENEWED_TAGS[ClaimState.AWAITING_REVIEW], "REVIEW_OVERDUE"),
            Timer.INFO_REMINDER: lambda: self._remind(RENEWED_TAGS[ClaimState.AWAITING_CUSTOMER_INFO], "INFO_REMINDER"),
            Timer.INFO_DEADLINE: lambda: self._apply(Event.INFO_EXPIRED, detail="no answer before the deadline"),
        }

    async def _remind(self, tag: str, note: str) -> None:
        self.status.reminders_sent.append(tag)
        await self._record(note)

    async def _breach_sla(self) -> None:
        s = self.status
        s.sla_breached = True
        escalation = SlaEscalation(
            rma=s.rma, centre_id=s.centre_id, due_at=s.sla_due_at or workflow.now(), state=s.state
        )
        await _call(ESCALATE_SLA, escalation, queues.REPAIRS)
        await self._record("SLA_BREACHED", detail="escalated to ops")

    # -- changes -----------------------------------------------------------------------------------------

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
        self._set_search_attributes()
        record = EventRecord(
            rma=s.rma, seq=s.seq, kind=kind, occurred_at=workflow.now(), status=s, detail=detail, actor=self.actor
        )
        if workflow.patched(WRITE_BEHIND_PATCH):
            # Written later: the record keeps the status as of this change, not as the claim moves on meanwhile.
            self._write_behind(record.model_copy(update={"status": s.model_copy(deep=True)}))
        else:
            await _call(RECORD_EVENT, record, queues.REPAIRS)
        previous, self.last_state = self.last_state, s.state
        if workflow.patched(NOTIFY_PATCH):
            for message in notices(kind, previous, s):
                self._notify(message)
        self.changed += 1

    def _write_behind(self, record: EventRecord) -> None:
        """Write the change without holding the update: in order, after the one before; the next update's answer
        hands it to the caller's API too, and the run waits for every write before it ends or continues."""
        self.unanswered.append(record)
        self.last_write = self._later(lambda: _call(RECORD_EVENT, record, queues.REPAIRS), self.last_write)

    def _notify(self, message: NotificationRequest) -> None:
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
        self.outbox.add(task)
        task.add_done_callback(self.outbox.discard)
        return task

    async def _assign_centre(self) -> None:
        query = CentreQuery(
            rma=self.status.rma, region=self.claim.region, product_category=self.status.product_category
        )
        choice = await _call(ASSIGN_CENTRE, query, queues.REPAIRS, CentreChoice)
        self.status.centre_id = choice.centre_id
        if choice.centre_id:
            await self._ship(Direction.TO_CENTRE)
        else:
            await self._record("NO_CENTRE", detail="no centre fits: waiting for ops to assign one")

    async def _ship(self, direction: Direction) -> None:
        request = LabelRequest(rma=self.status.rma, direction=direction, centre_id=self.status.centre_id)
        label = await _call(CREATE_LABEL, request, queues.REPAIRS, Label)
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
            raise ApplicationError("the claim is not assigned to this centre", type=Refusal.NOT_ASSIGNED)

    def _handled(self) -> bool:
        """Whether this update's id was carried out already (in this run or one before a continue-as-new):
        its validator lets it through and its handler answers with the claim as it is, changing nothing."""
        info = workflow.current_update_info()
        return info is not None and info.id in self.handled

    def _done(self) -> ClaimStatus:
        info = workflow.current_update_info()
        if info is not None:
            self.handled.append(info.id)
        return self._answer()

    def _answer(self) -> ClaimStatus:
        """An update's answer: since the write-behind, the status with the changes its caller's API writes."""
        if not workflow.patched(WRITE_BEHIND_PATCH):
            return self.status
        answer = UpdateAnswer(**dict(self.status), records=self.unanswered)
        self.unanswered = []
        return answer

    @workflow.update
    async def file(self) -> ClaimStatus:
        """The intake's answer (Update-with-Start): waits until the entitlement decision is recorded."""
        await workflow.wait_condition(lambda: self.status.decision != "" and not self.lock.locked())
        return self._answer()

    @workflow.update
    async def update_repair_status(self, update: RepairStatusUpdate) -> ClaimStatus:
        if self._handled():
            return self.status
        async with self.lock:
            self.actor = update.actor
            self._validate_repair_status(update)
            await self._apply(update.status)
            if self.status.state is ClaimState.READY_TO_SHIP:
                self.status.resolution = self.status.resolution or Resolution.REPAIRED
                await self._ship(Direction.TO_CUSTOMER)
        return self._done()

    @update_repair_status.validator
    def _validate_repair_status(self, update: RepairStatusUpdate) -> None:
        if self._handled():
            return
        if update.status not in CENTRE_STATUSES:
            raise ApplicationError(f"{update.status} is not a repair status", type=Refusal.INVALID_STATUS)
        self._check_centre(update.centre_id)
        self._check(update.status)

    @workflow.update
    async def record_diagnosis(self, update: DiagnosisUpdate) -> ClaimStatus:
        if self._handled():
            return self.status
        async with self.lock:
            self.actor = update.actor
            self._validate_diagnosis(update)
            event = _diagnosis_event(update)
            s = self.status
            s.diagnosis = update.diagnosis
            if event is Event.DIAGNOSED_NOT_COVERED:
                assert update.quote is not None  # the validator saw to it
                await self._offer_quote(event, update.quote.currency_code, update.quote.amount_minor)
                return self._done()
            move = ReplacementMove(
                serial=s.serial, replacement_serial=update.diagnosis.replacement_serial, reason=s.rma
            )
            moved = None
            if event is Event.DIAGNOSED_REPLACE and workflow.patched(REVIEW_PATCH):
                moved = await self._move_warranty(move)  # first: a refusal must leave the claim as it was
            await self._apply(event)
            if event is Event.DIAGNOSED_REPLACE:
                if moved is None:  # a claim from before the review patch moves it after the state, as it did
                    moved = await _call(MOVE_TO_REPLACEMENT, move, queues.WARRANTY, ReplacementMoved)
                s.resolution = Resolution.EXCHANGED if s.exchange else Resolution.REPLACED
                await self._record("WARRANTY_MOVED", detail=f"to {moved.replacement_serial}")
                await self._ship(Direction.TO_CUSTOMER)
            elif event is Event.DIAGNOSED_REFUND:
                s.resolution = Resolution.REFUNDED
        return self._done()

    async def _move_warranty(self, move: ReplacementMove) -> ReplacementMoved:
        """Move the warranty to the replacement unit; a serial that cannot take it (registered to another owner,
        voided) refuses the diagnosis, naming why, and nothing changes."""
        try:
            return await _call(MOVE_TO_REPLACEMENT, move, queues.WARRANTY, ReplacementMoved)
        except ActivityError as error:
            cause = error.cause.message if isinstance(error.cause, ApplicationError) else str(error)
            raise ApplicationError(
                f"the replacement serial cannot take the warranty: {cause}", type=Refusal.REPLACEMENT_REFUSED
            ) from None

    @record_diagnosis.validator
    def _validate_diagnosis(self, update: DiagnosisUpdate) -> None:
        if self._handled():
            return
        self._check_centre(update.centre_id)
        self._check(_diagnosis_event(update))

    @workflow.update
    async def decide_quote(self, decision: QuoteDecision) -> ClaimStatus:
        if self._handled():
            return self.status
        async with self.lock:
            self.actor = decision.actor
            self._validate_quote(decision)
            await self._decide_quote(accept=decision.accept)
        return self._done()

    @decide_quote.validator
    def _validate_quote(self, decision: QuoteDecision) -> None:
        if self._handled():
            return
        self._check(Event.QUOTE_ACCEPTED if decision.accept else Event.QUOTE_DECLINED)

    @workflow.update
    async def record_parcel(self, update: ParcelUpdate) -> ClaimStatus:
        """Carrier events: duplicates and out-of-order ones are kept in the shipment's log and move nothing."""
        if self._handled():
            return self.status
        async with self.lock:
            self.actor = update.actor
            self._validate_parcel(update)
            s = self.status
            shipment = next(x for x in s.shipments if x.tracking_number == update.tracking_number)
            record = ParcelRecord(event=update.event, occurred_at=update.occurred_at)
            if record in shipment.events:
                return self._done()
            shipment.events.append(record)
            shipment.events.sort(key=lambda r: r.occurred_at)
            move = parcel_move(s.state, update.direction, update.event, received=s.received)
            if move is None:
                await self._record("PARCEL_EVENT", detail=f"{update.tracking_number}: {update.event.value}")
            else:
                await self._apply(move, detail=f"{update.tracking_number}: {update.event.value}")
        return self._done()

    @record_parcel.validator
    def _validate_parcel(self, update: ParcelUpdate) -> None:
        if self._handled():
            return
        if not any(
            x.tracking_number == update.tracking_number and x.direction is update.direction
            for x in self.status.shipments
        ):
            raise ApplicationError("no parcel with this tracking number and direction", type=Refusal.UNKNOWN_PARCEL)

    @workflow.update
    async def cancel(self, request: CancelRequest) -> ClaimStatus:
        if self._handled():
            return self.status
        async with self.lock:
            self.actor = request.actor
            self._validate_cancel(request)
            await self._apply(Event.OPS_CANCEL if request.by_ops else Event.CUSTOMER_CANCEL, detail=request.reason)
        return self._done()

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        if self._handled():
            return
        self._check(Event.OPS_CANCEL if request.by_ops else Event.CUSTOMER_CANCEL)

    @workflow.update
    async def reassign(self, request: Reassignment) -> ClaimStatus:
        if self._handled():
            return self.status
        async with self.lock:
            self.actor = request.actor
            self._validate_reassign(request)
            waiting = not self.status.centre_id
            self.status.centre_id = request.centre_id
            await self._apply(Event.REASSIGN, detail=request.reason)
            if waiting and self.status.state is ClaimState.AWAITING_SHIPMENT:
                await self._ship(Direction.TO_CENTRE)
        return self._done()

    @reassign.validator
    def _validate_reassign(self, request: Reassignment) -> None:
        if self._handled():
            return
        if not request.centre_id:
            raise ApplicationError("a centre is required", type=Refusal.INVALID_CENTRE)
        self._check(Event.REASSIGN)

    @workflow.update
    async def submit_feedback(self, feedback: Feedback) -> ClaimStatus:
        if self._handled():
            return self.status
        async with self.lock:
            self.actor = feedback.actor
            self._validate_feedback(feedback)
            self.status.feedback_score = feedback.score
            await self._apply(Event.FEEDBACK)
        return self._done()

    @submit_feedback.validator
    def _validate_feedback(self, feedback: Feedback) -> None:
        if self._handled():
            return
        if not 0 <= feedback.score <= 10:
            raise ApplicationError("the score must be from 0 to 10", type=Refusal.INVALID_SCORE)
        if self.status.feedback_score is not None:
            raise ApplicationError("feedback was already given", type=Refusal.FEEDBACK_ALREADY_GIVEN)
        self._check(Event.FEEDBACK)

    @workflow.update
    async def decide_review(self, decision: ReviewDecision) -> ClaimStatus:
        """Ops' decision on a claim in review: approve (it goes on as the entitlement check decided: a label,
        or a quote) or reject with a reason code."""
        if self._handled():
            return self.status
        async with self.lock:
            self.actor = decision.actor
            self._validate_review(decision)
            s = self.status
            assert s.review is not None  # the validator saw to it
            note = " - ".join(filter(None, (decision.reason_code, decision.note)))
            if decision.approve and s.review.registers:
                await self._decide(await self._register_receipt(), detail=note)
                return self._done()
            if not decision.approve:
                s.review.rejection_code = decision.reason_code
                s.decision = "REJECTED"
                await self._apply(Event.REJECTED, detail=note)
            elif s.review.pending is Event.QUOTE_OFFERED and s.quote is not None:
                s.decision = "QUOTE_OFFERED"
                await self._offer_quote(Event.QUOTE_OFFERED, s.quote.currency_code, s.quote.amount_minor)
            else:
                s.decision = "EXCHANGE" if s.exchange else "APPROVED"
                await self._apply(Event.APPROVED, detail=note)
                await self._assign_centre()
        return self._done()

    @decide_review.validator
    def _validate_review(self, decision: ReviewDecision) -> None:
        if self._handled():
            return
        s = self.status
        if decision.approve:
            self._check(s.review.pending if s.review is not None else Event.APPROVED)
            if s.state is not ClaimState.AWAITING_REVIEW:  # APPROVED is also intake's event
                raise illegal(IllegalTransition(s.state, Event.APPROVED))
        else:
            if not decision.reason_code:
                raise ApplicationError("a rejection needs a reason code", type=Refusal.NOTHING_REQUESTED)
            self._check(Event.REJECTED)
            if s.review is None:  # SUBMITTED takes REJECTED from intake only
                raise illegal(IllegalTransition(s.state, Event.REJECTED))

    @workflow.update
    async def request_information(self, request: InformationRequest) -> ClaimStatus:
        if self._handled():
            return self.status
        async with self.lock:
            self.actor = request.actor
            self._validate_request_information(request)
            s = self.status
            assert s.review is not None
            s.review.requested = list(dict.fromkeys(request.needed))
            s.review.rounds += 1
            await self._apply(Event.INFO_REQUESTED, detail=", ".join(s.review.requested))
        return self._done()

    @request_information.validator
    def _validate_request_information(self, request: InformationRequest) -> None:
        if self._handled():
            return
        if not request.needed:
            raise ApplicationError("name at least one thing the customer should send", type=Refusal.NOTHING_REQUESTED)
        self._check(Event.INFO_REQUESTED)

    @workflow.update
    async def answer_information(self, answer: InformationAnswer) -> ClaimStatus:
        if self._handled():
            return self.status
        async with self.lock:
            self.actor = answer.actor
            self._validate_answer(answer)
            sent = [f"{answer.attachments} photo(s)" if answer.attachments else "", "text" if answer.with_text else ""]
            await self._apply(Event.INFO_PROVIDED, detail=" and ".join(filter(None, sent)))
        return self._done()

    @answer_information.validator
    def _validate_answer(self, answer: InformationAnswer) -> None:
        if self._handled():
            return
        if not answer.attachments and not answer.with_text:
            raise ApplicationError("an answer needs a text or a photo", type=Refusal.NOTHING_REQUESTED)
        self._check(Event.INFO_PROVIDED)

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
        if s.risk_flags:  # never set on claims from before the review patch: their histories keep their commands
            updates.append(sa.RISK_FLAGS.value_set(sorted({f.code for f in s.risk_flags})))
        workflow.upsert_search_attributes(updates)
        centre = s.centre_id or "unassigned"
        workflow.set_current_details(
            f"**{s.rma}** · {s.sku or '?'} · {s.state.value} · centre {centre}"
            + (" · SLA BREACHED" if s.sla_breached else "")
            + (f" · flags {', '.join(sorted({f.code for f in s.risk_flags}))}" if s.risk_flags else "")
        )
