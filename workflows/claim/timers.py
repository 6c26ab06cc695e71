"""What a claim does when a deadline passes: a reminder, an expiry, the quote's default decline, the survey and
its close, an SLA breach escalated to ops. The deadlines themselves come from lifecycle/deadlines.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contracts import queues
    from contracts.claims import ClaimState, Event
    from contracts.repairs import ESCALATE_SLA, SlaEscalation
    from lifecycle.deadlines import RENEWED_TAGS, Timer, deadlines

from workflows.claim.calls import call
from workflows.claim.changes import Changes


class Timers(Changes):
    """The next deadline, and one handler for each timer."""

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
        await call(ESCALATE_SLA, escalation, queues.REPAIRS)
        await self._record("SLA_BREACHED", detail="escalated to ops")
