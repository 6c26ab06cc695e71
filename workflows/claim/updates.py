"""The claim's updates: every external event (a centre's progress and diagnosis, a carrier's parcel event, the
customer's quote decision, feedback and answer, ops' cancel, reassignment and review) is an Update whose
validator asks the transition table, so an illegal move is refused before it enters history. A retried update
id is answered with the claim as it is (handled.py)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts import queues
    from contracts.claims import (
        CancelRequest,
        ClaimState,
        ClaimStatus,
        DiagnosisUpdate,
        Direction,
        Event,
        Feedback,
        InformationAnswer,
        InformationRequest,
        ParcelEvent,
        ParcelRecord,
        ParcelUpdate,
        QuoteDecision,
        Reassignment,
        Refusal,
        RepairStatusUpdate,
        Resolution,
        ReviewDecision,
    )
    from contracts.warranty import MOVE_TO_REPLACEMENT, ReplacementMove, ReplacementMoved
    from lifecycle.notices import parcel
    from lifecycle.transitions import CENTRE_STATUSES, IllegalTransition, InvalidDiagnosis, diagnosis_event, parcel_move

from workflows.claim.calls import PARCEL_EXCEPTION_PATCH, REVIEW_PATCH, call
from workflows.claim.changes import illegal
from workflows.claim.intake import Intake


def _diagnosis_event(update: DiagnosisUpdate) -> Event:
    has_quote = update.quote is not None and update.quote.amount_minor > 0
    try:
        return diagnosis_event(update.diagnosis, has_quote=has_quote)
    except InvalidDiagnosis as error:
        raise ApplicationError(str(error), type=Refusal.INVALID_DIAGNOSIS) from None


def _parcel_note(event: ParcelEvent) -> str:
    """The note a parcel event that moves nothing records: an exception alerts (lifecycle/notices), others do not."""
    if event is ParcelEvent.EXCEPTION and workflow.patched(PARCEL_EXCEPTION_PATCH):
        return parcel.NOTE
    return "PARCEL_EVENT"


class Updates(Intake):
    """Every external event, each an update with its validator; each handler carries its change out under the
    lock, in the name of its actor, once per update id."""

    @workflow.update
    async def file(self) -> ClaimStatus:
        """The intake's answer (Update-with-Start): waits until the entitlement decision is recorded."""
        await workflow.wait_condition(lambda: self.status.decision != "" and not self.lock.locked())
        return self._answer()

    @workflow.update
    async def update_repair_status(self, update: RepairStatusUpdate) -> ClaimStatus:
        if self.handled.current():
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
        if self.handled.current():
            return
        if update.status not in CENTRE_STATUSES:
            raise ApplicationError(f"{update.status} is not a repair status", type=Refusal.INVALID_STATUS)
        self._check_centre(update.centre_id)
        self._check(update.status)

    @workflow.update
    async def record_diagnosis(self, update: DiagnosisUpdate) -> ClaimStatus:
        if self.handled.current():
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
                    moved = await call(MOVE_TO_REPLACEMENT, move, queues.WARRANTY, ReplacementMoved)
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
            return await call(MOVE_TO_REPLACEMENT, move, queues.WARRANTY, ReplacementMoved)
        except ActivityError as error:
            cause = error.cause.message if isinstance(error.cause, ApplicationError) else str(error)
            raise ApplicationError(
                f"the replacement serial cannot take the warranty: {cause}", type=Refusal.REPLACEMENT_REFUSED
            ) from None

    @record_diagnosis.validator
    def _validate_diagnosis(self, update: DiagnosisUpdate) -> None:
        if self.handled.current():
            return
        self._check_centre(update.centre_id)
        self._check(_diagnosis_event(update))

    @workflow.update
    async def decide_quote(self, decision: QuoteDecision) -> ClaimStatus:
        if self.handled.current():
            return self.status
        async with self.lock:
            self.actor = decision.actor
            self._validate_quote(decision)
            await self._decide_quote(accept=decision.accept)
        return self._done()

    @decide_quote.validator
    def _validate_quote(self, decision: QuoteDecision) -> None:
        if self.handled.current():
            return
        self._check(Event.QUOTE_ACCEPTED if decision.accept else Event.QUOTE_DECLINED)

    @workflow.update
    async def record_parcel(self, update: ParcelUpdate) -> ClaimStatus:
        """Carrier events: duplicates and out-of-order ones are kept in the shipment's log and move nothing."""
        if self.handled.current():
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
                await self._record(_parcel_note(update.event), detail=f"{update.tracking_number}: {update.event.value}")
            else:
                await self._apply(move, detail=f"{update.tracking_number}: {update.event.value}")
        return self._done()

    @record_parcel.validator
    def _validate_parcel(self, update: ParcelUpdate) -> None:
        if self.handled.current():
            return
        if not any(
            x.tracking_number == update.tracking_number and x.direction is update.direction
            for x in self.status.shipments
        ):
            raise ApplicationError("no parcel with this tracking number and direction", type=Refusal.UNKNOWN_PARCEL)

    @workflow.update
    async def cancel(self, request: CancelRequest) -> ClaimStatus:
        if self.handled.current():
            return self.status
        async with self.lock:
            self.actor = request.actor
            self._validate_cancel(request)
            await self._apply(Event.OPS_CANCEL if request.by_ops else Event.CUSTOMER_CANCEL, detail=request.reason)
        return self._done()

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        if self.handled.current():
            return
        self._check(Event.OPS_CANCEL if request.by_ops else Event.CUSTOMER_CANCEL)

    @workflow.update
    async def reassign(self, request: Reassignment) -> ClaimStatus:
        if self.handled.current():
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
        if self.handled.current():
            return
        if not request.centre_id:
            raise ApplicationError("a centre is required", type=Refusal.INVALID_CENTRE)
        self._check(Event.REASSIGN)

    @workflow.update
    async def submit_feedback(self, feedback: Feedback) -> ClaimStatus:
        if self.handled.current():
            return self.status
        async with self.lock:
            self.actor = feedback.actor
            self._validate_feedback(feedback)
            self.status.feedback_score = feedback.score
            await self._apply(Event.FEEDBACK)
        return self._done()

    @submit_feedback.validator
    def _validate_feedback(self, feedback: Feedback) -> None:
        if self.handled.current():
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
        if self.handled.current():
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
        if self.handled.current():
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
        if self.handled.current():
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
        if self.handled.current():
            return
        if not request.needed:
            raise ApplicationError("name at least one thing the customer should send", type=Refusal.NOTHING_REQUESTED)
        self._check(Event.INFO_REQUESTED)

    @workflow.update
    async def answer_information(self, answer: InformationAnswer) -> ClaimStatus:
        if self.handled.current():
            return self.status
        async with self.lock:
            self.actor = answer.actor
            self._validate_answer(answer)
            sent = [f"{answer.attachments} photo(s)" if answer.attachments else "", "text" if answer.with_text else ""]
            await self._apply(Event.INFO_PROVIDED, detail=" and ".join(filter(None, sent)))
        return self._done()

    @answer_information.validator
    def _validate_answer(self, answer: InformationAnswer) -> None:
        if self.handled.current():
            return
        if not answer.attachments and not answer.with_text:
            raise ApplicationError("an answer needs a text or a photo", type=Refusal.NOTHING_REQUESTED)
        self._check(Event.INFO_PROVIDED)
