"""The repair SLA's clock: how much of a claim's repair budget its centre has used, and when it falls due.
Pure: the workflow hands it the time (workflow.now())."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.claims import ClaimState

S = ClaimState

# The SLA clock runs while the centre holds the unit and the next move is the centre's.
SLA_RUNNING = frozenset({S.RECEIVED, S.DIAGNOSING, S.REPAIRING, S.AWAITING_PARTS, S.QUALITY_CHECK})


@dataclass(frozen=True)
class SlaClock:
    """Time used of the repair SLA. It runs from RECEIVED to READY_TO_SHIP and pauses while waiting for the
    customer (a quote decision). Immutable: every change returns a new clock."""

    budget: timedelta
    used: timedelta = timedelta(0)
    running_since: datetime | None = None

    def at(self, state: ClaimState, now: datetime) -> SlaClock:
        """The clock once the claim is in `state` at `now`."""
        used = self.used + (now - self.running_since if self.running_since else timedelta(0))
        return SlaClock(self.budget, used, now if state in SLA_RUNNING else None)

    def due_at(self) -> datetime | None:
        """When the SLA breaks if the clock keeps running; None while paused."""
        if self.running_since is None:
            return None
        return self.running_since + (self.budget - self.used)

    def breached(self, now: datetime) -> bool:
        used = self.used + (now - self.running_since if self.running_since else timedelta(0))
        return used > self.budget
