"""ClaimWorkflow (id `claim-<RMA>`): the only writer of a claim's state (DESIGN.md, "The claim lifecycle").

The run is its intake, then a loop that waits for the next change or the next deadline, until the claim
reaches a final state; it continues as new when Temporal suggests it, carrying the claim and the update ids
carried out. The pieces, each a module of this package:
- `intake.py`: the entitlement decision, the risk rules, review, the first move;
- `updates.py`: every external event, an Update validated by the transition table (lifecycle/transitions.py);
- `timers.py`: what each deadline does (lifecycle/deadlines.py says when);
- `changes.py`: how a change is made and recorded, and the messages it sends (lifecycle/notices/);
- `outbox.py`: the records written behind each update and the messages on their way, which the run waits for;
- `handled.py`: the memory of handled update ids, across continue-as-new.

Since the write-behind, an update answers as soon as its changes are made: it hands them to its caller's API,
which writes them before it answers, and `repairs.record_event` writes them behind it (idempotent by
sequence number). Timers come from the product's policy via the entitlement decision. No personal data
enters this workflow."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contracts.claims import WORKFLOW, ClaimInput, ClaimStatus
    from lifecycle.transitions import TERMINAL

from workflows.claim.calls import SYSTEM, WAKE_TO_CONTINUE_PATCH
from workflows.claim.timers import Timers
from workflows.claim.updates import Updates


@workflow.defn(name=WORKFLOW)
class ClaimWorkflow(Timers, Updates):
    @workflow.init
    def __init__(self, claim: ClaimInput) -> None:
        super().__init__(claim)

    @workflow.run
    async def run(self, claim: ClaimInput) -> ClaimStatus:
        if claim.carried is None:
            await self._intake()
        wakes_to_continue = workflow.patched(WAKE_TO_CONTINUE_PATCH)
        while self.status.state not in TERMINAL:
            if self._may_continue():
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() and self.outbox.empty)
                workflow.continue_as_new(self.next_run(claim))
            self.seen, deadline = self.changed, self._next_deadline()
            timeout = max(deadline - workflow.now(), timedelta(0)) if deadline is not None else None
            try:
                await workflow.wait_condition(
                    lambda: self.changed != self.seen or (wakes_to_continue and self._may_continue()),
                    timeout=timeout,
                )
            except TimeoutError:
                async with self.lock:
                    self.actor = SYSTEM
                    await self._on_timer()
        await workflow.wait_condition(lambda: workflow.all_handlers_finished() and self.outbox.empty)
        return self.status

    def _may_continue(self) -> bool:
        """Temporal suggests continuing as new (the history is long) and no update is halfway through a change."""
        return workflow.info().is_continue_as_new_suggested() and not self.lock.locked()

    def next_run(self, claim: ClaimInput) -> ClaimInput:
        """The input of the run this one continues as: the claim as it is, and the update ids carried out."""
        return claim.model_copy(update={"carried": self.status, "handled_updates": self.handled.carried()})

    @workflow.query
    def claim_status(self) -> ClaimStatus:
        return self.status
